"""Errors of the catalog and the one set of app-level handlers that turns them into responses.

Every error answers in the format the client asked for: an HTML page (``{status}.html`` if it
exists, else ``error.html``), ``application/problem+json`` (RFC 9457), or, for a failed SHACL
validation asked for as RDF, the ``sh:ValidationReport`` graph itself.
"""

import logging

from flask import render_template, request
from jinja2 import TemplateNotFound
from werkzeug.exceptions import HTTPException

__all__ = [
    "CatalogError", "BadRequest", "Unauthorized", "Forbidden", "NotFound", "NotAcceptable",
    "PayloadTooLarge", "ValidationFailed", "QueryTimeout", "StoreUnavailable", "init_app",
]

log = logging.getLogger(__name__)


class CatalogError(Exception):
    """Base of the catalog's errors.

    Parameters
    ----------
    detail : str
        A sentence for the user saying what went wrong and, where possible, what to do.
    status : int
        The HTTP status the error maps to.
    title : str or None
        A short summary; defaults to the class's ``title``.
    """

    status = 500
    title = "Internal error"

    def __init__(self, detail, status=None, title=None):
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title

    def problem(self):
        """Return the RFC 9457 problem details of this error as a dict."""
        return {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "errors": [],
        }


class BadRequest(CatalogError):
    """The request cannot be understood: invalid RDF, a malformed SPARQL query, a bad parameter (400)."""

    status = 400
    title = "Bad request"


class Unauthorized(CatalogError):
    """No valid API token was given for a write (401)."""

    status = 401
    title = "Authentication required"


class Forbidden(CatalogError):
    """The API token's role does not allow this action (403)."""

    status = 403
    title = "Forbidden"


class NotFound(CatalogError):
    """No record, page or format at this address (404)."""

    status = 404
    title = "Not found"


class NotAcceptable(CatalogError):
    """None of the formats the client accepts is offered here (406)."""

    status = 406
    title = "Not acceptable"


class PayloadTooLarge(CatalogError):
    """The request body is over ``MAX_CONTENT_LENGTH`` (413)."""

    status = 413
    title = "Request body too large"


class QueryTimeout(CatalogError):
    """A SPARQL query ran over ``SPARQL_TIMEOUT_S`` (503, so clients may retry a cheaper query)."""

    status = 503
    title = "Query time limit exceeded"


class StoreUnavailable(CatalogError):
    """The remote SPARQL server did not answer or answered with an error (502)."""

    status = 502
    title = "Store unavailable"


class ValidationFailed(CatalogError):
    """A record does not conform to its SHACL shapes (422).

    Parameters
    ----------
    report : catalog.validate.ValidationReport
        The report with one result per violation.
    record : str or None
        IRI of the rejected record, named in the detail.
    """

    status = 422
    title = "Record does not conform to its shapes"

    def __init__(self, report, record=None):
        n = len(report.results)
        what = f"<{record}>" if record else "The record"
        super().__init__(
            f"{what} breaks {n} constraint{'s' if n != 1 else ''} of the catalog's SHACL shapes; "
            "nothing was stored. See https://www.w3.org/TR/shacl/#validation-report"
        )
        self.report = report

    def problem(self):
        """Return the problem details with one entry per SHACL result (focus node, path, message)."""
        out = super().problem()
        out["errors"] = [r.as_dict() for r in self.report.results]
        return out


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
    from flask import current_app, jsonify

    fmt = _wants()
    headers = {"Vary": "Accept"}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="skyweave"'
    if isinstance(error, ValidationFailed) and fmt not in ("html", "json"):
        body = error.report.graph.serialize(format=fmt)
        mime = {v: k for k, v in _RDF_TYPES.items()}[fmt]
        return current_app.response_class(body, status=error.status, mimetype=mime, headers=headers)
    if fmt != "html":
        response = jsonify(error.problem())
        response.status_code = error.status
        response.mimetype = "application/problem+json"
        response.headers.update(headers)
        return response
    problem = error.problem()
    context = dict(status=error.status, title=problem["title"], detail=problem["detail"], errors=problem["errors"])
    for name in (f"{error.status}.html", "error.html"):
        try:
            return render_template(name, **context), error.status, headers
        except TemplateNotFound:
            continue
    return f"{error.status} {error.title}: {error.detail}", error.status, headers


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
            err = CatalogError(error.description or error.name, status=error.code, title=error.name)
        response = render_error(err)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response = app.make_response(response)
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(CatalogError("An unexpected error occurred; it has been logged."))
