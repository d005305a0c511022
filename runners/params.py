"""Check user-supplied parameter values against a workflow's `ParameterSpec`s, with astropy.

Values come as strings (a web form, ``skyweave run -p radius="30 arcmin"``) or JSON values. Each is
normalised to what the notebook will be given: a float in the parameter's own unit, an int, a bool,
a str, or a time as an ISOT UTC string (a float MJD for ``oda:format "mjd"``). Every problem is
collected and reported at once in `ParameterErrors`.

References
----------
.. [1] nb2workflow parameter types, https://github.com/oda-hub/nb2workflow
.. [2] oda-hub ontology (types and units), https://github.com/oda-hub/ontology
.. [3] astropy units, angles, times: https://docs.astropy.org/en/stable/units/,
   https://docs.astropy.org/en/stable/coordinates/angles.html, https://docs.astropy.org/en/stable/time/
"""

import functools
import json
import math
import re
import warnings
from datetime import datetime
from urllib.parse import urlparse

import astropy.units as u
from astropy.coordinates import Angle
from astropy.time import Time
from astropy.utils.exceptions import AstropyWarning
from erfa import ErfaWarning

from rdflib import URIRef

from skyweave.catalog.vocab import ODA
from skyweave.runners.oda import UNITS, is_a

__all__ = ["ParameterErrors", "astropy_unit", "check_values", "normalised_key"]

_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")
_ANGLES = ("ra", "dec", "angle")
_QUANTITIES = _ANGLES + ("energy", "interval", "float")
_SEXAGESIMAL = re.compile(r"[+-]?\d+(?:[:\s]+\d+(?:\.\d*)?){1,2}")


class ParameterErrors(ValueError):
    """Some parameter values are wrong; ``errors`` lists every one.

    Parameters
    ----------
    errors : list of (str, str)
        ``(parameter name, message)`` pairs; the message says what was given, what is allowed and
        in which unit.

    Examples
    --------
    >>> str(ParameterErrors([("ra", "got 400 deg; allowed: [0, 360) deg")]))
    'ra: got 400 deg; allowed: [0, 360) deg'
    """

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors))

    def __reduce__(self):  # picklable, so it can cross from a worker process
        return type(self), (self.errors,)


class _Bad(Exception):
    """One parameter's problem (collected into ParameterErrors)."""


def astropy_unit(iri):
    """Return the astropy unit of a ``unit:`` IRI (None for None).

    Raises
    ------
    KeyError
        If the IRI is not in `runners.oda.UNITS`.

    Examples
    --------
    >>> astropy_unit("http://odahub.io/ontology/unit#arcmin")
    Unit("arcmin")
    """
    return None if iri is None else u.Unit(UNITS[URIRef(iri)])


def _unit_text(param):
    return f" {UNITS[param.unit]}" if param.unit is not None else ""


def _bare_number(raw):
    if isinstance(raw, bool):
        raise _Bad(f"got {raw!r}; expected a number")
    if isinstance(raw, (int, float)):
        return float(raw)
    if not isinstance(raw, str):
        raise _Bad(f"got {raw!r} ({type(raw).__name__}); expected a number or a string")
    try:
        return float(raw.strip())
    except ValueError:
        return None


def _quantity(param, raw):
    """Return the value in the parameter's unit, as a float."""
    unit = astropy_unit(param.unit)
    value = _bare_number(raw)
    if value is None:
        text = raw.strip()
        try:
            if _SEXAGESIMAL.fullmatch(text) and param.kind in _ANGLES:
                quantity = Angle(text, unit=u.hourangle if param.kind == "ra" else u.deg)
            elif param.kind in _ANGLES:
                quantity = Angle(text)
            else:
                quantity = u.Quantity(text)
        except (TypeError, ValueError):
            raise _Bad(f"got {raw!r}; expected a number in{_unit_text(param) or ' no unit'}"
                       f"{', or a quantity such as 30 arcmin' if unit else ''}") from None
        if unit is None:
            raise _Bad(f"got {raw!r}; this parameter has no unit, give a bare number")
        try:
            value = quantity.to_value(unit)
        except u.UnitsError:
            raise _Bad(f"got {raw!r}; expected {unit.physical_type} in{_unit_text(param)} (or a unit "
                       f"convertible to it)") from None
    if not math.isfinite(value):
        raise _Bad(f"got {raw!r}; expected a finite number")
    if param.kind == "ra" and not 0 <= value < 360:
        raise _Bad(f"got {_given(param, raw, value)}; allowed: [0, 360) deg")
    if param.kind == "dec" and not -90 <= value <= 90:
        raise _Bad(f"got {_given(param, raw, value)}; allowed: [-90, 90] deg")
    return float(value)


