"""Hopskotch (SCIMMA) messages about a record, sent with hop-client, exactly once.

The message is a JSON blob mapped from the record's RDF (`publishers.drafts.report_facts`), each value's
unit in its name: ``event_name``, ``ra_deg``, ``dec_deg`` (ICRS), ``position_error_arcsec``,
``discovery_time_utc``, ``trigger_time_utc`` (an event's), ``instrument``, ``workflow`` (name, version, DOI), ``authors``, ``values`` (what
the run computed) and ``record`` (the IRI). A message without a position is refused before any call.

Exactly once: hop-client gives every message a random ``_id`` header; we pack the message with
`hop.io.Producer.pack` and give it instead the id of its publication record (a UUID recorded before
sending), produce it with ``write_raw``, and confirm it with the delivery callback and ``flush()``. A
resumed attempt reads the topic back (hop-client, from the earliest offset to the end) for a message with
that ``_id`` before producing again (``specs/external-apis.md`` §5.1, §7 F16).

References
----------
.. [1] hop-client, https://hop-client.readthedocs.io/ (``Stream``, ``Producer.pack``, ``write_raw``,
   ``flush``); ``specs/external-apis.md`` §5.1, §5.3.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from skyweave.catalog.exceptions import NotConfigured

from .drafts import report_facts
from .exactly_once import ExactlyOnce
from .outcomes import MissingMetadata, OutcomeUnknown, PublishResult, UpstreamError
from .terms import TermsCheck

__all__ = ["PreparedMessage", "HopskotchPublisher", "message_of"]


def message_of(facts):
    """Map `~publishers.drafts.ReportFacts` to a Hopskotch JSON message; return it and the missing fields.

    Examples
    --------
    >>> from skyweave.publishers.drafts import ReportFacts
    >>> message, missing = message_of(ReportFacts("http://x/results/r1", "r1", event="GRB 250101A",
    ...                                           ra_deg=83.6333, dec_deg=22.0144))
    >>> message["title"], message["ra_deg"], missing
    ('GRB 250101A: skyweave result r1', 83.6333, [])
    """
    values = dict(facts.values)
    missing = [] if facts.ra_deg is not None else \
        ["ra_deg, dec_deg: the record has no position (sw:ra, sw:dec of the record or its target)"]
    head = facts.event or facts.target or facts.title
    title = f"{head}: skyweave result {facts.title}" if facts.title != head else f"{head}: skyweave report"
    message = {"title": title, "event_name": facts.event or facts.target,
               "ra_deg": facts.ra_deg, "dec_deg": facts.dec_deg, "instrument": facts.instrument,
               "workflow": {"name": facts.workflow, "version": facts.version, "doi": facts.workflow_doi},
               "authors": facts.authors, "values": values, "record": facts.iri}
    if facts.error_radius_deg is not None:
        message["position_error_arcsec"] = facts.error_radius_deg * 3600
    elif values.get("position_error_arcsec"):
        message["position_error_arcsec"] = float(values["position_error_arcsec"])
    if values.get("discovery_time"):
        message["discovery_time_utc"] = str(values["discovery_time"])
    if facts.trigger_time:
        message["trigger_time_utc"] = facts.trigger_time
    return message, missing


@dataclass(frozen=True)
class PreparedMessage:
    """A message ready to send: ``iri``, ``topic``, ``message`` (dict)."""

    iri: str
    topic: str
    message: dict


class HopskotchPublisher(ExactlyOnce):
    """Send JSON messages to a Hopskotch topic with hop-client.

    Parameters
    ----------
    store, base
        The catalog.
    broker : str
        ``kafka://kafka.scimma.org`` (or ``kafka://127.0.0.1:9092`` for a local broker).
    topic : str
    username, password : str
        SCRAM credentials from my.hop.scimma.org; empty for a broker without authentication.
    test : bool
        Mark messages as tests (``_test`` header; readers skip them by default).
    timeout_s : float
        Longest wait for delivery and for reading back, in seconds.
    """

    service = "hopskotch"
    title = "Hopskotch"
    collections = ("results", "events", "runs")
    action = "Send the message"
    button = "Send to Hopskotch"
    options = ("topic",)

    def __init__(self, store, base, *, broker, topic, username="", password="", test=False, timeout_s=10.0):
        self.store, self.base, self.topic, self.test = store, base, topic, bool(test)
        self.broker = str(broker).rstrip("/")
        self.base_url = f"{self.broker}/{topic}"
        self._credentials = (username, password) if username else None
        self.timeout_s = timeout_s

    def __repr__(self):
        return f"HopskotchPublisher({self.base_url!r})"

    @classmethod
    def from_settings(cls, config, store, topic=None, **kwargs):
        """Build the channel from the ``HOP_*`` settings (``topic`` overrides ``HOP_TOPIC``).

        Raises
        ------
        skyweave.catalog.exceptions.NotConfigured
            Without a topic, or without credentials for a remote broker.
        """
        broker = config.get("HOP_BROKER") or "kafka://kafka.scimma.org"
        topic = topic or config.get("HOP_TOPIC")
        local = broker.startswith(("kafka://127.0.0.1", "kafka://localhost"))
        if not topic or not (local or config.get("HOP_USERNAME")):
            raise NotConfigured("Hopskotch is not configured: set SKYWEAVE_HOP_TOPIC (or --topic), "
                                "SKYWEAVE_HOP_USERNAME and SKYWEAVE_HOP_PASSWORD (SCRAM credentials from "
                                "my.hop.scimma.org).", title="Hopskotch not configured")
        publisher = cls(store, config["BASE_IRI"], broker=broker, topic=topic,
                        username=config.get("HOP_USERNAME", ""), password=config.get("HOP_PASSWORD", ""),
                        test=config.get("HOP_TEST_MESSAGES", False), **kwargs)
        publisher.terms = TermsCheck.from_settings(config, store)
        return publisher

    def prepare(self, iri):
        """Map record ``iri`` to the message (no broker call).

        Raises
        ------
        publishers.outcomes.MissingMetadata
            Naming each missing field.
        """
        message, missing = message_of(report_facts(self.store, iri))
        if missing:
            raise MissingMetadata(missing, str(iri))
        return PreparedMessage(str(iri), self.topic, message)

    def preview(self, prepared):
        """The exact JSON and where it goes."""
        return {"metadata": {"to": self.base_url, "test": self.test, "message": prepared.message}, "files": [],
                "text": None}

    def _stream(self, **kwargs):
        from hop import Stream
        from hop.auth import Auth

        auth = Auth(*self._credentials) if self._credentials else False
        return Stream(auth=auth, **kwargs)

    def _message_id(self, attempt):
        return uuid.UUID(attempt.publication.marker.rsplit(":", 1)[-1])

    def recover(self, attempt):
        """Read the topic back for a message with this publication's ``_id``."""
        if not attempt.publication.progress.get("message_id"):
            return None
        from hop.io import StartPosition

        wanted = self._message_id(attempt).bytes
        stream = self._stream(start_at=StartPosition.EARLIEST, until_eos=True)
        with stream.open(self.base_url, "r", ignoretest=False) as consumer:
            for _, metadata in consumer.read(metadata=True):
                if any(k == "_id" and v == wanted for k, v in (metadata.headers or [])):
                    return {"partition": metadata.partition, "offset": metadata.offset, "found": True}
        return None

    def send(self, attempt, remote):
        """Produce the message with our ``_id`` (unless `recover` found it) and confirm its delivery."""
        if remote is not None:
            return remote
        from hop.io import Producer
        from hop.models import JSONBlob

        message_id = self._message_id(attempt)
        packed, headers = Producer.pack(JSONBlob(attempt.prepared.message),
                                        headers={"title": attempt.prepared.message["title"]}, test=self.test)
        headers = [(k, v) for k, v in headers if k != "_id"] + [("_id", message_id.bytes)]
        attempt.step(step=f"producing _id={message_id} to {self.base_url}", message_id=str(message_id))
        results = []
        stream = self._stream()
        try:
            producer = stream.open(self.base_url, "w", produce_timeout=timedelta(seconds=self.timeout_s))
            producer.write_raw(packed, headers, delivery_callback=lambda err, msg: results.append((err, msg)))
            remaining = producer.flush(timedelta(seconds=self.timeout_s))
            producer.close()
        except Exception as exc:  # hop-client and confluent-kafka raise their own classes
            raise OutcomeUnknown(self.service, None, f"producing to {self.base_url}: {exc}") from None
        if remaining or not results:
            raise OutcomeUnknown(self.service, None, f"the message to {self.base_url} was not confirmed within "
                                                     f"{self.timeout_s:g} s")
        err, msg = results[0]
        if err is not None:
            raise UpstreamError(self.service, None, f"delivery to {self.base_url} failed: {err}")
        return {"partition": msg.partition(), "offset": msg.offset(), "message_id": str(message_id)}

    def finish(self, attempt, outcome):
        """``published`` with the message ``_id`` as the identifier."""
        message_id = attempt.publication.progress.get("message_id")
        return attempt.step("published", identifier=message_id, delivered=outcome, error=None,
                            step=f"delivered _id={message_id} at {self.topic}/{outcome['partition']}/{outcome['offset']}"
                                 + (" (found on the topic)" if outcome.get("found") else ""))

    def result(self, pub, reused=False):
        """The message id and the topic."""
        return PublishResult(self.service, pub.identifier, self.base_url,
                             f"<{pub.target}>: Hopskotch message {pub.identifier} on {self.topic}"
                             + (" (sent before)." if reused else "."), publication=pub.iri, reused=reused)
