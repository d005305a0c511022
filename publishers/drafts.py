"""Facts of a record for reports (circulars, notices, TNS, Hopskotch), read from its RDF, and the circular draft.

`report_facts` reads any record (a result, an event, a run) and what it links to with PROV-O: the run
that generated it, the workflow version the run used, the workflow's instrument and target, the people
(the run's ``prov:Person`` agents, the workflow's ``schema:creator``), the parameter values with their
units, the values the run computed (``schema:result``), the workflow's DOI, and an event name found in
any of their labels. An event (``sw:Event``) gives its own name, trigger time, reporting instruments and
latest localisation (position and error radius). `draft_circular` renders them with the Jinja2 template
``templates/reports/circular.txt`` in GCN's style; the user edits the draft before sending.

References
----------
.. [1] GCN Circulars style guide, https://gcn.nasa.gov/docs/circulars/styleguide (subject starting with
   the event name, fewer than 60 lines, references as "J. Doe et al., GCN Circ. 27000").
"""

from dataclasses import dataclass, field

import jinja2
from rdflib import Literal, URIRef

from skyweave.catalog.resources import bundled
from skyweave.catalog.vocab import DCTERMS, ODA, PROV, RDF, RDFS, SDO, SW
from skyweave.runners.provenance import workflow_of

from . import records
from .circular_rules import event_name

__all__ = ["ReportFacts", "report_facts", "draft_circular", "CIRCULAR_SERVICE"]

CIRCULAR_SERVICE = "gcn-circulars"
"""``sw:service`` of circular publications (also read here for references to earlier circulars)."""


@dataclass
class ReportFacts:
    """What a report says about a record, every value with its unit.

    Attributes
    ----------
    iri : str
        The record.
    title : str
        Its label.
    event : str or None
        An event name (``GRB 250101A``, ``S250101ab``) found in the record's, run's, target's or parameters' text.
    target : str or None
        The target's label (or the ``source_name`` parameter).
    ra_deg, dec_deg : float or None
        ICRS position in degrees: the workflow target's (``sw:ra``/``sw:dec``), else the run's ``ra`` and
        ``dec`` parameters in degrees, else the record's own or its localisation's (an event).
    instrument : str or None
        The workflow's instrument label(s), joined with " and ".
    workflow, version, workflow_doi : str or None
        The workflow version's name, version and DOI.
    started, ended : str or None
        The run's UTC start and end (``YYYY-MM-DDTHH:MM:SSZ``).
    parameters : list of (str, str)
        ``(name, "value unit")``.
    values : list of (str, str)
        The run's computed values ``(name, value)``.
    authors : list of str
        The run's people, then the workflow's creators, without repeats.
    earlier : list of str
        Earlier circulars about the same event held by the catalog ("J. Doe et al., GCN Circ. 40000").
    trigger_time : str or None
        An event's trigger time, UTC, as the alert wrote it (``sw:triggerTimeText``).
    error_radius_deg : float or None
        Radius in degrees of an event's localisation error circle (``sw:errorRadius``).
    containment : float or None
        Probability that the event lies inside that circle (``sw:containmentProbability``, 0-1).
    matches : list of (str, float or None)
        An event's catalogued targets inside its latest localisation (at most 10, nearest first): label and
        separation from the localisation's centre in degrees.
    """

    iri: str
    title: str
    event: str | None = None
    target: str | None = None
    ra_deg: float | None = None
    dec_deg: float | None = None
    instrument: str | None = None
    workflow: str | None = None
    version: str | None = None
    workflow_doi: str | None = None
    started: str | None = None
    ended: str | None = None
    parameters: list = field(default_factory=list)
    values: list = field(default_factory=list)
    authors: list = field(default_factory=list)
    earlier: list = field(default_factory=list)
    trigger_time: str | None = None
    error_radius_deg: float | None = None
    containment: float | None = None
    matches: list = field(default_factory=list)


