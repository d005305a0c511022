"""The facts of a TNS AT report a person may fill in or correct, TNS's value lists, and their checks (astropy).

An AT report needs discovery photometry that no bundled workflow computes, so the facts come from three
places, in this order of precedence: what a person typed (the report form or ``--set name=value``), the
values a run computed (``schema:result``), and the record itself (an event's or result's position) or the
settings (value ids). `FIELDS` lists them with their units; `check` parses what was typed with astropy and
names every bad field at once, before anything is sent.

=========================  ======  =================================================================
field                      unit    check
=========================  ======  =================================================================
``ra``, ``dec``            deg     ICRS; decimal degrees or sexagesimal (``10:20:30.0`` is hours for RA);
                                   0 <= ra < 360, -90 <= dec <= 90 (`astropy.coordinates.Latitude`)
``position_error_arcsec``  arcsec  0 < error <= 3600
``discovery_time``         UTC     ISO 8601 (`astropy.time.Time`), not in the future, after 1900
``last_nondetection_time`` UTC     as above, and before the discovery (TNS message 1)
``discovery_mag``,         mag     `MAG_RANGE`; the error 0 <= err <= 5
``discovery_mag_err``,
``limiting_mag``
``filterid``,              id      a key of the TNS value list (`VALUES`)
``instrumentid``,
``at_type``,
``reporting_groupid``,
``data_source_groupid``
=========================  ======  =================================================================

References
----------
.. [1] TNS bot API ``get/values`` and the AT-report fields, ``specs/external-apis.md`` §3.2-3.4.
"""

from dataclasses import dataclass
from datetime import datetime, timezone

__all__ = ["Field", "FIELDS", "VALUES", "MAG_RANGE", "check"]

MAG_RANGE = (-2.0, 32.0)
"""Plausible magnitudes, AB or Vega (a bright nova to the deepest surveys)."""

VALUES = {
    "at_type": {"0": "Other", "1": "PSN", "2": "PNV", "3": "AGN", "4": "NUC", "5": "FRB"},
    "filterid": {"110": "g-ZTF", "111": "r-ZTF", "112": "i-ZTF", "160": "u-LSST", "161": "g-LSST",
                 "162": "r-LSST", "163": "i-LSST", "164": "z-LSST", "165": "y-LSST"},
    "instrumentid": {"196": "P48 - ZTF-Cam"},
    "flux_unitid": {"1": "AB mag", "3": "Vega mag"},
    "reporting_groupid": {"82": "ZTF"},
    "data_source_groupid": {"48": "ZTF"},
}
"""TNS value ids as the contract knows them (``specs/external-apis.md`` §3.3; the stand-in's ``get/values``)."""


@dataclass(frozen=True)
class Field:
    """One fact of the AT report form: ``name`` (form field and ``--set`` key), ``label``, ``unit``, ``help``."""

    name: str
    label: str
    unit: str = ""
    help: str = ""

    @property
    def choices(self):
        """The TNS value list of an id field (``{id: name}``), or None for a free value."""
        return VALUES.get(self.name)


FIELDS = (
    Field("ra", "Right ascension (ICRS)", "deg", "decimal degrees, or h:m:s"),
    Field("dec", "Declination (ICRS)", "deg", "decimal degrees, or d:m:s"),
    Field("position_error_arcsec", "Position error", "arcsec", "of the counterpart's position"),
    Field("discovery_time", "Discovery time", "UTC", "ISO 8601, e.g. 2026-03-01T04:12:33Z"),
    Field("discovery_mag", "Discovery magnitude", "mag"),
    Field("discovery_mag_err", "Discovery magnitude error", "mag"),
    Field("filterid", "Filter", "", "TNS filter"),
    Field("instrumentid", "Instrument", "", "TNS instrument"),
    Field("flux_unitid", "Magnitude system"),
    Field("last_nondetection_time", "Last non-detection time", "UTC", "ISO 8601"),
    Field("limiting_mag", "Limiting magnitude of the last non-detection", "mag"),
    Field("at_type", "AT type"),
    Field("reporting_groupid", "Reporting group"),
    Field("data_source_groupid", "Data source group"),
)
"""The facts of an AT report a person may fill in or correct, in form order."""

NAMES = tuple(f.name for f in FIELDS)


def _angle(text, hours):
    import astropy.units as u
    from astropy.coordinates import Angle, Latitude

    if ":" in text or " " in text.strip():
        angle = Angle(text, unit=u.hourangle if hours else u.deg)
    else:
        angle = Angle(float(text), unit=u.deg)
    if hours:
        if not 0 <= angle.deg < 360:
            raise ValueError(f"{angle.deg:g} deg is outside 0 <= ra < 360 deg")
        return angle.deg
    return Latitude(angle).deg  # raises ValueError outside -90..90 deg


