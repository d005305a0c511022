"""Alert, event and quarantine records (RDF) from parsed messages.

Record IRIs: an alert is ``{base}alerts/{content key[:16]}`` (so a message delivered twice is one
record), its event ``{base}events/{slug of the event name}``, a quarantined message
``{base}quarantine/{SHA-256 of the payload[:16]}``. Raw payloads and sky maps are kept as
content-addressed files (`skyweave.runners.files`), linked as ``dcat:distribution``.
"""

from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef

from skyweave.catalog import vocab
from skyweave.runners.files import store_bytes

from .model import event_slug, notice_key
from .times import xsd_datetime

__all__ = ["EventState", "alert_iri", "event_iri", "quarantine_iri", "alert_graph", "add_origin", "event_graph",
           "quarantine_graph", "instrument_slugs", "MESSENGERS", "file_url"]

class _Terms:
    """A namespace whose terms are looked up once: rdflib's closed namespaces check every attribute
    access (about 10 us each), and a record costs about a hundred of them."""

    def __init__(self, namespace):
        self._namespace = namespace

    def __getattr__(self, name):
        term = getattr(self._namespace, name)
        setattr(self, name, term)
        return term


DCAT, PROV, RDF, RDFS, SKOS, SW, XSD = (_Terms(getattr(vocab, n)) for n in ("DCAT", "PROV", "RDF", "RDFS", "SKOS", "SW", "XSD"))

MESSENGERS = {"EM": SW.Photons, "GW": SW.GravitationalWaves, "Neutrino": SW.Neutrinos}
"""GCN Reporter ``messenger`` values -> concepts of our sw:Messengers scheme."""

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


def _distribution(graph, subject, base, data_dir, data, name, media_type, prop=DCAT.distribution):
    digest = store_bytes(data_dir, data)
    node = BNode()
    graph.add((subject, prop, node))
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCAT.downloadURL, file_url(base, digest, name)))
    graph.add((node, DCAT.mediaType, Literal(media_type)))
    graph.add((node, DCAT.byteSize, Literal(len(data), datatype=XSD.integer)))
    return digest


def _time(moment):
    return Literal(xsd_datetime(moment), datatype=XSD.dateTime)


def _origin(graph, subject, message):
    graph.add((subject, SW.topic, Literal(message.topic)))
    if message.partition is not None:
        graph.add((subject, SW.partition, Literal(int(message.partition), datatype=XSD.integer)))
    if message.offset is not None:
        graph.add((subject, SW.offset, Literal(int(message.offset), datatype=XSD.integer)))
    graph.add((subject, SW.receivedAt, _time(message.received.replace(microsecond=0))))


def add_origin(graph, iri, message, base=None, data_dir=None):
    """Add one delivery of an alert to its record: an ``sw:MessageOrigin`` node and its topic.

    Parameters
    ----------
    graph : rdflib.Graph
        The alert's record (changed in place).
    iri : rdflib.URIRef
        The alert.
    message : skyweave.alerts.Message
    base : str or None
        BASE_IRI; when given (with ``data_dir``), the delivery's raw payload is kept as a file and
        linked from the origin as its ``dcat:distribution`` (for a delivery whose bytes differ from
        the alert's own payload, e.g. the VOEvent of a JSON notice).
    data_dir : str or pathlib.Path or None

    Returns
    -------
    rdflib.URIRef
        The origin node, ``{iri}#origin-{12 hex digits of the topic, partition and offset}``.
    """
    import hashlib

    where = f"{message.topic}\x00{message.partition}\x00{message.offset}"
    node = URIRef(f"{iri}#origin-{hashlib.sha256(where.encode('utf-8')).hexdigest()[:12]}")
    graph.add((iri, SW.topic, Literal(message.topic)))
    graph.add((iri, SW.origin, node))
    graph.add((node, RDF.type, SW.MessageOrigin))
    _origin(graph, node, message)
    if base is not None:
        xml = message.payload.lstrip()[:1] == b"<"
        _distribution(graph, node, base, data_dir, message.payload, "message.xml" if xml else "message.json",
                      "application/xml" if xml else "application/json")
    return node


