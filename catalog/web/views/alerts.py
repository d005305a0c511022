"""Alert pages: ``/alerts/`` (newest first, filters, live updates), event pages with their timeline,
sky picture, matched targets and triggered runs, and the stored alert files.

``GET /alerts/`` answers HTML, or JSON for ``Accept: application/json`` (and ``/alerts/feed.json``,
which the page polls with ``since=`` to add new alerts without a reload); ``before=`` an alert's IRI
pages to older alerts. Both read the side index's ``alerts`` list when the store has one.
``GET /events/<slug>`` is the event page (RDF forms come from the generic record route);
``/events/<slug>/sky.svg`` its picture; ``/files/alerts/<sha256>/<name>`` a raw message or sky map.
"""

from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, request, send_file

from skyweave.alerts.queries import event_summary, newest_alerts

from .. import get_store
from ...exceptions import BadRequest, NotFound
from ...pages import href_for, record_page
from ..negotiate import choose_format, split_suffix
from .records import alternate_links, detail, record_iri, render_page

bp = Blueprint("alerts", __name__)

FILTERS = ("messenger", "type", "tense", "instrument")
"""Query-string filters of the alert list."""

TENSES = ("current", "test", "injection", "archival", "planned", "commanded")
TYPES = ("initial", "subsequent", "update", "retraction")


def _limit(args):
    """The ``limit`` argument: 1 to 500 alerts, 100 if not given; BadRequest if it is no integer."""
    try:
        return min(max(int(args.get("limit", 100) or 100), 1), 500)
    except ValueError:
        raise BadRequest("limit must be an integer") from None


def _alerts(args, limit):
    """The alerts ``args`` ask for (filters, ``since``, ``before``), newest first, with their links."""
    base = current_app.config["BASE_IRI"]
    rows = newest_alerts(get_store(), limit=limit, messenger=args.get("messenger") or None,
                         alert_type=args.get("type") or None, tense=args.get("tense") or None,
                         mission=args.get("instrument") or None, since=args.get("since") or None,
                         before=args.get("before") or None)
    for row in rows:
        row["href"], row["event_href"] = href_for(base, row["alert"]), href_for(base, row["event_iri"])
    return rows


_LABELS = {"messenger": "skos:prefLabel", "instrument": "rdfs:label"}
"""Filter menu -> the property labelling its values."""


def _options():
    """Messengers and instruments that alerts name, for the filter menus.

    With the side index, the values and their alert counts are the index's facet counts (kept by
    every write), and one query bound to those values reads their labels; without it, one query
    over every alert.

    Returns
    -------
    dict of str to list of (str, str, int or None)
        ``messenger`` and ``instrument``: ``(IRI, label, alerts)`` by label; the count is None
        without a side index.
    """
    from rdflib import URIRef

    store = get_store()
    prefixes = ("PREFIX sw: <https://skyweave.org/ns#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
                "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ")
    out = {kind: [] for kind in _LABELS}
    if store.index is None:
        rows = store.select(prefixes + "SELECT DISTINCT ?kind ?v ?label WHERE { "
                            "{ ?a a sw:Alert ; sw:messenger ?v . ?v skos:prefLabel ?label BIND(\"messenger\" AS ?kind) } UNION "
                            "{ ?a a sw:Alert ; sw:instrument ?v . ?v rdfs:label ?label BIND(\"instrument\" AS ?kind) } } "
                            "ORDER BY ?label")
        for r in rows:
            out[str(r["kind"])].append((str(r["v"]), str(r["label"]), None))
        return out
    from skyweave.catalog.indexes.lists import facet_counts

    for kind, label in _LABELS.items():
        counts = dict(facet_counts(store.index, "alerts", kind, limit=500))
        if not counts:
            continue
        values = " ".join(URIRef(v).n3() for v in counts)
        rows = store.select(prefixes + f"SELECT DISTINCT ?v ?label WHERE {{ VALUES ?v {{ {values} }} ?v {label} ?label }}")
        out[kind] = sorted(((str(r["v"]), str(r["label"]), counts[str(r["v"])]) for r in rows),
                           key=lambda item: (item[1], item[0]))
    return out


@bp.get("/alerts/")
def index():
    """The newest alerts, filtered (HTML, or JSON for ``Accept: application/json``).

    ``before=`` (an alert's IRI) gives the next page: the alerts received before that one. The
    JSON form carries ``older`` (the link to it), or null on the last page.
    """
    args = request.args
    limit = _limit(args)
    rows = _alerts(args, limit + 1)
    query = {k: v for k, v in args.items() if k not in ("before", "since") and v}
    older = None
    if len(rows) > limit:
        rows = rows[:limit]
        older = "/alerts/?" + urlencode({**query, "before": rows[-1]["alert"]})
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify({"alerts": rows, "older": older})
    active = {k: args.get(k, "") for k in FILTERS}
    return render_page("alerts/index.html", alerts=rows, active=active, options=_options(), tenses=TENSES,
                       types=TYPES, older=older, paged=bool(args.get("before")),
                       newest_href="/alerts/" + ("?" + urlencode(query) if query else ""), section="alerts")


