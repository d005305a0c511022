"""Read alerts and events back from the store (for the CLI and the pages).

Every query starts from what the user asked for: the page of alerts comes from the side index
(`skyweave.catalog.indexes`), an event's alerts, matches and runs from the event's IRI.
"""

import re

__all__ = ["newest_alerts", "event_alerts"]

_PREFIXES = ("PREFIX sw: <https://skyweave.org/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
             "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> ")


def _row(r):
    return {"alert": str(r["a"]), "received": str(r["received"]), "type": str(r["type"]), "tense": str(r["tense"]),
            "event": str(r["name"]), "event_iri": str(r["event"]), "title": str(r["title"]),
            "topic": str(r["topic"]), "messenger": str(r["mlabel"]) if r.get("mlabel") else None,
            "retracted": bool(r["retracted"].toPython()) if r.get("retracted") is not None else False}


_FIELDS = """?a a sw:Alert ; sw:receivedAt ?received ; sw:alertType ?type ; sw:alertTense ?tense ; sw:about ?event ;
             rdfs:label ?title ; sw:topic ?topic .
          ?event rdfs:label ?name ; sw:retracted ?retracted .
          OPTIONAL { ?a sw:messenger ?m . ?m skos:prefLabel ?mlabel }"""
"""What a listed alert shows, for alert ``?a`` (an alert without all of it is not listed)."""


def newest_alerts(store, limit=50, messenger=None, alert_type=None, tense=None, mission=None, since=None,
                  before=None):
    """Return the newest alerts first, optionally filtered.

    With the store's side index (`skyweave.catalog.indexes`), the page of alerts is a range of the
    index's ``alerts`` list (ordered by ``sw:receivedAt``, read from the newest end, filtered by its
    facets), and one SPARQL query bound to those alerts' IRIs reads what they show: the cost is
    that of ``limit`` alerts, whatever the catalog holds. Without one (a remote store), one SPARQL
    query sorts every matching alert. Both give the same alerts in the same order: received
    latest first, then by IRI, descending.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    limit : int
        Most alerts returned.
    messenger : str or None
        IRI of a messenger concept.
    alert_type, tense : str or None
    mission : str or None
        IRI of an instrument record.
    since : str or None
        Only alerts received after this xsd:dateTime (none if it is not one).
    before : str or None
        IRI of an alert: only alerts after it in this order (older ones), for the next page. An
        IRI that is no alert starts from the newest.

    Returns
    -------
    list of dict
        ``alert``, ``received``, ``type``, ``tense``, ``event``, ``event_iri``, ``title``, ``topic``,
        ``messenger``, ``retracted``.
    """
    if getattr(store, "index", None) is None:
        return _newest_by_scan(store, limit, messenger, alert_type, tense, mission, since, before)
    from skyweave.catalog.indexes.lists import read_newest

    bound = None
    if since:
        bound = _since_key(since)
        if bound is None:
            return []  # not an xsd:dateTime: the SPARQL comparison is an error, which no alert passes
    facets = {k: v for k, v in (("messenger", messenger), ("type", alert_type), ("tense", tense),
                                ("instrument", mission)) if v}
    # an alert without what the list shows is skipped, and the walk reads on
    return read_newest(store.index, "alerts", lambda iris: {i: [row] for i, row in _read(store, iris).items()},
                       int(limit), facets, before=before, since=bound)


_XSD_DATETIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def _since_key(since):
    """Return the side index's ordering key (`sort_text`) that a ``since`` bound compares with, or None.

    An alert passes ``?received > since`` when its key sorts after the returned one. A date-time
    without a time zone is compared as XML Schema orders it against one with a zone: later only if
    later in every zone, that is after ``since`` read as UTC plus 14 hours [1]_. None if ``since`` is
    no ``xsd:dateTime`` (which no alert passes).

    Parameters
    ----------
    since : str

    Returns
    -------
    str or None

    References
    ----------
    .. [1] W3C XML Schema Definition Language 1.1 Part 2, Datatypes, section 3.3.7.3 (order relation
       on dateTime), https://www.w3.org/TR/xmlschema11-2/#dateTime

    Examples
    --------
    >>> _since_key("2026-12-03T20:00:00+01:00"), _since_key("2026-12-03T19:00:00"), _since_key("yesterday")
    ('2026-12-03T19:00:00', '2026-12-04T09:00:00', None)
    """
    from datetime import datetime, timedelta, timezone

    from skyweave.catalog.indexes.extract import sort_text

    if not _XSD_DATETIME.fullmatch(since):
        return None
    try:
        when = datetime.fromisoformat(since)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc) + timedelta(hours=14)
    return sort_text(when)


