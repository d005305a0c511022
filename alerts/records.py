"""Alert, event and quarantine records (RDF) from parsed messages.

Record IRIs: an alert is ``{base}alerts/{content key[:16]}`` (so a message delivered twice is one
record), its event ``{base}events/{slug of the event name}``, a quarantined message
``{base}quarantine/{SHA-256 of the payload[:16]}``. Raw payloads and sky maps are kept as
content-addressed files (`skyweave.alerts.payloads`, laid out as `skyweave.runners.files`), linked as
``dcat:distribution``.

Records are built as plain triples (`skyweave.catalog.terms`), the form the intake checks and
writes in batches; the ``*_graph`` functions give the same records as rdflib graphs.
"""

from dataclasses import dataclass, field

from rdflib import URIRef

from skyweave.catalog import vocab
from skyweave.catalog.terms import Iri, fresh_blank, string, to_graph, to_rdflib, typed
from skyweave.runners.files import FileBatch, store_bytes

from .model import event_slug, notice_key
from .times import xsd_datetime

__all__ = ["EventState", "alert_iri", "event_iri", "quarantine_iri", "alert_triples", "alert_graph", "origin_triples",
           "add_origin", "event_triples", "event_graph", "quarantine_triples", "quarantine_graph", "instrument_slugs",
           "MESSENGERS", "OWN_LINKS", "file_url"]

class _Terms:
    """A namespace whose terms are looked up once, as plain `~skyweave.catalog.terms.Iri` values: rdflib's
    closed namespaces check every attribute access (about 10 us each), and a record costs about a hundred."""

    def __init__(self, namespace):
        self._namespace = namespace

    def __getattr__(self, name):
        term = Iri(getattr(self._namespace, name))
        setattr(self, name, term)
        return term


DCAT, PROV, RDF, RDFS, SKOS, SW, XSD = (_Terms(getattr(vocab, n)) for n in ("DCAT", "PROV", "RDF", "RDFS", "SKOS", "SW", "XSD"))
_CONFORMS_TO = Iri("http://purl.org/dc/terms/conformsTo")

MESSENGERS = {"EM": URIRef(SW.Photons), "GW": URIRef(SW.GravitationalWaves), "Neutrino": URIRef(SW.Neutrinos)}
"""GCN Reporter ``messenger`` values -> concepts of our sw:Messengers scheme."""

OWN_LINKS = frozenset(URIRef(p) for p in (SW.localization, SW.crossMatch, SW.origin, DCAT.distribution))
"""Properties whose values in an alert record are always nodes of that record (its ``#localization``,
``#match-N``, ``#origin-...`` IRIs and its distributions' blank nodes), as `alert_triples` builds them:
what `skyweave.alerts.askscope` may follow and stay inside the alert's own graph."""

_INSTRUMENTS = {
    ("swift", "bat"): "swift-bat", ("swift", "xrt"): "swift-xrt", ("fermi", "gbm"): "fermi-gbm",
    ("fermi", "lat"): "fermi-lat", ("icecube", ""): "icecube", ("lvk", "ligo"): "ligo", ("lvk", "virgo"): "virgo",
    ("lvk", "kagra"): "kagra", ("integral", "ibis"): "integral-ibis-isgri", ("integral", "spi"): "integral-spi-acs",
}


def instrument_slugs(mission, instrument):
    """Return the slugs of our instrument records that a message's mission and instrument name.

    Examples
    --------
    >>> instrument_slugs("Swift", "BAT-GUANO"), instrument_slugs("IceCube", "IC86"), instrument_slugs("LVK", "LIGO,Virgo")
    (['swift-bat'], ['icecube'], ['ligo', 'virgo'])
    """
    m = (mission or "").lower()
    found = []
    for part in (instrument or "").lower().replace("/", ",").split(",") or [""]:
        for (mission_key, inst_key), slug in _INSTRUMENTS.items():
            if m.startswith(mission_key) and (part.startswith(inst_key) or inst_key == "") and slug not in found:
                found.append(slug)
    return found


def alert_iri(base, key):
    """Return the IRI of the alert with content key ``key``."""
    return URIRef(f"{base}alerts/{key[:16]}")


def event_iri(base, name):
    """Return the IRI of the event named ``name``."""
    return URIRef(f"{base}events/{event_slug(name)}")


def quarantine_iri(base, digest):
    """Return the IRI of the quarantined message whose payload has SHA-256 ``digest``."""
    return URIRef(f"{base}quarantine/{digest[:16]}")


def file_url(base, digest, name):
    """Return the IRI under which a stored alert file is served: ``{base}files/alerts/{digest}/{name}``."""
    return URIRef(f"{base}files/alerts/{digest}/{name}")


