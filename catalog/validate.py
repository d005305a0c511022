"""SHACL validation of records against the catalog's shapes (``ontology/shapes/*.ttl``).

A record is validated together with the minimal context it needs (the ``rdf:type`` of the IRIs it
references, and the ontology for ``rdfs:subClassOf``), never against the whole store, so a write
costs what the record costs.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from .resources import bundled

__all__ = ["ONTOLOGY_DIR", "ValidationResult", "ValidationReport", "shapes_graph", "ontology_graph", "validate"]

ONTOLOGY_DIR = bundled("ontology")
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
    return _parse_folder([ONTOLOGY_DIR / "skyweave.ttl", ONTOLOGY_DIR / "messengers.ttl"])


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
    data = Graph()
    data += graph
    if context is not None:
        data += context
    # The concept schemes and rdfs:subClassOf axioms that sh:class and sh:in checks rely on.
    data += ontology_graph()
    _, report_graph, _ = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        inference="none",
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
        advanced=False,
    )
    # Only the record's own nodes are judged: the context's typed IRIs are targets of their shapes
    # too, but their properties live in other records, validated when those were written.
    own = {str(s) for s in graph.subjects()}
    results = []
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        if str(report_graph.value(node, SH.focusNode)) not in own:
            report_graph.remove((None, SH.result, node))
            report_graph.remove((node, None, None))
            continue
        results.append(ValidationResult(
            focus=_term_text(report_graph.value(node, SH.focusNode)),
            path=_term_text(report_graph.value(node, SH.resultPath)),
            message=_term_text(report_graph.value(node, SH.resultMessage)) or "",
            component=_term_text(report_graph.value(node, SH.sourceConstraintComponent)),
            severity=_term_text(report_graph.value(node, SH.resultSeverity)).rsplit("#", 1)[-1],
            value=_term_text(report_graph.value(node, SH.value)),
        ))
    results.sort(key=lambda r: (r.focus or "", r.path or "", r.message))
    conforms = not any(r.severity == "Violation" for r in results)
    for report in report_graph.subjects(RDF.type, SH.ValidationReport):
        report_graph.set((report, SH.conforms, Literal(conforms)))
    return ValidationReport(conforms=conforms, results=results, graph=report_graph)