def _read(store, iris):
    """Return what each of the alerts ``iris`` shows (one query bound to them), by IRI."""
    from rdflib import URIRef

    if not iris:
        return {}
    values = " ".join(URIRef(i).n3() for i in iris)
    rows = store.select(_PREFIXES + f"""
        SELECT ?a ?received ?type ?tense ?event ?name ?title ?topic ?mlabel ?retracted WHERE {{
          VALUES ?a {{ {values} }}
          {_FIELDS}
        }}""")
    return _by_alert(rows)


def _by_alert(rows):
    """Return one row per alert, by IRI, in the order the alerts first appear in ``rows``.

    An alert has several rows when it arrived on several topics (a duplicate is stored once, with
    each topic) or its messenger has several labels: the least of them (by the values shown) is
    kept, so that every path shows the same.
    """
    out = {}
    for r in rows:
        row = _row(r)
        kept = out.get(row["alert"])
        if kept is None or _rank(row) < _rank(kept):
            out[row["alert"]] = row
    return out


def _rank(row):
    return tuple("" if v is None else str(v) for v in row.values())


def _newest_by_scan(store, limit, messenger, alert_type, tense, mission, since, before):
    """`newest_alerts` by one SPARQL query over every alert (a store without a side index).

    The ``limit`` applies to alerts (a subquery), not to rows: an alert that arrived on several
    topics has a row for each.
    """
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD

    filters, bindings = [], {}
    if messenger:
        filters.append("?a sw:messenger $messenger .")
        bindings["messenger"] = URIRef(messenger)
    if mission:
        filters.append("?a sw:instrument $instrument .")
        bindings["instrument"] = URIRef(mission)
    if alert_type:
        filters.append("FILTER(STR(?type) = STR($atype))")
        bindings["atype"] = Literal(alert_type)
    if tense:
        filters.append("FILTER(STR(?tense) = STR($tense))")
        bindings["tense"] = Literal(tense)
    if since:
        filters.append("FILTER(?received > $since)")
        bindings["since"] = Literal(since, datatype=XSD.dateTime)
    if before:
        found = store.select(_PREFIXES + "SELECT ?r WHERE { $b a sw:Alert ; sw:receivedAt ?r }", b=URIRef(before))
        if found:
            filters.append("FILTER(?received < $at || (?received = $at && STR(?a) < STR($b)))")
            bindings["at"], bindings["b"] = found[0]["r"], URIRef(before)
    rows = store.select(_PREFIXES + f"""
        SELECT ?a ?received ?type ?tense ?event ?name ?title ?topic ?mlabel ?retracted WHERE {{
          {{ SELECT DISTINCT ?a ?received WHERE {{
               {_FIELDS}
               {' '.join(filters)}
             }} ORDER BY DESC(?received) DESC(?a) LIMIT {int(limit)} }}
          {_FIELDS}
        }} ORDER BY DESC(?received) DESC(?a)""", **bindings)
    return list(_by_alert(rows).values())