_DOUBLE, _INTEGER, _DATETIME, _BOOLEAN = (str(getattr(vocab.XSD, n)) for n in ("double", "integer", "dateTime", "boolean"))


def _double(value):
    return typed(repr(float(value)), _DOUBLE)


def _integer(value):
    return typed(str(int(value)), _INTEGER)


def _time(moment):
    return typed(xsd_datetime(moment), _DATETIME)


def _distribution(out, subject, base, data_dir, data, name, media_type, prop=DCAT.distribution):
    # a FileBatch names the file now and writes it with the batch's others, before the records are stored
    digest = data_dir.add(data) if isinstance(data_dir, FileBatch) else store_bytes(data_dir, data)
    node = fresh_blank()
    out += ((subject, prop, node), (node, RDF.type, DCAT.Distribution),
            (node, DCAT.downloadURL, Iri(file_url(base, digest, name))), (node, DCAT.mediaType, string(media_type)),
            (node, DCAT.byteSize, _integer(len(data))))
    return digest


def _origin(out, subject, message):
    out.append((subject, SW.topic, string(message.topic)))
    if message.partition is not None:
        out.append((subject, SW.partition, _integer(message.partition)))
    if message.offset is not None:
        out.append((subject, SW.offset, _integer(message.offset)))
    out.append((subject, SW.receivedAt, _time(message.received.replace(microsecond=0))))


def origin_triples(iri, message, base=None, data_dir=None):
    """Return the triples of one delivery of an alert: an ``sw:MessageOrigin`` node and its topic.

    Parameters
    ----------
    iri : str
        The alert.
    message : skyweave.alerts.Message
    base : str or None
        BASE_IRI; when given (with ``data_dir``), the delivery's raw payload is kept as a file and
        linked from the origin as its ``dcat:distribution`` (for a delivery whose bytes differ from
        the alert's own payload, e.g. the VOEvent of a JSON notice).
    data_dir : str or pathlib.Path or skyweave.runners.files.FileBatch or None

    Returns
    -------
    list of (Iri, Iri, term)
        Plain triples (`skyweave.catalog.terms`); the origin node is
        ``{iri}#origin-{12 hex digits of the topic, partition and offset}``.
    """
    import hashlib

    iri = Iri(iri)
    where = f"{message.topic}\x00{message.partition}\x00{message.offset}"
    node = Iri(f"{iri}#origin-{hashlib.sha256(where.encode('utf-8')).hexdigest()[:12]}")
    out = [(iri, SW.topic, string(message.topic)), (iri, SW.origin, node), (node, RDF.type, SW.MessageOrigin)]
    _origin(out, node, message)
    if base is not None:
        xml = message.payload.lstrip()[:1] == b"<"
        _distribution(out, node, base, data_dir, message.payload, "message.xml" if xml else "message.json",
                      "application/xml" if xml else "application/json")
    return out


def add_origin(graph, iri, message, base=None, data_dir=None):
    """Add one delivery of an alert to its rdflib record (see `origin_triples`, whose arguments these are).

    Parameters
    ----------
    graph : rdflib.Graph
        The alert's record (changed in place).

    Returns
    -------
    rdflib.URIRef
        The origin node.
    """
    triples = origin_triples(iri, message, base, data_dir)
    for s, p, o in triples:
        graph.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))
    return URIRef(triples[1][2])


