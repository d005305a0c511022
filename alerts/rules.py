"""Follow-up rules: alerts that match a rule start its workflow, with provenance back to the alert.

A rule (``sw:FollowUpRule`` record) names a workflow, match criteria (alert types, tenses,
messengers, instruments, topic prefixes, a SPARQL ASK over the alert) and how the alert's fields
become parameter values. `RuleEngine.fire` looks at the alerts a batch stored (and at redelivered
ones whose rules had not fired yet, e.g. after a crash between storing and firing), so a rule fires
once per event revision. Only ``current`` alerts start runs. A retraction aborts the queued or
executing runs of its event.
"""

import logging
import math
from dataclasses import dataclass, field
from datetime import timedelta

from rdflib import URIRef

from skyweave.catalog.vocab import SDO, SW

from .askscope import bounded_to_alert
from .records import MESSENGERS
from .skymap import read_skymap
from .times import xsd_datetime

__all__ = ["Rule", "load_rules", "rule_matches", "parameter_values", "RuleEngine"]

log = logging.getLogger(__name__)

_P = ("PREFIX sw: <https://skyweave.org/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
      "PREFIX prov: <http://www.w3.org/ns/prov#> ")


@dataclass
class Rule:
    """A follow-up rule as read from its record.

    Attributes
    ----------
    iri, label, workflow : str
    enabled : bool
    types, tenses, topics : set of str
        Empty means any (tenses: ``{"current"}``).
    messengers, instruments : set of str
        IRIs; empty means any.
    ask : str or None
        SPARQL ASK with ``$alert``.
    mappings : list of (str, str or None, object, float)
        ``(parameter, alert field, constant value, offset in seconds)``.
    """

    iri: str
    label: str
    workflow: str
    enabled: bool = True
    types: set = field(default_factory=set)
    tenses: set = field(default_factory=lambda: {"current"})
    topics: set = field(default_factory=set)
    messengers: set = field(default_factory=set)
    instruments: set = field(default_factory=set)
    ask: str | None = None
    mappings: list = field(default_factory=list)


def load_rules(store):
    """Read every follow-up rule of the store.

    Returns
    -------
    list of Rule
    """
    rows = store.select(_P + "SELECT ?r WHERE { ?r a sw:FollowUpRule }")
    rules = []
    for row in rows:
        iri = row["r"]
        g = store.get(iri)
        rule = Rule(str(iri), str(g.value(iri, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))),
                    str(g.value(iri, SW.workflow)), bool(g.value(iri, SW.enabled).toPython()))
        rule.types = {str(o) for o in g.objects(iri, SW.alertType)}
        rule.tenses = {str(o) for o in g.objects(iri, SW.alertTense)} or {"current"}
        rule.topics = {str(o) for o in g.objects(iri, SW.topic)}
        rule.messengers = {str(o) for o in g.objects(iri, SW.messenger)}
        rule.instruments = {str(o) for o in g.objects(iri, SW.instrument)}
        ask = g.value(iri, SW.matchQuery)
        rule.ask = str(ask) if ask else None
        for m in g.objects(iri, SW.parameterMapping):
            value, offset = g.value(m, SDO.value), g.value(m, SW.offsetSeconds)
            rule.mappings.append((str(g.value(m, SW.parameterName)), str(g.value(m, SW.alertField) or "") or None,
                                  value.toPython() if value is not None else None,
                                  float(offset.toPython()) if offset is not None else 0.0))
        rules.append(rule)
    return rules


def rule_matches(rule, alert, store, instruments=()):
    """Return True if a stored alert matches a rule's criteria.

    Parameters
    ----------
    rule : Rule
    alert : skyweave.alerts.intake.NewAlert
    store : skyweave.catalog.store.Store
        For the ASK query: over the alert's own record when that gives the catalog's answer
        (`skyweave.alerts.askscope.bounded_to_alert`), else through `Store.query`.
    instruments : iterable of str
        The alert's instrument IRIs.
    """
    p = alert.parsed
    if not rule.enabled or p.tense not in rule.tenses & {"current", "archival"}:  # never test or injection
        return False
    if rule.types and p.alert_type not in rule.types:
        return False
    if rule.messengers and str(MESSENGERS.get(p.messenger, "")) not in rule.messengers:
        return False
    if rule.instruments and not rule.instruments & {str(i) for i in instruments}:
        return False
    if rule.topics and not any(alert.message.topic.startswith(t) for t in rule.topics):
        return False
    if rule.ask:
        query = rule.ask.replace("$alert", f"<{alert.iri}>")
        try:
            if bounded_to_alert(rule.ask):  # answered by the alert's own record, in this process
                return store.ask(query, graphs=[alert.iri])
            return bool(store.query(query).value)
        except Exception as exc:  # a broken query disables the rule, loudly
            log.warning("rule %s: its ASK query failed (%s); not fired", rule.iri, exc)
            return False
    return True


