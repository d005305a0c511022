"""SHACL validation of records against the catalog's shapes (``ontology/shapes/*.ttl``).

A record is validated together with the minimal context it needs (the ``rdf:type`` of the IRIs it
references, and the ontology for ``rdfs:subClassOf``), never against the whole store, so a write
costs what the record costs.
"""

from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from .resources import bundled

__all__ = ["ONTOLOGY_DIR", "ValidationResult", "ValidationReport", "shapes_graph", "ontology_graph", "validate",
           "validate_many"]

ONTOLOGY_DIR = bundled("ontology")
ONTOLOGY_FILES = (ONTOLOGY_DIR / "skyweave.ttl", ONTOLOGY_DIR / "messengers.ttl")
"""The files of `ontology_graph`: our vocabulary and concept schemes."""
"""The folder holding ``skyweave.ttl``, ``messengers.ttl`` and ``shapes/``."""


@dataclass(frozen=True)
class ValidationResult:
    """One ``sh:ValidationResult`` of a report.

    Attributes
    ----------
    focus : str
        The focus node (IRI or blank node label) that breaks the constraint.
    path : str or None
        The property path (``sh:resultPath``), when the constraint is on a property.
    message : str
        The human message (``sh:resultMessage``).
    component : str
        The constraint component IRI, e.g. ``http://www.w3.org/ns/shacl#MinCountConstraintComponent``.
    severity : str
        ``Violation``, ``Warning`` or ``Info``.
    value : str or None
        The offending value (``sh:value``), if any.
    """

    focus: str
    path: str | None
    message: str
    component: str
    severity: str
    value: str | None = None

    def as_dict(self):
        """Return the result as the problem-details entry ``{focus, path, message, component, ...}``."""
        return {
            "focus": self.focus,
            "path": self.path,
            "message": self.message,
            "component": self.component,
            "severity": self.severity,
            "value": self.value,
            "see": "https://www.w3.org/TR/shacl/#" + self.component.rsplit("#", 1)[-1],
        }


@dataclass
class ValidationReport:
    """The outcome of validating a graph (https://www.w3.org/TR/shacl/#validation-report).

    Attributes
    ----------
    conforms : bool
        True when no result has severity ``sh:Violation``.
    results : list of ValidationResult
    graph : rdflib.Graph
        The ``sh:ValidationReport`` graph as pySHACL produced it.
    """

    conforms: bool
    results: list = field(default_factory=list)
    graph: Graph = field(default_factory=Graph)

    def text(self):
        """Return one line per result, ``<focus> path: message``, for the CLI."""
        return "\n".join(
            f"{r.severity}: <{r.focus}> {r.path or ''}: {r.message}" for r in self.results
        )


def _parse_folder(paths):
    graph = Graph()
    for path in sorted(paths):
        graph.parse(path, format="turtle")
    return graph


@lru_cache(maxsize=1)
def shapes_graph():
    """Return all SHACL shapes of ``ontology/shapes/`` merged into one graph (parsed once).

    Returns
    -------
    rdflib.Graph
    """
    return _parse_folder((ONTOLOGY_DIR / "shapes").glob("*.ttl"))


@lru_cache(maxsize=1)
def ontology_graph():
    """Return our vocabulary and concept schemes (``skyweave.ttl``, ``messengers.ttl``) as one graph.

    Returns
    -------
    rdflib.Graph
    """
    return _parse_folder(ONTOLOGY_FILES)


def referenced_iris(graph):
    """Return the IRIs a record's graph points to but does not describe.

    Parameters
    ----------
    graph : rdflib.Graph

    Returns
    -------
    set of rdflib.URIRef
        Objects of triples (other than ``rdf:type`` classes) that are not subjects in ``graph``.
    """
    subjects = set(graph.subjects())
    return {
        o for s, p, o in graph
        if isinstance(o, URIRef) and p != RDF.type and o not in subjects
    }


def _term_text(term):
    return None if term is None else str(term)


def own_nodes(graph, iri=None):
    """Return the nodes a record answers for: its subjects, its blank nodes, and its own IRI.

    Parameters
    ----------
    graph : rdflib.Graph
        The record's triples.
    iri : str or None
        The record's IRI (its ``#fragment`` nodes are subjects of ``graph``).

    Returns
    -------
    set of rdflib.term.Node
        The focus nodes whose SHACL results belong to this record; the IRIs it only references
        (typed by the context) are not among them.
    """
    nodes = set(graph.subjects())
    nodes.update(o for o in graph.objects() if isinstance(o, BNode))
    if iri is not None:
        nodes.add(URIRef(iri))
    return nodes


def _run_shacl(data_graphs):
    """Run pySHACL once over the union of ``data_graphs`` and the ontology; return the report graph."""
    data = Graph()
    for graph in data_graphs:
        if graph is not None:
            data += graph
    # The concept schemes and rdfs:subClassOf axioms that sh:class and sh:in checks rely on.
    data += ontology_graph()
    import pyshacl  # with the first validation, not at start (the read-only pages never need it)

    _, report_graph, _ = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        inference="none",
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
        advanced=False,
    )
    return report_graph


def _result(report_graph, node):
    return ValidationResult(
        focus=_term_text(report_graph.value(node, SH.focusNode)),
        path=_term_text(report_graph.value(node, SH.resultPath)),
        message=_term_text(report_graph.value(node, SH.resultMessage)) or "",
        component=_term_text(report_graph.value(node, SH.sourceConstraintComponent)),
        severity=_term_text(report_graph.value(node, SH.resultSeverity)).rsplit("#", 1)[-1],
        value=_term_text(report_graph.value(node, SH.value)),
    )


