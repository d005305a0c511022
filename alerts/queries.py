"""Read alerts and events back from the store (for the CLI and the pages)."""


__all__ = ["newest_alerts", "event_alerts"]

_PREFIXES = ("PREFIX sw: <https://skyweave.org/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
             "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> ")


def _row(r):
    return {"alert": str(r["a"]), "received": str(r["received"]), "type": str(r["type"]), "tense": str(r["tense"]),
            "event": str(r["name"]), "event_iri": str(r["event"]), "title": str(r["title"]),
            "topic": str(r["topic"]), "messenger": str(r["mlabel"]) if r.get("mlabel") else None,
            "retracted": bool(r["retracted"].toPython()) if r.get("retracted") is not None else False}


def newest_alerts(store, limit=50, messenger=None, alert_type=None, tense=None, mission=None, since=None):
    """Return the newest alerts first, optionally filtered.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    limit : int
    messenger : str or None
        IRI of a messenger concept.
    alert_type, tense : str or None
    mission : str or None
        IRI of an instrument record.
    since : str or None
        Only alerts received after this xsd:dateTime.

    Returns
    -------
    list of dict
        ``alert``, ``received``, ``type``, ``tense``, ``event``, ``event_iri``, ``title``, ``topic``,
        ``messenger``, ``retracted``.
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
    rows = store.select(_PREFIXES + f"""
        SELECT ?a ?received ?type ?tense ?event ?name ?title ?topic ?mlabel ?retracted WHERE {{
          ?a a sw:Alert ; sw:receivedAt ?received ; sw:alertType ?type ; sw:alertTense ?tense ; sw:about ?event ;
             rdfs:label ?title ; sw:topic ?topic .
          ?event rdfs:label ?name ; sw:retracted ?retracted .
          OPTIONAL {{ ?a sw:messenger ?m . ?m skos:prefLabel ?mlabel }}
          {' '.join(filters)}
        }} ORDER BY DESC(?received) DESC(?a) LIMIT {int(limit)}""", **bindings)
    seen, out = set(), []
    for r in rows:
        if str(r["a"]) not in seen:
            seen.add(str(r["a"]))
            out.append(_row(r))
    return out


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
    rows = store.select(_PREFIXES + """SELECT ?run ?label ?phase ?a ?res ?rlabel ?url ?type WHERE {
        ?a sw:about $event . ?run prov:wasInformedBy ?a ; sw:phase ?phase ; rdfs:label ?label .
        OPTIONAL { ?res prov:wasGeneratedBy ?run ; rdfs:label ?rlabel ;
                   <http://www.w3.org/ns/dcat#distribution> [ <http://www.w3.org/ns/dcat#downloadURL> ?url ;
                                                          <http://www.w3.org/ns/dcat#mediaType> ?type ] } }
        ORDER BY ?run ?res""", event=event)
    runs = {}
    for r in rows:
        run = runs.setdefault(str(r["run"]), {"run": str(r["run"]), "label": str(r["label"]), "phase": str(r["phase"]),
                                              "alert": str(r["a"]), "results": []})
        if r.get("res") is not None:
            run["results"].append({"result": str(r["res"]), "label": str(r["rlabel"]), "url": str(r["url"]),
                                   "media_type": str(r["type"])})
    return {"alerts": event_alerts(store, event_iri), "localization": localization, "matches": matches,
            "runs": list(runs.values())}
