"""A fast conformance check compiled once from the catalog's SHACL shapes, with pySHACL behind it.

`compile_shapes` reads the shapes graph (``ontology/shapes/*.ttl``, the one source of truth) and
turns every shape into a Python predicate that answers one question about a focus node: would
SHACL report *anything* about it? Only the core constraint components whose semantics pySHACL
implements plainly are compiled (cardinality, datatype, node kind, value range, string length and
pattern, ``sh:class``, ``sh:in``, ``sh:hasValue``, ``sh:node``, ``sh:property``, ``sh:and``,
``sh:or``, ``sh:not``, ``sh:xone``; predicate and inverse paths). A shape using anything else
(``sh:sparql``, qualified value shapes, complex paths, ``sh:flags``, ...) is *not compiled*: a
focus node it targets is never passed by the fast check.

`validate_many` keeps `skyweave.catalog.validate.validate_many`'s contract: records the compiled
check passes get an empty conforming report; every other record is validated by pySHACL, which
writes the exact report (the fast check only ever decides that nothing needs reporting). So a record
is stored without pySHACL only when the compiled shapes say it has no result at all, and the tests
check that the two agree on every example record and on mutated alerts.

References
----------
.. [1] Shapes Constraint Language (SHACL), W3C Recommendation 2017, section 4 (core constraint
   components) and 2.1.3 (targets), https://www.w3.org/TR/shacl/
.. [2] pySHACL, whose component semantics this mirrors, https://github.com/RDFLib/pySHACL
"""

import re
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache

from pyshacl.rdfutil.compare import compare_literal
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from . import validate as shacl
from .terms import Blank, Iri, Lit, XSD_STRING, from_rdflib, to_rdflib

__all__ = ["Unsupported", "CompiledShapes", "compile_shapes", "compiled", "compiled_plain", "deferred", "check_many",
           "check_triples", "validate_many", "validate_triples", "RDFLIB_TERMS", "PLAIN_TERMS"]

_IGNORED = {SH.name, SH.description, SH.message, SH.order, SH.group, SH.defaultValue, SH.severity,
            SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.path, SH.deactivated}
"""Shape predicates that report nothing by themselves (targets and paths are read separately)."""

_NODE_KINDS = {
    SH.IRI: (URIRef,), SH.BlankNode: (BNode,), SH.Literal: (Literal,), SH.BlankNodeOrIRI: (BNode, URIRef),
    SH.BlankNodeOrLiteral: (BNode, Literal), SH.IRIOrLiteral: (URIRef, Literal),
}

_PYTHON_TYPES = {XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
                 XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime}
"""The Python value pySHACL requires of a literal of each datatype (any other datatype passes)."""


class Unsupported(ValueError):
    """A shape uses a feature the compiler does not implement (its focus nodes go to pySHACL)."""


def _never(node, data):
    return False


class _Nothing:
    out = {}


_NOTHING = _Nothing()


_TYPE, _SUBCLASS = str(RDF.type), str(RDFS.subClassOf)


class _RdflibTerms:
    """How the compiled checks read rdflib terms."""

    iri, blank, literal = URIRef, BNode, Literal

    @staticmethod
    def const(term):
        """A term of the shapes graph, as the data holds it."""
        return term

    @staticmethod
    def text(v):
        """The IRI or lexical form (``str`` of SHACL's string-based constraints)."""
        return str(v)

    @staticmethod
    def has_datatype(v, datatype):
        return _has_datatype(v, datatype)

    @staticmethod
    def in_range(v, bound, accept):
        return _in_range(v, bound, accept)


@lru_cache(maxsize=1 << 16)
def _rdflib_literal(lit):
    return to_rdflib(lit)


_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMBERS = {_XSD + "double": float, _XSD + "float": float, _XSD + "integer": int, _XSD + "decimal": Decimal}
"""Numeric datatypes whose value rdflib reads with exactly these Python functions (its ``_toPythonMapping``)."""


def _number(lit):
    """The finite Python number of a plain numeric literal, or None (then rdflib's own reading decides)."""
    read = _NUMBERS.get(lit[1])
    if read is None or lit[2]:
        return None
    try:
        value = read(lit[0])
    except (ValueError, ArithmeticError):
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