def alert_graph(base, data_dir, parsed, message, instruments=(), skymap=None, matches=()):
    """Build the record of an alert.

    Parameters
    ----------
    base : str
        BASE_IRI.
    data_dir : str or pathlib.Path
        Where the raw payload and sky map files are stored.
    parsed : skyweave.alerts.model.ParsedAlert
    message : skyweave.alerts.Message
    instruments : iterable of rdflib.URIRef
        Our instrument records it names (existing ones only).
    skymap : skyweave.alerts.skymap.SkyMap or None
        The localisation's sky map, read (for its credible areas).
    matches : iterable of skyweave.alerts.crossmatch.Match

    Returns
    -------
    (rdflib.URIRef, rdflib.Graph)
        The alert names the stream it arrived on twice: ``sw:topic``, ``sw:partition``,
        ``sw:offset`` and ``sw:receivedAt`` of its first delivery, and one ``sw:origin`` per
        delivery from a distinct topic (`add_origin`; more are added when the same notice arrives
        from another stream).
    """
    iri = alert_iri(base, parsed.content_key)
    g = Graph(store="SimpleMemory")  # no contexts: about twice as fast to build and read
    g.add((iri, RDF.type, SW.Alert))
    g.add((iri, RDF.type, PROV.Entity))
    g.add((iri, RDFS.label, Literal(parsed.title)))
    g.add((iri, SW.about, event_iri(base, parsed.event_name)))
    g.add((iri, SW.alertType, Literal(parsed.alert_type)))
    g.add((iri, SW.alertTense, Literal(parsed.tense)))
    g.add((iri, SW.payloadFormat, Literal(parsed.format)))
    g.add((iri, SW.contentKey, Literal(parsed.content_key)))
    key = notice_key(parsed)
    if key:
        g.add((iri, SW.noticeKey, Literal(key)))
    _origin(g, iri, message)
    add_origin(g, iri, message)
    if parsed.issued_time:
        g.add((iri, PROV.generatedAtTime, _time(parsed.issued_time[0])))
        g.add((iri, SW.issuedTimeText, Literal(parsed.issued_time[1])))
    if parsed.trigger_time:
        g.add((iri, SW.triggerTime, _time(parsed.trigger_time[0])))
        g.add((iri, SW.triggerTimeText, Literal(parsed.trigger_time[1])))
    if parsed.schema and parsed.schema.startswith("https://"):
        g.add((iri, URIRef("http://purl.org/dc/terms/conformsTo"), URIRef(parsed.schema)))
    for instrument in instruments:
        g.add((iri, SW.instrument, URIRef(instrument)))
    if parsed.messenger in MESSENGERS:
        g.add((iri, SW.messenger, MESSENGERS[parsed.messenger]))
    suffix = ".xml" if parsed.media_type == "application/xml" else ".avro" if message.payload[:4] == b"Obj\x01" else ".json"
    _distribution(g, iri, base, data_dir, message.payload, f"message{suffix}", parsed.media_type)
    loc = parsed.localization
    if loc is not None:
        node = URIRef(f"{iri}#localization")
        g.add((iri, SW.localization, node))
        g.add((node, RDF.type, SW.Localization))
        g.add((node, RDF.type, PROV.Entity))
        if loc.ra is not None:
            g.add((node, SW.ra, Literal(float(loc.ra), datatype=XSD.double)))
            g.add((node, SW.dec, Literal(float(loc.dec), datatype=XSD.double)))
        if loc.radius is not None:
            g.add((node, SW.errorRadius, Literal(float(loc.radius), datatype=XSD.double)))
        if loc.ellipse is not None:
            for prop, value in zip((SW.errorSemiMajor, SW.errorSemiMinor, SW.errorAngle), loc.ellipse):
                g.add((node, prop, Literal(float(value), datatype=XSD.double)))
        if loc.radius is not None or loc.ellipse is not None:
            g.add((node, SW.containmentProbability, Literal(float(loc.containment), datatype=XSD.double)))
        if loc.skymap is not None:
            _distribution(g, node, base, data_dir, loc.skymap, loc.skymap_name, "application/fits")
            if skymap is not None:
                g.add((node, SW.area50, Literal(skymap.area(0.5), datatype=XSD.double)))
                g.add((node, SW.area90, Literal(skymap.area(0.9), datatype=XSD.double)))
    for i, match in enumerate(matches):
        node = URIRef(f"{iri}#match-{i + 1}")
        g.add((iri, SW.crossMatch, node))
        g.add((node, RDF.type, SW.CrossMatch))
        g.add((node, SW.target, URIRef(match.target)))
        if match.separation is not None:
            g.add((node, SW.separation, Literal(match.separation, datatype=XSD.double)))
        if match.density is not None:
            g.add((node, SW.probabilityDensity, Literal(match.density, datatype=XSD.double)))
    return iri, g


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


