"""``/sparql``: the SPARQL 1.1 Protocol query endpoint (read-only) and its query page.

Accepts GET ``?query=``, a form POST and a POST of ``application/sparql-query``. SELECT and ASK
answer in JSON, XML, CSV or TSV; CONSTRUCT and DESCRIBE in Turtle, JSON-LD, N-Triples or RDF/XML,
chosen by ``Accept`` (or a ``format`` parameter). Without a query, a browser gets the query page
and an RDF client the SPARQL service description.

References: SPARQL 1.1 Protocol, https://www.w3.org/TR/sparql11-protocol/ ; SPARQL 1.1 Service
Description, https://www.w3.org/TR/sparql11-service-description/
"""

from flask import Blueprint, current_app, render_template, request
from rdflib import BNode, Graph, Literal, Namespace, URIRef

from ...dataset import protocol_dataset
from ...exceptions import BadRequest, NotAcceptable
from ..negotiate import FORMATS, rdf_response
from ...queries import examples
from ...results import RESULT_TYPES, AskResult, GraphResult, RawGraphResult, serialize_raw_graph, serialize_result
from .. import get_store
from ...vocab import DCAT, DCTERMS, PREFIXES, RDF

bp = Blueprint("sparql", __name__)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
_RESULT_BY_MIME = {mime: name for name, mime in RESULT_TYPES.items()}
_RESULT_BY_MIME["application/json"] = "json"
_RDF_BY_MIME = {mime: name for name, (mime, _) in FORMATS.items() if name != "html"}


def _one(values, name):
    """Return the single value of a parameter, None if absent; 400 if it is repeated."""
    if len(values) > 1:
        raise BadRequest(f"The request has {len(values)} '{name}' parameters; send exactly one "
                         "(SPARQL 1.1 Protocol §2.1).")
    return values[0] if values else None


def _query_text():
    """Return the query of the request (GET, form POST or direct POST), or None.

    Raises
    ------
    BadRequest
        For an update, several queries, a body that is neither a form nor ``application/sparql-query``,
        or a body in another encoding than UTF-8 (SPARQL 1.1 Protocol §2.1.1-2.1.3).
    """
    if "update" in request.args or (request.method == "POST" and request.mimetype == "application/sparql-update"):
        raise BadRequest("This endpoint answers queries only and never writes; updates are refused.")
    if request.method == "GET":
        return _one(request.args.getlist("query"), "query")
    if request.mimetype == "application/sparql-query":
        if "query" in request.args:
            raise BadRequest("The query is both in the URL and in the body; send it once.")
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise BadRequest(f"The query body must be UTF-8 (SPARQL 1.1 Protocol §2.1.3), not {charset}.")
        try:
            return request.get_data().decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("The query body is not UTF-8 text.") from None
    if request.mimetype != "application/x-www-form-urlencoded":
        raise BadRequest("POST a query as application/x-www-form-urlencoded (query=...) or as application/sparql-query.")
    if "update" in request.form:
        raise BadRequest("This endpoint answers queries only and never writes; updates are refused.")
    return _one(request.args.getlist("query") + request.form.getlist("query"), "query")


def _dataset():
    """Return the dataset named by ``default-graph-uri`` / ``named-graph-uri`` (URL or form), or None."""
    form = request.form if request.mimetype == "application/x-www-form-urlencoded" else {}

    def values(name):
        return request.args.getlist(name) + (form.getlist(name) if form else [])

    return protocol_dataset(values("default-graph-uri"), values("named-graph-uri"))


def _wants_html(has_query):
    """True when the client is a browser: it prefers HTML to every result format (or asks ``format=html``)."""
    if request.values.get("format") == "html":
        return True
    accept = request.accept_mimetypes
    if not accept:
        return not has_query
    best_other = max(accept.quality(m) for m in [*_RESULT_BY_MIME, *_RDF_BY_MIME])
    return accept.quality("text/html") > best_other