def alert_triples(base, data_dir, parsed, message, instruments=(), skymap=None, matches=(), key=False):
    """Build the record of an alert as plain triples (`skyweave.catalog.terms`).

    Parameters
    ----------
    base : str
        BASE_IRI.
    data_dir : str or pathlib.Path or skyweave.runners.files.FileBatch
        Where the raw payload and sky map files are stored (a `FileBatch` writes them later, with the
        rest of a batch: its caller must call its ``write`` before storing the record).
    parsed : skyweave.alerts.model.ParsedAlert
    message : skyweave.alerts.Message
    instruments : iterable of str
        Our instrument records it names (existing ones only).
    skymap : skyweave.alerts.skymap.SkyMap or None
        The localisation's sky map, read (for its credible areas).
    matches : iterable of skyweave.alerts.crossmatch.Match
    key : str or None
        The alert's `~skyweave.alerts.model.notice_key`, when the caller has it (computed otherwise).

    Returns
    -------
    (Iri, list of (Iri, Iri, term))
        The alert names the stream it arrived on twice: ``sw:topic``, ``sw:partition``,
        ``sw:offset`` and ``sw:receivedAt`` of its first delivery, and one ``sw:origin`` per
        delivery from a distinct topic (`origin_triples`; more are added when the same notice arrives
        from another stream).
    """
    iri = Iri(alert_iri(base, parsed.content_key))
    g = [(iri, RDF.type, SW.Alert), (iri, RDF.type, PROV.Entity), (iri, RDFS.label, string(parsed.title)),
         (iri, SW.about, Iri(event_iri(base, parsed.event_name))), (iri, SW.alertType, string(parsed.alert_type)),
         (iri, SW.alertTense, string(parsed.tense)), (iri, SW.payloadFormat, string(parsed.format)),
         (iri, SW.contentKey, string(parsed.content_key))]
    key = notice_key(parsed) if key is False else key
    if key:
        g.append((iri, SW.noticeKey, string(key)))
    _origin(g, iri, message)
    g += origin_triples(iri, message)
    if parsed.issued_time:
        g.append((iri, PROV.generatedAtTime, _time(parsed.issued_time[0])))
        g.append((iri, SW.issuedTimeText, string(parsed.issued_time[1])))
    if parsed.trigger_time:
        g.append((iri, SW.triggerTime, _time(parsed.trigger_time[0])))
        g.append((iri, SW.triggerTimeText, string(parsed.trigger_time[1])))
    if parsed.schema and parsed.schema.startswith("https://"):
        g.append((iri, _CONFORMS_TO, Iri(parsed.schema)))
    for instrument in instruments:
        g.append((iri, SW.instrument, Iri(instrument)))
    if parsed.messenger in MESSENGERS:
        g.append((iri, SW.messenger, Iri(MESSENGERS[parsed.messenger])))
    suffix = ".xml" if parsed.media_type == "application/xml" else ".avro" if message.payload[:4] == b"Obj\x01" else ".json"
    _distribution(g, iri, base, data_dir, message.payload, f"message{suffix}", parsed.media_type)
    loc = parsed.localization
    if loc is not None:
        node = Iri(f"{iri}#localization")
        g += ((iri, SW.localization, node), (node, RDF.type, SW.Localization), (node, RDF.type, PROV.Entity))
        if loc.ra is not None:
            g.append((node, SW.ra, _double(loc.ra)))
            g.append((node, SW.dec, _double(loc.dec)))
        if loc.radius is not None:
            g.append((node, SW.errorRadius, _double(loc.radius)))
        if loc.ellipse is not None:
            for prop, value in zip((SW.errorSemiMajor, SW.errorSemiMinor, SW.errorAngle), loc.ellipse):
                g.append((node, prop, _double(value)))
        if loc.radius is not None or loc.ellipse is not None:
            g.append((node, SW.containmentProbability, _double(loc.containment)))
        if loc.skymap is not None:
            _distribution(g, node, base, data_dir, loc.skymap, loc.skymap_name, "application/fits")
            if skymap is not None:
                g.append((node, SW.area50, _double(skymap.area(0.5))))
                g.append((node, SW.area90, _double(skymap.area(0.9))))
    for i, match in enumerate(matches):
        node = Iri(f"{iri}#match-{i + 1}")
        g += ((iri, SW.crossMatch, node), (node, RDF.type, SW.CrossMatch), (node, SW.target, Iri(match.target)))
        if match.separation is not None:
            g.append((node, SW.separation, _double(match.separation)))
        if match.density is not None:
            g.append((node, SW.probabilityDensity, _double(match.density)))
    return iri, g


def alert_graph(base, data_dir, parsed, message, instruments=(), skymap=None, matches=()):
    """Build the record of an alert as an rdflib graph (see `alert_triples`, whose arguments these are).

    Returns
    -------
    (rdflib.URIRef, rdflib.Graph)
    """
    iri, triples = alert_triples(base, data_dir, parsed, message, instruments, skymap, matches)
    return URIRef(iri), to_graph(triples)