@bp.get("/alerts/feed.json")
def feed():
    """Alerts received at or after ``since`` (an xsd:dateTime), newest first, as JSON: what the list page polls.

    Received times are stored to the second, and the page asks with the time of the newest alert it
    shows: an alert received later in that same second must still come (the page adds each alert
    once, by its link). So ``since`` counts from one microsecond before it.
    """
    args = request.args.to_dict()
    if args.get("since"):
        args["since"] = _just_before(args["since"])
    return jsonify({"alerts": _alerts(args, _limit(args))})


def _just_before(since):
    """Return the xsd:dateTime one microsecond before ``since``, in its time zone (``since`` if it is none).

    Examples
    --------
    >>> _just_before("2026-12-03T19:58:11+00:00"), _just_before("2026-12-03T19:58:11Z"), _just_before("soon")
    ('2026-12-03T19:58:10.999999+00:00', '2026-12-03T19:58:10.999999+00:00', 'soon')
    """
    from datetime import datetime, timedelta

    try:
        return (datetime.fromisoformat(since) - timedelta(microseconds=1)).isoformat()
    except ValueError:
        return since


@bp.get("/events/<name>")
def event(name):
    """The event page; RDF clients get the event record."""
    slug, suffix = split_suffix(name)
    if choose_format(suffix) != "html":
        return detail("events", name)
    iri = record_iri("events", slug)
    store = get_store()
    graph = store.get(iri)
    base = current_app.config["BASE_IRI"]
    page = record_page(store, base, iri, graph, request.host_url.rstrip("/") + f"/events/{slug}")
    summary = event_summary(store, str(iri))
    for item in summary["alerts"] + summary["runs"] + summary["matches"]:
        for key in ("alert", "run", "target", "payload"):
            if item.get(key):
                item[key + "_href"] = href_for(base, item[key])
        for result in item.get("results", ()):
            result["href"], result["file"] = href_for(base, result["result"]), href_for(base, result["url"])
    return render_page("alerts/event.html", alternate_links(f"/events/{slug}"), page=page, summary=summary,
                       retracted=any(a["type"] == "retraction" for a in summary["alerts"]), section="alerts")


@bp.get("/events/<slug>/sky.svg")
def event_sky(slug):
    """The event's latest localisation on the sky, with its matched targets (SVG)."""
    from skyweave.alerts.picture import localization_svg
    from skyweave.alerts.skymap import read_skymap
    from skyweave.catalog.vocab import DCAT, SW

    from rdflib import URIRef

    store = get_store()
    iri = record_iri("events", slug)
    summary = event_summary(store, str(iri))
    if not summary["localization"]:
        raise NotFound("This event has no localisation yet.")
    loc = URIRef(summary["localization"])
    graph = store.get(URIRef(summary["localization"].split("#", 1)[0]))
    value = lambda p: graph.value(loc, p).toPython() if graph.value(loc, p) is not None else None  # noqa: E731
    skymap = None
    dist = graph.value(loc, DCAT.distribution)
    if dist is not None:
        digest = str(graph.value(dist, DCAT.downloadURL)).split("/files/alerts/", 1)[1].split("/")[0]
        skymap = read_skymap(_file_path(digest).read_bytes())
    ellipse = None
    if value(SW.errorSemiMajor) is not None:
        ellipse = (value(SW.errorSemiMajor), value(SW.errorSemiMinor), value(SW.errorAngle) or 0.0)
    targets = []
    for m in summary["matches"][:50]:
        t = store.get(m["target"])
        targets.append((m["label"], t.value(URIRef(m["target"]), SW.ra).toPython(), t.value(URIRef(m["target"]), SW.dec).toPython()))
    svg = localization_svg(str(store.get(iri).value(iri, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))),
                           value(SW.ra), value(SW.dec), value(SW.errorRadius), ellipse, skymap, targets)
    return current_app.response_class(svg, mimetype="image/svg+xml")


def _file_path(digest):
    from skyweave.runners.files import path_of

    try:
        path = path_of(current_app.config["DATA_DIR"], digest)
    except ValueError:
        raise NotFound("No such file.") from None
    if not path.is_file():
        raise NotFound(f"No stored file {digest}.")
    return path


@bp.get("/files/alerts/<digest>/<name>")
def alert_file(digest, name):
    """Serve a stored raw message or sky map by its SHA-256."""
    from skyweave.runners.files import media_type

    kind = media_type(name) if not name.endswith((".bin", ".avro")) else "application/octet-stream"
    return send_file(_file_path(digest), mimetype=kind, download_name=name, max_age=31536000,
                     as_attachment=kind not in ("application/json", "application/xml", "text/plain"))
