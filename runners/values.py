"""Values with units and types: a run's parameter and output values as RDF, and back for display.

One model everywhere (RDF, pages, JSON, SPARQL): schema.org. A numeric output is a
``schema:QuantitativeValue`` with ``schema:name``, ``schema:value`` (``xsd:double`` or
``xsd:integer``, full precision) and ``schema:unitText`` (an astropy / IVOA VOUnit string such as
``TeV-1 cm-2 s-1``; absent for a dimensionless number) with, when the notebook declares the unit
(``oda:unit``), ``schema:unitCode`` (its ``unit:`` IRI), an ``sw:uncertainty`` (1 sigma, same unit)
and, for an upper limit, ``schema:maxValue`` instead of ``schema:value``. Other outputs are
``schema:PropertyValue`` nodes. A run's parameter value carries the ``schema:unitText`` of its
parameter; a time is an ``xsd:dateTime`` in UTC.

Output naming convention (as in FITS and VizieR tables): an output ``X_err`` is the uncertainty of
``X``, an output ``X_ul`` is an upper limit on ``X``.

References
----------
.. [1] schema.org QuantitativeValue, https://schema.org/QuantitativeValue ;
   IVOA VOUnits 1.0, https://www.ivoa.net/documents/VOUnits/
"""

import math
from datetime import datetime, timezone

from rdflib import BNode, Literal, URIRef

from skyweave.catalog.display import number_text
from skyweave.catalog.vocab import RDF, SDO, SW, XSD

__all__ = ["literal", "time_literal", "add_results", "read_results", "result_item", "display"]

_ERR, _UL = "_err", "_ul"


def literal(value):
    """Return ``value`` as a typed RDF literal at full precision.

    Parameters
    ----------
    value : bool, int, float, str or datetime.datetime

    Returns
    -------
    rdflib.Literal
        ``xsd:boolean``, ``xsd:integer``, ``xsd:double`` (the shortest text that reads back as the
        same float), ``xsd:dateTime`` (UTC) or a plain string.

    Examples
    --------
    >>> str(literal(1 / 3)), literal(1 / 3).datatype.fragment
    ('0.3333333333333333', 'double')
    """
    if isinstance(value, bool):
        return Literal(value)
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    if isinstance(value, float):
        return Literal(repr(value), datatype=XSD.double)
    if isinstance(value, datetime):
        return Literal(value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime)
    return Literal(str(value))


def time_literal(isot):
    """Return a UTC ISOT string (``2006-07-29T18:00:00.000``) as an ``xsd:dateTime`` literal.

    Examples
    --------
    >>> lit = time_literal("2006-07-29T18:00:00.000")
    >>> str(lit), lit.datatype.fragment
    ('2006-07-29T18:00:00+00:00', 'dateTime')
    """
    text = str(isot).rstrip("Z")
    if "." in text and set(text.split(".", 1)[1]) <= {"0"}:
        text = text.split(".", 1)[0]
    return Literal(text + "Z", datatype=XSD.dateTime)


def add_results(graph, run, values, units=None, unit_codes=None):
    """Add a run's output values to ``graph`` as ``schema:result`` nodes (see the module notes).

    Parameters
    ----------
    graph : rdflib.Graph
    run : rdflib.URIRef
    values : dict of str to object
        Output values by name (``X_err`` and ``X_ul`` are folded into ``X``'s node).
    units : dict of str to str or None
        Unit of each value (astropy string), by output name.
    unit_codes : dict of str to str or None
        The ``unit:`` IRI of each output whose unit its annotation declares (``oda:unit``),
        recorded as ``schema:unitCode`` beside the ``schema:unitText``.
    """
    units, unit_codes = units or {}, unit_codes or {}
    for name, value in values.items():
        if name.endswith(_ERR) and name[: -len(_ERR)] in values:
            continue
        base = name[: -len(_UL)] if name.endswith(_UL) else name
        node = BNode()
        graph.add((run, SDO.result, node))
        graph.add((node, SDO.name, Literal(base)))
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        graph.add((node, RDF.type, SDO.QuantitativeValue if numeric else SDO.PropertyValue))
        if name.endswith(_UL) and numeric:
            graph.add((node, SDO.maxValue, literal(value)))
        else:
            graph.add((node, SDO.value, literal(value)))
        unit = units.get(name)
        if unit:
            graph.add((node, SDO.unitText, Literal(unit)))
            if unit_codes.get(name):
                graph.add((node, SDO.unitCode, URIRef(unit_codes[name])))
        error = values.get(name + _ERR)
        if numeric and isinstance(error, (int, float)) and not isinstance(error, bool) and math.isfinite(error):
            graph.add((node, SW.uncertainty, literal(float(error))))


def read_results(graph, run):
    """Return a run's ``schema:result`` nodes as dicts, ordered by name.

    Returns
    -------
    list of dict
        ``name``, ``value`` (None for an upper limit), ``unit`` (str or None), ``unit_code`` (the
        declared ``unit:`` IRI or None), ``uncertainty``,
        ``upper_limit`` (the limit or None) and ``text``, the value for display (`display`).
    """
    items = [result_item(lambda p, node=node: graph.value(node, p)) for node in graph.objects(run, SDO.result)]
    return sorted(items, key=lambda item: item["name"])


def result_item(get):
    """Return one ``schema:result`` node as the dict `read_results` gives.

    Parameters
    ----------
    get : callable
        ``get(predicate) -> rdflib term or None``: the node's object for a predicate.

    Returns
    -------
    dict
    """
    value, limit, unit, error = get(SDO.value), get(SDO.maxValue), get(SDO.unitText), get(SW.uncertainty)
    code = get(SDO.unitCode)
    item = {"name": str(get(SDO.name)), "value": None if value is None else value.toPython(),
            "unit": None if unit is None else str(unit), "unit_code": None if code is None else str(code),
            "uncertainty": None if error is None else error.toPython(),
            "upper_limit": None if limit is None else limit.toPython()}
    item["text"] = display(item["value"], item["unit"], item["uncertainty"], item["upper_limit"])
    return item


def display(value, unit=None, uncertainty=None, upper_limit=None):
    """Return a value as text for a page: rounded for display only, with its unit.

    Parameters
    ----------
    value : object or None
    unit : str or None
    uncertainty : float or None
    upper_limit : float or None
        Shown as ``< limit`` when ``value`` is None.

    Returns
    -------
    str

    Examples
    --------
    >>> display(1.0, "TeV")
    '1.0 TeV'
    >>> display(2.5912345, None, 0.1102)
    '2.59123 ± 0.1102'
    >>> display(None, "cm-2 s-1", upper_limit=1.2e-12)
    '< 1.2e-12 cm-2 s-1'
    """
    if value is None and upper_limit is not None:
        text = f"< {number_text(upper_limit)}"
    elif isinstance(value, datetime):
        text = value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S UTC")
    else:
        text = number_text(value)
        if uncertainty is not None:
            text += f" ± {number_text(uncertainty)}"
    return f"{text} {unit}" if unit else text