@dataclass
class EventState:
    """What the alerts so far say about an event (rebuilt into its record after each batch).

    Attributes
    ----------
    name : str
    other_names : set of str
    retracted : bool
        True once any alert about it is a retraction, whatever the order they arrived in.
    tense : str
        ``current`` if any alert is current, else the tense of the latest alert.
    trigger : tuple of (datetime.datetime, str) or None
    localization : rdflib.URIRef or None
        The localisation of the latest alert (by issue time) that has one.
    instruments, messengers : set of rdflib.URIRef
    """

    name: str
    other_names: set = field(default_factory=set)
    retracted: bool = False
    tense: str = "current"
    trigger: tuple | None = None
    localization: URIRef | None = None
    localized_at: str = ""
    instruments: set = field(default_factory=set)
    messengers: set = field(default_factory=set)
    alerts: int = 0

    def add(self, base, parsed, instruments):
        """Fold one new alert into the state."""
        self.alerts += 1
        self.other_names.update(n for n in parsed.other_names if n != self.name)
        self.retracted = self.retracted or parsed.alert_type == "retraction"
        if self.alerts == 1 or parsed.tense == "current":
            self.tense = parsed.tense
        if parsed.trigger_time and (self.trigger is None or parsed.alert_type != "retraction"):
            self.trigger = parsed.trigger_time
        issued = parsed.issued_time[1] if parsed.issued_time else ""
        if parsed.localization is not None and (self.localization is None or issued >= self.localized_at):
            self.localization, self.localized_at = URIRef(f"{alert_iri(base, parsed.content_key)}#localization"), issued
        self.instruments.update(URIRef(i) for i in instruments)
        if parsed.messenger in MESSENGERS:
            self.messengers.add(MESSENGERS[parsed.messenger])


def event_triples(base, state):
    """Build the record of an event from its state, as plain triples (`skyweave.catalog.terms`).

    Returns
    -------
    (Iri, list of (Iri, Iri, term))
    """
    iri = Iri(event_iri(base, state.name))
    g = [(iri, RDF.type, SW.Event), (iri, RDF.type, PROV.Entity), (iri, RDFS.label, string(state.name))]
    for name in sorted(state.other_names):
        g.append((iri, SKOS.altLabel, string(name)))
    g.append((iri, SW.retracted, typed("true" if state.retracted else "false", _BOOLEAN)))
    g.append((iri, SW.alertTense, string(state.tense)))
    if state.trigger:
        g.append((iri, SW.triggerTime, _time(state.trigger[0])))
        g.append((iri, SW.triggerTimeText, string(state.trigger[1])))
    if state.localization is not None:
        g.append((iri, SW.localization, Iri(state.localization)))
    for instrument in sorted(state.instruments):
        g.append((iri, SW.instrument, Iri(instrument)))
    for messenger in sorted(state.messengers):
        g.append((iri, SW.messenger, Iri(messenger)))
    return iri, g


def event_graph(base, state):
    """Build the record of an event from its state as an rdflib graph (see `event_triples`).

    Returns
    -------
    (rdflib.URIRef, rdflib.Graph)
    """
    iri, triples = event_triples(base, state)
    return URIRef(iri), to_graph(triples)


def event_state_from_graph(iri, graph):
    """Rebuild an `EventState` from a stored event record (after a restart)."""
    iri = URIRef(iri)
    sw = vocab.SW
    trigger = graph.value(iri, sw.triggerTime)
    state = EventState(
        name=str(graph.value(iri, vocab.RDFS.label)),
        other_names={str(o) for o in graph.objects(iri, vocab.SKOS.altLabel)},
        retracted=bool(graph.value(iri, sw.retracted).toPython()), tense=str(graph.value(iri, sw.alertTense)),
        localization=graph.value(iri, sw.localization), instruments=set(graph.objects(iri, sw.instrument)),
        messengers=set(graph.objects(iri, sw.messenger)), alerts=1,
    )
    if trigger is not None:
        state.trigger = (trigger.toPython(), str(graph.value(iri, sw.triggerTimeText) or trigger))
    return state


def quarantine_triples(base, data_dir, message, reason):
    """Build the record of a quarantined message as plain triples (`skyweave.catalog.terms`).

    Parameters
    ----------
    base : str
    data_dir : str or pathlib.Path or skyweave.runners.files.FileBatch
        As for `alert_triples`.
    message : skyweave.alerts.Message
    reason : str

    Returns
    -------
    (Iri, list of (Iri, Iri, term))
    """
    import hashlib

    iri = Iri(quarantine_iri(base, hashlib.sha256(message.payload).hexdigest()))
    g = [(iri, RDF.type, SW.QuarantinedMessage), (iri, RDF.type, PROV.Entity),
         (iri, RDFS.label, string(f"Quarantined message from {message.topic}")),
         (iri, SW.reason, string(str(reason)[:2000] or "unknown"))]
    _origin(g, iri, message)
    _distribution(g, iri, base, data_dir, message.payload, "message.bin", "application/octet-stream")
    return iri, g


def quarantine_graph(base, data_dir, message, reason):
    """Build the record of a quarantined message as an rdflib graph (see `quarantine_triples`).

    Returns
    -------
    (rdflib.URIRef, rdflib.Graph)
    """
    iri, triples = quarantine_triples(base, data_dir, message, reason)
    return URIRef(iri), to_graph(triples)
