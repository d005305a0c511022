"""GCN's JSON messages: unified notices (``gcn.notices.*``) and circulars (``gcn.circulars``).

A unified notice names its versioned schema in ``$schema`` and combines the core building blocks
(Alert, Event, Reporter, DateTime, Localization, ...) that the parser reads here; the rest of the
notice stays in the raw payload kept with the alert.

References
----------
.. [1] GCN unified schema core blocks, https://github.com/nasa-gcn/gcn-schema/tree/main/gcn/notices/core
.. [2] GCN Circulars JSON, https://gcn.nasa.gov/docs/circulars/api
"""

import base64
import re

from .model import Localization, ParsedAlert, Unusable, content_key
from .times import BadTime, utc_time

__all__ = ["parse_notice", "parse_circular"]

_SCHEMA_PATH = re.compile(r"/gcn/notices/(?P<path>.+)/(?P<name>[^/]+)\.schema\.json$")


def _first(value):
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def _time(data, key):
    if data.get(key) in (None, ""):
        return None
    try:
        return utc_time(data[key]), str(data[key])
    except BadTime as exc:
        raise Unusable(f"{key}: {exc}") from None


def _localization(data):
    """Read the Localization block (or IceCube's most probable direction); None when there is none."""
    source = data
    if data.get("ra") is None and isinstance(data.get("most_probable_direction"), dict):
        source = data["most_probable_direction"]
    skymap = None
    if data.get("healpix_file"):
        try:
            skymap = base64.b64decode(data["healpix_file"], validate=True)
        except ValueError:
            raise Unusable("healpix_file is not valid base64.") from None
    if source.get("ra") is None and source.get("dec") is None and skymap is None:
        return None
    if (source.get("ra") is None) != (source.get("dec") is None):
        raise Unusable("The position has only one of ra and dec.")
    loc = Localization(skymap=skymap)
    if source.get("ra") is not None:
        try:
            loc.ra, loc.dec = float(source["ra"]), float(source["dec"])
        except (TypeError, ValueError):
            raise Unusable(f"ra/dec {source.get('ra')!r}, {source.get('dec')!r} are not numbers.") from None
    error = data.get("ra_dec_error")
    if isinstance(error, (int, float)):
        loc.radius = float(error)
    elif isinstance(error, list) and error:
        a = float(error[0])
        b = float(error[1]) if len(error) > 1 else a
        pa = float(error[2]) if len(error) > 2 else 0.0
        loc.ellipse = (a, b, pa) if b != a else None
        loc.radius = a if b == a else None
    loc.containment = float(data.get("containment_probability") or 0.9)
    return loc


def parse_notice(data, schemas=None):
    """Read a GCN unified JSON notice.

    Parameters
    ----------
    data : dict
        The decoded notice.
    schemas : skyweave.alerts.schemas.SchemaSet or None
        Validate against the schema the notice names first (skipped when None).

    Returns
    -------
    skyweave.alerts.model.ParsedAlert

    Raises
    ------
    skyweave.alerts.model.Unusable
        If the notice fails its schema, names no event, or has a bad time or position.

    Examples
    --------
    >>> alert = parse_notice({"$schema": "https://gcn.nasa.gov/schema/v7.2.3/gcn/notices/swift/bat/Guano.schema.json",
    ...     "mission": "Swift", "instrument": "BAT-GUANO", "messenger": "EM", "alert_type": "retraction",
    ...     "trigger_time": "2022-12-31T21:46:05.13Z", "id": ["694215995"]})
    >>> alert.event_name, alert.alert_type, alert.tense, alert.trigger_time[0].isoformat()
    ('Swift BAT-GUANO 694215995', 'retraction', 'current', '2022-12-31T21:46:05.130000+00:00')
    """
    if schemas is not None:
        schemas.check(data)
    url = str(data.get("$schema") or "")
    match = _SCHEMA_PATH.search(url)
    path_parts = match.group("path").split("/") if match else []
    mission = data.get("mission") or (path_parts[0] if path_parts else None)
    instrument = data.get("instrument") or (path_parts[1] if len(path_parts) > 1 else None)
    ident = _first(data.get("id")) or next(
        (str(data[k]) for k in ("obs_id", "trigger_number") if data.get(k) not in (None, "")), None)
    name = _first(data.get("event_name")) or data.get("ref_ID")
    if not name and ident:
        facility = str(instrument or data.get("facility_name") or "").strip()
        name = " ".join(p for p in (str(mission or "").strip(), facility, ident) if p)
    others = [str(i) for i in (data.get("id") if isinstance(data.get("id"), list) else [data.get("id")]) if i]
    kind = data.get("pipeline") or data.get("type") or (match.group("name") if match else "notice")
    alert_type = data.get("alert_type") or "initial"
    return ParsedAlert(
        format="gcn-json", event_name=name or "", title=f"{name}: {alert_type} notice ({kind})",
        alert_type=alert_type, tense=data.get("alert_tense") or "current", content_key=content_key(data),
        other_names=[o for o in others if o != name], mission=mission, instrument=instrument,
        messenger=data.get("messenger"), trigger_time=_time(data, "trigger_time"),
        issued_time=_time(data, "alert_datetime"), localization=_localization(data), schema=url or None,
        trigger_id=ident,
    )


def parse_circular(data):
    """Read a GCN circular (JSON, as on the ``gcn.circulars`` topic).

    Parameters
    ----------
    data : dict

    Returns
    -------
    skyweave.alerts.model.ParsedAlert
        An ``update`` about the circular's ``eventId`` (or about "GCN Circular N" when it names none).

    Raises
    ------
    skyweave.alerts.model.Unusable
        If a required field (subject, circularId, body, createdOn) is missing or ``createdOn`` is bad.

    Examples
    --------
    >>> c = parse_circular({"circularId": 34284, "subject": "IceCube-230724A: upper limits", "body": "...",
    ...                     "createdOn": 1690537700000, "eventId": "IceCube-230724A"})
    >>> c.event_name, c.issued_time[0].isoformat()
    ('IceCube-230724A', '2023-07-28T09:48:20+00:00')
    """
    missing = [k for k in ("subject", "circularId", "body", "createdOn") if data.get(k) in (None, "")]
    if missing:
        raise Unusable(f"The circular lacks {', '.join(missing)} (required by the GCN circulars schema).")
    try:
        issued = utc_time(data["createdOn"], "epoch_ms"), str(data["createdOn"])
    except BadTime as exc:
        raise Unusable(f"createdOn: {exc}") from None
    name = data.get("eventId") or f"GCN Circular {data['circularId']}"
    return ParsedAlert(
        format="gcn-circular", event_name=str(name),
        title=f"GCN Circular {data['circularId']}: {data['subject']}", alert_type="update", tense="current",
        content_key=content_key(data), other_names=[f"GCN Circular {data['circularId']}"],
        issued_time=issued, schema=data.get("$schema"),
    )