@lru_cache(maxsize=1 << 16)
def _plain_datatype_verdict(v, datatype):
    """rdflib's verdict on a plain literal's datatype, remembered (times repeat within a batch)."""
    return _has_datatype(_rdflib_literal(v), URIRef(datatype))


class _PlainTerms:
    """How the compiled checks read plain terms (`skyweave.catalog.terms`). Plain strings and finite
    numbers are judged directly; any other literal is converted to rdflib's (cached) and judged as
    rdflib terms are, so both forms get the same verdicts."""

    iri, blank, literal = Iri, Blank, Lit
    const = staticmethod(from_rdflib)

    @staticmethod
    def text(v):
        return v[0] if type(v) is Lit else str(v)

    @staticmethod
    def has_datatype(v, datatype):
        if type(v) is not Lit:
            return False
        if v[1] == datatype and not v[2]:
            if datatype == XSD_STRING:
                return True  # a Python str, as pySHACL requires of xsd:string
            if datatype in _NUMBERS and _number(v) is not None:
                return True  # rdflib reads the value with that function: well-typed, of the expected kind
        return _plain_datatype_verdict(v, datatype)

    @staticmethod
    def in_range(v, bound, accept):
        if type(v) is not Lit:
            return False
        a, b = _number(v), _number(bound)
        if a is not None and b is not None:  # rdflib and pySHACL compare numeric literals by value
            return accept((a > b) - (a < b))
        return _in_range(_rdflib_literal(v), _rdflib_literal(bound), accept)


RDFLIB_TERMS, PLAIN_TERMS = _RdflibTerms(), _PlainTerms()
"""The two term forms a compiled check reads: rdflib terms, or plain ones (`skyweave.catalog.terms`)."""


class _Data:
    """The triples a batch is judged on: the records, their context and the ontology, indexed by subject."""

    def __init__(self, graphs, base=None):
        self.out, self.base = {}, base if base is not None else _NOTHING
        for graph in graphs:
            for s, p, o in graph:
                self.out.setdefault(s, {}).setdefault(str(p), set()).add(o)  # a str key, whatever the term form
        self._inverse, self._supers = None, {}

    def values(self, node, predicate):
        """The objects of ``node``'s ``predicate`` (a plain ``str``: rdflib's URIRef equality is slow)."""
        mine = self.out.get(node)
        mine = mine.get(predicate) if mine else None
        theirs = self.base.out.get(node)
        theirs = theirs.get(predicate) if theirs else None
        if mine and theirs:
            return mine | theirs
        return mine or theirs or ()

    def subjects(self, node, predicate):
        if self._inverse is None:
            self._inverse = {}
            for index in (self.out, self.base.out):
                for s, props in index.items():
                    for p, objects in props.items():
                        for o in objects:
                            self._inverse.setdefault(o, {}).setdefault(p, set()).add(s)
        return self._inverse.get(node, {}).get(predicate, ())

    def classes(self, node):
        """Every class ``node`` is a SHACL instance of (rdf:type/rdfs:subClassOf*)."""
        found = set()
        for cls in self.values(node, _TYPE):
            found |= self.superclasses(cls)
        return found

    def superclasses(self, cls):
        known = self._supers.get(cls)
        if known is None:
            known, todo = set(), [cls]
            while todo:
                current = todo.pop()
                if current not in known:
                    known.add(current)
                    todo.extend(self.values(current, _SUBCLASS))
            self._supers[cls] = known
        return known


