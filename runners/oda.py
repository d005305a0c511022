"""The oda-hub terms MMODA notebook annotations use, and the Turtle reading of one annotation.

The tables here are the whole vocabulary skyweave accepts in a notebook (``runners/README.md``):
parameter and output types (oda-hub ontology classes, ``http://odahub.io/ontology#``), the annotation
predicates, and the units of ``http://odahub.io/ontology/unit#`` with their astropy equivalents.
Anything else is an unknown term, which `runners.annotations` reports as an ``AnnotationError``.

References
----------
.. [1] oda-hub ontology (IRIs only), https://github.com/oda-hub/ontology
.. [2] nb2workflow, MMODA's notebook-annotation reader, https://github.com/oda-hub/nb2workflow
.. [3] RDF 1.1 Turtle, W3C Recommendation 2014, https://www.w3.org/TR/turtle/
"""

import re
from collections import namedtuple

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from skyweave.catalog.vocab import ODA, ODA_UNIT

__all__ = [
    "TypeInfo", "KNOWN_TYPES", "PARAMETER_TYPES", "OUTPUT_TYPES", "KNOWN_PREDICATES",
    "NOTEBOOK_PREDICATES", "OUTPUT_PREDICATES", "UNITS", "TIME_FORMATS", "Annotation",
    "looks_like_annotation", "parse_annotation", "parse_statement", "python_type_for", "curie",
    "literal_value",
]

TypeInfo = namedtuple("TypeInfo", "kind python_type unit role")
TypeInfo.__doc__ = """What skyweave knows about one oda-hub class.

kind : str
    ``target``, ``ra``, ``dec``, ``angle``, ``energy``, ``time``, ``interval``, ``float``,
    ``integer``, ``string``, ``boolean``, ``url`` or ``product`` (a file an output names).
python_type : type
    The Python type of a value (``float`` for an MJD time is decided by `python_type_for`).
unit : str or None
    Local name in ``unit:`` of the unit the type implies (``keV`` for ``oda:Energy_keV``), or None.
role : str
    ``parameter``, ``output`` or ``both``.
"""

_T = TypeInfo
KNOWN_TYPES = {ODA[name]: info for name, info in {
    "AstrophysicalObject": _T("target", str, None, "parameter"),
    "PointOfInterestRA": _T("ra", float, "deg", "parameter"),
    "PointOfInterestDEC": _T("dec", float, "deg", "parameter"),
    "Angle": _T("angle", float, "deg", "parameter"),
    "AngleDegrees": _T("angle", float, "deg", "parameter"),
    "AngleMinutes": _T("angle", float, "arcmin", "parameter"),
    "Energy_keV": _T("energy", float, "keV", "parameter"),
    "Energy_MeV": _T("energy", float, "MeV", "parameter"),
    "Energy_GeV": _T("energy", float, "GeV", "parameter"),
    "Energy_TeV": _T("energy", float, "TeV", "parameter"),
    "Energy": _T("energy", float, None, "parameter"),
    "StartTime": _T("time", str, None, "parameter"),
    "EndTime": _T("time", str, None, "parameter"),
    "TimeInstant": _T("time", str, None, "parameter"),
    "TimeIntervalDays": _T("interval", float, "day", "parameter"),
    "TimeIntervalSeconds": _T("interval", float, "s", "parameter"),
    "Float": _T("float", float, None, "both"),
    "Integer": _T("integer", int, None, "both"),
    "String": _T("string", str, None, "both"),
    "Boolean": _T("boolean", bool, None, "both"),
    "FileURL": _T("url", str, None, "parameter"),
    "ODAPictureProduct": _T("product", str, None, "output"),
    "ODAImage": _T("product", str, None, "output"),
    "ODASpectrum": _T("product", str, None, "output"),
    "ODALightCurve": _T("product", str, None, "output"),
    "ODAAstropyTable": _T("product", str, None, "output"),
}.items()}
"""oda-hub class IRI -> `TypeInfo`, for every type a notebook may name."""

PARAMETER_TYPES = {k: v for k, v in KNOWN_TYPES.items() if v.role != "output"}
OUTPUT_TYPES = {k: v for k, v in KNOWN_TYPES.items() if v.role != "parameter"}

KNOWN_PREDICATES = {ODA[name] for name in (
    "unit", "lower_limit", "upper_limit", "allowed_value", "format", "optional", "label",
    "description", "group",
)}
"""The predicates a parameter's annotation may use."""
OUTPUT_PREDICATES = {ODA.label, ODA.description}
"""The predicates an output's annotation may use."""
NOTEBOOK_PREDICATES = {ODA.version, ODA.reference, ODA.label, ODA.description}
"""The predicates of notebook-level comment lines (``# oda:version "1.2"``)."""

UNITS = {ODA_UNIT[name]: unit for name, unit in {
    "deg": "deg", "arcmin": "arcmin", "arcsec": "arcsec", "mas": "mas", "rad": "rad",
    "hourangle": "hourangle",
    "eV": "eV", "keV": "keV", "MeV": "MeV", "GeV": "GeV", "TeV": "TeV", "PeV": "PeV",
    "erg": "erg", "J": "J",
    "ms": "ms", "s": "s", "min": "min", "h": "h", "hour": "h", "d": "d", "day": "d", "yr": "yr",
    "Hz": "Hz", "kHz": "kHz", "MHz": "MHz", "GHz": "GHz",
    "cm": "cm", "m": "m", "km": "km", "pc": "pc", "kpc": "kpc", "Mpc": "Mpc",
    "Jy": "Jy", "mJy": "mJy",
}.items()}
"""``unit:`` IRI -> astropy unit string."""

