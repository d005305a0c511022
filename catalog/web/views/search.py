"""``/search``: full-text search over names and descriptions, and a cone search by sky position.

``/search?q=crab`` matches labels, other names, titles and descriptions (case-insensitive);
``/search?ra=83.63&dec=22.01&radius=30 arcmin`` returns the targets and observations in that cone.
Both answer HTML, or JSON for ``Accept: application/json``.
"""

from flask import Blueprint, current_app, jsonify, request
from rdflib import Literal

from ...exceptions import BadRequest
from ...pages import KIND_TITLES, href_for
from ...queries import prologue
from ...sky import find_in_cone, parse_position, parse_radius
from .. import get_store
from ...vocab import split_iri
from .records import render_page

bp = Blueprint("search", __name__)

TEXT_PROPERTIES = "rdfs:label|schema:name|dcterms:title|skos:altLabel|rdfs:comment|schema:description"
"""The properties searched by full text."""


TEXT_PAGE = 50
"""Matches shown per page of a text search (the next page is a link)."""


def text_search(store, base, q, limit=200, offset=0):
    """Find records whose names or descriptions contain ``q`` (case-insensitive).

    Parameters
    ----------
    store : catalog.store.Store
    base : str
        BASE_IRI; only records of the catalog are returned.
    q : str
        The text to look for; at least 2 characters.
    limit : int
        Most matches returned.
    offset : int
        Matches skipped first (later pages).

    Returns
    -------
    list of dict
        ``{href, iri, label, kind, matched}``; exact names first, then names that start with ``q``,
        then the rest (by full-text rank when the store has a side index, else alphabetically).

    Raises
    ------
    BadRequest
        If ``q`` is shorter than 2 characters.
    """
    q = q.strip()
    if len(q) < 2:
        raise BadRequest("Search for at least 2 characters.")
    if getattr(store, "index", None) is not None:
        return _indexed_text_search(store.index, base, q, limit, offset)
    rows = store.select(
        prologue() + "SELECT ?s (SAMPLE(?label) AS ?l) (SAMPLE(?text) AS ?t) WHERE { "
        f"?s {TEXT_PROPERTIES} ?text . FILTER(CONTAINS(LCASE(STR(?text)), LCASE({Literal(q).n3()}))) "
        "?s rdfs:label|schema:name|dcterms:title ?label . } GROUP BY ?s "
        f"LIMIT {(int(offset) + int(limit)) * 2}"
    )
    ql = q.lower()
    hits = []
    for row in rows:
        where = split_iri(base, row["s"])
        if where is None:
            continue
        label, matched = str(row["l"]), str(row["t"])
        rank = 0 if ql in (label.lower(), matched.lower()) else 1 if label.lower().startswith(ql) else 2
        hits.append((rank, label.lower(), {
            "href": href_for(base, row["s"]), "iri": str(row["s"]), "label": label,
            "kind": KIND_TITLES[where[0]], "matched": matched if matched != label else None,
        }))
    return [h for _, _, h in sorted(hits, key=lambda h: (h[0], h[1]))][offset:offset + limit]


def _indexed_text_search(index, base, q, limit, offset=0):
    """`text_search` over the FTS5 index: exact names, then names starting with ``q``, then by rank (see `search_texts`).

    Reads the best ``3 * (offset + limit)`` (at least 100) literals by rank, so a page costs what it shows.
    """
    from ...indexes.text import search_texts

    ql, seen, hits = q.lower(), set(), []
    for iri, label, text in search_texts(index, q, limit=max(100, 3 * (offset + limit))):
        where = split_iri(base, iri)
        if where is None or iri in seen:
            continue
        seen.add(iri)
        rank = 0 if ql in (label.lower(), text.lower()) else 1 if label.lower().startswith(ql) else 2
        hits.append((rank, len(hits), {"href": href_for(base, iri), "iri": iri, "label": label,
                                       "kind": KIND_TITLES[where[0]], "matched": text if text != label else None}))
    return [h for _, _, h in sorted(hits, key=lambda h: (h[0], h[1]))][offset:offset + limit]


@bp.get("/search")
def search():
    """Full-text search (``q``) and cone search (``ra``, ``dec``, ``radius``)."""
    store = get_store()
    base = current_app.config["BASE_IRI"]
    q = request.args.get("q", "").strip()
    ra, dec = request.args.get("ra", "").strip(), request.args.get("dec", "").strip()
    radius_text = request.args.get("radius", "").strip() or "1 deg"
    data = {"q": q, "ra": ra, "dec": dec, "radius": radius_text, "hits": None, "cone": None, "error": None,
            "page": 1, "next_page": None}
    status = 200
    try:
        try:
            data["page"] = page = max(1, int(request.args.get("page", 1)))
        except ValueError:
            raise BadRequest("page must be a positive integer") from None
        if q:
            hits = text_search(store, base, q, limit=TEXT_PAGE + 1, offset=(page - 1) * TEXT_PAGE)
            data["hits"] = hits[:TEXT_PAGE]
            data["offset"] = (page - 1) * TEXT_PAGE
            if len(hits) > TEXT_PAGE:
                data["next_page"] = page + 1
        if ra or dec:
            center = parse_position(ra, dec)
            radius = parse_radius(radius_text)
            found = find_in_cone(store, center, radius)
            for items in found.values():
                for item in items:
                    item["href"] = href_for(base, item["iri"])
            data["cone"] = {"ra_deg": center.ra.deg, "dec_deg": center.dec.deg, "radius_deg": radius.value, **found}
    except BadRequest as exc:
        if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
            raise
        data["error"], status = exc.detail, 400
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify(data)
    return render_page("search.html", data=data, section="search", http_status=status)