class CompiledShapes:
    """Predicates compiled from a shapes graph, and what each shape targets.

    Parameters
    ----------
    shapes : rdflib.Graph
        A SHACL shapes graph.
    ontology : rdflib.Graph
        Triples always part of the data graph (our vocabulary and concept schemes).
    terms : object
        The term form of the data the checks read: `RDFLIB_TERMS` (default) or `PLAIN_TERMS`.

    Attributes
    ----------
    uncompiled : dict of rdflib.term.Node to str
        Shapes left to pySHACL, with the reason.
    """

    def __init__(self, shapes, ontology, terms=RDFLIB_TERMS):
        self.sg, self.terms = shapes, terms
        self.uncompiled, self._checks = {}, {}
        const = terms.const
        self.ontology = _Data([ontology] if terms is RDFLIB_TERMS else
                              [[(const(s), const(p), const(o)) for s, p, o in ontology]])
        self.by_class, self.by_node, self.by_subject_of, self.by_object_of = {}, {}, {}, {}
        shape_nodes = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
        for predicate in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
            shape_nodes |= set(shapes.subjects(predicate, None))
        for shape in shape_nodes:
            if shapes.value(shape, SH.deactivated) == Literal(True):
                continue
            targets = [(self.by_class, c) for c in shapes.objects(shape, SH.targetClass)]
            if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in shapes:
                targets.append((self.by_class, shape))  # implicit class target
            targets += [(self.by_node, n) for n in shapes.objects(shape, SH.targetNode)]
            targets += [(self.by_subject_of, p) for p in shapes.objects(shape, SH.targetSubjectsOf)]
            targets += [(self.by_object_of, p) for p in shapes.objects(shape, SH.targetObjectsOf)]
            for table, key in targets:
                table.setdefault(key if table is self.by_subject_of or table is self.by_object_of else const(key),
                                 []).append(shape)
            if targets:
                self.check_of(shape)  # compile now, so the first batch pays nothing

    # -- compiling ------------------------------------------------------------------------
    def check_of(self, shape):
        """Return the compiled predicate ``(node, data) -> bool`` of a shape, or None if not compiled."""
        if shape in self.uncompiled:
            return None
        check = self._checks.get(shape)
        if check is None:
            # a shape reached again while it compiles (recursion) is looked up when called
            self._checks[shape] = lambda node, data: self._checks.get(shape, _never)(node, data)
            try:
                check = self._compile(shape)
            except Unsupported as exc:
                self.uncompiled[shape] = str(exc)
                del self._checks[shape]
                return None
            self._checks[shape] = check
        return check

    def _nested(self, shape):
        check = self.check_of(shape)
        if check is None:
            raise Unsupported(f"uses the uncompiled shape {shape}: {self.uncompiled.get(shape)}")
        return check

    def _list(self, head):
        return list(Collection(self.sg, head))

    def _compile(self, shape):
        sg = self.sg
        if sg.value(shape, SH.deactivated) == Literal(True):
            return lambda node, data: True
        on_set, on_value = [], []  # tests of the value set (values -> bool), and of each value ((v, data) -> bool)
        for p, o in sg.predicate_objects(shape):
            if p in _IGNORED or p == RDF.type or not str(p).startswith(str(SH)):
                continue
            kind, test = self._component(p, o, shape)
            (on_set if kind == "set" else on_value).append(test)
        on_set, on_value = tuple(on_set), tuple(on_value)
        path = sg.value(shape, SH.path)
        read = None if path is None else self._path(path)

        # Plain loops, not all(generator): a record passes through about a hundred of these.
        def check(node, data):
            values = (node,) if read is None else read(node, data)
            for test in on_set:
                if not test(values):
                    return False
            if on_value:
                for v in values:
                    for test in on_value:
                        if not test(v, data):
                            return False
            return True
        return check

    def _path(self, path):
        if isinstance(path, URIRef):
            key = str(path)
            return lambda node, data: data.values(node, key)
        inverse = self.sg.value(path, SH.inversePath)
        if isinstance(inverse, URIRef) and len(set(self.sg.predicate_objects(path))) == 1:
            key = str(inverse)
            return lambda node, data: data.subjects(node, key)
        raise Unsupported(f"the path {path} is neither an IRI nor an inverse of one")

    def _component(self, p, o, shape):
        """Compile one constraint: ``("set", values -> bool)`` or ``("value", (v, data) -> bool)``."""
        sg, terms = self.sg, self.terms
        text, blank, literal = terms.text, terms.blank, terms.literal
        if p in (SH.minCount, SH.maxCount):
            n = int(o)
            return ("set", (lambda values: len(values) >= n) if p == SH.minCount else (lambda values: len(values) <= n))
        if p == SH.datatype:
            has_datatype, datatype = terms.has_datatype, o if terms is RDFLIB_TERMS else str(o)
            return "value", lambda v, data: has_datatype(v, datatype)
        if p == SH.nodeKind:
            if o not in _NODE_KINDS:
                raise Unsupported(f"unknown sh:nodeKind {o}")
            kinds = tuple({URIRef: terms.iri, BNode: blank, Literal: literal}[k] for k in _NODE_KINDS[o])
            return "value", lambda v, data: isinstance(v, kinds)
        if p in (SH.minLength, SH.maxLength):
            n = int(o)
            if p == SH.minLength:
                if n == 0:
                    return "set", lambda values: True
                return "value", lambda v, data: not isinstance(v, blank) and len(text(v)) >= n
            return "value", lambda v, data: not isinstance(v, blank) and len(text(v)) <= n
        if p == SH.pattern:
            if sg.value(shape, SH.flags) is not None:
                raise Unsupported("sh:flags")
            search = re.compile(str(o)).search
            return "value", lambda v, data: not isinstance(v, blank) and search(text(v)) is not None
        if p == SH.flags:
            raise Unsupported("sh:flags")
        if p in (SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive):
            if not isinstance(o, Literal):
                raise Unsupported(f"{p} with a non-literal bound")
            accept = {SH.minInclusive: lambda c: c >= 0, SH.maxInclusive: lambda c: c <= 0,
                      SH.minExclusive: lambda c: c > 0, SH.maxExclusive: lambda c: c < 0}[p]
            in_range, bound = terms.in_range, terms.const(o)
            return "value", lambda v, data: in_range(v, bound, accept)
        if p == SH["class"]:
            cls = terms.const(o)
            return "value", lambda v, data: not isinstance(v, literal) and cls in data.classes(v)
        if p == SH["in"]:
            allowed = frozenset(terms.const(m) for m in self._list(o))
            return "value", lambda v, data: v in allowed
        if p == SH.hasValue:
            value = terms.const(o)
            return "set", lambda values: value in values
        if p in (SH.node, SH.property):
            return "value", self._nested(o)
        if p in (SH["and"], SH["or"], SH.xone):
            members = tuple(self._nested(m) for m in self._list(o))
            if p == SH["and"]:
                return "value", lambda v, data: all(m(v, data) for m in members)
            if p == SH["or"]:
                return "value", lambda v, data: any(m(v, data) for m in members)
            return "value", lambda v, data: sum(1 for m in members if m(v, data)) == 1
        if p == SH["not"]:
            nested = self._nested(o)
            return "value", lambda v, data: not nested(v, data)
        raise Unsupported(f"the constraint {p.n3()} is not compiled")

    # -- checking -------------------------------------------------------------------------
    def shapes_for(self, node, data):
        """Return the shapes that target ``node`` in ``data``."""
        found = list(self.by_node.get(node, ()))
        for cls in data.classes(node):
            found.extend(self.by_class.get(cls, ()))
        for predicate, shapes in self.by_subject_of.items():
            if data.values(node, str(predicate)):
                found.extend(shapes)
        for predicate, shapes in self.by_object_of.items():
            if data.subjects(node, str(predicate)):
                found.extend(shapes)
        return found

    def covers(self, nodes, data):
        """Return True if every shape that targets one of ``nodes`` is compiled."""
        return all(shape in self._checks for node in nodes for shape in self.shapes_for(node, data))

    def clean(self, nodes, data):
        """Return True if no targeted shape reports anything about any of ``nodes``."""
        for node in nodes:
            for shape in self.shapes_for(node, data):
                check = self._checks.get(shape)
                if check is None or not check(node, data):
                    return False
        return True


