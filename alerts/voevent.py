"""Classic GCN VOEvent 2.0 XML notices (``gcn.classic.voevent.*`` topics), read with voevent-parse.

The XML is first parsed by lxml with entity expansion, DTD loading and network access off, and a
packet that declares a DOCTYPE is refused (no entity tricks reach voevent-parse). Then
voevent-parse reads the What parameters, the event time (``ISOTime``, UTC without a zone) and the
position with its error radius.

References
----------
.. [1] VOEvent 2.0, https://www.ivoa.net/documents/VOEvent/
.. [2] voevent-parse, https://voevent-parse.readthedocs.io/
.. [3] lxml and untrusted XML, https://lxml.de/FAQ.html#how-do-i-use-lxml-safely-as-a-web-service-endpoint
"""

import re

from .model import Localization, ParsedAlert, Unusable, content_key
from .times import BadTime, utc_time

__all__ = ["parse_voevent", "safe_tree"]

_MESSENGER = {"LVC": "GW", "LVK": "GW", "GWNET": "GW", "ICECUBE": "Neutrino", "AMON": "Neutrino"}


def safe_tree(payload):
    """Parse XML with entity expansion, DTDs and network access off.

    Raises
    ------
    skyweave.alerts.model.Unusable
        If the XML is malformed or declares a DOCTYPE.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
    try:
        tree = etree.fromstring(payload, parser)
    except etree.XMLSyntaxError as exc:
        raise Unusable(f"The XML is malformed: {exc}") from None
    if tree.getroottree().docinfo.doctype:
        raise Unusable("The XML declares a DOCTYPE; VOEvents have none, and entities are never expanded.")
    return tree


def parse_voevent(payload):
    """Read a VOEvent 2.0 packet.

    Parameters
    ----------
    payload : bytes

    Returns
    -------
    skyweave.alerts.model.ParsedAlert

    Raises
    ------
    skyweave.alerts.model.Unusable
        If the XML is malformed, not VOEvent 2.0, or its time or position is bad.

    Examples
    --------
    >>> import voeventparse.fixtures.datapaths as fixtures
    >>> alert = parse_voevent(open(fixtures.swift_bat_grb_pos_v2, "rb").read())
    >>> alert.event_name, alert.mission, alert.instrument, alert.localization.radius
    ('SWIFT BAT trigger 532871', 'Swift', 'BAT', 0.05)
    """
    import voeventparse as vp

    safe_tree(payload)
    try:
        v = vp.loads(payload)
    except (ValueError, KeyError) as exc:
        raise Unusable(f"Not a VOEvent 2.0 packet: {exc}") from None
    ivorn = v.attrib.get("ivorn", "")
    match = re.match(r"^ivo://([^/]+)/([^#]+)#(.*)$", ivorn)
    if not match:
        raise Unusable(f"The VOEvent's ivorn {ivorn!r} is not ivo://authority/stream#local-id.")
    stream, local = match.group(2), match.group(3)
    params = {k: v for k, v in vp.get_toplevel_params(v).items()}
    value = lambda name: str(params[name]["value"]) if name in params and "value" in params[name] else None  # noqa: E731
    instrument = re.split(r"[_-]", local)[0] if stream.upper() not in ("LVC", "LVK") else None
    if value("GraceID"):
        name = value("GraceID")
    elif value("TrigID"):
        name = f"{stream} {instrument or ''} trigger {value('TrigID')}".replace("  ", " ")
    else:
        name = f"{stream} {local}"
    kind = (value("AlertType") or "").lower()
    if kind == "retraction" or local.lower().endswith("retraction"):
        alert_type = "retraction"
    elif kind in ("preliminary", "initial", "earlywarning") or value("Pkt_Ser_Num") in (None, "1"):
        alert_type = "initial"
    else:
        alert_type = "update"
    role = v.attrib.get("role", "observation")
    tense = "test" if role == "test" else "injection" if value("HardwareInj") == "1" else "current"
    try:
        trigger = vp.get_event_time_as_utc(v)
    except (ValueError, NotImplementedError) as exc:
        raise Unusable(f"The event time does not parse: {exc}") from None
    iso = None
    if trigger is not None:
        iso = str(v.WhereWhen.ObsDataLocation[0].ObservationLocation.AstroCoords.Time.TimeInstant.ISOTime)
    issued = None
    try:
        issued_text = str(v.Who.Date) if hasattr(v.Who, "Date") else None
        issued = (utc_time(issued_text), issued_text) if issued_text else None
        trigger_pair = (utc_time(iso), iso) if iso else None
    except BadTime as exc:
        raise Unusable(str(exc)) from None
    loc = None
    try:
        pos = vp.get_event_position(v)
    except (AttributeError, AssertionError, KeyError, ValueError):  # no usable position
        pos = None
    if pos is not None and not (pos.ra == 0 and pos.dec == 0 and pos.err == 0):
        loc = Localization(ra=float(pos.ra) % 360.0, dec=float(pos.dec), radius=float(pos.err) if pos.err else None)
    mission = {"SWIFT": "Swift", "FERMI": "Fermi", "LVC": "LIGO/Virgo", "LVK": "LIGO/Virgo/KAGRA"}.get(
        stream.upper(), stream)
    return ParsedAlert(
        format="voevent", event_name=name, title=f"{name}: {alert_type} VOEvent ({local})", alert_type=alert_type,
        tense=tense, content_key=content_key(payload.decode("utf-8", "replace")), other_names=[ivorn],
        mission=mission, instrument=instrument, messenger=_MESSENGER.get(stream.upper(), "EM"),
        trigger_time=trigger_pair, issued_time=issued, localization=loc, schema=ivorn, media_type="application/xml",
        trigger_id=value("GraceID") or value("TrigID"),
    )
