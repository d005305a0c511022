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
from skyweave.runners.odaclasses import TypeInfo, load_classes, resource_classes

__all__ = [
    "TypeInfo", "KNOWN_TYPES", "PARAMETER_TYPES", "OUTPUT_TYPES", "KNOWN_PREDICATES",
    "NOTEBOOK_PREDICATES", "OUTPUT_PREDICATES", "RESOURCE_PREDICATES", "RESOURCE_TYPES", "UNITS",
    "TIME_FORMATS", "Annotation", "looks_like_annotation", "parse_annotation", "parse_statement",
    "python_type_for", "curie", "literal_value", "time_format", "is_a",
]

KNOWN_TYPES = load_classes()
"""oda-hub class IRI -> `runners.odaclasses.TypeInfo`, for every type a notebook may name (read from
``ontology/oda-classes.ttl``)."""

PARAMETER_TYPES = {k: v for k, v in KNOWN_TYPES.items() if v.role != "output"}
OUTPUT_TYPES = {k: v for k, v in KNOWN_TYPES.items() if v.role != "parameter"}
RESOURCE_TYPES = resource_classes()
"""Classes of the resources a notebook may require (``oda:S3``, ...)."""

KNOWN_PREDICATES = {ODA[name] for name in (
    "unit", "lower_limit", "upper_limit", "limits", "allowed_value", "format", "optional", "label",
    "description", "group",
)}
"""The predicates a parameter's annotation may use."""
OUTPUT_PREDICATES = {ODA.label, ODA.description, ODA.unit}
"""The predicates an output's annotation may use (``oda:unit`` on ``oda:Float`` and ``oda:Integer`` only)."""
NOTEBOOK_PREDICATES = {ODA.version, ODA.reference, ODA.label, ODA.description, ODA.oda_token_access,
                       ODA.usesRequiredResource, ODA.usesOptionalResource}
"""The predicates of notebook-level comment lines (``# oda:version "1.2"``)."""
RESOURCE_PREDICATES = {RDF.type, ODA.resourceBindingEnvVarName}
"""The predicates of a resource declaration (``# oda:MyS3 a oda:S3 ; oda:resourceBindingEnvVarName "X"``)."""
ODA_HOST = "http://odahub.io/ontology"
"""The start of every IRI that nb2workflow reads as a type when a comment begins with it."""
WRONG_NAMESPACE = "https://odahub.io/ontology"
"""A namespace notebooks sometimes write by mistake: the oda-hub ontology's is ``http://``."""

UNITS = {ODA_UNIT[name]: unit for name, unit in {
    "deg": "deg", "arcmin": "arcmin", "arcsec": "arcsec", "mas": "mas", "rad": "rad",
    "hourangle": "hourangle",
    "eV": "eV", "keV": "keV", "MeV": "MeV", "GeV": "GeV", "TeV": "TeV", "PeV": "PeV",
    "erg": "erg", "J": "J",
    "ms": "ms", "s": "s", "min": "min", "h": "h", "hour": "h", "d": "d", "day": "d", "yr": "yr",
    "Hz": "Hz", "kHz": "kHz", "MHz": "MHz", "GHz": "GHz",
    "cm": "cm", "m": "m", "km": "km", "pc": "pc", "kpc": "kpc", "Mpc": "Mpc",
    "Jy": "Jy", "mJy": "mJy", "Angstrom": "Angstrom", "nm": "nm", "micron": "micron",
}.items()}
"""``unit:`` IRI -> astropy unit string."""

