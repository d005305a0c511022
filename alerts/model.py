"""What the intake reads from a message: a parsed alert with its event, times and localisation.

The parsers (`skyweave.alerts.parse`) fill these plain dataclasses; `skyweave.alerts.records`
turns them into RDF. A parser that cannot read a message raises `Unusable` with a reason people can
read, and the message is quarantined.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Unusable", "Localization", "ParsedAlert", "TENSES", "ALERT_TYPES", "content_key", "notice_key", "event_slug"]

TENSES = ("current", "archival", "planned", "injection", "commanded", "test")
"""Alert tenses of GCN's unified schema (``core/Alert.schema.json``)."""

ALERT_TYPES = ("initial", "subsequent", "update", "retraction")
"""Alert types of GCN's unified schema; other formats' types are mapped onto these."""


class Unusable(ValueError):
    """A message that cannot become an alert; ``str(exc)`` is the reason shown with the quarantined record."""


@dataclass
class Localization:
    """Where an alert places its event.

    Attributes
    ----------
    ra, dec : float or None
        ICRS centre in degrees.
    radius : float or None
        Error-circle radius in degrees.
    ellipse : tuple of float or None
        ``(semi_major, semi_minor, position_angle)`` in degrees (angle east of north).
    containment : float
        Probability inside the circle or ellipse (GCN's default 0.9).
    skymap : bytes or None
        A HEALPix sky map as FITS bytes (multi-order ``UNIQ``/``PROBDENSITY``, or flat ``PROB``).
    skymap_name : str
        File name for the sky map.
    """

    ra: float | None = None
    dec: float | None = None
    radius: float | None = None
    ellipse: tuple | None = None
    containment: float = 0.9
    skymap: bytes | None = None
    skymap_name: str = "skymap.multiorder.fits"

    def check(self):
        """Raise `Unusable` if the position or error region is out of range.

        Examples
        --------
        >>> try:
        ...     Localization(ra=400.0, dec=0.0, radius=1.0).check()
        ... except Unusable as exc:
        ...     print(exc)
        The right ascension 400.0 deg is outside 0 <= ra < 360.
        """
        if self.skymap is None and (self.ra is None or self.dec is None):
            raise Unusable("The localisation has neither a position (ra, dec) nor a sky map.")
        if self.ra is not None and not 0.0 <= self.ra < 360.0:
            raise Unusable(f"The right ascension {self.ra} deg is outside 0 <= ra < 360.")
        if self.dec is not None and not -90.0 <= self.dec <= 90.0:
            raise Unusable(f"The declination {self.dec} deg is outside -90 <= dec <= 90.")
        if self.radius is not None and not 0.0 < self.radius <= 180.0:
            raise Unusable(f"The error radius {self.radius} deg is outside 0 < r <= 180.")
        if not 0.0 < self.containment <= 1.0:
            raise Unusable(f"The containment probability {self.containment} is outside 0 < p <= 1.")


@dataclass
class ParsedAlert:
    """An alert as read from one message.

    Attributes
    ----------
    format : str
        ``gcn-json``, ``voevent``, ``gcn-circular`` or ``igwn-json``.
    event_name : str
        The event's name as people write it (``GRB 250101A``, ``S250101ab``, ``IceCube-230416A``).
    title : str
        One line saying what the alert is.
    alert_type : str
        One of `ALERT_TYPES`.
    tense : str
        One of `TENSES`.
    content_key : str
        SHA-256 hex of the content that makes two messages the same alert (`content_key`).
    other_names : list of str
        Other identifiers of the event (trigger numbers, ``id`` values).
    mission, instrument : str or None
        As the message names them.
    messenger : str or None
        ``EM``, ``GW`` or ``Neutrino`` (GCN's Reporter values).
    trigger_time, issued_time : tuple of (datetime.datetime, str) or None
        UTC time and the literal as sent.
    localization : Localization or None
    schema : str or None
        The ``$schema`` (or VOEvent ivorn) the message declares.
    media_type : str
        Media type of the raw payload.
    trigger_id : str or None
        The mission's own trigger number or id (GCN ``id``, VOEvent ``TrigID``/``GraceID``), for `notice_key`.
    """

    format: str
    event_name: str
    title: str
    alert_type: str
    tense: str
    content_key: str
    other_names: list = field(default_factory=list)
    mission: str | None = None
    instrument: str | None = None
    messenger: str | None = None
    trigger_time: tuple | None = None
    issued_time: tuple | None = None
    localization: Localization | None = None
    schema: str | None = None
    media_type: str = "application/json"
    trigger_id: str | None = None

    def __post_init__(self):
        if self.alert_type not in ALERT_TYPES:
            raise Unusable(f"Unknown alert type {self.alert_type!r}; expected one of {', '.join(ALERT_TYPES)}.")
        if self.tense not in TENSES:
            raise Unusable(f"Unknown alert tense {self.tense!r}; expected one of {', '.join(TENSES)}.")
        if not self.event_name:
            raise Unusable("The message names no event (no id, event name or trigger number).")
        if self.localization is not None:
            self.localization.check()
        for moment in (self.trigger_time, self.issued_time):
            if moment is not None and not isinstance(moment[0], datetime):
                raise TypeError("times are (datetime, literal) pairs")