def _time(text, now):
    import warnings

    from astropy.time import Time
    from erfa import ErfaWarning

    with warnings.catch_warnings():  # "dubious year": a UTC time past the leap-second table astropy ships
        warnings.simplefilter("ignore", ErfaWarning)
        text = text.strip()
        try:  # an offset (+02:00, Z) is converted to UTC; without one the time is taken as UTC
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
        try:
            value = Time(parsed if parsed is not None else text, scale="utc")
        except ValueError:
            raise ValueError("not ISO 8601, e.g. 2026-03-01T04:12:33Z") from None
        present = Time(now)
        isot, late, early = value.isot, value > present, value < Time("1900-01-01T00:00:00", scale="utc")
        if late:
            raise ValueError(f"{isot}Z is in the future (now {present.isot[:19]}Z)")
    if early:
        raise ValueError(f"{isot}Z is before 1900")
    return isot + "Z"


def _number(text, low, high, unit):
    value = float(text)
    if not low <= value <= high:
        raise ValueError(f"{value:g} {unit} is outside {low:g}..{high:g} {unit}")
    return value


def check(supplied, now=None):
    """Parse and check the facts a person supplied; return them normalised, or name every bad one.

    Parameters
    ----------
    supplied : Mapping of str to str
        Field name (one of `FIELDS`) -> text as typed; empty values are ignored.
    now : datetime.datetime, optional
        The present, timezone-aware (default: the clock); no time may be after it.

    Returns
    -------
    dict
        Field name -> value as the report writes it: degrees and magnitudes as their text, times as
        ISO 8601 UTC (``2026-03-01T04:12:33.000Z``), ids as given.

    Raises
    ------
    ValueError
        An unknown field name (a programming or typing error on the command line).
    publishers.outcomes.MissingMetadata
        Naming each bad field, its value and the rule it breaks (``dec: 95 is outside -90..90 deg``).

    Examples
    --------
    >>> check({"dec": "-20:30:00", "discovery_mag": "18.2"})["dec"]
    '-20.5'
    >>> try:
    ...     check({"dec": "95", "discovery_mag": "45"})
    ... except ValueError as exc:
    ...     for problem in exc.problems:
    ...         print(problem)
    dec: '95' is not a declination (Latitude angle(s) must be within -90 deg <= angle <= 90 deg, got 95.0 deg)
    discovery_mag: '45' is not a magnitude (45 mag is outside -2..32 mag)
    """
    from .outcomes import MissingMetadata

    now = now or datetime.now(timezone.utc)
    unknown = sorted(set(supplied) - set(NAMES))
    if unknown:
        raise ValueError(f"unknown AT-report field(s) {', '.join(unknown)}; use {', '.join(NAMES)}")
    out, problems = {}, []
    for name, text in supplied.items():
        text = "" if text is None else str(text).strip()
        if not text:
            continue
        try:
            if name in ("ra", "dec"):
                what = "a right ascension" if name == "ra" else "a declination"
                value = _angle(text, name == "ra")
                out[name] = f"{value:.10g}"
            elif name in ("discovery_time", "last_nondetection_time"):
                what = "a UTC time"
                out[name] = _time(text, now)
            elif name == "position_error_arcsec":
                what = "a position error in arcsec"
                out[name] = f"{_number(text, 0, 3600, 'arcsec'):g}"
                if float(out[name]) == 0:
                    raise ValueError("must be > 0 arcsec")
            elif name == "discovery_mag_err":
                what = "a magnitude error"
                out[name] = f"{_number(text, 0, 5, 'mag'):g}"
            elif name in ("discovery_mag", "limiting_mag"):
                what = "a magnitude"
                out[name] = f"{_number(text, *MAG_RANGE, 'mag'):g}"
            else:
                what = f"a TNS {name} value id"
                if text not in VALUES[name]:
                    raise ValueError("TNS knows " + ", ".join(f"{k} ({v})" for k, v in VALUES[name].items()))
                out[name] = text
        except ValueError as exc:
            problems.append(f"{name}: {text!r} is not {what} ({exc})")
    if not problems and out.get("last_nondetection_time") and out.get("discovery_time") and \
            out["last_nondetection_time"] >= out["discovery_time"]:
        problems.append(f"last_nondetection_time: {out['last_nondetection_time']} is not before the discovery time "
                        f"{out['discovery_time']} (TNS message 1)")
    if problems:
        raise MissingMetadata(problems)
    return out
