"""The oda-hub classes skyweave supports, read from our own ``ontology/oda-classes.ttl``.

Each class has superclasses, and may have a unit (``oda:unit``) and a time format
(``oda:format oda:ISOT`` / ``oda:MJD``), all stated in that file. What skyweave does with a value
of a class (its *kind*: a number in a unit, a time, a file, JSON, ...) follows from the nearest
ancestor of the class in `KIND_OF_CLASS`; its role (parameter, output or both) from its ancestry.

References
----------
.. [1] oda-hub ontology (class IRIs only; its text is not copied), https://github.com/oda-hub/ontology
.. [2] nb2workflow, MMODA's notebook reader (types a notebook may use), https://github.com/oda-hub/nb2workflow
"""

from collections import namedtuple

from rdflib import Graph
from rdflib.namespace import OWL, RDF, RDFS

from skyweave.catalog.resources import bundled
from skyweave.catalog.vocab import ODA

__all__ = ["TypeInfo", "KIND_OF_CLASS", "PYTHON_TYPES", "load_classes", "resource_classes", "ancestors"]

TypeInfo = namedtuple("TypeInfo", "kind python_type unit role format parents label lower upper allowed",
                      defaults=(None, None, ()))
TypeInfo.__doc__ = """What skyweave knows about one oda-hub class.

kind : str
    ``target``, ``ra``, ``dec``, ``angle``, ``energy``, ``time``, ``interval``, ``float``,
    ``integer``, ``string``, ``boolean``, ``url`` (a URL given to the notebook), ``file`` (a file
    the notebook reads: uploaded, or a URL), ``json`` (a structured value) or ``product`` (an output).
python_type : type
    The Python type of a value (an MJD time is a float: see `runners.oda.python_type_for`).
unit : str or None
    Local name in ``unit:`` of the unit the class implies (``keV`` for ``oda:Energy_keV``), or None.
role : str
    ``parameter``, ``output`` or ``both``: ``both`` for the classes under ``oda:ParameterProduct``
    (numbers, texts, booleans and times, which MMODA also reads as outputs), except files, URLs and
    structured values.
format : str or None
    ``isot`` or ``mjd`` for a time class that fixes its format.
parents : tuple of rdflib.URIRef
    Direct superclasses.
label : str
    English label.
lower, upper : float or None
    Limits every value of the class keeps (``oda:lower_limit``, ``oda:upper_limit`` on the class or
    its nearest ancestor that states them), in ``unit``.
allowed : tuple of str
    The only values the class admits (``oda:allowed_value`` on the class or its nearest ancestor
    that states them), or empty.
"""

KIND_OF_CLASS = {ODA[name]: kind for name, kind in {
    "RightAscension": "ra", "Declination": "dec", "Angle": "angle", "Energy": "energy", "TimeInterval": "interval", "TimeInstant": "time",
    "AstrophysicalObject": "target", "FileURL": "url", "FileReference": "file",
    "StructuredParameter": "json", "Float": "float", "Integer": "integer", "Boolean": "boolean",
    "String": "string", "DataProduct": "product", "ExpressedInUnit": "float",
}.items()}
"""Class -> kind; a class takes the kind of its nearest ancestor listed here (itself first)."""

PYTHON_TYPES = {"target": str, "ra": float, "dec": float, "angle": float, "energy": float, "time": str,
                "interval": float, "float": float, "integer": int, "string": str, "boolean": bool,
                "url": str, "file": str, "json": dict, "product": str}
"""Kind -> Python type of the value a notebook is given (``json``: a dict or list)."""

_NOT_PRODUCTS = ("file", "url", "json")
"""Kinds that stay parameters only, though their classes descend from ``oda:String``: a file, a URL
or a JSON value a workflow is given (an output that is a file is typed with its product class)."""


def ancestors(graph, cls):
    """Return ``cls`` and its superclasses in ``graph``, nearest first (breadth first).

    Examples
    --------
    >>> from rdflib import Graph
    >>> g = Graph().parse(data="@prefix oda: <http://odahub.io/ontology#> . "
    ...     "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . "
    ...     "oda:Energy_keV rdfs:subClassOf oda:Energy . oda:Energy rdfs:subClassOf oda:Float .",
    ...     format="turtle")
    >>> [str(c).split("#")[1] for c in ancestors(g, ODA.Energy_keV)]
    ['Energy_keV', 'Energy', 'Float']
    """
    seen, queue = [], [cls]
    while queue:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.append(current)
        queue.extend(sorted(graph.objects(current, RDFS.subClassOf)))
    return seen


def _first(graph, chain, predicate):
    for cls in chain:
        value = graph.value(cls, predicate)
        if value is not None:
            return value
    return None


def _graph(path):
    return Graph().parse(str(path or bundled("ontology") / "oda-classes.ttl"), format="turtle")


def resource_classes(path=None):
    """Return the classes of resources a notebook may require (``oda:Resource`` and its subclasses).

    Examples
    --------
    >>> ODA.S3 in resource_classes()
    True
    """
    graph = _graph(path)
    return frozenset(c for c in graph.subjects(RDF.type, OWL.Class) if ODA.Resource in ancestors(graph, c))


def load_classes(path=None):
    """Read the supported classes and return them as ``{class IRI: TypeInfo}``.

    Parameters
    ----------
    path : str or pathlib.Path or None
        A Turtle file; default the bundled ``ontology/oda-classes.ttl``.

    Returns
    -------
    dict of rdflib.URIRef to TypeInfo
        Every ``owl:Class`` with a kind (so not ``oda:Resource`` and ``oda:S3``).

    Raises
    ------
    ValueError
        If the file does not parse.

    Examples
    --------
    >>> info = load_classes()[ODA.StartTimeMJD]
    >>> info.kind, info.format, info.role
    ('time', 'mjd', 'both')
    """
    graph = _graph(path)
    classes = {}
    for cls in sorted(graph.subjects(RDF.type, OWL.Class)):
        chain = ancestors(graph, cls)
        kind = next((KIND_OF_CLASS[c] for c in chain if c in KIND_OF_CLASS), None)
        if kind is None:
            continue
        if kind == "product":
            role = "output"
        elif ODA.ParameterProduct in chain and kind not in _NOT_PRODUCTS:
            role = "both"  # a value a workflow takes and may also give (the ontology's ParameterProduct)
        else:
            role = "parameter"
        unit = _first(graph, chain, ODA.unit)
        fmt = _first(graph, chain, ODA["format"])
        lower, upper = (_first(graph, chain, p) for p in (ODA.lower_limit, ODA.upper_limit))
        allowed = next((tuple(sorted(str(v) for v in graph.objects(c, ODA.allowed_value)))
                        for c in chain if (c, ODA.allowed_value, None) in graph), ())
        classes[cls] = TypeInfo(
            kind=kind, python_type=PYTHON_TYPES[kind],
            unit=str(unit).rsplit("#", 1)[-1] if unit is not None else None, role=role,
            format=str(fmt).rsplit("#", 1)[-1].lower() if fmt is not None else None,
            parents=tuple(sorted(graph.objects(cls, RDFS.subClassOf))),
            label=str(graph.value(cls, RDFS.label) or str(cls).rsplit("#", 1)[-1]),
            lower=None if lower is None else float(lower), upper=None if upper is None else float(upper),
            allowed=allowed)
    return classes