def _given(param, raw, value):
    """Say what was given: ``'90 arcmin' = 1.5 deg``, or ``90 deg`` for a bare number."""
    if isinstance(raw, str) and _bare_number(raw) is None:
        return f"{raw!r} = {value:g}{_unit_text(param)}"
    return f"{value:g}{_unit_text(param)}"


def _integer(raw):
    if isinstance(raw, bool):
        raise _Bad(f"got {raw!r}; expected an integer")
    if isinstance(raw, int):
        return raw
    number = _bare_number(raw)
    if number is None or not math.isfinite(number) or not number.is_integer():
        raise _Bad(f"got {raw!r}; expected an integer")
    return int(number)


def _boolean(raw):
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower() if isinstance(raw, (str, int)) else None
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise _Bad(f"got {raw!r}; expected true or false (or 1 or 0)")


def _time(param, raw):
    """Return ``(astropy Time, normalised value)`` of a time parameter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ErfaWarning)
        warnings.simplefilter("ignore", AstropyWarning)
        try:
            if isinstance(raw, bool) or not isinstance(raw, (str, int, float, datetime)):
                raise TypeError("not a time")
            number = None if isinstance(raw, datetime) else _bare_number(raw)
            if number is not None and not math.isfinite(number):
                raise ValueError("not finite")
            if number is not None:
                time = Time(number, format="mjd", scale="utc")
            else:
                time = Time(raw if isinstance(raw, datetime) else raw.strip(), scale="utc")
            time = time.utc
            value = float(time.mjd) if param.format == "mjd" else time.isot
        except (ValueError, TypeError):
            raise _Bad(f"got {raw!r}; expected a UTC time as ISOT (2004-12-04T22:00:00) or an MJD "
                       "number") from None
    return time, value


def _json(raw):
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise _Bad(f"got {raw[:80]!r}; expected JSON ({exc})") from None
    return raw


def _text(param, raw):
    if not isinstance(raw, str):
        raise _Bad(f"got {raw!r} ({type(raw).__name__}); expected a string")
    if param.kind in ("url", "file") and raw != param.default:  # the author's default (a shipped file) stands
        parsed = urlparse(raw.strip())
        if parsed.scheme not in ("http", "https", "ftp", "file") or not (parsed.netloc or parsed.path):
            raise _Bad(f"got {raw!r}; expected a URL (https://..., ftp://... or file:...) or an uploaded file")
        return raw.strip()
    return raw.strip() if param.kind == "target" else raw


def _check_range(param, raw, value):
    unit, low, high = _unit_text(param), param.lower, param.upper
    if (low is None or value >= low) and (high is None or value <= high):
        return
    if low is not None and high is not None:
        allowed = f"[{low:g}, {high:g}]{unit}"
    else:
        allowed = f">= {low:g}{unit}" if low is not None else f"<= {high:g}{unit}"
    raise _Bad(f"got {_given(param, raw, value)}; allowed: {allowed}")


def _normalise(param, raw, resolve_target):
    """Return ``(value, time or None)`` for one given value."""
    kind, time = param.kind, None
    if kind == "boolean":
        value = _boolean(raw)
    elif kind == "integer":
        value = _integer(raw)
        _check_range(param, raw, value)
    elif kind in _QUANTITIES:
        value = _quantity(param, raw)
        _check_range(param, raw, value)
    elif kind == "time":
        time, value = _time(param, raw)
    elif kind == "json":
        value = _json(raw)
    else:
        value = _text(param, raw)
        if kind == "target" and resolve_target is not None and resolve_target(value) is None:
            raise _Bad(f"unknown target {value!r}: no catalogued target has this name or alias")
    if param.allowed and value not in param.allowed:
        raise _Bad(f"got {raw!r}; allowed: {', '.join(map(repr, param.allowed))}{_unit_text(param)}")
    return value, time


def check_values(spec, values, resolve_target=None):
    """Validate and normalise the values of a run's parameters.

    Parameters
    ----------
    spec : runners.annotations.WorkflowSpec
    values : mapping of str to object
        Given values by parameter name: strings (``"30 arcmin"``, ``"5h34m31.9s"``, ``"true"``,
        ``"2004-12-04T22:00:00"``) or JSON values (numbers, booleans, strings).
    resolve_target : callable or None
        ``resolve_target(name) -> (ra_deg, dec_deg)`` or None, to check a given
        ``oda:AstrophysicalObject``; when it resolves and the workflow has ``oda:PointOfInterestRA``
        / ``DEC`` parameters that were not given, they take the resolved position. Defaults are the
        author's choice and are not resolved.

    Returns
    -------
    dict of str to object
        Every parameter, in the spec's order: angles, energies and other quantities as float in
        the parameter's unit (`~astropy.units.Quantity` ['angle'] in deg for RA and Dec), ints,
        bools, strs, times as ISOT UTC strings (float MJD for ``oda:format "mjd"``), None for an
        optional parameter left empty.

    Raises
    ------
    ParameterErrors
        Listing every problem: unknown names, missing required values, unparseable values, values
        in units not convertible to the parameter's, RA outside [0, 360) deg, Dec outside
        [-90, 90] deg, limits (``oda:lower_limit``, ``oda:upper_limit``), values not among
        ``oda:allowed_value``, an unknown target, or a StartTime not before the EndTime.

    Examples
    --------
    >>> from runners.annotations import ParameterSpec, WorkflowSpec
    >>> from catalog.vocab import ODA, ODA_UNIT
    >>> radius = ParameterSpec("radius", 0.1, ODA.Angle, float, unit=ODA_UNIT.deg, upper=1.0)
    >>> spec = WorkflowSpec("cone", "Cone", None, None, (), (radius,), (), None, None)
    >>> check_values(spec, {"radius": "30 arcmin"})
    {'radius': 0.5}
    """
    params = {p.name: p for p in spec.parameters}
    if resolve_target is not None:
        resolve_target = functools.lru_cache(maxsize=None)(resolve_target)  # ask once per name
    errors = [(name, f"unknown parameter; {spec.title!r} takes "
                     f"{', '.join(params) or 'no parameters'}")
              for name in values if name not in params]
    out, times = {}, {}
    for param in spec.parameters:
        given = param.name in values
        raw = values[param.name] if given else param.default
        if raw is None or (isinstance(raw, str) and not raw.strip() and (
                param.optional or param.python_type is not str)):
            if param.optional:
                out[param.name] = None
            elif given and param.default is not None:
                errors.append((param.name, f"got an empty value; give one (default {param.default!r})"))
            else:
                errors.append((param.name, "a value is required (this parameter has no default)"))
            continue
        try:
            out[param.name], times[param.name] = _normalise(
                param, raw, resolve_target if given else None)
        except _Bad as exc:
            errors.append((param.name, str(exc)))
    _check_interval(spec, times, errors)
    _fill_position(spec, values, out, resolve_target, errors)
    if errors:
        raise ParameterErrors(errors)
    return out


def _check_interval(spec, times, errors):
    start = next((p.name for p in spec.parameters if is_a(p.type_iri, ODA.StartTime)), None)
    end = next((p.name for p in spec.parameters if is_a(p.type_iri, ODA.EndTime)), None)
    if times.get(start) is not None and times.get(end) is not None and times[start] >= times[end]:
        errors.append((end, f"got {times[end].utc.isot} (UTC); it must be after the start time "
                            f"{start} = {times[start].utc.isot}"))


def _fill_position(spec, values, out, resolve_target, errors):
    if resolve_target is None or errors:
        return
    kinds = {p.kind: p.name for p in reversed(spec.parameters)}
    target, ra, dec = kinds.get("target"), kinds.get("ra"), kinds.get("dec")
    if not (target in values and ra and dec) or ra in values or dec in values or out.get(target) is None:
        return
    position = resolve_target(out[target])
    if position is not None:
        out[ra], out[dec] = float(position[0]), float(position[1])


def normalised_key(values):
    """Return a canonical JSON text of normalised values, for cache keys.

    Keys are sorted, separators compact, floats written with ``repr`` (the shortest text that
    reads back to the same float), so equal values give equal keys.

    Parameters
    ----------
    values : dict of str to (bool, int, float, str or None)
        As `check_values` returns them.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        If a value is not JSON-serialisable.
    ValueError
        If a float is NaN or infinite.

    Examples
    --------
    >>> normalised_key({"radius": 0.5, "model": None, "n": 3, "ok": True})
    '{"model":null,"n":3,"ok":true,"radius":0.5}'
    """
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
