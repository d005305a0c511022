"""Publishing from a record's page: preview what will be sent, confirm, get the identifier back.

``GET /<collection>/<slug>/publish/<service>`` shows the exact payload (the channel's ``preview`` of its
``prepare``, no remote call) and where it goes; ``POST`` to the same address (publisher role; the API
token in the form doubles as protection against cross-site requests) publishes exactly once and
redirects to the record, which then shows the identifier. Every channel comes from
`skyweave.publishers.registry.PUBLISHERS`; nothing here is specific to one service.
"""

from flask import Blueprint, current_app, jsonify, redirect, request


from ...exceptions import NotFound
from .. import get_store
from ..auth import require_role
from .records import record_iri, render_page

bp = Blueprint("publish", __name__)


def _target(collection, slug, service):
    from skyweave.publishers.registry import PUBLISHERS  # loads the publishers on first use, not at start

    channel = PUBLISHERS.get(service)
    if channel is None:
        raise NotFound(f"No publishing service {service!r}; use one of {', '.join(PUBLISHERS)}.")
    if collection not in channel.collections:
        raise NotFound(f"{channel.title} takes only {' and '.join(channel.collections)}, not {collection}.")
    iri = record_iri(collection, slug)
    get_store().get(iri)  # 404 for unknown records
    return iri


@bp.get("/<collection>/<slug>/publish/<service>")
def preview(collection, slug, service):
    """Show the exact payload that publishing would send, and where."""
    from skyweave.publishers.outcomes import MissingMetadata
    from skyweave.publishers.registry import make_publisher

    iri = _target(collection, slug, service)
    publisher = make_publisher(service, current_app.config, get_store())
    problems, shown = [], {"metadata": None, "files": [], "text": None}
    try:
        prepared = publisher.prepare(iri)
    except MissingMetadata as exc:
        problems = [{"message": p} for p in exc.problems]
        shown["draft"] = getattr(exc, "draft", None)
    else:
        try:
            shown = publisher.preview(prepared)
        finally:
            publisher.cleanup(prepared)
    terms = publisher.terms.describe(iri) if publisher.terms is not None else []
    draft = shown.get("draft") or {}
    return render_page("publish/preview.html", iri=str(iri), path=f"/{collection}/{slug}", service=service,
                       service_name=publisher.title, action=publisher.action, metadata=shown["metadata"],
                       editable=[(name, draft.get(name, "")) for name in publisher.editable],
                       text=shown.get("text"), files=shown["files"], problems=problems, terms=terms,
                       base_url=publisher.base_url, section=collection, http_status=422 if problems else 200)


@bp.post("/<collection>/<slug>/publish/<service>")
@require_role("publisher")
def publish(collection, slug, service):
    """Publish the record exactly once; answer with its identifier (JSON) or go back to its page."""
    from skyweave.publishers.registry import make_publisher

    iri = _target(collection, slug, service)
    publisher = make_publisher(service, current_app.config, get_store())
    edits = {name: request.form[name] for name in publisher.editable if request.form.get(name)}
    result = publisher.publish(iri, **edits)
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        body = {"service": result.service, "identifier": result.identifier, "url": result.url, "reused": result.reused,
                "summary": result.summary, "publication": result.publication}
        if result.identifier.startswith("10."):
            body["doi_url"] = f"https://doi.org/{result.identifier}"
        return jsonify(body)
    return redirect(f"/{collection}/{slug}", code=303)
