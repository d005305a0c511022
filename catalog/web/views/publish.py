"""Publishing from a record's page: preview what will be sent, confirm, get the identifier back.

``GET /<collection>/<slug>/publish/<service>`` shows the exact payload (the channel's ``preview`` of its
``prepare``, no remote call) and where it goes. A channel with ``fields`` (TNS: the discovery photometry
a person measured) shows them in a form, prefilled from the record where known; ``POST .../check``
checks what was typed and shows the exact payload again, sending nothing; ``POST`` to the same address (publisher role; the API
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


def _supplied(publisher, values):
    """The facts typed in a form, for a channel that takes them (``fields``): ``{name: text}``, empty ones left out."""
    if not getattr(publisher, "fields", None):
        return {}
    return {name: values[name] for name in publisher.editable if values.get(name, "").strip()}


def _render_preview(collection, slug, service, publisher, iri, supplied, http_status=None, problems=None):
    from skyweave.publishers.outcomes import MissingMetadata

    problems, shown = list(problems or []), {"metadata": None, "files": [], "text": None}
    if not problems:
        try:
            prepared = publisher.prepare(iri, **supplied)
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
    fields = publisher.form(iri, **supplied) if getattr(publisher, "fields", None) else []
    editable = [] if fields else [(name, draft.get(name, "")) for name in publisher.editable]
    return render_page("publish/preview.html", iri=str(iri), path=f"/{collection}/{slug}", service=service,
                       service_name=publisher.title, action=publisher.action, metadata=shown["metadata"],
                       editable=editable, fields=fields, text=shown.get("text"), files=shown["files"],
                       problems=problems, terms=terms, base_url=publisher.base_url, section=collection,
                       http_status=http_status or (422 if problems else 200))


def _publisher(service):
    from skyweave.publishers.registry import make_publisher

    publisher = make_publisher(service, current_app.config, get_store())
    publisher.agent = "a person using the web form (publisher token)"
    return publisher


@bp.get("/<collection>/<slug>/publish/<service>")
def preview(collection, slug, service):
    """Show the exact payload that publishing would send, and where (facts typed so far may come as query fields)."""
    iri = _target(collection, slug, service)
    publisher = _publisher(service)
    return _render_preview(collection, slug, service, publisher, iri, _supplied(publisher, request.args))


@bp.post("/<collection>/<slug>/publish/<service>/check")
def check(collection, slug, service):
    """Check the facts typed in the form and show the exact payload again; nothing is sent or written."""
    iri = _target(collection, slug, service)
    publisher = _publisher(service)
    return _render_preview(collection, slug, service, publisher, iri, _supplied(publisher, request.form))


@bp.post("/<collection>/<slug>/publish/<service>")
@require_role("publisher")
def publish(collection, slug, service):
    """Publish the record exactly once; answer with its identifier (JSON) or go back to its page.

    Bad or missing facts are refused before anything is written or sent: 422, with the preview (HTML)
    or problem details naming each field (JSON).
    """
    from skyweave.publishers.outcomes import MissingMetadata

    iri = _target(collection, slug, service)
    publisher = _publisher(service)
    wants_json = request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    if getattr(publisher, "fields", None):
        edits = _supplied(publisher, request.form)
    else:
        edits = {name: request.form[name] for name in publisher.editable if request.form.get(name)}
    try:
        result = publisher.publish(iri, **edits)
    except MissingMetadata as exc:
        if wants_json or not getattr(publisher, "fields", None):
            raise
        return _render_preview(collection, slug, service, publisher, iri, edits,
                               problems=[{"message": p} for p in exc.problems])
    if wants_json:
        body = {"service": result.service, "identifier": result.identifier, "url": result.url, "reused": result.reused,
                "summary": result.summary, "publication": result.publication}
        if result.identifier.startswith("10."):
            body["doi_url"] = f"https://doi.org/{result.identifier}"
        return jsonify(body)
    return redirect(f"/{collection}/{slug}", code=303)
