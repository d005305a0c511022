"""IGWN gravitational-wave alerts (``igwn.gwalert``), as JSON (GCN Kafka) or Avro (Hopskotch).

An alert names its superevent (``S``: real; ``MS``: mock, i.e. a test; ``TS``: test), its type
(EARLYWARNING, PRELIMINARY, INITIAL, UPDATE, RETRACTION) and, unless it is a retraction, the event
with its detectors and a multi-order HEALPix sky map (base64 FITS in JSON, raw bytes in Avro).
LVK may send two identical preliminary alerts; their content key leaves ``time_created`` out, so
they are one alert.

References
----------
.. [1] IGWN alert schema, https://git.ligo.org/emfollow/igwn-gwalert-schema
.. [2] LIGO/Virgo/KAGRA public alerts user guide, https://emfollow.docs.ligo.org/userguide/content.html
"""

import base64
import io
import json

from .model import Localization, ParsedAlert, Unusable, content_key
from .times import BadTime, utc_time

__all__ = ["parse_igwn", "looks_like_igwn", "decode_avro"]

_TYPES = {"EARLYWARNING": "initial", "PRELIMINARY": "initial", "INITIAL": "initial", "UPDATE": "update",
          "RETRACTION": "retraction"}
_DETECTORS = {"H1": "LIGO", "L1": "LIGO", "V1": "Virgo", "K1": "KAGRA"}


def looks_like_igwn(data):
    """Return True if a decoded JSON object is an IGWN alert (it has ``superevent_id`` and ``alert_type``)."""
    return isinstance(data, dict) and "superevent_id" in data and "alert_type" in data


def decode_avro(payload):
    """Decode a single-record Avro container (as IGWN publishes on Hopskotch) into a dict.

    Raises
    ------
    skyweave.alerts.model.Unusable
        If the container does not decode or holds no record.
    """
    import fastavro

    try:
        records = list(fastavro.reader(io.BytesIO(payload)))
    except Exception as exc:  # fastavro raises many kinds
        raise Unusable(f"The Avro message does not decode: {exc}") from None
    if not records:
        raise Unusable("The Avro message holds no record.")
    return records[0]


def parse_igwn(data):
    """Read an IGWN alert.

    Parameters
    ----------
    data : dict
        The decoded alert (``event.skymap`` as base64 text or as bytes).

    Returns
    -------
    skyweave.alerts.model.ParsedAlert

    Raises
    ------
    skyweave.alerts.model.Unusable
        If the type is unknown, a time does not parse, or the sky map is not base64.

    Examples
    --------
    >>> a = parse_igwn({"superevent_id": "MS181101ab", "alert_type": "RETRACTION",
    ...                 "time_created": "2018-11-01T22:34:49Z", "event": None})
    >>> a.event_name, a.alert_type, a.tense, a.messenger
    ('MS181101ab', 'retraction', 'test', 'GW')
    """
    kind = str(data.get("alert_type", "")).upper()
    if kind not in _TYPES:
        raise Unusable(f"Unknown IGWN alert_type {data.get('alert_type')!r}; expected one of {', '.join(_TYPES)}.")
    name = str(data.get("superevent_id") or "")
    tense = "test" if name.startswith(("MS", "TS")) else "current"
    event = data.get("event") or {}
    try:
        issued = (utc_time(data["time_created"]), str(data["time_created"])) if data.get("time_created") else None
        trigger = (utc_time(event["time"]), str(event["time"])) if event.get("time") else None
    except BadTime as exc:
        raise Unusable(str(exc)) from None
    loc = None
    skymap = event.get("skymap")
    if skymap:
        if isinstance(skymap, str):
            try:
                skymap = base64.b64decode(skymap, validate=True)
            except ValueError:
                raise Unusable("event.skymap is not valid base64.") from None
        loc = Localization(skymap=bytes(skymap), skymap_name=f"{name}.multiorder.fits")
    detectors = sorted({_DETECTORS[d] for d in event.get("instruments") or [] if d in _DETECTORS})
    keyed = dict(data)
    if isinstance(keyed.get("event"), dict) and isinstance(keyed["event"].get("skymap"), bytes):
        keyed["event"] = dict(keyed["event"], skymap=base64.b64encode(keyed["event"]["skymap"]).decode())
    group = f" ({event.get('group')}, {event.get('pipeline')})" if event else ""
    return ParsedAlert(
        format="igwn-json", event_name=name, title=f"{name}: {kind.lower()} alert{group}", alert_type=_TYPES[kind],
        tense=tense, content_key=content_key(json.loads(json.dumps(keyed, default=str)), ignore=("time_created",)),
        mission="LVK", instrument=",".join(detectors) or None, messenger="GW", trigger_time=trigger,
        issued_time=issued, localization=loc, schema="igwn-gwalert",
    )