def _copy_tree(source, node, target):
    """Copy ``node``'s triples and those of the blank nodes it leads to (a result and its details)."""
    todo, seen = [node], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for _, p, o in source.triples((current, None, None)):
            target.add((current, p, o))
            if isinstance(o, BNode):
                todo.append(o)


def _report(report_graph, result_nodes):
    """Build the `ValidationReport` of one record from its result nodes in a shared report graph."""
    graph = Graph()
    graph.namespace_manager = report_graph.namespace_manager
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    for node in result_nodes:
        graph.add((report, SH.result, node))
        _copy_tree(report_graph, node, graph)
    results = sorted((_result(report_graph, n) for n in result_nodes),
                     key=lambda r: (r.focus or "", r.path or "", r.message))
    conforms = not any(r.severity == "Violation" for r in results)
    graph.add((report, SH.conforms, Literal(conforms)))
    return ValidationReport(conforms=conforms, results=results, graph=graph)


def validate(graph, context=None):
    """Validate a record against the catalog's shapes.

    Parameters
    ----------
    graph : rdflib.Graph
        The record (or several records) to check.
    context : rdflib.Graph or None
        Extra triples the shapes may need about referenced IRIs (their ``rdf:type``); it is merged
        into the data graph but its own nodes are not targets unless typed.

    Returns
    -------
    ValidationReport

    References
    ----------
    .. [1] Shapes Constraint Language (SHACL), W3C Recommendation 2017,
       https://www.w3.org/TR/shacl/
    """
    report_graph = _run_shacl([graph, context])
    # Only the record's own nodes are judged: the context's typed IRIs are targets of their shapes
    # too, but their properties live in other records, validated when those were written.
    own = own_nodes(graph)
    nodes = [n for n in report_graph.subjects(RDF.type, SH.ValidationResult)
             if report_graph.value(n, SH.focusNode) in own]
    return _report(report_graph, nodes)


def _disjoint_groups(records):
    """Split records into groups whose records share no node, keeping their order within a group.

    Records that describe the same node (the same IRI, or a shared blank node) would see each other's
    triples if validated together, so a later one goes to a later group.
    """
    groups = []  # (records, owner: node -> record IRI)
    for iri, graph in records:
        nodes = own_nodes(graph, iri)
        for members, owner in groups:
            if nodes.isdisjoint(owner):
                break
        else:
            members, owner = [], {}
            groups.append((members, owner))
        members.append((iri, graph))
        for node in nodes:
            owner[node] = iri
    return groups


def validate_many(records, context=None):
    """Validate many records in as few pySHACL runs as possible (one, when no two share a node).

    Each SHACL result goes to the record that owns its focus node: the record's IRI, its
    ``#fragment`` nodes and the blank nodes it holds (any subject or blank node of its graph).
    Results about IRIs the records only reference (typed by ``context``) are dropped, as in
    `validate`. The records of one run see each other's triples, so a record may reference another
    record of the same batch (an alert and its new event) as if that one were already stored.

    Parameters
    ----------
    records : iterable of (str or rdflib.URIRef, rdflib.Graph)
        The records, as (IRI, triples).
    context : rdflib.Graph or None
        The ``rdf:type`` of IRIs the records reference but do not describe (see `referenced_iris`).

    Returns
    -------
    dict of str to ValidationReport
        Every record's own report, keyed by its IRI (as ``str``), in the order given.

    Raises
    ------
    ValueError
        If two records have the same IRI.

    Examples
    --------
    A target with nothing but its type is rejected with its own results; the other record is not:

    >>> from rdflib import Graph, Literal, URIRef
    >>> from rdflib.namespace import RDF, RDFS
    >>> from skyweave.catalog.vocab import SW
    >>> bad, note = URIRef("http://127.0.0.1:5000/targets/bare"), URIRef("http://127.0.0.1:5000/notes/1")
    >>> reports = validate_many([(bad, Graph().add((bad, RDF.type, SW.Target))),
    ...                          (note, Graph().add((note, RDFS.label, Literal("a note"))))])
    >>> [(iri.rsplit("/", 2)[-2], report.conforms) for iri, report in reports.items()]
    [('targets', False), ('notes', True)]
    >>> sorted({r.focus for r in reports[str(bad)].results})
    ['http://127.0.0.1:5000/targets/bare']

    References
    ----------
    .. [1] Shapes Constraint Language (SHACL), section 3.6 (validation reports),
       https://www.w3.org/TR/shacl/#validation-report
    """
    records = [(URIRef(iri), graph) for iri, graph in records]
    iris = [str(iri) for iri, _ in records]
    if len(set(iris)) != len(iris):
        raise ValueError("Two records of the batch have the same IRI.")
    reports = {}
    for members, owner in _disjoint_groups(records):
        report_graph = _run_shacl([g for _, g in members] + [context])
        mine = {iri: [] for iri, _ in members}
        for node in report_graph.subjects(RDF.type, SH.ValidationResult):
            iri = owner.get(report_graph.value(node, SH.focusNode))
            if iri is not None:
                mine[iri].append(node)
        for iri, nodes in mine.items():
            reports[str(iri)] = _report(report_graph, nodes)
    return {iri: reports[iri] for iri in iris}