def _has_datatype(v, datatype):
    """pySHACL's sh:datatype test (its DatatypeConstraintComponent, step by step)."""
    if not isinstance(v, Literal):
        return False
    if v.datatype == datatype:
        return getattr(v, "ill_typed", None) is not True and _actual(v, datatype)
    if datatype == RDFS.Literal or (datatype == RDFS.Datatype and v.datatype):
        return True
    if v.datatype is None and v.language is None and datatype == XSD.string:
        return _actual(v, datatype)
    if datatype == RDF.langString and v.language:
        return _actual(v, datatype)
    return False


def _actual(v, datatype):
    """Whether the literal's Python value has the kind pySHACL expects of ``datatype`` (others pass)."""
    kinds = _PYTHON_TYPES.get(datatype)
    return True if kinds is None else isinstance(v.value, kinds)


def _in_range(v, bound, accept):
    """pySHACL's value-range test: literals of comparable kinds only."""
    if not isinstance(v, Literal):
        return False
    if isinstance(bound.value, str) != isinstance(v.value, str):
        return False
    try:
        return accept(compare_literal(v, bound))
    except (TypeError, NotImplementedError):
        return False


def compile_shapes(shapes, ontology, terms=RDFLIB_TERMS):
    """Compile a shapes graph into fast predicates.

    Parameters
    ----------
    shapes, ontology : rdflib.Graph
        The SHACL shapes, and the triples always merged into the data graph.
    terms : object
        `RDFLIB_TERMS` to check rdflib graphs, `PLAIN_TERMS` to check plain triples.

    Returns
    -------
    CompiledShapes
    """
    return CompiledShapes(shapes, ontology, terms)


