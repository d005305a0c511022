"""Collection lists with facets: ``/targets/``, ``/observations/``, ``/instruments/``, ...

Each list is described once in `LISTS` (the class, the columns and the facets as SPARQL patterns)
and rendered by one view; ``?facet=value`` narrows it, ``?q=`` filters names, ``?page=`` pages.
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask import Blueprint, current_app, jsonify, request

from ...exceptions import BadRequest, NotFound
from ...pages import KIND_TITLES, format_time, href_for
from ...queries import prologue
from .. import get_store
from .records import render_page

bp = Blueprint("lists", __name__)


@dataclass(frozen=True)
class Facet:
    """A facet of a list: records grouped by one property.

    Attributes
    ----------
    name : str
        Query-string key (``?catalog=...``).
    title : str
        Heading shown above the facet's options.
    pattern : str
        SPARQL pattern binding ``?value`` (and optionally ``?valueLabel``) for record ``?s``.
    """

    name: str
    title: str
    pattern: str


@dataclass(frozen=True)
class ListSpec:
    """How one collection is listed.

    Attributes
    ----------
    cls : str
        The records' class as a prefixed name.
    columns : tuple of (str, str, str)
        ``(variable, heading, optional SPARQL pattern binding it for ?s)``.
    facets : tuple of Facet
    numeric : tuple of str
        Variables shown right-aligned.
    """

    cls: str
    columns: tuple
    facets: tuple = ()
    numeric: tuple = ()
    order: str = "?label"
    extra: dict = field(default_factory=dict)


_CATALOG = Facet("catalog", "Source catalog", "?s dcterms:source ?value . ?value dcterms:title ?valueLabel")
LISTS = {
    "targets": ListSpec(
        "sw:Target",
        (("ra", "RA (deg)", "?s sw:ra ?ra"), ("dec", "Dec (deg)", "?s sw:dec ?dec"),
         ("class", "Class", "OPTIONAL { ?s sw:objectClass ?class }")),
        (_CATALOG, Facet("class", "Class", "?s sw:objectClass ?value")),
        numeric=("ra", "dec"),
    ),
    "observations": ListSpec(
        "sw:Observation",
        (("start", "Start (UTC)", "?s prov:startedAtTime ?start"), ("live", "Live time (s)", "?s sw:liveTime ?live")),
        (Facet("target", "Target", "?s sw:target ?value . ?value rdfs:label ?valueLabel"),
         Facet("instrument", "Instrument", "?s sosa:madeBySensor ?value . ?value rdfs:label ?valueLabel")),
        numeric=("live",), order="?start",
    ),
    "instruments": ListSpec(
        "sw:Instrument",
        (("observatory", "Observatory", "OPTIONAL { ?s sosa:isHostedBy/rdfs:label ?observatory }"),),
        (Facet("messenger", "Messenger", "?s sw:messenger ?value . ?value skos:prefLabel ?valueLabel"),),
    ),
    "observatories": ListSpec("sw:Observatory", ()),
    "catalogs": ListSpec("sw:SourceCatalog", (("citation", "Citation", "OPTIONAL { ?s dcterms:bibliographicCitation ?citation }"),)),
    "workflows": ListSpec(
        "schema:ComputationalWorkflow",
        (("version", "Version", "OPTIONAL { ?s schema:version ?version }"),),
    ),
    "runs": ListSpec("sw:Run", (("start", "Start (UTC)", "OPTIONAL { ?s prov:startedAtTime ?start }"),
                                ("phase", "Phase", "?s sw:phase ?phase")),
                     (Facet("phase", "Phase", "?s sw:phase ?value"),), order="?start"),
    "results": ListSpec("sw:DataProduct", (("generated", "Generated (UTC)", "?s prov:generatedAtTime ?generated"),),
                        (Facet("type", "Product type", "?s sw:productType ?value . ?value skos:prefLabel ?valueLabel"),),
                        order="?generated"),
    "publications": ListSpec("sw:Publication", (("state", "State", "?s sw:state ?state"),)),
    "repositories": ListSpec("schema:SoftwareSourceCode", (("commit", "Commit", "?s sw:commit ?commit"),)),
    "events": ListSpec("sw:Event", (("trigger", "Trigger (UTC)", "OPTIONAL { ?s sw:triggerTime ?trigger }"),
                                    ("retracted", "Retracted", "?s sw:retracted ?retracted")),
                       (Facet("messenger", "Messenger", "?s sw:messenger ?value . ?value skos:prefLabel ?valueLabel"),
                        Facet("tense", "Tense", "?s sw:alertTense ?value"))),
    "quarantine": ListSpec("sw:QuarantinedMessage", (("received", "Received (UTC)", "?s sw:receivedAt ?received"),
                                                     ("reason", "Reason", "?s sw:reason ?reason")),
                           (Facet("topic", "Topic", "?s sw:topic ?value"),)),
    "rules": ListSpec("sw:FollowUpRule", (("enabled", "Enabled", "?s sw:enabled ?enabled"),
                                          ("workflow", "Workflow", "OPTIONAL { ?s sw:workflow/schema:name ?workflow }"))),
}
"""Collection -> how it is listed."""

_LABEL = "?s rdfs:label|schema:name|dcterms:title ?label ."


def _literal(text):
    from rdflib import Literal

    return Literal(text).n3()


def _filters(spec, args):
    """Return the SPARQL patterns of the active facets and text filter, and the active values."""
    from rdflib import URIRef

    patterns, active = [], {}
    for facet in spec.facets:
        value = args.get(facet.name)
        if value:
            term = URIRef(value).n3() if value.startswith(("http://", "https://")) else _literal(value)
            patterns.append(facet.pattern.split(" . ")[0].replace("?value", term) + " .")
            active[facet.name] = value
    q = args.get("q", "").strip()
    if q:
        patterns.append(f"FILTER(CONTAINS(LCASE(STR(?label)), LCASE({_literal(q)})))")
    return patterns, active


def list_data(collection, args):
    """Build the data of a list page.

    Parameters
    ----------
    collection : str
        A key of `LISTS`.
    args : Mapping of str to str
        Query-string arguments: facet values, ``q``, ``page``.

    Returns
    -------
    dict
        ``{title, columns, rows, total, page, pages, facets, active, q}``.

    Raises
    ------
    BadRequest
        If ``page`` is not a positive integer.
    """
    spec = LISTS[collection]
    store = get_store()
    base = current_app.config["BASE_IRI"]
    size = int(current_app.config["PAGE_SIZE"])
    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        raise BadRequest("page must be a positive integer") from None
    from ...indexes.extract import COLLECTION_CLASSES

    # The side index holds the catalog's long lists; the others (alerts' events, rules, quarantine,
    # repositories) are short and read from the store.
    if getattr(store, "index", None) is not None and collection in COLLECTION_CLASSES:
        return _indexed_list_data(collection, spec, store, base, size, page, args)
    filters, active = _filters(spec, args)
    where = f"?s a {spec.cls} . {_LABEL} " + " ".join(filters)
    total = int(store.select(prologue() + f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }}")[0]["n"])
    cols = " ".join(f"(SAMPLE(?{v}) AS ?{v}_)" for v, _, _ in spec.columns)
    patterns = " ".join(p + " ." if not p.startswith("OPTIONAL") else p for _, _, p in spec.columns)
    order = spec.order if spec.order == "?label" else f"(SAMPLE({spec.order}))"
    rows = store.select(
        prologue() + f"SELECT ?s (SAMPLE(?label) AS ?label_) {cols} WHERE {{ {where} {patterns} }} "
        f"GROUP BY ?s ORDER BY {order if order != '?label' else '(SAMPLE(?label))'} "
        f"LIMIT {size} OFFSET {(page - 1) * size}"
    )
    facets = []
    for facet in spec.facets:
        others = [f for f in spec.facets if f.name != facet.name]
        other_filters, _ = _filters(ListSpec(spec.cls, (), tuple(others)), args)
        counts = store.select(
            prologue() + f"SELECT ?value (SAMPLE(?valueLabel) AS ?vl) (COUNT(DISTINCT ?s) AS ?n) WHERE {{ "
            f"?s a {spec.cls} . {_LABEL} {' '.join(other_filters)} {facet.pattern} "
            + ("" if "?valueLabel" in facet.pattern else "BIND(STR(?value) AS ?valueLabel) ")
            + "} GROUP BY ?value ORDER BY DESC(?n) LIMIT 30"
        )
        facets.append({"name": facet.name, "title": facet.title, "options": [
            {"value": str(r["value"]), "label": str(r.get("vl", r["value"])), "count": int(r["n"]),
             "active": active.get(facet.name) == str(r["value"])}
            for r in counts
        ]})
    return {
        "collection": collection,
        "title": _plural(collection),
        "columns": [{"name": v, "title": t, "numeric": v in spec.numeric} for v, t, _ in spec.columns],
        "rows": [
            {"href": href_for(base, r["s"]), "iri": str(r["s"]), "label": str(r.get("label_", "")),
             **{v: _cell(r.get(f"{v}_")) for v, _, _ in spec.columns}}
            for r in rows
        ],
        "total": total, "page": page, "pages": max(1, -(-total // size)),
        "facets": facets, "active": active, "q": args.get("q", ""),
    }


def _indexed_list_data(collection, spec, store, base, size, page, args):
    """`list_data` from the side index: keyset pages, remembered counts, columns of the page's rows only."""
    from ...indexes import lists as ix

    index = store.index
    active = {f.name: args[f.name] for f in spec.facets if args.get(f.name)}
    q = args.get("q", "").strip()
    after, before = args.get("after") or None, args.get("before") or None
    result = ix.list_page(index, collection, active, q, size=size, after=after, before=before,
                          offset=0 if after or before else (page - 1) * size)
    rows = _columns(store, spec, result.iris)
    facets = []
    for facet in spec.facets:
        counts = ix.facet_counts(index, collection, facet.name, active, q)
        labels = _value_labels(store, facet, [v for v, _ in counts])
        facets.append({"name": facet.name, "title": facet.title, "options": [
            {"value": v, "label": labels.get(v, v), "count": n, "active": active.get(facet.name) == v}
            for v, n in counts
        ]})
    total = result.total
    return {
        "collection": collection,
        "title": _plural(collection),
        "columns": [{"name": v, "title": t, "numeric": v in spec.numeric} for v, t, _ in spec.columns],
        "rows": [
            {"href": href_for(base, iri), "iri": iri, "label": label,
             **{v: _cell(rows.get(iri, {}).get(f"{v}_")) for v, _, _ in spec.columns}}
            for iri, label in result.iris
        ],
        "total": total, "page": None if after or before else page, "pages": max(1, -(-total // size)),
        "next": result.next_after, "prev": result.prev_before,
        "facets": facets, "active": active, "q": args.get("q", ""),
    }


def _columns(store, spec, iris):
    """Fetch the columns of the listed records (one query over the page's IRIs)."""
    from rdflib import URIRef

    if not iris or not spec.columns:
        return {}
    values = " ".join(URIRef(i).n3() for i, _ in iris)
    cols = " ".join(f"(SAMPLE(?{v}) AS ?{v}_)" for v, _, _ in spec.columns)
    patterns = " ".join(f"OPTIONAL {{ {p} }}" if not p.startswith("OPTIONAL") else p for _, _, p in spec.columns)
    rows = store.select(prologue() + f"SELECT ?s {cols} WHERE {{ VALUES ?s {{ {values} }} {patterns} }} GROUP BY ?s")
    return {str(r["s"]): r for r in rows}


def _value_labels(store, facet, values):
    """Labels of a facet's values (IRIs), by the facet's label pattern."""
    from rdflib import URIRef

    iris = [v for v in values if v.startswith(("http://", "https://"))]
    if not iris or "?valueLabel" not in facet.pattern:
        return {}
    label_pattern = facet.pattern.split(" . ", 1)[1]
    rows = store.select(prologue() + "SELECT ?value (SAMPLE(?valueLabel) AS ?vl) WHERE { VALUES ?value { "
                        + " ".join(URIRef(i).n3() for i in iris) + f" }} {label_pattern} }} GROUP BY ?value")
    return {str(r["value"]): str(r["vl"]) for r in rows}


def _cell(term):
    if term is None:
        return ""
    value = term.toPython()
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, datetime):
        return format_time(term)
    return str(term)


def _plural(collection):
    return {"observatories": "Observatories", "catalogs": "Source catalogs",
            "repositories": "Notebook repositories"}.get(collection, KIND_TITLES[collection] + "s")


@bp.get("/<collection>/", strict_slashes=False)
def index(collection):
    """List the records of a collection with facets (HTML, or JSON for ``Accept: application/json``)."""
    if collection not in LISTS:
        raise NotFound(f"Nothing is published at {request.path}.")
    data = list_data(collection, request.args)
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify(data)
    return render_page("lists/index.html", data=data, section=collection)
