"""Times in alerts, normalised to UTC while the original literal is kept.

Alerts give times as ISO 8601 strings (GCN unified notices, IGWN alerts), VOEvent ``ISOTime``
(ISO 8601 in UTC without a zone), Unix epochs in milliseconds (GCN circulars' ``createdOn``),
Julian dates, modified Julian dates, or NASA's truncated Julian date with seconds of day (classic
GCN notices: TJD = JD - 2440000.5). All become a UTC `datetime.datetime` through astropy's `Time`.

References
----------
.. [1] VOEvent 2.0, section 3.4 (ISOTime), https://www.ivoa.net/documents/VOEvent/
.. [2] GCN classic notices, TJD definition, https://gcn.gsfc.nasa.gov/sock_pkt_def_doc.html
"""

import re
from datetime import datetime, timezone

from astropy.time import Time

__all__ = ["BadTime", "utc_time", "xsd_datetime"]


class BadTime(ValueError):
    """A time literal that does not parse or is out of range (the message is quarantined)."""


_EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)


def utc_time(value, kind="iso"):
    """Read a time from an alert as a UTC datetime.

    Parameters
    ----------
    value : str, int, float or tuple
        The literal as the message gives it. For ``kind="tjd"`` a pair ``(tjd, seconds_of_day)``.
    kind : {"iso", "epoch_ms", "jd", "mjd", "tjd"}
        How to read it. ISO strings without a zone are UTC (VOEvent ``ISOTime``).

    Returns
    -------
    datetime.datetime
        Timezone-aware, UTC, microsecond precision.

    Raises
    ------
    BadTime
        If the literal does not parse, or falls outside 1990-2200.

    Examples
    --------
    >>> utc_time("2023-04-16T05:22:26.150574Z")
    datetime.datetime(2023, 4, 16, 5, 22, 26, 150574, tzinfo=datetime.timezone.utc)
    >>> utc_time(1735700000000, "epoch_ms")
    datetime.datetime(2025, 1, 1, 2, 53, 20, tzinfo=datetime.timezone.utc)
    >>> utc_time((20000, 43200.0), "tjd")
    datetime.datetime(2023, 2, 25, 12, 0, tzinfo=datetime.timezone.utc)
    >>> utc_time("60000.5", "mjd")
    datetime.datetime(2023, 2, 25, 12, 0, tzinfo=datetime.timezone.utc)
    """
    try:
        if kind == "iso":
            text = str(value).strip()
            if not re.match(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$", text):
                raise ValueError("not an ISO 8601 date and time")
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            moment = moment.astimezone(timezone.utc)
        elif kind == "epoch_ms":
            moment = datetime.fromtimestamp(float(value) / 1000.0, tz=timezone.utc)
        elif kind in ("jd", "mjd"):
            mjd = float(value) - (2400000.5 if kind == "jd" else 0.0)
            if not 47892.0 <= mjd < 124594.0:  # 1990 to 2200
                raise ValueError(f"MJD {mjd:g} is outside 1990-2200")
            moment = Time(mjd, format="mjd", scale="utc").to_datetime(timezone=timezone.utc)
        elif kind == "tjd":
            tjd, sod = value
            moment = Time(float(tjd) + 40000.0 + float(sod) / 86400.0, format="mjd", scale="utc").to_datetime(
                timezone=timezone.utc)
        else:
            raise ValueError(f"unknown time kind {kind!r}")
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise BadTime(f"The time {value!r} ({kind}) does not parse: {exc}") from None
    if not _EARLIEST <= moment < _LATEST:
        raise BadTime(f"The time {value!r} ({kind}) is {moment.isoformat()}, outside 1990-2200.")
    return moment.astimezone(timezone.utc)


def xsd_datetime(moment):
    """Return ``moment`` (a UTC datetime) as an ``xsd:dateTime`` lexical form ending in ``Z``.

    Examples
    --------
    >>> xsd_datetime(utc_time("2023-04-16T07:22:26+02:00"))
    '2023-04-16T05:22:26Z'
    """
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
