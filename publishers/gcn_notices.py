"""GCN Kafka notices about a record, on our own topic, built from the unified schema's core blocks, exactly once.

The notice is JSON mapped from the record's RDF (`publishers.drafts.report_facts`) into the core blocks
Alert, Event, Reporter, DateTime, Localization and AdditionalInfo, with a versioned ``$schema``; it is
validated against ``@nasa-gcn/schema`` (`publishers.gcn_schema`) before anything is produced, and a
notice that breaks it is refused with each violation named.

=====================================  ===============================================================
notice field                           from
=====================================  ===============================================================
``event_name``                         the event named by the record or its target (else the target)
``id``, ``data_archive_page``          the record's slug and IRI
``ra``, ``dec`` (deg, ICRS)            ``sw:ra``/``sw:dec`` of the record or its target
``ra_dec_error`` (deg)                 an event's error radius, else run value ``position_error_arcsec`` / 3600
``trigger_time``                       an event's trigger time, else run value ``discovery_time`` (UTC)
``containment_probability``            an event's localisation containment (with ``ra_dec_error``)
``observation_start``, ``_stop``       run values of those names (UTC)
``mission``, ``instrument``            ``"skyweave"`` (the reporter) and the workflow's instrument
``alert_datetime``                     when the notice was drafted (UTC)
``additional_info``                    the workflow, its version and DOI
=====================================  ===============================================================

Exactly once: the message key (the publication's marker) is recorded before producing; delivery is
confirmed by the delivery callback and ``flush()``; a resumed attempt reads the topic back for that key
before producing again (§7 F16).

References
----------
.. [1] GCN Kafka, https://gcn.nasa.gov/docs/notices/producers ; gcn-kafka-python; ``specs/external-apis.md``
   §4.1, §4.3, §7 F16.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from skyweave.catalog.exceptions import NotConfigured

from .drafts import report_facts
from .exactly_once import ExactlyOnce
from .gcn_schema import NOTICE_SCHEMA_ID, notice_problems, notice_validator
from .kafka_delivery import deliver, find_message, new_group_id
from .outcomes import MissingMetadata, PublishResult
from .terms import TermsCheck

__all__ = ["PreparedNotice", "GcnNoticePublisher", "notice_of"]


def _utc(text):
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    value = value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def notice_of(facts, now=None):
    """Map `~publishers.drafts.ReportFacts` to a notice (a dict); return it with the list of missing fields.

    Examples
    --------
    >>> from skyweave.publishers.drafts import ReportFacts
    >>> notice, missing = notice_of(ReportFacts("http://x/results/r1", "r1", target="Crab Nebula"),
    ...                             now="2026-03-01T00:00:00Z")
    >>> notice["event_name"], missing
    ('Crab Nebula', ['ra, dec: the record has no position (sw:ra, sw:dec of the record or its target)'])
    """
    values = dict(facts.values)
    missing = []
    notice = {"$schema": NOTICE_SCHEMA_ID, "alert_datetime": _utc(now or datetime.now(timezone.utc).isoformat()),
              "alert_tense": "current" if facts.event else "archival", "alert_type": "initial",
              "event_name": facts.event or facts.target or facts.title,
              "id": [facts.iri.rstrip("/").rsplit("/", 1)[-1]], "data_archive_page": facts.iri,
              "mission": "skyweave"}
    if facts.instrument:
        notice["instrument"] = facts.instrument
    if facts.ra_deg is None:
        missing.append("ra, dec: the record has no position (sw:ra, sw:dec of the record or its target)")
    else:
        notice["ra"], notice["dec"] = round(facts.ra_deg, 6), round(facts.dec_deg, 6)
    if facts.error_radius_deg is not None:
        notice["ra_dec_error"] = round(facts.error_radius_deg, 8)
    elif values.get("position_error_arcsec"):
        notice["ra_dec_error"] = round(float(values["position_error_arcsec"]) / 3600, 8)
    if facts.containment is not None and "ra_dec_error" in notice:
        notice["containment_probability"] = facts.containment
    if facts.trigger_time or values.get("discovery_time"):
        notice["trigger_time"] = _utc(facts.trigger_time or values["discovery_time"])
    for key in ("observation_start", "observation_stop"):
        if values.get(key):
            notice[key] = _utc(values[key])
    info = f"skyweave analysis of {facts.target or facts.title}"
    if facts.workflow:
        info += f" with the workflow {facts.workflow}" + (f" version {facts.version}" if facts.version else "")
    if facts.workflow_doi:
        info += f" (doi:{facts.workflow_doi})"
    notice["additional_info"] = info + "."
    return notice, missing


@dataclass(frozen=True)
class PreparedNotice:
    """A notice ready to produce: ``iri``, ``topic``, ``notice`` (dict) and its JSON ``value`` (bytes)."""

    iri: str
    topic: str
    notice: dict
    value: bytes


class GcnNoticePublisher(ExactlyOnce):
    """Produce JSON notices to a GCN Kafka topic (or a local Kafka-protocol broker).

    Parameters
    ----------
    store, base
        The catalog.
    topic : str
        ``gcn.notices.<mission>.<notice_type>`` (producing needs GCN's permission for the prefix).
    schema_dir : str
        Folder of the npm package ``@nasa-gcn/schema``.
    kafka_config : dict
        Extra client configuration; ``{"bootstrap.servers": "127.0.0.1:9092", "security.protocol":
        "plaintext"}`` for a local broker.
    client_id, client_secret, domain : str
        GCN credentials and domain (``test.gcn.nasa.gov``); unused with a local broker.
    timeout_s : float
        Longest wait for delivery and for reading back, in seconds.
    """

    service = "gcn-notices"
    title = "GCN Kafka notice"
    collections = ("results", "events", "runs")
    action = "Produce the notice"
    button = "GCN notice"

    def __init__(self, store, base, *, topic, schema_dir, kafka_config=None, client_id=None, client_secret=None,
                 domain="test.gcn.nasa.gov", timeout_s=10.0):
        self.store, self.base, self.topic = store, base, topic
        self.validator = notice_validator(schema_dir)
        self.kafka_config = dict(kafka_config or {})
        self._credentials = {"client_id": client_id or None, "client_secret": client_secret or None,
                             "domain": domain}
        self.timeout_s = timeout_s
        where = self.kafka_config.get("bootstrap.servers") or f"kafka.{domain}"
        self.base_url = f"kafka://{where}/{topic}"

    def __repr__(self):
        return f"GcnNoticePublisher({self.base_url!r})"

    @classmethod
    def from_settings(cls, config, store, **kwargs):
        """Build the channel from the ``GCN_KAFKA_*``, ``GCN_NOTICE_TOPIC`` and ``GCN_SCHEMA_DIR`` settings.

        Raises
        ------
        skyweave.catalog.exceptions.NotConfigured
            Without credentials or a broker, or without the schema package.
        """
        bootstrap = config.get("GCN_KAFKA_BOOTSTRAP")
        if not bootstrap and not (config.get("GCN_KAFKA_CLIENT_ID") and config.get("GCN_KAFKA_CLIENT_SECRET")):
            raise NotConfigured("GCN notices are not configured: set SKYWEAVE_GCN_KAFKA_CLIENT_ID and "
                                "SKYWEAVE_GCN_KAFKA_CLIENT_SECRET (GCN client credentials with producer rights), or "
                                "SKYWEAVE_GCN_KAFKA_BOOTSTRAP for a local broker.", title="GCN notices not configured")
        kafka = {"bootstrap.servers": bootstrap, "security.protocol": "plaintext"} if bootstrap else {}
        publisher = cls(store, config["BASE_IRI"], topic=config["GCN_NOTICE_TOPIC"],
                        schema_dir=config.get("GCN_SCHEMA_DIR"), kafka_config=kafka,
                        client_id=config.get("GCN_KAFKA_CLIENT_ID"), client_secret=config.get("GCN_KAFKA_CLIENT_SECRET"),
                        domain=config.get("GCN_KAFKA_DOMAIN") or "test.gcn.nasa.gov", **kwargs)
        publisher.terms = TermsCheck.from_settings(config, store)
        return publisher

    def prepare(self, iri):
        """Map record ``iri`` to a notice and validate it against the schema (no broker call).

        Raises
        ------
        publishers.outcomes.MissingMetadata
            Naming each missing field and each schema violation.
        """
        notice, problems = notice_of(report_facts(self.store, iri))
        if not problems:
            problems = [f"schema: {p}" for p in notice_problems(self.validator, notice)]
        if problems:
            raise MissingMetadata(problems, str(iri))
        return PreparedNotice(str(iri), self.topic, notice, json.dumps(notice, sort_keys=True).encode())

    def preview(self, prepared):
        """The exact JSON and where it goes."""
        return {"metadata": {"to": self.base_url, "notice": prepared.notice}, "files": [], "text": None}

    def _client(self, kind, **extra):
        import gcn_kafka

        config = {**self.kafka_config, **extra}
        if kind == "producer":
            return gcn_kafka.Producer(config=config, **self._credentials)
        return gcn_kafka.Consumer(config=config, **self._credentials)

    def recover(self, attempt):
        """Read the topic back for this publication's key before producing again."""
        key = attempt.publication.progress.get("message_key")
        if not key:
            return None
        consumer = self._client("consumer", **{"group.id": new_group_id(), "enable.auto.commit": False})
        found = find_message(consumer, self.topic, lambda m: m.key() == key.encode(), self.timeout_s)
        return None if found is None else {"partition": found.partition(), "offset": found.offset(), "found": True}

    def send(self, attempt, remote):
        """Produce the notice (unless `recover` found it) and confirm its delivery."""
        if remote is not None:
            return remote
        key = attempt.publication.marker
        attempt.step(step=f"producing key={key} to {self.topic}", message_key=key)
        partition, offset = deliver(self._client("producer"), self.topic, attempt.prepared.value,
                                    key=key.encode(), service=self.service, timeout_s=self.timeout_s)
        return {"partition": partition, "offset": offset}

    def finish(self, attempt, outcome):
        """``published`` with ``<topic>/<partition>/<offset>`` as the identifier."""
        where = f"{self.topic}/{outcome['partition']}/{outcome['offset']}"
        return attempt.step("published", identifier=where, delivered=outcome, error=None,
                            step=f"delivered {where}" + (" (found on the topic)" if outcome.get("found") else ""))

    def result(self, pub, reused=False):
        """Where the notice is on the topic."""
        return PublishResult(self.service, pub.identifier, self.base_url,
                             f"<{pub.target}>: notice at {pub.identifier}" + (" (sent before)." if reused else "."),
                             publication=pub.iri, reused=reused)
