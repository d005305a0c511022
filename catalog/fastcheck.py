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

__all__ = ["Unsupported", "CompiledShapes", "compile_shapes", "compiled", "deferred", "check_many", "validate_many"]

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


class _Data:
    """The triples a batch is judged on: the records, their context and the ontology, indexed by subject."""

    def __init__(self, graphs, base=None):
        self.out, self.base = {}, base if base is not None else _NOTHING
        for graph in graphs:
            for s, p, o in graph:
                self.out.setdefault(s, {}).setdefault(str(p), set()).add(o)
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

    Attributes
    ----------
    uncompiled : dict of rdflib.term.Node to str
        Shapes left to pySHACL, with the reason.
    """

    def __init__(self, shapes, ontology):
        self.sg = shapes
        self.uncompiled, self._checks = {}, {}
        self.ontology = _Data([ontology])
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
                table.setdefault(key, []).append(shape)
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
        tests = []  # each (values, data) -> bool
        for p, o in sg.predicate_objects(shape):
            if p in _IGNORED or p == RDF.type or not str(p).startswith(str(SH)):
                continue
            tests.append(self._component(p, o, shape))
        path = sg.value(shape, SH.path)
        if path is None:
            def check(node, data, tests=tuple(tests)):
                values = (node,)
                return all(t(values, data) for t in tests)
            return check
        read = self._path(path)

        def check(node, data, tests=tuple(tests), read=read):
            values = read(node, data)
            return all(t(values, data) for t in tests)
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
        sg = self.sg
        if p in (SH.minCount, SH.maxCount):
            n = int(o)
            return (lambda values, data: len(values) >= n) if p == SH.minCount else (lambda values, data: len(values) <= n)
        if p == SH.datatype:
            return lambda values, data: all(_has_datatype(v, o) for v in values)
        if p == SH.nodeKind:
            if o not in _NODE_KINDS:
                raise Unsupported(f"unknown sh:nodeKind {o}")
            kinds = _NODE_KINDS[o]
            return lambda values, data: all(isinstance(v, kinds) for v in values)
        if p in (SH.minLength, SH.maxLength):
            n = int(o)
            if p == SH.minLength:
                return lambda values, data: n == 0 or all(not isinstance(v, BNode) and len(str(v)) >= n for v in values)
            return lambda values, data: all(not isinstance(v, BNode) and len(str(v)) <= n for v in values)
        if p == SH.pattern:
            if sg.value(shape, SH.flags) is not None:
                raise Unsupported("sh:flags")
            regex = re.compile(str(o))
            return lambda values, data: all(not isinstance(v, BNode) and regex.search(str(v)) for v in values)
        if p == SH.flags:
            raise Unsupported("sh:flags")
        if p in (SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive):
            if not isinstance(o, Literal):
                raise Unsupported(f"{p} with a non-literal bound")
            accept = {SH.minInclusive: lambda c: c >= 0, SH.maxInclusive: lambda c: c <= 0,
                      SH.minExclusive: lambda c: c > 0, SH.maxExclusive: lambda c: c < 0}[p]
            return lambda values, data: all(_in_range(v, o, accept) for v in values)
        if p == SH["class"]:
            return lambda values, data: all(not isinstance(v, Literal) and o in data.classes(v) for v in values)
        if p == SH["in"]:
            allowed = frozenset(self._list(o))
            return lambda values, data: all(v in allowed for v in values)
        if p == SH.hasValue:
            return lambda values, data: o in values
        if p in (SH.node, SH.property):
            nested = self._nested(o)
            return lambda values, data: all(nested(v, data) for v in values)
        if p in (SH["and"], SH["or"], SH.xone):
            members = [self._nested(m) for m in self._list(o)]
            if p == SH["and"]:
                return lambda values, data: all(all(m(v, data) for m in members) for v in values)
            if p == SH["or"]:
                return lambda values, data: all(any(m(v, data) for m in members) for v in values)
            return lambda values, data: all(sum(1 for m in members if m(v, data)) == 1 for v in values)
        if p == SH["not"]:
            nested = self._nested(o)
            return lambda values, data: not any(nested(v, data) for v in values)
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


def compile_shapes(shapes, ontology):
    """Compile a shapes graph into fast predicates.

    Parameters
    ----------
    shapes, ontology : rdflib.Graph
        The SHACL shapes, and the triples always merged into the data graph.

    Returns
    -------
    CompiledShapes
    """
    return CompiledShapes(shapes, ontology)


@lru_cache(maxsize=1)
def compiled():
    """Return the catalog's shapes (`skyweave.catalog.validate.shapes_graph`), compiled once."""
    return compile_shapes(shacl.shapes_graph(), shacl.ontology_graph())


def _prepare(records, context, shapes):
    """Index a batch in one pass over each graph: the data, each record's own nodes, shared nodes."""
    data = _Data([context] if context is not None else [], shapes.ontology)
    out = data.out
    owners, shared, own = {}, set(), []
    for iri, graph in records:
        iri = URIRef(iri)
        nodes = {iri}  # as skyweave.catalog.validate.own_nodes: its IRI, subjects and blank nodes
        for s, p, o in graph:
            nodes.add(s)
            if isinstance(o, BNode):
                nodes.add(o)
            out.setdefault(s, {}).setdefault(str(p), set()).add(o)
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
    iris = [str(iri) for iri, _ in records]
    if len(set(iris)) != len(iris):
        raise ValueError("Two records of the batch have the same IRI.")
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