def parameter_values(rule, alert):
    """Map an alert's fields onto a rule's workflow parameters.

    Returns
    -------
    dict of str to object

    Raises
    ------
    KeyError
        If the alert lacks a field the rule needs (no position, no trigger time).
    """
    p, loc = alert.parsed, alert.parsed.localization
    values = {}
    for name, field_name, constant, offset in rule.mappings:
        if field_name is None:
            values[name] = constant
        elif field_name in ("ra", "dec"):
            if loc is None or loc.ra is None:
                raise KeyError(f"{field_name}: the alert has no position")
            values[name] = getattr(loc, field_name)
        elif field_name == "radius":
            if loc is None:
                raise KeyError("radius: the alert has no localisation")
            if loc.radius is not None:
                values[name] = f"{loc.radius} deg"
            elif loc.ellipse is not None:
                values[name] = f"{loc.ellipse[0]} deg"
            elif loc.skymap is not None:
                values[name] = f"{math.sqrt(read_skymap(loc.skymap).area(0.9) / math.pi):.4f} deg"
            else:
                raise KeyError("radius: the alert has no error region")
        elif field_name == "trigger_time":
            if p.trigger_time is None:
                raise KeyError("trigger_time: the alert has none")
            values[name] = xsd_datetime(p.trigger_time[0] + timedelta(seconds=offset))
        elif field_name == "event_name":
            values[name] = p.event_name
        elif field_name == "alert":
            values[name] = alert.iri
    return values


class RuleEngine:
    """Fires the store's follow-up rules for the alerts of each batch.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    jobs : skyweave.runners.jobs.JobManager
    """

    def __init__(self, store, jobs):
        self.store, self.jobs = store, jobs

    def _retracted(self, events):
        """Return the events (of ``events``) that a retraction withdrew: their alerts start nothing."""
        if not events:
            return set()
        values = " ".join(f"<{e}>" for e in events)
        rows = self.store.select(_P + f"SELECT ?e WHERE {{ VALUES ?e {{ {values} }} ?e sw:retracted true }}")
        return {str(r["e"]) for r in rows}

    def _fired(self, pairs):
        """Return the (alert, rule) pairs that already have a run."""
        if not pairs:
            return set()
        values = " ".join(f"(<{a}> <{r}>)" for a, r in pairs)
        rows = self.store.select(_P + f"SELECT ?a ?r WHERE {{ VALUES (?a ?r) {{ {values} }} "
                                      "?run prov:wasInformedBy ?a ; prov:wasInfluencedBy ?r }")
        return {(str(x["a"]), str(x["r"])) for x in rows}

    def fire(self, report, instruments_of=lambda alert: ()):
        """Start the runs the rules ask for; abort the runs of retracted events.

        Parameters
        ----------
        report : skyweave.alerts.intake.IntakeReport
        instruments_of : callable
            ``alert -> instrument IRIs``.

        Returns
        -------
        list of (str, str, skyweave.runners.jobs.Submission)
            Rule, alert and the submission of each run requested.
        """
        alerts = list(report.stored) + list(report.redelivered)
        for alert in alerts:
            if alert.parsed.alert_type == "retraction":
                self.abort_event_runs(alert.event)
        rules = [r for r in load_rules(self.store) if r.enabled] if alerts else []
        retracted = self._retracted({a.event for a in alerts})
        candidates = [(r, a) for a in alerts for r in rules if a.parsed.alert_type != "retraction"
                      and a.event not in retracted and rule_matches(r, a, self.store, instruments_of(a))]
        done = self._fired([(a.iri, r.iri) for r, a in candidates])
        submitted = []
        for rule, alert in candidates:
            if (alert.iri, rule.iri) in done:
                continue
            try:
                values = parameter_values(rule, alert)
                submission = self.jobs.submit(rule.workflow, values, user=f"rule: {rule.label}",
                                              informed_by=alert.iri, plan=rule.iri)
            except Exception as exc:  # a bad mapping or value must not stop the stream
                log.warning("rule %s did not fire for %s: %s", rule.iri, alert.iri, exc)
                continue
            submitted.append((rule.iri, alert.iri, submission))
        return submitted

    def abort_event_runs(self, event_iri):
        """Abort the queued or executing runs requested for alerts of an event; return their IRIs."""
        rows = self.store.select(_P + "SELECT DISTINCT ?run WHERE { ?a sw:about $event . ?run prov:wasInformedBy ?a ; "
                                      "sw:phase ?phase FILTER(STR(?phase) IN (\"QUEUED\", \"EXECUTING\")) }",
                                 event=URIRef(event_iri))
        aborted = []
        for row in rows:
            self.jobs.abort(str(row["run"]), privileged=True)  # the service itself, not a client
            aborted.append(str(row["run"]))
        return aborted
