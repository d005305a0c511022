"""The app-level error handlers: each catalog error as an HTTP response in the format asked for.

Every error answers in the format the client asked for: an HTML page (``{status}.html`` if it
exists, else ``error.html``), ``application/problem+json`` (RFC 9457), or, for a failed SHACL
validation asked for as RDF, the ``sh:ValidationReport`` graph itself. The exception classes
(`skyweave.catalog.exceptions`) know nothing of HTTP; `STATUS` maps them to status codes here.
"""

import logging

from flask import current_app, jsonify, render_template, request
from jinja2 import TemplateNotFound
from werkzeug.exceptions import HTTPException

from skyweave.publishers.outcomes import MissingMetadata, UpstreamError
from skyweave.publishers.terms import TermsForbid

from ..exceptions import (
    BadRequest, CatalogError, Conflict, Forbidden, InvalidContent, NotAcceptable, NotConfigured, NotFound,
    PayloadTooLarge, QueryTimeout, StorageFull, StoreUnavailable, TooManyRequests, Unauthorized, ValidationFailed,
)

__all__ = ["STATUS", "status_of", "render_error", "init_app"]

log = logging.getLogger(__name__)

STATUS = {
    BadRequest: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, NotAcceptable: 406, Conflict: 409,
    PayloadTooLarge: 413, ValidationFailed: 422, InvalidContent: 422, TooManyRequests: 429,
    StoreUnavailable: 502, NotConfigured: 503, StorageFull: 507, QueryTimeout: 503, CatalogError: 500,
    UpstreamError: 502, MissingMetadata: 422, TermsForbid: 403,
}
"""HTTP status of each error class (the nearest class in the error's MRO wins)."""


def status_of(error):
    """Return the HTTP status for ``error``: its ``http_status`` if set, else that of its nearest class in `STATUS`.

    Parameters
    ----------
    error : CatalogError

    Returns
    -------
    int

    Examples
    --------
    >>> status_of(NotFound("no such record"))
    404
    """
    explicit = getattr(error, "http_status", None)
    if explicit:
        return explicit
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


_JSON_TYPES = ("application/json", "application/problem+json", "application/sparql-results+json")
_RDF_TYPES = {
    "text/turtle": "skyweave-turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


def _wants():
    """Return "html", "json" or an rdflib format name for the current request's error response."""
    accept = request.accept_mimetypes
    path = request.path
    if path.endswith(".json") or path.startswith("/-/"):
        return "json"
    best = accept.best_match(["text/html", *_JSON_TYPES, *_RDF_TYPES], default="text/html")
    if best in _RDF_TYPES:
        return _RDF_TYPES[best]
    if best in _JSON_TYPES:
        return "json"
    if request.path.startswith("/sparql") and best != "text/html":
        return "json"
    if not accept or accept.best == "*/*":
        # Scripts (curl, requests) that send no preference get problem details, browsers HTML.
        return "json" if request.method != "GET" else "html"
    return "html"


def render_error(error):
    """Render a `CatalogError` in the negotiated format.

    Parameters
    ----------
    error : CatalogError

    Returns
    -------
    flask.Response
    """
    fmt = _wants()
    status = status_of(error)
    headers = {"Vary": "Accept"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="skyweave"'
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(error.retry_after_s)
    if isinstance(error, ValidationFailed) and fmt not in ("html", "json"):
        body = error.report.graph.serialize(format=fmt)
        mime = {v: k for k, v in _RDF_TYPES.items()}[fmt]
        return current_app.response_class(body, status=status, mimetype=mime, headers=headers)
    if fmt != "html":
        response = jsonify({**error.problem(), "status": status})
        response.status_code = status
        response.mimetype = "application/problem+json"
        response.headers.update(headers)
        return response
    problem = error.problem()
    problem["status"] = status
    context = dict(status=status, title=problem["title"], detail=problem["detail"], errors=problem["errors"])
    for name in (f"{status}.html", "error.html"):
        try:
            return render_template(name, **context), status, headers
        except TemplateNotFound:
            continue
    return f"{status} {error.title}: {error.detail}", status, headers


def init_app(app):
    """Register the error handlers on ``app`` (app level, so unknown URLs get them too).

    Parameters
    ----------
    app : flask.Flask
    """

    @app.errorhandler(CatalogError)
    def _catalog_error(error):
        return render_error(error)

    @app.errorhandler(HTTPException)
    def _http_error(error):
        if error.code == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            err = PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes.")
        elif error.code == 404:
            err = NotFound(f"Nothing is published at {request.path}.")
        else:
            err = CatalogError(error.description or error.name, title=error.name)
            err.http_status = error.code
        response = render_error(err)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response = app.make_response(response)
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(CatalogError("An unexpected error occurred; it has been logged."))
