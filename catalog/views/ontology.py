"""``/ns``: our vocabulary, concept schemes, shapes and JSON-LD context; ``/files``: bundled data files;
sky pictures of the targets (``/sky.svg``, ``/targets/<slug>/sky.svg``)."""

from functools import lru_cache

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from flask import Blueprint, current_app, send_from_directory

from ..errors import NotFound
from ..negotiate import choose_format, rdf_response, split_suffix
from ..queries import prologue
from ..store import get_store
from ..validate import ONTOLOGY_DIR, ontology_graph, shapes_graph
from ..vocab import OWL, RDF, RDFS, SKOS
from .records import record_iri, render_page

bp = Blueprint("ontology", __name__)

DATA_DIR = ONTOLOGY_DIR.parent / "data"
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
    """Serve a bundled data file (the observations' ``dcat:downloadURL``)."""
    if not (DATA_DIR / path).is_file():
        raise NotFound(f"No file {path} in the bundled data.")
    return send_from_directory(DATA_DIR, path)


@lru_cache(maxsize=4)
def _all_sky(store_id, count):
    from ..skyplot import sky_map

    rows = get_store().select(prologue(["sw"]) + "SELECT ?ra ?dec WHERE { ?s a sw:Target ; sw:ra ?ra ; sw:dec ?dec }")
    ra = np.array([float(r["ra"]) for r in rows]) * u.deg
    dec = np.array([float(r["dec"]) for r in rows]) * u.deg
    return sky_map(ra, dec, title=f"{len(rows)} targets")


@bp.get("/sky.svg")
def all_sky():
    """An all-sky map (Galactic coordinates) of every target."""
    store = get_store()
    n = store.select(prologue(["sw"]) + "SELECT (COUNT(?s) AS ?n) WHERE { ?s a sw:Target }")[0]["n"]
    body = _all_sky(id(store), int(n))
    return current_app.response_class(body, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=300"})


@bp.get("/targets/<slug>/sky.svg")
def target_sky(slug):
    """A zoomed sky picture of one target with its catalogued neighbours."""
    from ..pages import _target_extra
    from ..skyplot import position_plot

    iri = record_iri("targets", slug)
    store = get_store()
    graph = store.get(iri)
    extra = _target_extra(store, current_app.config["BASE_IRI"], iri, graph)
    center = SkyCoord(extra["ra_deg"] * u.deg, extra["dec_deg"] * u.deg)
    near = extra["neighbours"]
    neighbours = SkyCoord([n["ra_deg"] for n in near] * u.deg, [n["dec_deg"] for n in near] * u.deg) if near else None
    body = position_plot(center, neighbours=neighbours, radius=2 * u.deg, labels=[n["label"] for n in near] or None,
                         center_label=str(graph.value(iri, RDFS.label)))
    return current_app.response_class(body, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=300"})