@lru_cache(maxsize=1)
def compiled():
    """Return the catalog's shapes (`skyweave.catalog.validate.shapes_graph`), compiled once for rdflib graphs."""
    return compile_shapes(shacl.shapes_graph(), shacl.ontology_graph())


@lru_cache(maxsize=1)
def compiled_plain():
    """Return the catalog's shapes compiled once for plain triples (`skyweave.catalog.terms`)."""
    return compile_shapes(shacl.shapes_graph(), shacl.ontology_graph(), PLAIN_TERMS)


def _prepare(records, context, shapes):
    """Index a batch in one pass over each graph: the data, each record's own nodes, shared nodes."""
    data = _Data([context] if context is not None else [], shapes.ontology)
    out = data.out
    plain = shapes.terms is PLAIN_TERMS
    blank, node_of = (Blank, Iri) if plain else (BNode, URIRef)
    owners, shared, own = {}, set(), []
    for iri, graph in records:
        iri = node_of(iri)
        nodes = {iri}  # as skyweave.catalog.validate.own_nodes: its IRI, subjects and blank nodes
        for s, p, o in graph:
            nodes.add(s)
            if isinstance(o, blank):
                nodes.add(o)
            out.setdefault(s, {}).setdefault(p if plain else str(p), set()).add(o)
        for node in nodes:
            first = owners.setdefault(node, iri)
            if first != iri:  # validated apart by pySHACL (separate groups): leave both to it
                shared.update((first, iri))
        own.append((iri, nodes))
    return own, shared, data


def deferred(records, context=None, shapes=None):
    """Return the IRIs of the records that a shape the compiler left out targets (pySHACL judges those).

    Parameters
    ----------
    records : list of (str or rdflib.URIRef, rdflib.Graph)
    context : rdflib.Graph or None
    shapes : CompiledShapes or None

    Returns
    -------
    set of str
    """
    shapes = shapes or compiled()
    own, shared, data = _prepare(records, context, shapes)
    return {str(iri) for iri, nodes in own if iri in shared or not shapes.covers(nodes, data)}


def check_many(records, context=None, shapes=None):
    """Run the compiled check over a batch: which records would SHACL report nothing about?

    The batch is judged as `skyweave.catalog.validate.validate_many` judges it: over the union of
    the records, ``context`` and the ontology, each record answering for its own nodes
    (`skyweave.catalog.validate.own_nodes`).

    Parameters
    ----------
    records : list of (str or rdflib.URIRef, rdflib.Graph)
    context : rdflib.Graph or None
        ``rdf:type`` of the IRIs the records reference.
    shapes : CompiledShapes or None
        The catalog's compiled shapes by default.

    Returns
    -------
    dict of str to bool
        True for a record with no SHACL result at all; False when pySHACL must decide (a
        violation, a warning, or a node targeted by a shape that is not compiled).

    Examples
    --------
    >>> from rdflib import Graph, URIRef
    >>> from rdflib.namespace import RDF
    >>> from skyweave.catalog.vocab import SW
    >>> bad = URIRef("http://127.0.0.1:5000/targets/bare")
    >>> check_many([(bad, Graph().add((bad, RDF.type, SW.Target)))])
    {'http://127.0.0.1:5000/targets/bare': False}
    """
    shapes = shapes or compiled()
    own, shared, data = _prepare(records, context, shapes)
    return {str(iri): iri not in shared and shapes.clean(nodes, data) for iri, nodes in own}


