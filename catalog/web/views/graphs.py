"""``/graphs``: the SPARQL 1.1 Graph Store HTTP Protocol over the records' named graphs.

``GET``, ``PUT``, ``POST`` (merge) and ``DELETE`` with ``?graph=<record IRI>`` (indirect graph
identification). Writes need an editor token and are validated like every other write; the default
graph is the read-only union of the records.

Reference: SPARQL 1.1 Graph Store HTTP Protocol, https://www.w3.org/TR/sparql11-http-rdf-update/
"""

from flask import Blueprint, current_app, request
from rdflib import Graph, URIRef

from ..auth import require_role
from ...exceptions import BadRequest
from ..negotiate import choose_format, parse_body, rdf_response
from .. import get_store
from ...vocab import split_iri

bp = Blueprint("graphs", __name__)


def _graph_iri():
    """Return the record IRI named by ``?graph=``, checked to be one of this catalog's record IRIs."""
    if "default" in request.args:
        raise BadRequest("The default graph is the read-only union of the records; name a record with ?graph=<IRI>.")
    iri = request.args.get("graph")
    if not iri:
        raise BadRequest("Name the graph with ?graph=<record IRI>.")
    if split_iri(current_app.config["BASE_IRI"], iri) is None:
        raise BadRequest(
            f"<{iri}> is not a record IRI of this catalog: use {current_app.config['BASE_IRI']}<collection>/<slug>."
        )
    return URIRef(iri)


@bp.get("/graphs")
def get_graph():
    """Return one record's graph (GSP GET)."""
    graph = get_store().get(_graph_iri())
    return rdf_response(graph, choose_format(None, offered=("ttl", "jsonld", "nt", "rdf")))


@bp.put("/graphs")
@require_role("editor")
def put_graph():
    """Replace (or create) one record's graph (GSP PUT); 201 when created, 204 when replaced."""
    iri = _graph_iri()
    result = get_store().put(iri, parse_body(base=str(iri)))
    return ("", 201) if result.created else ("", 204)


@bp.post("/graphs")
@require_role("editor")
def post_graph():
    """Merge triples into one record's graph (GSP POST); the merged record is validated."""
    iri = _graph_iri()
    store = get_store()
    merged = Graph()
    if store.exists(iri):
        merged += store.get(iri)
    merged += parse_body(base=str(iri))
    result = store.put(iri, merged)
    return ("", 201) if result.created else ("", 204)


@bp.delete("/graphs")
@require_role("editor")
def delete_graph():
    """Remove one record's graph (GSP DELETE), keeping its content as a version."""
    get_store().delete(_graph_iri())
    return "", 204