def service_description():
    """Build the SPARQL 1.1 Service Description of this endpoint as a graph.

    Returns
    -------
    rdflib.Graph
    """
    endpoint = URIRef(request.base_url)
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("dcat", DCAT)
    graph.add((endpoint, RDF.type, SD.Service))
    graph.add((endpoint, RDF.type, DCAT.DataService))
    graph.add((endpoint, SD.endpoint, endpoint))
    graph.add((endpoint, DCAT.endpointURL, endpoint))
    graph.add((endpoint, DCTERMS.title, Literal("skyweave SPARQL endpoint")))
    graph.add((endpoint, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((endpoint, SD.feature, SD.UnionDefaultGraph))
    for mime in list(RESULT_TYPES.values()) + [m for m in _RDF_BY_MIME]:
        graph.add((endpoint, SD.resultFormat, Literal(mime)))
    dataset = BNode()
    graph.add((endpoint, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default = BNode()
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, DCTERMS.description, Literal("The union of the current records' named graphs.")))
    return graph


def _select_format(fmt_param):
    """Return the SELECT/ASK results format the client asked for, or None if it accepts none."""
    if fmt_param in RESULT_TYPES:
        return fmt_param
    accept = request.accept_mimetypes
    best = accept.best_match(list(_RESULT_BY_MIME))
    if best is None and accept and accept.best not in (None, "*/*"):
        return None
    return _RESULT_BY_MIME.get(best, "json")


def _respond(result, fmt_param):
    """Serialise ``result`` in the format the client asked for."""
    accept = request.accept_mimetypes
    if isinstance(result, (GraphResult, RawGraphResult)):
        fmt = fmt_param if fmt_param in _RDF_BY_MIME.values() else None
        fmt = fmt or _RDF_BY_MIME.get(accept.best_match(list(_RDF_BY_MIME)) or "", None)
        if fmt is None and accept and accept.best not in (None, "*/*") and not accept.best_match(list(_RDF_BY_MIME)):
            raise NotAcceptable("A CONSTRUCT or DESCRIBE result is RDF: accept text/turtle, application/ld+json, "
                                "application/n-triples or application/rdf+xml.")
        if isinstance(result, RawGraphResult):
            fmt = fmt or "ttl"
            response = current_app.response_class(serialize_raw_graph(result, fmt, PREFIXES), mimetype=FORMATS[fmt][0])
            response.headers["Vary"] = "Accept"
            return response
        return rdf_response(result.graph, fmt or "ttl")
    fmt = _select_format(fmt_param)
    if fmt is None:
        raise NotAcceptable("Query results come as " + ", ".join(RESULT_TYPES.values()) + ".")
    if isinstance(result, AskResult) and fmt in ("csv", "tsv"):
        raise NotAcceptable("ASK results come as JSON or XML only.")
    body = serialize_result(result, fmt)
    response = current_app.response_class(body, mimetype=RESULT_TYPES[fmt])
    response.headers["Vary"] = "Accept"
    if fmt in ("csv", "tsv"):
        response.charset = "utf-8"
    return response


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint():
    """Answer a SPARQL query, or show the query page / service description when there is none."""
    text = _query_text()
    dataset, base = _dataset(), current_app.config["BASE_IRI"]
    html = _wants_html(bool(text and text.strip()))
    if not text or not text.strip():
        if html:
            return render_template("sparql/query.html", query="", result=None, error=None,
                                   examples=examples(), section="sparql")
        if request.accept_mimetypes.best_match(list(_RDF_BY_MIME)):
            fmt = _RDF_BY_MIME[request.accept_mimetypes.best_match(list(_RDF_BY_MIME))]
            return rdf_response(service_description(), fmt)
        raise BadRequest("No query: send ?query=... (GET), a form field 'query', or an application/sparql-query body.")
    if html:
        error, result = None, None
        try:
            result = get_store().query(text, dataset=dataset, base_iri=base, client=request.remote_addr)
        except BadRequest as exc:
            error = exc.detail
        return render_template("sparql/query.html", query=text, result=result, error=error,
                               examples=examples(), section="sparql"), (400 if error else 200)
    fmt_param = request.values.get("format")
    result = get_store().query(text, select_format=_select_format(fmt_param) or "json", dataset=dataset, base_iri=base,
                               client=request.remote_addr)
    return _respond(result, fmt_param)