TIME_FORMATS = ("isot", "mjd")
"""Values of ``oda:format`` on time parameters (written ``oda:ISOT``/``oda:MJD`` or ``"isot"``/``"mjd"``)."""

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

    It is when it starts with an ``oda:`` term, a bracketed absolute IRI, or a bare IRI under
    ``http://odahub.io/ontology`` (the form nb2workflow also accepts, taking such an IRI as the
    type; also with the mistaken ``https://`` namespace, so that mistake is reported). An IRI
    there outside the ontology's namespace (``http://odahub.io/ontology/integral/ScWID``) is thus
    read, and refused as an unknown type, rather than silently taken for prose; ``# number of
    bins`` is prose.

    Examples
    --------
    >>> looks_like_annotation("oda:Angle ; oda:unit unit:arcmin")
    True
    >>> looks_like_annotation("http://odahub.io/ontology/preview/png")
    True
    >>> looks_like_annotation("number of bins")
    False
    """
    text = text.strip()
    return (text.startswith(("oda:", ODA_HOST, WRONG_NAMESPACE))
            or re.match(r"<[A-Za-z][A-Za-z0-9+.-]*:", text) is not None)


_LITERAL = re.compile(r'("(?:[^"\\]|\\.)*")')
_BARE_IRI = re.compile(r"(?<![<\w])(https?://[^\s;,<>\"]+)")
_BARE_DOT = re.compile(r"(?<![\w.])([+-]?\d+)\.(?=[\s;,]|$)")


def _normalise(text):
    """Rewrite what MMODA writes loosely into Turtle: bare IRIs in ``<>``, ``0.`` as ``0.0``, and drop a
    closing ``.``; string literals are left alone.

    Raises
    ------
    ValueError
        If the text uses the mistaken ``https://odahub.io/ontology#`` namespace.
    """
    parts = _LITERAL.split(text.strip())
    for i in range(0, len(parts), 2):  # even parts are outside string literals
        if WRONG_NAMESPACE in parts[i]:
            raise ValueError(f"uses {WRONG_NAMESPACE}#, which is not the oda-hub ontology: its "
                             f"namespace is {ODA} (write oda:X)")
        parts[i] = _BARE_DOT.sub(r"\1.0", _BARE_IRI.sub(r"<\1>", parts[i]))
    text = "".join(parts).rstrip()
    return text[:-1].rstrip() if text.endswith(".") and not text.endswith("..") else text


def _parse(body, shown):
    graph = Graph()
    try:
        graph.parse(data=_PREFIXES + body, format="turtle")
    except Exception as exc:  # rdflib raises several types (BadSyntax, ValueError, ...)
        found = re.search(r"Bad syntax \(([^)]*)\)", str(exc))
        detail = found.group(1) if found else " ".join(str(exc).split())[:120]
        raise ValueError(f"does not parse as Turtle ({detail}): {shown!r}") from None
    return graph


def _about_subject(graph, shown):
    others = {s for s in graph.subjects() if s != _SUBJECT}
    if others:
        raise ValueError(f"describes something other than the annotated name (a stray '.'?): {shown!r}")
    return sorted(graph.predicate_objects(_SUBJECT), key=lambda po: (str(po[0]), str(po[1])))


def is_a(type_iri, ancestor):
    """Tell whether ``type_iri`` is ``ancestor`` or one of its subclasses (in `KNOWN_TYPES`).

    Examples
    --------
    >>> is_a(ODA.StartTimeISOT, ODA.StartTime), is_a(ODA.Float, ODA.Energy)
    (True, False)
    """
    queue = [type_iri]
    while queue:
        current = queue.pop()
        if current == ancestor:
            return True
        info = KNOWN_TYPES.get(current)
        queue.extend(info.parents if info else ())
    return False


def _one_type(types):
    types = sorted(set(types) - {ODA.optional})
    specific = [t for t in types if not any(o != t and is_a(o, t) for o in types)]
    if len(specific) > 1:
        raise ValueError(f"names {len(specific)} types ({', '.join(map(curie, specific))}); give one")
    return specific[0] if specific else None


def parse_annotation(text):
    """Parse a trailing comment: a type (or types), then ``;``-separated ``predicate object`` pairs.

    Accepts the forms MMODA's nb2workflow reads: a type (``oda:Float``), a type list with
    ``oda:optional`` (``oda:Float, oda:optional``) or with a unit class (``oda:Float, oda:second``,
    read as the pair ``oda:unit unit:s``), ``oda:optional`` alone, predicates only
    (``oda:label "x"``: the type then comes from the default), full IRIs (bracketed or bare), a
    number with a bare trailing dot (``oda:lower_limit 0.``) and a closing ``.``.

    Parameters
    ----------
    text : str
        The comment without its ``#``, e.g. ``oda:Angle ; oda:unit unit:arcmin``.

    Returns
    -------
    Annotation
        ``type_iri`` is None when no type is named; ``oda:optional`` given as a type becomes the pair
        ``(oda:optional, true)``.

    Raises
    ------
    ValueError
        If the text is not Turtle, names two unrelated types, says something about another node, or
        uses the ``https://odahub.io/ontology#`` namespace.

    Examples
    --------
    >>> a = parse_annotation('oda:String ; oda:allowed_value "a", "b"')
    >>> curie(a.type_iri), [str(o) for _, o in a.pairs]
    ('oda:String', ['a', 'b'])
    >>> a = parse_annotation("oda:Float, oda:optional ; oda:lower_limit 0.")
    >>> curie(a.type_iri), [(curie(p), literal_value(o)) for p, o in a.pairs]
    ('oda:Float', [('oda:lower_limit', 0.0), ('oda:optional', True)])
    >>> a = parse_annotation("oda:Float, oda:second")
    >>> curie(a.type_iri), [(curie(p), curie(o)) for p, o in a.pairs]
    ('oda:Float', [('oda:unit', 'unit:s')])
    """
    shown = text.strip()
    text = _normalise(shown)
    try:
        pairs = _about_subject(_parse(f"<{_SUBJECT}> a {text}\n.\n", shown), shown)
    except ValueError as typed_error:
        try:  # predicates only: `oda:label "x"`
            pairs = _about_subject(_parse(f"<{_SUBJECT}> {text}\n.\n", shown), shown)
        except ValueError:
            raise typed_error from None
        if any(p == RDF.type for p, _ in pairs):
            raise typed_error from None
    types = [o for p, o in pairs if p == RDF.type]
    rest = [(p, o) for p, o in pairs if p != RDF.type]
    in_unit = [t for t in types if t != ODA.ExpressedInUnit and is_a(t, ODA.ExpressedInUnit)]
    if in_unit and set(types) - set(in_unit) - {ODA.optional}:  # `oda:Float, oda:second`: the unit of the other
        types = [t for t in types if t not in in_unit]
        rest += [(ODA.unit, ODA_UNIT[KNOWN_TYPES[t].unit]) for t in in_unit]
        rest.sort(key=lambda po: (str(po[0]), str(po[1])))
    if ODA.optional in types and (ODA.optional, Literal(True)) not in rest:
        rest = sorted(rest + [(ODA.optional, Literal(True))], key=lambda po: (str(po[0]), str(po[1])))
    return Annotation(_one_type(types), rest)


def parse_statement(text):
    """Parse a notebook-level comment line into ``(subject, predicate, object)`` triples.

    The subject is None for a statement about the notebook (``oda:version "1.2"``,
    ``oda:usesRequiredResource oda:MyS3``); a full triple such as a resource declaration
    (``oda:MyS3 a oda:S3 ; oda:resourceBindingEnvVarName "S3_KEY"``) keeps its own subject. A
    closing ``.`` is allowed.

    Raises
    ------
    ValueError
        If the text is not Turtle, or uses the ``https://odahub.io/ontology#`` namespace.

    Examples
    --------
    >>> [(s, curie(p), str(o)) for s, p, o in parse_statement('oda:version "1.2" .')]
    [(None, 'oda:version', '1.2')]
    >>> [(curie(s), curie(p), curie(o)) for s, p, o in parse_statement('oda:MyS3 a oda:S3')][0]
    ('oda:MyS3', '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>', 'oda:S3')
    """
    shown = text.strip()
    text = _normalise(shown)
    try:
        graph = _parse(f"{text}\n.\n", shown)
        if not all(isinstance(s, URIRef) and isinstance(p, URIRef) for s, p, _ in graph):
            raise ValueError("not whole triples")
    except ValueError:
        graph = _parse(f"<{_SUBJECT}> {text}\n.\n", shown)
    return sorted((((None if s == _SUBJECT else s), p, o) for s, p, o in graph),
                  key=lambda t: tuple(str(x) for x in t))


def time_format(term):
    """Return ``isot`` or ``mjd`` for an ``oda:format`` object (``oda:ISOT``, ``"mjd"``, ...), else its text.

    Examples
    --------
    >>> time_format(ODA.ISOT), time_format(Literal("mjd"))
    ('isot', 'mjd')
    """
    if term is None:
        return None
    text = str(term)
    return (text[len(str(ODA)):] if text.startswith(str(ODA)) else text).lower()


def python_type_for(type_iri, default=None, time_format=None):
    """Return the Python type of a parameter's values.

    Times are ISOT strings unless ``oda:format`` (of the annotation or of the class, as for
    ``oda:StartTimeMJD``) says ``mjd``, or a numeric default makes them floats.

    Parameters
    ----------
    type_iri : rdflib.URIRef
        An oda-hub class in `KNOWN_TYPES`.
    default : object
        The default value, or None.
    time_format : str or None
        The ``oda:format`` annotation (``isot`` or ``mjd``).

    Returns
    -------
    type

    Examples
    --------
    >>> python_type_for(ODA.StartTime, 53343.9), python_type_for(ODA.EndTimeMJD)
    (<class 'float'>, <class 'float'>)
    """
    info = KNOWN_TYPES[type_iri]
    time_format = time_format or info.format
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