def _text(graph, node, *predicates):
    for predicate in predicates:
        value = graph.value(node, predicate)
        if value is not None:
            return str(value)
    return None


def _unit_label(graph, node):
    from skyweave.runners.params import astropy_unit

    unit = graph.value(node, ODA.unit)
    if unit is None:
        return ""
    try:
        return " " + astropy_unit(unit).to_string()
    except (KeyError, ValueError):
        return " " + str(unit).rsplit("#", 1)[-1]


def _get(store, iri):
    return store.get(URIRef(iri)) if iri is not None and store.exists(URIRef(iri)) else None


def report_facts(store, iri):
    """Read the facts of record ``iri`` for a report (see `ReportFacts`).

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    iri : str
        Any record: a result, an event, a run.

    Returns
    -------
    ReportFacts

    Raises
    ------
    skyweave.catalog.exceptions.NotFound
        If there is no record ``iri``.
    """
    iri = URIRef(iri)
    graph = store.get(iri)
    facts = ReportFacts(str(iri), _text(graph, iri, RDFS.label, SDO.name) or str(iri))
    texts = [facts.title]
    if SW.Event in set(graph.objects(iri, RDF.type)):
        _event_facts(store, graph, iri, facts)
    run = graph.value(iri, PROV.wasGeneratedBy) if SW.Run not in set(graph.objects(iri, RDF.type)) else iri
    run_graph = _get(store, run)
    wf, wf_graph = None, None
    if run_graph is not None:
        facts.started = _text(run_graph, run, PROV.startedAtTime)
        facts.ended = _text(run_graph, run, PROV.endedAtTime)
        for agent in run_graph.objects(run, PROV.wasAssociatedWith):
            if (agent, RDF.type, PROV.Person) in run_graph:
                facts.authors.append(_text(run_graph, agent, SDO.name))
        for node in sorted(run_graph.objects(run, SDO.result)):
            # The runners' convention (runners.values): an uncertainty is the value "X_err", an upper
            # limit "X_ul"; each keeps its lexical form, at full precision.
            name = _text(run_graph, node, SDO.name)
            for suffix, prop in (("", SDO.value), ("_err", SW.uncertainty), ("_ul", SDO.maxValue)):
                if run_graph.value(node, prop) is not None:
                    facts.values.append((name + suffix, _text(run_graph, node, prop)))
        wf = workflow_of(run_graph, run)
        wf_graph = _get(store, wf)
    if wf_graph is not None:
        facts.workflow, facts.version = _text(wf_graph, wf, SDO.name), _text(wf_graph, wf, SDO.version)
        facts.workflow_doi = _text(wf_graph, wf, SDO.identifier)
        for creator in wf_graph.objects(wf, SDO.creator):
            facts.authors.append(_text(wf_graph, creator, SDO.name) or str(creator))
        instruments = [_text(_get(store, i) or wf_graph, i, RDFS.label, SDO.name) or str(i)
                       for i in sorted(wf_graph.objects(wf, SW.instrument))]
        facts.instrument = " and ".join(instruments) or None
        target = wf_graph.value(wf, SW.target)
        target_graph = _get(store, target)
        if target_graph is not None:
            facts.target = _text(target_graph, target, RDFS.label, SDO.name)
            ra, dec = target_graph.value(target, SW.ra), target_graph.value(target, SW.dec)
            facts.ra_deg = float(ra) if ra is not None else None
            facts.dec_deg = float(dec) if dec is not None else None
    if run_graph is not None:
        position = {}
        for node in run_graph.objects(run, SW.parameterValue):
            parameter = run_graph.value(node, SW.parameter)
            name = str(parameter).rsplit("#param-", 1)[-1]
            value = _text(run_graph, node, SDO.value)
            unit = _unit_label(wf_graph, parameter) if wf_graph is not None else ""
            facts.parameters.append((name, f"{value}{unit}"))
            texts.append(value)
            if name in ("source_name", "target") and not facts.target:
                facts.target = value
            if name in ("ra", "dec") and unit.strip() in ("deg", ""):
                position[name] = value
        facts.parameters.sort()
        if facts.ra_deg is None and len(position) == 2:  # the run's own sky position (ICRS, deg)
            try:
                facts.ra_deg, facts.dec_deg = float(position["ra"]), float(position["dec"])
            except ValueError:
                pass
    if facts.ra_deg is None:
        ra, dec = graph.value(iri, SW.ra), graph.value(iri, SW.dec)
        facts.ra_deg = float(ra) if ra is not None else None
        facts.dec_deg = float(dec) if dec is not None else None
    texts += [facts.target or "", _text(graph, iri, DCTERMS.identifier, SDO.alternateName) or ""]
    facts.event = facts.event or next((e for e in map(event_name, texts) if e), None)
    facts.authors = list(dict.fromkeys(a for a in facts.authors if a))
    facts.earlier = _earlier(store, facts.event, str(iri))
    return facts