def check_triples(records, context=()):
    """Run the compiled check over a batch of plain records (`skyweave.catalog.terms`), as `check_many` does.

    Parameters
    ----------
    records : list of (str, list of (Iri, Iri, term))
        Each record's IRI and plain triples.
    context : iterable of (Iri, Iri, term)
        Plain ``rdf:type`` triples of the IRIs the records reference.

    Returns
    -------
    dict of str to bool
        True for a record with no SHACL result at all; False when pySHACL must decide.

    Examples
    --------
    >>> from skyweave.catalog.terms import Iri
    >>> bad = Iri("http://127.0.0.1:5000/targets/bare")
    >>> check_triples([(bad, [(bad, Iri(RDF.type), Iri("https://skyweave.org/ns#Target"))])])
    {'http://127.0.0.1:5000/targets/bare': False}
    """
    shapes = compiled_plain()
    own, shared, data = _prepare(records, list(context), shapes)
    return {str(iri): iri not in shared and shapes.clean(nodes, data) for iri, nodes in own}


def validate_many(records, context=None):
    """Validate records as `skyweave.catalog.validate.validate_many` does, running pySHACL only where needed.

    Records the compiled shapes pass get a conforming report with no results (what pySHACL reports
    for them); the others are validated by pySHACL, with the ``rdf:type`` triples of the whole
    batch added to their context (so a reference to a record of the same batch still resolves).

    Parameters
    ----------
    records : iterable of (str or rdflib.URIRef, rdflib.Graph)
    context : rdflib.Graph or None

    Returns
    -------
    dict of str to skyweave.catalog.validate.ValidationReport
        In the order given.

    Raises
    ------
    ValueError
        If two records have the same IRI.
    """
    records = [(URIRef(iri), graph) for iri, graph in records]
    iris = _distinct_iris(records)
    verdicts = check_many(records, context)
    reports = {iri: _clean_report() for iri, ok in verdicts.items() if ok}
    doubtful = [(iri, g) for iri, g in records if not verdicts[str(iri)]]
    if doubtful:
        extra = Graph()
        if context is not None:
            extra += context
        for iri, graph in records:
            if verdicts[str(iri)]:
                for s, o in graph.subject_objects(RDF.type):
                    extra.add((s, RDF.type, o))
        reports.update(shacl.validate_many(doubtful, context=extra))
    return {iri: reports[iri] for iri in iris}


def validate_triples(records, context=()):
    """Validate plain records (`skyweave.catalog.terms`) as `validate_many` validates graphs.

    Records the compiled shapes pass get a conforming report with no results; the others are
    converted to rdflib graphs and validated by pySHACL, which writes the exact report, with the
    ``rdf:type`` triples of the whole batch in their context.

    Parameters
    ----------
    records : list of (str, list of (Iri, Iri, term))
    context : iterable of (Iri, Iri, term)
        Plain ``rdf:type`` triples of the IRIs the records reference and do not describe.

    Returns
    -------
    dict of str to skyweave.catalog.validate.ValidationReport
        In the order given.

    Raises
    ------
    ValueError
        If two records have the same IRI.
    """
    from .terms import to_graph

    context = list(context)
    iris = _distinct_iris(records)
    verdicts = check_triples(records, context)
    reports = {iri: _clean_report() for iri, ok in verdicts.items() if ok}
    doubtful = [(URIRef(iri), to_graph(triples)) for iri, triples in records if not verdicts[str(iri)]]
    if doubtful:
        types = str(RDF.type)
        extra = to_graph(context)
        extra += to_graph([t for iri, triples in records if verdicts[str(iri)] for t in triples if t[1] == types])
        reports.update(shacl.validate_many(doubtful, context=extra))
    return {iri: reports[iri] for iri in iris}


def _distinct_iris(records):
    """Return the records' IRIs as strings; raise ValueError if two records have the same IRI."""
    iris = [str(iri) for iri, _ in records]
    if len(set(iris)) != len(iris):
        raise ValueError("Two records of the batch have the same IRI.")
    return iris


class _CleanReport(shacl.ValidationReport):
    """A conforming report without results whose ``sh:ValidationReport`` graph is built when first read
    (building one per record cost as much as the check itself)."""

    @property
    def graph(self):
        if self._graph is None:
            graph, node = Graph(), BNode()
            graph.add((node, RDF.type, SH.ValidationReport))
            graph.add((node, SH.conforms, Literal(True)))
            self._graph = graph
        return self._graph

    @graph.setter
    def graph(self, value):
        self._graph = value


def _clean_report():
    return _CleanReport(conforms=True, results=[], graph=None)