def event_alerts(store, event_iri):
    """Return the alerts of an event, oldest first, with their localisation summary and payload link.

    Returns
    -------
    list of dict
        ``alert``, ``received``, ``issued``, ``type``, ``tense``, ``title``, ``topic``, ``offset``, ``payload``.
    """
    from rdflib import URIRef

    rows = store.select(_PREFIXES + """
        SELECT ?a ?received ?issued ?type ?tense ?title ?topic ?offset ?payload WHERE {
          ?a sw:about $event ; sw:receivedAt ?received ; sw:alertType ?type ; sw:alertTense ?tense ; rdfs:label ?title ;
             sw:topic ?topic ; <http://www.w3.org/ns/dcat#distribution>/<http://www.w3.org/ns/dcat#downloadURL> ?payload .
          OPTIONAL { ?a prov:generatedAtTime ?issued } OPTIONAL { ?a sw:offset ?offset }
        } ORDER BY ?issued ?received""", event=URIRef(event_iri))
    return [{"alert": str(r["a"]), "received": str(r["received"]), "issued": str(r["issued"] or "") or None,
             "type": str(r["type"]), "tense": str(r["tense"]), "title": str(r["title"]), "topic": str(r["topic"]),
             "offset": r["offset"].toPython() if r.get("offset") is not None else None, "payload": str(r["payload"])}
            for r in rows]


def event_summary(store, event_iri):
    """Return what an event page shows: its alerts, the matched targets of its latest localisation,
    and the runs its alerts started with their results.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    event_iri : str

    Returns
    -------
    dict
        ``alerts`` (see `event_alerts`), ``localization`` (IRI or None), ``matches`` (list of dict:
        ``target``, ``label``, ``separation``, ``density``), ``runs`` (list of dict: ``run``, ``label``,
        ``phase``, ``alert``, ``results``: list of dict ``result``, ``label``, ``url``, ``media_type``).
    """
    from rdflib import URIRef

    event = URIRef(event_iri)
    loc = store.select(_PREFIXES + "SELECT ?l WHERE { $event sw:localization ?l }", event=event)
    localization = str(loc[0]["l"]) if loc else None
    matches = []
    if localization:
        alert = URIRef(localization.split("#", 1)[0])
        rows = store.select(_PREFIXES + """SELECT ?t ?label ?sep ?density WHERE { $alert sw:crossMatch ?m .
            ?m sw:target ?t . ?t rdfs:label ?label OPTIONAL { ?m sw:separation ?sep } OPTIONAL { ?m sw:probabilityDensity ?density } }
            ORDER BY ?sep DESC(?density)""", alert=alert)
        matches = [{"target": str(r["t"]), "label": str(r["label"]),
                    "separation": r["sep"].toPython() if r.get("sep") is not None else None,
                    "density": r["density"].toPython() if r.get("density") is not None else None} for r in rows]
    # Two queries, each from bound IRIs: the event's runs, then their results. One query with the
    # results as an OPTIONAL part is evaluated by Oxigraph over every result of the catalog.
    rows = store.select(_PREFIXES + """SELECT ?run ?label ?phase ?a WHERE {
        ?a sw:about $event . ?run prov:wasInformedBy ?a ; sw:phase ?phase ; rdfs:label ?label } ORDER BY ?run ?a""",
                        event=event)
    runs = {}
    for r in rows:
        runs.setdefault(str(r["run"]), {"run": str(r["run"]), "label": str(r["label"]), "phase": str(r["phase"]),
                                        "alert": str(r["a"]), "results": []})
    if runs:
        values = " ".join(f"<{iri}>" for iri in runs)
        for r in store.select(_PREFIXES + f"""SELECT ?run ?res ?rlabel ?url ?type WHERE {{ VALUES ?run {{ {values} }}
                ?res prov:wasGeneratedBy ?run ; rdfs:label ?rlabel ;
                     <http://www.w3.org/ns/dcat#distribution> [ <http://www.w3.org/ns/dcat#downloadURL> ?url ;
                                                            <http://www.w3.org/ns/dcat#mediaType> ?type ] }}
                ORDER BY ?run ?res"""):
            runs[str(r["run"])]["results"].append({"result": str(r["res"]), "label": str(r["rlabel"]),
                                                   "url": str(r["url"]), "media_type": str(r["type"])})
    return {"alerts": event_alerts(store, event_iri), "localization": localization, "matches": matches,
            "runs": list(runs.values())}