def event_graph(base, state):
    """Build the record of an event from its state.

    Returns
    -------
    (rdflib.URIRef, rdflib.Graph)
    """
    iri = event_iri(base, state.name)
    g = Graph(store="SimpleMemory")  # no contexts: about twice as fast to build and read
    g.add((iri, RDF.type, SW.Event))
    g.add((iri, RDF.type, PROV.Entity))
    g.add((iri, RDFS.label, Literal(state.name)))
    for name in sorted(state.other_names):
        g.add((iri, SKOS.altLabel, Literal(name)))
    g.add((iri, SW.retracted, Literal(state.retracted)))
    g.add((iri, SW.alertTense, Literal(state.tense)))
    if state.trigger:
        g.add((iri, SW.triggerTime, _time(state.trigger[0])))
        g.add((iri, SW.triggerTimeText, Literal(state.trigger[1])))
    if state.localization is not None:
        g.add((iri, SW.localization, state.localization))
    for instrument in sorted(state.instruments):
        g.add((iri, SW.instrument, instrument))
    for messenger in sorted(state.messengers):
        g.add((iri, SW.messenger, messenger))
    return iri, g


def event_state_from_graph(iri, graph):
    """Rebuild an `EventState` from a stored event record (after a restart)."""
    iri = URIRef(iri)
    trigger = graph.value(iri, SW.triggerTime)
    state = EventState(
        name=str(graph.value(iri, RDFS.label)), other_names={str(o) for o in graph.objects(iri, SKOS.altLabel)},
        retracted=bool(graph.value(iri, SW.retracted).toPython()), tense=str(graph.value(iri, SW.alertTense)),
        localization=graph.value(iri, SW.localization), instruments=set(graph.objects(iri, SW.instrument)),
        messengers=set(graph.objects(iri, SW.messenger)), alerts=1,
    )
    if trigger is not None:
        state.trigger = (trigger.toPython(), str(graph.value(iri, SW.triggerTimeText) or trigger))
    return state


def quarantine_graph(base, data_dir, message, reason):
    """Build the record of a quarantined message.

    Parameters
    ----------
    base : str
    data_dir : str or pathlib.Path
    message : skyweave.alerts.Message
    reason : str

    Returns
    -------
    (rdflib.URIRef, rdflib.Graph)
    """
    import hashlib

    iri = quarantine_iri(base, hashlib.sha256(message.payload).hexdigest())
    g = Graph(store="SimpleMemory")  # no contexts: about twice as fast to build and read
    g.add((iri, RDF.type, SW.QuarantinedMessage))
    g.add((iri, RDF.type, PROV.Entity))
    g.add((iri, RDFS.label, Literal(f"Quarantined message from {message.topic}")))
    g.add((iri, SW.reason, Literal(str(reason)[:2000] or "unknown")))
    _origin(g, iri, message)
    _distribution(g, iri, base, data_dir, message.payload, "message.bin", "application/octet-stream")
    return iri, g
