"""The intake pipeline: messages in, alert, event and quarantine records out, in one write per batch.

`Intake.process` reads a batch of messages, leaves out those whose alert is already stored (Kafka
delivers at least once), recognises the same notice from two streams (same content, or the same
`~skyweave.alerts.model.notice_key` in another format) and records the other stream as one more
``sw:origin`` of the one alert (a new version when the alert was stored before), cross-matches the new alerts
with the catalogued targets, folds them into their events, and stores alerts, events and
quarantined messages in one validated write (`Store.put_triples`): the batch is stored whole or not
at all, and an event record it replaces keeps its earlier content as a version. Only after that
may a Kafka listener commit its offsets. The work comes in two steps: `Intake.prepare` (parsing,
schemas, sky maps, cross-match, building the records and writing their files: nothing the intake
writes is read) and `Intake.complete` (the rest), so a listener prepares one batch while it stores
the one before.

Records are built as plain triples (`skyweave.catalog.terms`) and checked by the check compiled
from the shapes (`skyweave.catalog.fastcheck.validate_triples`); pySHACL sees only the records
that check does not pass, and writes the report with which they are quarantined.
"""

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef

from skyweave.catalog import fastcheck
from skyweave.catalog.vocab import PROV, SW
from skyweave.runners.files import FileBatch

from . import Message
from .crossmatch import TargetIndex
from .model import Unusable, notice_key
from .parse import MAX_BYTES, parse_message
from .records import (EventState, add_origin, alert_iri, alert_triples, event_iri, event_state_from_graph,
                      event_triples, instrument_slugs, origin_triples, quarantine_triples)
from .skymap import read_skymap

