"""``/ns``: our vocabulary, concept schemes, shapes and JSON-LD context; ``/files``: bundled data files."""

from pathlib import Path

from flask import Blueprint, send_from_directory

from ...exceptions import NotFound
from ..negotiate import choose_format, rdf_response, split_suffix
from ...resources import bundled
from ...validate import ONTOLOGY_DIR, ontology_graph, shapes_graph
from ...vocab import OWL, RDF, RDFS, SKOS
from .records import render_page

bp = Blueprint("ontology", __name__)

DATA_DIR = bundled("data")
"""The bundled real data (served under ``/files/`` for the observations' distributions)."""


@bp.get("/ns")
@bp.get("/ns.<suffix>")
def vocabulary(suffix=None):
    """The skyweave vocabulary: an HTML list of classes, properties and concepts, or RDF."""
    if suffix is not None:
        split_suffix("ns." + suffix)
    graph = ontology_graph()
    fmt = choose_format(suffix)
    if fmt != "html":
        return rdf_response(graph, fmt)

    def terms(kind):
        out = []
        for s in sorted(set(graph.subjects(RDF.type, kind))):
            out.append({"iri": str(s), "label": str(graph.value(s, RDFS.label) or graph.value(s, SKOS.prefLabel) or s),
                        "comment": str(graph.value(s, RDFS.comment) or graph.value(s, SKOS.definition) or "")})
        return out

    sections = [
        ("Classes", terms(OWL.Class) or terms(RDFS.Class)),
        ("Properties", terms(OWL.ObjectProperty) + terms(OWL.DatatypeProperty) + terms(RDF.Property)),
        ("Annotation properties (declared for MMODA notebooks)", terms(OWL.AnnotationProperty)),
        ("Concepts", terms(SKOS.Concept)),
    ]
    alternates = [("/ns.ttl", "text/turtle"), ("/ns.jsonld", "application/ld+json")]
    return render_page("ontology.html", alternates, sections=sections, section="ns")


@bp.get("/ns/shapes.ttl")
def shapes():
    """All SHACL shapes of the catalog, in Turtle."""
    return rdf_response(shapes_graph(), "ttl")


@bp.get("/ns/context.jsonld")
def context():
    """The JSON-LD context of the catalog."""
    return send_from_directory(ONTOLOGY_DIR, "context.jsonld", mimetype="application/ld+json")


@bp.get("/files/<path:path>")
def files(path):
    """Serve a bundled data file (the observations' ``dcat:downloadURL``).

    A path outside the data folder and a missing file get the same answer, so nobody can probe
    which files the server holds.
    """
    from werkzeug.security import safe_join

    joined = safe_join(str(DATA_DIR), path)
    if joined is None or not Path(joined).is_file() or not Path(joined).resolve().is_relative_to(DATA_DIR.resolve()):
        raise NotFound("No such file.")
    return send_from_directory(DATA_DIR, path)
