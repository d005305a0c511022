"""Publishing from a record's page: preview what will be sent, confirm, get a DOI back.

``GET /{workflows|results}/<slug>/publish/<service>`` shows the exact metadata and files
(`publishers` ``prepare``, no remote call); ``POST`` to the same address (publisher role; the API
token in the form doubles as protection against cross-site requests) publishes exactly once and
redirects to the record, which then shows a DOI badge and a Cite box.
"""

from flask import Blueprint, current_app, jsonify, redirect, request

from ..auth import require_role
from ...exceptions import BadRequest, CatalogError, InvalidContent, NotConfigured, NotFound, StoreUnavailable
from .. import get_store
from .records import record_iri, render_page

bp = Blueprint("publish", __name__)

SERVICES = {"zenodo": "Zenodo", "workflowhub": "WorkflowHub"}
"""Services a record can be published to from its page, with their display names."""


class PublishFailed(CatalogError):
    """The outside service failed or refused (502); the detail is the service's own message."""

    http_status = 502
    title = "The outside service did not publish the record"


def make_publisher(service, config, store):
    """Build the publisher for ``service`` from the settings.

    Parameters
    ----------
    service : str
        A key of `SERVICES`.
    config : Mapping
        ``ZENODO_BASE_URL``, ``ZENODO_TOKEN``, ``ZENODO_ACTIONS_TOKEN``, ``BASE_IRI``, ``DATA_DIR``.
    store : catalog.store.Store

    Returns
    -------
    publishers.zenodo.ZenodoPublisher or publishers.workflowhub.WorkflowHubPublisher

    Raises
    ------
    NotFound
        If the service is unknown.
    BadRequest
        If its token is not configured.
    """
    from skyweave.publishers.workflowhub import WorkflowHubPublisher
    from skyweave.publishers.zenodo import ZenodoPublisher

    if service not in SERVICES:
        raise NotFound(f"No publishing service {service!r}; use one of {', '.join(SERVICES)}.")
    if service == "workflowhub":
        if not config.get("WORKFLOWHUB_TOKEN"):
            raise NotConfigured("Registering on WorkflowHub is not configured: set SKYWEAVE_WORKFLOWHUB_TOKEN and "
                                "SKYWEAVE_WORKFLOWHUB_PROJECT_ID.", title="Publishing not configured")
        return WorkflowHubPublisher(config["WORKFLOWHUB_BASE_URL"], config["WORKFLOWHUB_TOKEN"], store, config["BASE_IRI"],
                                    data_dir=config["DATA_DIR"], project_id=config.get("WORKFLOWHUB_PROJECT_ID") or None)
    if not config.get("ZENODO_TOKEN"):
        raise NotConfigured("Publishing to Zenodo is not configured: set SKYWEAVE_ZENODO_TOKEN (and ZENODO_BASE_URL).",
                            title="Publishing not configured")
    return ZenodoPublisher(config["ZENODO_BASE_URL"], config["ZENODO_TOKEN"], store, config["BASE_IRI"],
                           data_dir=config["DATA_DIR"], actions_token=config.get("ZENODO_ACTIONS_TOKEN") or None)


def _target(collection, slug):
    if collection not in ("workflows", "results"):
        raise NotFound("Only workflow versions and results are published.")
    iri = record_iri(collection, slug)
    get_store().get(iri)  # 404 for unknown records
    return iri


@bp.get("/<collection>/<slug>/publish/<service>")
def preview(collection, slug, service):
    """Show the exact metadata and files that publishing would send."""
    from skyweave.publishers.datacite import MissingMetadata

    iri = _target(collection, slug)
    if service == "workflowhub" and collection != "workflows":
        raise NotFound("Only workflow versions are registered on WorkflowHub.")
    publisher = make_publisher(service, current_app.config, get_store())
    problems, metadata, files = [], None, []
    try:
        prepared = publisher.prepare(iri)
    except MissingMetadata as exc:
        problems = [{"message": p} for p in exc.problems]
    else:
        if service == "workflowhub":  # a Workflow RO-Crate and its form fields
            import hashlib

            metadata = {"fields": [list(f) for f in prepared.fields], "source": prepared.source,
                        "version": prepared.version}
            data = prepared.crate.read_bytes()
            files = [{"name": prepared.crate.name, "size": len(data), "md5": hashlib.md5(data).hexdigest()}]
        else:
            metadata, files = prepared.metadata, [{"name": f.name, "size": f.size, "md5": f.md5} for f in prepared.files]
    base_url = current_app.config["WORKFLOWHUB_BASE_URL" if service == "workflowhub" else "ZENODO_BASE_URL"]
    return render_page("publish/preview.html", iri=str(iri), path=f"/{collection}/{slug}", service=service,
                       service_name=SERVICES[service], metadata=metadata, files=files, problems=problems,
                       base_url=base_url, section=collection, http_status=422 if problems else 200)


@bp.post("/<collection>/<slug>/publish/<service>")
@require_role("publisher")
def publish(collection, slug, service):
    """Publish the record exactly once; answer with its DOI (JSON) or go back to its page."""
    from skyweave.publishers import UpstreamError
    from skyweave.publishers.datacite import MissingMetadata

    iri = _target(collection, slug)
    publisher = make_publisher(service, current_app.config, get_store())
    try:
        result = publisher.publish(iri)
    except MissingMetadata as exc:
        raise InvalidContent("The record lacks metadata the service needs: " + "; ".join(exc.problems),
                             title="Missing metadata") from None
    except UpstreamError as exc:
        raise PublishFailed(str(exc)) from None
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        body = {"service": result.service, "identifier": result.identifier, "url": result.url, "reused": result.reused}
        if result.identifier.startswith("10."):
            body["doi_url"] = f"https://doi.org/{result.identifier}"
        return jsonify(body)
    return redirect(f"/{collection}/{slug}", code=303)
