"""The catalog's errors: plain exceptions that say what went wrong, for every layer.

They carry no HTTP: the web layer (`skyweave.catalog.web.handlers`) maps each class to its status
and answers in the format the client asked for; the CLI prints their ``detail``.
"""

__all__ = [
    "CatalogError", "BadRequest", "Unauthorized", "Forbidden", "NotFound", "NotAcceptable",
    "PayloadTooLarge", "ValidationFailed", "QueryTimeout", "StoreUnavailable", "Conflict", "NotConfigured",
    "InvalidContent", "TooManyRequests", "StorageFull",
]


class CatalogError(Exception):
    """Base of the catalog's errors.

    Parameters
    ----------
    detail : str
        A sentence for the user saying what went wrong and, where possible, what to do.
    title : str or None
        A short summary; defaults to the class's ``title``.
    """

    title = "Internal error"

    def __init__(self, detail, title=None):
        super().__init__(detail)
        self.detail = detail
        if title is not None:
            self.title = title

    def problem(self):
        """Return the RFC 9457 problem details of this error as a dict (the web layer adds ``status``)."""
        return {
            "type": "about:blank",
            "title": self.title,
            "detail": self.detail,
            "errors": [],
        }


class BadRequest(CatalogError):
    """The request cannot be understood: invalid RDF, a malformed SPARQL query, a bad parameter."""

    title = "Bad request"


class Unauthorized(CatalogError):
    """No valid API token was given for a write."""

    title = "Authentication required"


class Forbidden(CatalogError):
    """The API token's role does not allow this action."""

    title = "Forbidden"


class NotFound(CatalogError):
    """No record, page or format at this address."""

    title = "Not found"


class NotAcceptable(CatalogError):
    """None of the formats the client accepts is offered here."""

    title = "Not acceptable"


class PayloadTooLarge(CatalogError):
    """The request body is over ``MAX_CONTENT_LENGTH``."""

    title = "Request body too large"


class QueryTimeout(CatalogError):
    """A SPARQL query ran over ``SPARQL_TIMEOUT_S``; clients may retry a cheaper query."""

    title = "Query time limit exceeded"


class StoreUnavailable(CatalogError):
    """The remote SPARQL server did not answer or answered with an error."""

    title = "Store unavailable"


class ValidationFailed(CatalogError):
    """A record does not conform to its SHACL shapes.

    Parameters
    ----------
    report : catalog.validate.ValidationReport
        The report with one result per violation.
    record : str or None
        IRI of the rejected record, named in the detail.
    """

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


class Conflict(CatalogError):
    """The request conflicts with the current state: a record that exists already, a workflow not offered."""

    title = "Conflict"


class NotConfigured(CatalogError):
    """A service this request needs (a publisher, a broker) is not configured on this server."""

    title = "Not configured"


class InvalidContent(CatalogError):
    """The request is well-formed but its content cannot be used (missing metadata, bad values).

    Parameters
    ----------
    detail : str
    errors : list of dict
        One ``{"path": ..., "message": ...}`` per problem, listed in the problem details.
    title : str or None
    """

    title = "Unprocessable content"

    def __init__(self, detail, errors=(), title=None):
        super().__init__(detail, title=title)
        self.errors = list(errors)

    def problem(self):
        """Return the problem details with one entry per problem."""
        out = super().problem()
        out["errors"] = list(self.errors)
        return out


class TooManyRequests(CatalogError):
    """A client (or everyone) has too many requests under way; retry later.

    Parameters
    ----------
    detail : str
    retry_after_s : int
        Seconds after which a retry is worth it (sent as ``Retry-After``).
    """

    title = "Too many requests"

    def __init__(self, detail, retry_after_s=30):
        super().__init__(detail)
        self.retry_after_s = int(retry_after_s)


class StorageFull(CatalogError):
    """The service's storage for results is at its quota (``RESULT_STORAGE_MAX_BYTES``)."""

    title = "Insufficient storage"
