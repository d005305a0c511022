"""Record routes: every catalog IRI dereferences here (HTML or RDF), and editors write records.

``GET /{collection}/{slug}[.ttl|.jsonld|.nt|.rdf]`` shows a record; ``PUT`` creates or replaces it,
``DELETE`` removes it (keeping a version), ``POST /{collection}/`` creates one whose IRI is in the
body. Writes need an editor token and are validated against the shapes before they commit.
"""

from flask import Blueprint, current_app, render_template, request

from ..auth import require_role
from ...exceptions import BadRequest, Conflict, NotFound
from ..negotiate import FORMATS, SUFFIXES, choose_format, parse_body, rdf_response, split_suffix
from ...pages import record_page
from .. import get_store
from ...vocab import COLLECTIONS, RDF, iri_for, split_iri

bp = Blueprint("records", __name__)


def record_iri(collection, slug):
    """Return the IRI of ``/{collection}/{slug}`` under this app's BASE_IRI.

    Raises
    ------
    NotFound
        If the collection is unknown or the slug is not a valid slug.
    """
    try:
        return iri_for(current_app.config["BASE_IRI"], collection, slug)
    except ValueError as exc:
        raise NotFound(str(exc)) from None


def alternate_links(path):
    """Return ``(href, media type)`` of the RDF forms of the page at ``path``."""
    return [(f"{path}.{s}", FORMATS[s][0]) for s in SUFFIXES]


def render_page(template, alternates=(), http_status=200, **context):
    """Render an HTML page with ``<link rel="alternate">`` targets also sent as a ``Link`` header.

    Parameters
    ----------
    template : str or list of str
        Template name(s), the first that exists is used.
    alternates : list of (str, str)
        ``(href, media type)`` of other representations.
    http_status : int
    **context
        Template variables. A publishable ``page`` also gets ``channels`` (the publishing channels of its
        collection) and ``outcomes`` (its latest publication on each service).

    Returns
    -------
    flask.Response
    """
    page = context.get("page")
    if getattr(page, "publishable", False):
        # The publishers (and the RO-Crate and notebook machinery behind them) load with the first
        # publishable page, not with the app.
        from skyweave.publishers import records as publications
        from skyweave.publishers.registry import channels_for

        context.setdefault("channels", channels_for(page.collection))
        context.setdefault("outcomes", {p.service: p for p in publications.of_record(get_store(), page.iri)})
    body = render_template(template, alternates=alternates, **context)
    response = current_app.make_response((body, http_status))
    response.headers["Vary"] = "Accept"
    if alternates:
        response.headers["Link"] = ", ".join(f'<{h}>; rel="alternate"; type="{m}"' for h, m in alternates)
    return response


@bp.get("/<collection>/<name>")
def detail(collection, name):
    """Show a record as an HTML page or in an RDF format."""
    if collection not in COLLECTIONS:
        raise NotFound(f"Nothing is published at {request.path}.")
    slug, suffix = split_suffix(name)
    iri = record_iri(collection, slug)
    store = get_store()
    graph = store.get(iri)
    fmt = choose_format(suffix)
    path = f"/{collection}/{slug}"
    if fmt != "html":
        return rdf_response(graph, fmt, headers={"Link": f'<{path}>; rel="alternate"; type="text/html"'})
    page = record_page(store, current_app.config["BASE_IRI"], iri, graph, request.host_url.rstrip("/") + path)
    return render_page([f"records/{collection}.html", "records/detail.html"], alternate_links(path),
                       page=page, section=collection)


@bp.get("/<collection>/<slug>/versions/<int:number>")
def version(collection, slug, number):
    """Return an earlier version of a record (RDF, or Turtle shown in a page)."""
    iri = record_iri(collection, slug)
    graph = get_store().version(iri, number)
    fmt = choose_format(None)
    if fmt != "html":
        return rdf_response(graph, fmt)
    from ...formats import bind_prefixes

    return render_page("records/version.html", iri=str(iri), number=number, path=f"/{collection}/{slug}",
                       turtle=bind_prefixes(graph).serialize(format="skyweave-turtle"), section=collection)


def _write(iri):
    graph = parse_body(base=str(iri))
    result = get_store().put(iri, graph)
    collection, slug = split_iri(current_app.config["BASE_IRI"], iri)
    location = f"/{collection}/{slug}"
    body = {"iri": result.iri, "created": result.created, "version": result.version, "triples": result.triples}
    return body, (201 if result.created else 200), {"Location": location}


@bp.put("/<collection>/<slug>")
@require_role("editor")
def put(collection, slug):
    """Create or replace a record from an RDF body (editor role)."""
    return _write(record_iri(collection, slug))


@bp.delete("/<collection>/<slug>")
@require_role("editor")
def delete(collection, slug):
    """Remove a record, keeping its content as a version (editor role)."""
    iri = record_iri(collection, slug)
    number = get_store().delete(iri)
    return {"iri": str(iri), "deleted": True, "version": number}


@bp.post("/<collection>/")
@require_role("editor")
def create(collection):
    """Create a record whose IRI (``{BASE_IRI}{collection}/{slug}``) is the one typed subject of the body."""
    if collection not in COLLECTIONS:
        raise NotFound(f"Nothing is published at {request.path}.")
    graph = parse_body()
    base = current_app.config["BASE_IRI"]
    candidates = {s for s in graph.subjects(RDF.type, None) if (split_iri(base, s) or (None,))[0] == collection}
    if len(candidates) != 1:
        raise BadRequest(
            f"The body must describe exactly one typed resource with an IRI {base}{collection}/<slug>; "
            f"found {len(candidates)}."
        )
    iri = candidates.pop()
    if get_store().exists(iri):
        raise Conflict(f"<{iri}> exists already; PUT to /{collection}/{split_iri(base, iri)[1]} to replace it.")
    return _write(iri)


@bp.app_template_global()
def record_url(iri):
    """Template helper: the site path of a catalog IRI."""
    base = current_app.config["BASE_IRI"]
    return "/" + str(iri)[len(base):] if str(iri).startswith(base) else str(iri)