def _event_facts(store, graph, iri, facts):
    """Fill an event's name, trigger time, instruments and latest localisation into ``facts``."""
    facts.event = facts.title
    facts.trigger_time = _text(graph, iri, SW.triggerTimeText)
    instruments = [_text(_get(store, i) or graph, i, RDFS.label, SDO.name) or str(i)
                   for i in sorted(graph.objects(iri, SW.instrument))]
    facts.instrument = " and ".join(instruments) or None
    loc = graph.value(iri, SW.localization)
    loc_graph = _get(store, str(loc).split("#", 1)[0]) if loc is not None else None
    if loc_graph is None:
        return
    number = lambda p: float(loc_graph.value(loc, p)) if loc_graph.value(loc, p) is not None else None  # noqa: E731
    facts.ra_deg, facts.dec_deg = number(SW.ra), number(SW.dec)
    facts.error_radius_deg, facts.containment = number(SW.errorRadius), number(SW.containmentProbability)
    alert = URIRef(str(loc).split("#", 1)[0])
    rows = store.select("PREFIX sw: <https://skyweave.org/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                        "SELECT ?label ?sep WHERE { $alert sw:crossMatch ?m . ?m sw:target ?t . ?t rdfs:label ?label "
                        "OPTIONAL { ?m sw:separation ?sep } } ORDER BY ?sep ?label LIMIT 10", alert=alert)
    facts.matches = [(str(r["label"]), float(r["sep"]) if r.get("sep") is not None else None) for r in rows]


def _earlier(store, event, iri):
    """Earlier circulars about ``event`` that this catalog sent ("Skyweave et al., GCN Circ. 40001")."""
    if not event:
        return []
    rows = store.select(
        "PREFIX sw: <https://skyweave.org/ns#> PREFIX schema: <https://schema.org/> "
        "SELECT ?p WHERE { ?p a sw:Publication ; sw:service ?s ; schema:identifier ?id "
        "FILTER(STR(?s) = $service) }", service=Literal(CIRCULAR_SERVICE))
    out = []
    for row in rows:
        pub = records.get(store, row["p"])
        if pub.target != iri and event in (pub.progress.get("subject") or ""):
            out.append(f"{pub.progress.get('first_author') or 'skyweave'} et al., GCN Circ. {pub.identifier}")
    return sorted(out)


def _environment():
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(bundled("templates"))), autoescape=False,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)


def draft_circular(facts):
    """Draft a GCN Circular (subject and plain-text body) from `ReportFacts`.

    Parameters
    ----------
    facts : ReportFacts

    Returns
    -------
    subject, body : str
        The subject starts with the event name (else the target); the body ends with the record's IRI,
        which is also how a resumed submission finds the circular in the archive.
    """
    head = facts.event or facts.target or facts.title
    what = facts.workflow or (facts.title if facts.title != head else "follow-up")
    subject = f"{head}: {facts.instrument + ' ' if facts.instrument else ''}{what} with skyweave"
    body = _environment().get_template("reports/circular.txt").render(f=facts, subject=subject)
    return subject, body
