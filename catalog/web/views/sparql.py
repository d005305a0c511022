"""``/sparql``: the SPARQL 1.1 Protocol query endpoint (read-only) and its query page.

Accepts GET ``?query=``, a form POST and a POST of ``application/sparql-query``. SELECT and ASK
answer in JSON, XML, CSV or TSV; CONSTRUCT and DESCRIBE in Turtle, JSON-LD, N-Triples or RDF/XML,
chosen by ``Accept`` (or a ``format`` parameter). Without a query, a browser gets the query page
and an RDF client the SPARQL service description.

References: SPARQL 1.1 Protocol, https://www.w3.org/TR/sparql11-protocol/ ; SPARQL 1.1 Service
Description, https://www.w3.org/TR/sparql11-service-description/
"""

from functools import lru_cache
from typing import NamedTuple

from flask import Blueprint, current_app, render_template, request
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from ...dataset import protocol_dataset
from ...exceptions import BadRequest, NotAcceptable
from ..negotiate import FORMATS, rdf_response
from ...queries import examples
from ...results import (RESULT_TYPES, AskResult, GraphResult, RawGraphResult, SerializedGraph, serialize_result,
                        serialize_triples)
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


class Choice(NamedTuple):
    """What one ``Accept`` header and ``format`` parameter ask of the endpoint (see `negotiate`)."""

    html_with_query: bool
    """A query gets the HTML page (the client prefers HTML to every result format)."""
    html_without_query: bool
    """No query gets the query page (rather than the service description or 400)."""
    select: str | None
    """SELECT/ASK results format (a key of `RESULT_TYPES`), None if the client accepts none."""
    graph: str | None
    """CONSTRUCT/DESCRIBE RDF format, ``ttl`` by default, None if the client accepts no RDF format."""


@lru_cache(maxsize=512)
def negotiate(accept_header, fmt_param):
    """Decide the response formats of the endpoint for one ``Accept`` header and ``format`` parameter.

    A pure function of the two strings, cached: clients send the same few headers again and again,
    so the endpoint parses and matches each header once, not on every query.

    Parameters
    ----------
    accept_header : str
        The request's ``Accept`` header ("" if absent).
    fmt_param : str or None
        The ``format`` parameter (a key of `RESULT_TYPES`, an RDF format name, or ``html``).

    Returns
    -------
    Choice

    References
    ----------
    .. [1] RFC 9110 §12.5.1 Accept, https://www.rfc-editor.org/rfc/rfc9110#field.accept

    Examples
    --------
    >>> negotiate("application/sparql-results+json", None)
    Choice(html_with_query=False, html_without_query=False, select='json', graph=None)
    >>> negotiate("text/html,application/xhtml+xml,*/*;q=0.8", None).html_with_query
    True
    >>> negotiate("", None)
    Choice(html_with_query=False, html_without_query=True, select='json', graph='ttl')
    >>> negotiate("*/*", "csv").select, negotiate("application/n-triples", None).graph
    ('csv', 'nt')
    """
    accept = parse_accept_header(accept_header or None, MIMEAccept)
    if fmt_param == "html":
        html_q = html_nq = True
    elif not accept:
        html_q, html_nq = False, True
    else:
        best_other = max(accept.quality(m) for m in [*_RESULT_BY_MIME, *_RDF_BY_MIME])
        html_q = html_nq = accept.quality("text/html") > best_other
    specific = bool(accept) and accept.best not in (None, "*/*")
    if fmt_param in RESULT_TYPES:
        select = fmt_param
    else:
        best = accept.best_match(list(_RESULT_BY_MIME))
        select = None if best is None and specific else _RESULT_BY_MIME.get(best, "json")
    if fmt_param in _RDF_BY_MIME.values():
        graph = fmt_param
    else:
        best = accept.best_match(list(_RDF_BY_MIME))
        graph = _RDF_BY_MIME[best] if best else (None if specific else "ttl")
    return Choice(html_q, html_nq, select, graph)


def _choice():
    """The `Choice` of the current request."""
    return negotiate(request.headers.get("Accept", ""), request.values.get("format"))


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


def _respond(result, choice):
    """Serialise ``result`` in the format the client asked for (``choice``, a `Choice`)."""
    if isinstance(result, (GraphResult, RawGraphResult, SerializedGraph)):
        fmt = choice.graph
        if fmt is None:
            raise NotAcceptable("A CONSTRUCT or DESCRIBE result is RDF: accept text/turtle, application/ld+json, "
                                "application/n-triples or application/rdf+xml.")
        if isinstance(result, GraphResult):
            return rdf_response(result.graph, fmt)
        if isinstance(result, RawGraphResult):  # triples not serialised yet (a query answered in this process)
            result = serialize_triples(result.triples, fmt, PREFIXES)
        response = current_app.response_class(result.body, mimetype=FORMATS[fmt][0])
        response.headers["Vary"] = "Accept"
        return response
    fmt = choice.select
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
    choice = _choice()
    has_query = bool(text and text.strip())
    html = choice.html_with_query if has_query else choice.html_without_query
    if not has_query:
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
    # The worker processes serialise the result in the negotiated format: its bytes are the body.
    result = get_store().query(text, select_format=choice.select or "json", dataset=dataset, base_iri=base,
                               client=request.remote_addr, graph_format=choice.graph,
                               prefixes=PREFIXES if choice.graph in ("ttl", "jsonld") else None)
    return _respond(result, choice)