__all__ = ["NewAlert", "IntakeReport", "PreparedBatch", "Intake", "replay_messages"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewAlert:
    """An alert stored by this batch (what follow-up rules look at).

    Attributes
    ----------
    iri, event : str
        The alert and its event.
    parsed : skyweave.alerts.model.ParsedAlert
    message : skyweave.alerts.Message
    matches : tuple of skyweave.alerts.crossmatch.Match
    """

    iri: str
    event: str
    parsed: object
    message: Message
    matches: tuple = ()


@dataclass
class IntakeReport:
    """What one batch did.

    Attributes
    ----------
    stored : list of NewAlert
    redelivered : list of NewAlert
        Alerts already stored before this batch that arrived again (their rules may not have fired).
    duplicates : int
        Messages whose alert was already stored (or came twice in the batch).
    quarantined : list of (str, str)
        IRI and reason of each quarantined message.
    events : list of str
        Events written.
    fired : list of (str, str, skyweave.runners.jobs.Submission)
        Runs the follow-up rules requested (rule, alert, submission), when rules are in the pipeline.
    marked : list of str
        Results marked as based on a retracted alert (`skyweave.alerts.retraction`), by the pipeline.
    origins : list of (str, str)
        Alert and topic of each delivery from another stream that the alert now names (the same
        notice from two topics, or as JSON and VOEvent; see `skyweave.alerts.model.notice_key`).
    """

    stored: list = field(default_factory=list)
    redelivered: list = field(default_factory=list)
    duplicates: int = 0
    quarantined: list = field(default_factory=list)
    events: list = field(default_factory=list)
    fired: list = field(default_factory=list)
    marked: list = field(default_factory=list)
    origins: list = field(default_factory=list)


@dataclass
class PreparedBatch:
    """A batch parsed, cross-matched and built by `Intake.prepare`, not yet stored.

    Attributes
    ----------
    report : IntakeReport
        What is known before the store is read (quarantined messages, the batch's own duplicates).
    parsed : dict of str to tuple
        Alert IRI -> (parsed alert, first message, sky map or None, deliveries, notice key).
    records : list of (Iri, list)
        Quarantine records.
    built : dict of str to tuple
        Alert IRI -> (IRI, plain triples, instruments, matches).

    The files the records name (payloads, sky maps) are written already.
    """

    report: IntakeReport
    parsed: dict
    records: list
    built: dict


class Intake:
    """Turns messages into stored records.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    base : str
        BASE_IRI.
    data_dir : str or pathlib.Path
        Where raw payloads and sky maps are stored.
    schemas : skyweave.alerts.schemas.SchemaSet or None
        GCN schemas for unified notices (not checked when None).
    max_bytes : int
        Largest message accepted.
    crossmatch : bool
        Match localisations with the catalogued targets.
    validate_shapes : bool
        Validate every record against the SHACL shapes before it is stored (setting
        ``ALERT_VALIDATE_SHAPES``). A batch is checked at once by the check compiled from the
        shapes (`skyweave.catalog.fastcheck`); only records it does not pass go to pySHACL, for
        the exact report, and are quarantined if they do break a shape. Without it the records,
        built by `skyweave.alerts.records` from input checked by the parsers and the GCN schemas,
        are stored as built.
    """

    def __init__(self, store, base, data_dir, schemas=None, max_bytes=MAX_BYTES, crossmatch=True,
                 validate_shapes=True):
        self.store, self.base, self.data_dir = store, base, Path(data_dir)
        self.validate_shapes = bool(validate_shapes)
        self.schemas, self.max_bytes = schemas, int(max_bytes)
        self.targets = TargetIndex(store) if crossmatch else None
        rows = store.select("PREFIX sw: <https://skyweave.org/ns#> SELECT ?i WHERE { ?i a sw:Instrument }")
        self.instruments = {str(r["i"]) for r in rows}
        self._events = {}

    def instruments_of(self, alert):
        """Return the IRIs of our instrument records that a `NewAlert` names."""
        return [str(i) for i in self._instruments(alert.parsed)]

    def _instruments(self, parsed):
        iris = [f"{self.base}instruments/{slug}" for slug in instrument_slugs(parsed.mission, parsed.instrument)]
        return [URIRef(i) for i in iris if i in self.instruments]

    def _load_events(self, names):
        """Make sure the state of each event (IRI -> name) is known: read from the store in one query
        for those stored by an earlier run, new for the others."""
        unknown = {iri: name for iri, name in names.items() if iri not in self._events}
        if not unknown:
            return
        values = " ".join(f"<{iri}>" for iri in unknown)
        stored = {str(r["e"]) for r in self.store.select(
            f"SELECT DISTINCT ?e WHERE {{ VALUES ?e {{ {values} }} GRAPH ?e {{ ?e a <{SW.Event}> }} }}")}
        for iri, name in unknown.items():
            self._events[iri] = (event_state_from_graph(iri, self.store.get(iri)) if iri in stored
                                 else EventState(name=name))

    def _existing(self, batch):
        """Map the batch's alerts that are stored already (by IRI, or as the same notice by
        `notice_key`) to the stored alert's IRI and the topics it names."""
        if not batch:
            return {}
        iris = " ".join(f"<{i}>" for i in batch)
        keys = {entry[4]: iri for iri, entry in batch.items() if entry[4]}
        union = f"UNION {{ VALUES ?k {{ {' '.join(chr(34) + k + chr(34) for k in keys)} }} ?a sw:noticeKey ?k }}" if keys else ""
        rows = self.store.select(
            f"PREFIX sw: <https://skyweave.org/ns#> SELECT ?a ?k ?t WHERE {{ {{ VALUES ?a {{ {iris} }} ?a a sw:Alert }} "
            f"{union} ?a sw:topic ?t }}")
        topics, by_key = {}, {}
        for r in rows:
            topics.setdefault(str(r["a"]), set()).add(str(r["t"]))
            if r.get("k") is not None:
                by_key[str(r["k"])] = str(r["a"])
        found = {}
        for iri, entry in batch.items():
            stored = iri if iri in topics else by_key.get(entry[4] or "")
            if stored is not None and (stored == iri or entry[1].topic not in topics[stored]):
                found[iri] = (stored, topics[stored])  # by key only from another stream
        return found

    def _add_origins(self, iri, messages):
        """Write a new version of a stored alert that also names the streams of ``messages``."""
        iri = URIRef(iri)
        graph = self.store.get(iri)
        for triple in list(graph.triples((iri, PROV.wasRevisionOf, None))):
            graph.remove(triple)  # the store links the new version to the one it replaces
        own = str(alert_iri(self.base, str(graph.value(iri, SW.contentKey))))
        for message in messages:
            self._origin(graph, iri, message, own)
        self.store.put(iri, graph)

    def _origin(self, graph, iri, message, own):
        """Add a delivery to an rdflib record (see `_origin_triples`)."""
        if self._same_alert(message, own):
            add_origin(graph, iri, message)
        else:
            add_origin(graph, iri, message, self.base, self.data_dir)

    def _origin_triples(self, iri, message, own, files):
        """A delivery's triples; with its payload too (added to ``files``, a `FileBatch`) when its
        bytes make another alert than ``own``."""
        if self._same_alert(message, own):
            return origin_triples(iri, message)
        return origin_triples(iri, message, self.base, files)

    def _same_alert(self, message, own):
        try:
            return str(alert_iri(self.base, parse_message(message.payload, None, self.max_bytes).content_key)) == own
        except Unusable:
            return False

    def process(self, messages):
        """Store a batch of messages (``messages``: iterable of `skyweave.alerts.Message`): `complete`
        of `prepare`, whose `IntakeReport` it returns and whose errors it raises."""
        return self.complete(self.prepare(messages))

    def prepare(self, messages):
        """Do the part of a batch's work that reads nothing the intake writes.

        Parses each message (and checks it against its GCN schema), reads its sky map, collapses
        the batch's own duplicates, cross-matches each alert with the catalogued targets, builds
        its record and writes its payload and sky-map files (`skyweave.runners.files.FileBatch`).
        No record is stored, so a listener may prepare the next batch in a thread while `complete`
        stores this one.

        Parameters
        ----------
        messages : iterable of skyweave.alerts.Message

        Returns
        -------
        PreparedBatch
        """
        report = IntakeReport()
        parsed_batch, records, by_notice = {}, [], {}
        files = FileBatch(self.data_dir)  # payloads and sky maps, written together before the records
        for message in messages:
            try:
                parsed = parse_message(message.payload, self.schemas, self.max_bytes)
                if message.headers.get("_test") in (b"true", "true"):  # hop-client's test flag
                    parsed.tense = "test"
                skymap = None
                if parsed.localization is not None and parsed.localization.skymap is not None:
                    skymap = read_skymap(parsed.localization.skymap)
            except Unusable as exc:
                iri, graph = quarantine_triples(self.base, files, message, str(exc))
                if any(str(iri) == q for q, _ in report.quarantined):
                    report.duplicates += 1  # the same bad payload twice in one batch: one record
                    continue
                records.append((iri, graph))
                report.quarantined.append((str(iri), str(exc)))
                continue
            iri = str(alert_iri(self.base, parsed.content_key))
            key = notice_key(parsed)
            if iri not in parsed_batch and key in by_notice and all(
                    m.topic != message.topic for m in parsed_batch[by_notice[key]][3]):
                iri = by_notice[key]  # the same notice in another format, from another stream
            if iri in parsed_batch:
                report.duplicates += 1
                deliveries = parsed_batch[iri][3]
                if all(m.topic != message.topic for m in deliveries):
                    deliveries.append(message)  # from another stream: the alert names it too
                continue
            parsed_batch[iri] = (parsed, message, skymap, [message], key)
            if key:
                by_notice[key] = iri
        built = {}
        for iri, (parsed, message, skymap, deliveries, key) in parsed_batch.items():
            # built before the store says whether the alert is new: most are, and this is the part
            # of the work a listener does beside the previous batch's write
            instruments = self._instruments(parsed)
            matches = ()
            if self.targets is not None and parsed.localization is not None:
                matches = tuple(self.targets.match(parsed.localization, skymap))
            alert, triples = alert_triples(self.base, files, parsed, message, instruments, skymap, matches, key)
            for other in deliveries[1:]:
                triples += self._origin_triples(alert, other, iri, files)
            built[iri] = (alert, triples, instruments, matches)
        # Written before any record naming them can be stored. An alert found stored already names
        # the same bytes (its file is there: nothing is written); a batch whose write fails leaves
        # its files, which the same messages use again when they arrive again.
        files.write()
        return PreparedBatch(report, parsed_batch, records, built)

    def complete(self, prepared):
        """Store a batch made by `prepare`: leave out the alerts stored before, fold the new ones
        into their events, and write alerts, events and quarantined messages in one validated write.

        Parameters
        ----------
        prepared : PreparedBatch

        Returns
        -------
        IntakeReport

        Raises
        ------
        Exception
            Whatever the store raises when it cannot write; then nothing of the batch is stored
            and the caller must not commit its offsets.
        """
        report, parsed_batch, records = prepared.report, prepared.parsed, list(prepared.records)
        existing = self._existing(parsed_batch)
        report.duplicates += len(existing)
        self._load_events({str(event_iri(self.base, entry[0].event_name)): entry[0].event_name
                           for iri, entry in parsed_batch.items() if iri not in existing})
        touched = {}
        for iri, (parsed, message, skymap, deliveries, key) in parsed_batch.items():
            if iri in existing:
                stored, topics = existing[iri]
                new = [m for m in deliveries if m.topic not in topics]
                if new:
                    self._add_origins(stored, new)
                    report.origins.extend((stored, m.topic) for m in new)
                report.redelivered.append(NewAlert(stored, str(event_iri(self.base, parsed.event_name)), parsed, message))
                continue
            alert, triples, instruments, matches = prepared.built[iri]
            report.origins.extend((iri, other.topic) for other in deliveries[1:])
            records.append((alert, triples))
            ev = str(event_iri(self.base, parsed.event_name))
            self._events[ev].add(self.base, parsed, instruments)
            touched[ev] = True
            report.stored.append(NewAlert(iri, ev, parsed, message, matches))
        for ev in touched:
            records.append(event_triples(self.base, self._events[ev]))
        report.events = list(touched)
        if records:
            try:
                _, rejected = self.store.put_triples(
                    records, validator=fastcheck.validate_triples if self.validate_shapes else None)
            except BaseException:
                self._events = {}  # states folded with this batch's alerts: read them again from the store
                raise
            if rejected:
                self._quarantine_rejected(rejected, parsed_batch, report)
        return report

    def _quarantine_rejected(self, rejected, parsed_batch, report):
        """Records that broke our shapes: keep their messages as quarantined records instead."""
        bad = {iri for iri, _ in rejected}
        retry = []
        for iri, result in rejected:
            log.warning("record %s broke a shape: %s", iri, result.text())
            if iri in parsed_batch:
                message = parsed_batch[iri][1]
                q = quarantine_triples(self.base, self.data_dir, message, "The alert breaks the catalog's shapes: "
                                       + result.text()[:1500])
                retry.append(q)
                report.quarantined.append((str(q[0]), "shapes"))
        report.stored = [a for a in report.stored if a.iri not in bad]
        if retry:
            self.store.put_triples(retry)


def replay_messages(paths):
    """Yield the messages held in files or folders, in a stable order.

    A ``.json`` file holding a list yields one message per element (e.g. a file of circulars); any
    other ``.json``, ``.xml`` or ``.avro`` file is one message. Folders are searched recursively.

    Parameters
    ----------
    paths : iterable of str or pathlib.Path

    Yields
    ------
    skyweave.alerts.Message
        With topic ``replay:<file name>``.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    """
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"No such file or folder: {path}")
        files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".xml", ".avro")) if path.is_dir() else [path]
        for file in files:
            data = file.read_bytes()
            topic = f"replay:{file.name}"
            if file.suffix == ".json" and data.lstrip()[:1] == b"[":
                try:
                    items = json.loads(data)
                except json.JSONDecodeError:
                    items = None
                if isinstance(items, list):
                    for item in items:
                        yield Message(json.dumps(item, ensure_ascii=False).encode("utf-8"), topic)
                    continue
            yield Message(data, topic)
