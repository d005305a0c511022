"""What every publisher shares: the errors of outside services, the result of a publication, the protocol.

References
----------
.. [1] ``specs/external-apis.md`` §0 (rules for every publisher).
"""

from dataclasses import dataclass
from typing import Protocol

from skyweave.catalog.exceptions import CatalogError

__all__ = ["UpstreamError", "OutcomeUnknown", "MissingMetadata", "PublishResult", "Publisher"]


class UpstreamError(CatalogError):
    """An outside service refused a request, failed, or could not be reached.

    Parameters
    ----------
    service : str
        The service's name (``"zenodo"``).
    status : int or None
        The HTTP status it answered, or None when no answer came (connection error, timeout).
    detail : str
        The service's own message (``message`` and ``errors[].message(s)`` of its JSON), truncated; never
        a credential.

    Notes
    -----
    It carries no HTTP status of its own: the web layer maps it (502 Bad Gateway) in
    ``skyweave.catalog.web.handlers.STATUS``.
    """

    title = "Outside service error"

    def __init__(self, service, status, detail):
        self.service, self.status = service, status
        message = f"{service} answered {status}: {detail}" if status is not None else f"{service}: {detail}"
        super().__init__(message)
        self.detail = detail
        self.message = message

    def __str__(self):
        return self.message

    def problem(self):
        """Return RFC 9457 problem details, with the service and its status (the web layer adds ``status``)."""
        return {"type": "about:blank", "title": self.title, "detail": self.message, "errors": [],
                "service": self.service, "upstream_status": self.status}


class OutcomeUnknown(UpstreamError):
    """A request that changes state (create, publish) got no clear answer: it may or may not have taken effect.

    Raised for a timeout, a dropped connection or a 5xx answer to a non-idempotent request. The caller
    re-reads the remote state before trying again (``specs/external-apis.md`` §0 rule 2).
    """

    title = "Outside service outcome unknown"


class MissingMetadata(CatalogError, ValueError):
    """A record lacks metadata a deposit needs; raised before any remote call.

    Parameters
    ----------
    problems : list of str
        One per missing or unusable field, each naming the field and the record to fill it in, e.g.
        ``"schema:creator of <…/workflows/ring-v1>: only the placeholder 'skyweave user' is given"``.
    iri : str or None
        The record being published.
    """

    def __init__(self, problems, iri=None):
        self.problems = list(problems)
        self.iri = iri
        head = f"<{iri}> cannot be published: " if iri else "cannot be published: "
        super().__init__(head + "; ".join(self.problems), title="Missing metadata")

    def problem(self):
        """Return RFC 9457 problem details with one ``errors[]`` item per missing field."""
        return {**super().problem(), "errors": [{"message": p} for p in self.problems]}


@dataclass(frozen=True)
class PublishResult:
    """What a publication produced.

    Attributes
    ----------
    service : str
        ``"zenodo"``, ...
    identifier : str
        What the service assigned: a bare DOI for Zenodo (``10.5281/zenodo.123``).
    url : str
        The landing page of the published record at the service.
    summary : str
        One sentence for people.
    publication : str or None
        IRI of the ``sw:Publication`` record that tracked it.
    concept_identifier : str or None
        Zenodo's concept (all-versions) DOI.
    reused : bool
        True when the record had been published before and nothing was sent.
    """

    service: str
    identifier: str
    url: str
    summary: str
    publication: str | None = None
    concept_identifier: str | None = None
    reused: bool = False


class Publisher(Protocol):
    """What every publisher offers (``PUBLISHERS[name](...)``)."""

    service: str

    def prepare(self, iri):
        """Build the payload for record ``iri`` without any remote call."""

    def publish(self, iri):
        """Publish record ``iri`` exactly once; return a `PublishResult`."""