TIME_FORMATS = ("isot", "mjd")
"""Values of ``oda:format`` on time parameters."""

_PREFIXES = f"@prefix oda: <{ODA}> .\n@prefix unit: <{ODA_UNIT}> .\n"
_SUBJECT = URIRef("urn:skyweave:annotated")

Annotation = namedtuple("Annotation", "type_iri pairs")
Annotation.__doc__ = """One parsed annotation: ``type_iri`` (a URIRef) and ``pairs``, a list of the other
``(predicate, object)`` rdflib terms, sorted (RDF keeps no order)."""


def curie(iri):
    """Return ``oda:X`` or ``unit:X`` for an IRI in those namespaces, else ``<iri>``.

    Examples
    --------
    >>> curie("http://odahub.io/ontology#Angle")
    'oda:Angle'
    """
    for prefix, ns in (("oda", str(ODA)), ("unit", str(ODA_UNIT))):
        if str(iri).startswith(ns):
            return f"{prefix}:{str(iri)[len(ns):]}"
    return f"<{iri}>"


def looks_like_annotation(text):
    """Tell whether a comment's text is meant as an annotation rather than prose.

    It is when it starts with an ``oda:`` term, a bracketed absolute IRI, or a bare oda-hub IRI
    (the form nb2workflow also accepts); ``# number of bins`` is prose.

    Examples
    --------
    >>> looks_like_annotation("oda:Angle ; oda:unit unit:arcmin")
    True
    >>> looks_like_annotation("number of bins")
    False
    """
    text = text.strip()
    return text.startswith(("oda:", str(ODA))) or re.match(r"<[A-Za-z][A-Za-z0-9+.-]*:", text) is not None


def _parse(body, shown):
    graph = Graph()
    try:
        graph.parse(data=_PREFIXES + body, format="turtle")
    except Exception as exc:  # rdflib raises several types (BadSyntax, ValueError, ...)
        found = re.search(r"Bad syntax \(([^)]*)\)", str(exc))
        detail = found.group(1) if found else " ".join(str(exc).split())[:120]
        raise ValueError(f"does not parse as Turtle ({detail}): {shown!r}") from None
    others = {s for s in graph.subjects() if s != _SUBJECT}
    if others:
        raise ValueError("describes something other than the annotated name (a stray '.'?)")
    return sorted(graph.predicate_objects(_SUBJECT), key=lambda po: (str(po[0]), str(po[1])))


def parse_annotation(text):
    """Parse a trailing comment: a type, then ``;``-separated ``predicate object`` pairs.

    Parameters
    ----------
    text : str
        The comment without its ``#``, e.g. ``oda:Angle ; oda:unit unit:arcmin``. The first term
        may be a bare oda-hub IRI, as nb2workflow allows.

    Returns
    -------
    Annotation

    Raises
    ------
    ValueError
        If the text is not Turtle, names two types, or says something about another node.

    Examples
    --------
    >>> a = parse_annotation('oda:String ; oda:allowed_value "a", "b"')
    >>> curie(a.type_iri), [str(o) for _, o in a.pairs]
    ('oda:String', ['a', 'b'])
    """
    text = shown = text.strip()
    if text.endswith("."):  # a full stop closing the statement: we add our own
        text = text[:-1].rstrip()
    first, _, rest = text.partition(" ")
    if first.startswith(str(ODA)):
        text = f"<{first.rstrip(';')}> {';' if first.endswith(';') else ''}{rest}"
    pairs = _parse(f"<{_SUBJECT}> a {text}\n.\n", shown)
    types = [o for p, o in pairs if p == RDF.type]
    if len(types) != 1:
        raise ValueError(f"names {len(types)} types; give exactly one, first")
    return Annotation(types[0], [(p, o) for p, o in pairs if p != RDF.type])


def parse_statement(text):
    """Parse a notebook-level comment line, ``oda:version "1.2"``, into ``(predicate, object)`` pairs.

    Raises
    ------
    ValueError
        If the text is not Turtle.

    Examples
    --------
    >>> [(curie(p), str(o)) for p, o in parse_statement('oda:version "1.2"')]
    [('oda:version', '1.2')]
    """
    return _parse(f"<{_SUBJECT}> {text.strip()}\n.\n", text.strip())


def python_type_for(type_iri, default=None, time_format=None):
    """Return the Python type of a parameter's values.

    Times are ISOT strings unless ``oda:format "mjd"`` (or a numeric default) makes them floats.

    Parameters
    ----------
    type_iri : rdflib.URIRef
        An oda-hub class in `KNOWN_TYPES`.
    default : object
        The default value, or None.
    time_format : str or None
        The ``oda:format`` annotation.

    Returns
    -------
    type

    Examples
    --------
    >>> python_type_for(ODA.StartTime, 53343.9)
    <class 'float'>
    """
    info = KNOWN_TYPES[type_iri]
    if info.kind == "time" and (time_format == "mjd" or (
            time_format is None and isinstance(default, (int, float)) and not isinstance(default, bool))):
        return float
    return info.python_type


def literal_value(term):
    """Return the Python value of an rdflib literal: ``Decimal`` becomes float, others ``toPython()``."""
    from decimal import Decimal

    if not isinstance(term, Literal):
        return term
    value = term.toPython()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value if isinstance(value, (bool, int, float)) else str(term)