def content_key(data, ignore=()):
    """Return the SHA-256 (hex) of a JSON-like value with the keys ``ignore`` left out, in canonical form.

    Examples
    --------
    >>> content_key({"b": 1, "a": 2}) == content_key({"a": 2, "b": 1})
    True
    >>> content_key({"a": 1, "time_created": "x"}, ignore=("time_created",)) == content_key({"a": 1})
    True
    """
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in ignore}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def notice_key(parsed):
    """Return what makes two messages the same notice whatever their format (SHA-256 hex), or None.

    The same notice sent as a GCN JSON notice and as a classic VOEvent (or by two brokers) differs
    byte for byte, so its content key differs; it is recognised by its mission and instrument (first
    word of each, case folded), the mission's trigger id, alert type, tense, trigger time (to the
    millisecond), issue time (to the second), and position and error circle or ellipse (to 1e-4
    deg). Messages lacking a mission, trigger id or trigger time have no notice key (only their
    content identifies them). Two notices of one trigger that differ in any of these (another
    instrument, a refined position, a later update) stay two alerts.

    Parameters
    ----------
    parsed : ParsedAlert

    Returns
    -------
    str or None

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = (datetime(2012, 9, 7, 0, 24, 23, 80000, tzinfo=timezone.utc), "")
    >>> a = ParsedAlert("voevent", "SWIFT BAT trigger 532871", "a", "initial", "current", "0" * 64, mission="Swift",
    ...                 instrument="BAT", trigger_id="532871", trigger_time=t,
    ...                 localization=Localization(74.7412, -9.3137, 0.05))
    >>> b = ParsedAlert("gcn-json", "Swift BAT-GUANO 532871", "b", "initial", "current", "1" * 64, mission="SWIFT",
    ...                 instrument="BAT-GUANO", trigger_id="532871", trigger_time=t,
    ...                 localization=Localization(74.74120001, -9.3137, 0.05))
    >>> notice_key(a) == notice_key(b) != None
    True
    """
    if not parsed.trigger_id or not parsed.trigger_time or not parsed.mission:
        return None
    first = lambda text: re.split(r"[^a-z0-9]+", (text or "").lower().strip())[0]  # noqa: E731
    loc = parsed.localization
    where = None
    if loc is not None and loc.ra is not None:
        where = [round(loc.ra, 4), round(loc.dec, 4), None if loc.radius is None else round(loc.radius, 4),
                 None if loc.ellipse is None else [round(x, 4) for x in loc.ellipse]]
    issued = parsed.issued_time[0].isoformat(timespec="seconds") if parsed.issued_time else None
    return content_key({"mission": first(parsed.mission), "instrument": first(parsed.instrument),
                        "trigger": str(parsed.trigger_id).strip(), "type": parsed.alert_type, "tense": parsed.tense,
                        "time": parsed.trigger_time[0].isoformat(timespec="milliseconds"), "issued": issued,
                        "where": where})


def event_slug(name):
    """Return the URL slug of an event name.

    Examples
    --------
    >>> event_slug("GRB 250101A")
    'grb-250101a'
    >>> event_slug("Swift BAT-GUANO 694215995")
    'swift-bat-guano-694215995'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80].rstrip("-") or hashlib.sha256(name.encode()).hexdigest()[:16]
