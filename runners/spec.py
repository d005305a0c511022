"""The dataclasses a notebook's annotations become, and their construction from one assignment.

`runners.annotations` finds the assignments of a notebook's ``parameters`` and ``outputs`` cells;
this module turns each (name, literal, type hint, trailing-comment annotation) into a
`ParameterSpec` or `OutputSpec`, checking every term against the tables of `runners.oda`.

References
----------
.. [1] nb2workflow, https://github.com/oda-hub/nb2workflow (the annotation conventions)
.. [2] oda-hub ontology, https://github.com/oda-hub/ontology
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import astropy.units as u

from skyweave.catalog.vocab import ODA, ODA_UNIT
from skyweave.runners.oda import (
    KNOWN_PREDICATES, KNOWN_TYPES, OUTPUT_PREDICATES, OUTPUT_TYPES, PARAMETER_TYPES, TIME_FORMATS,
    UNITS, curie, literal_value, parse_annotation, python_type_for, time_format,
)

__all__ = ["AnnotationError", "ParameterSpec", "OutputSpec", "parameter_spec", "output_spec", "output_units"]


class AnnotationError(ValueError):
    """A notebook breaks the annotation conventions of ``runners/README.md``.

    Parameters
    ----------
    notebook : str or pathlib.Path
        The notebook; its file name appears in the message.
    cell : int or None
        Index of the cell in the notebook (0-based), when the problem is in one cell.
    line : int or None
        Line in that cell (1-based).
    message : str
        What is wrong and what to write instead.

    Examples
    --------
    >>> str(AnnotationError("nb/crab.ipynb", 1, 3, "unknown type oda:Foo"))
    'crab.ipynb, cell 1, line 3: unknown type oda:Foo'
    """

    def __init__(self, notebook, cell, line, message):
        self.notebook, self.cell, self.line, self.message = notebook, cell, line, message
        super().__init__(str(self))

    def __reduce__(self):  # picklable, so it can cross from a worker process
        return type(self), (self.notebook, self.cell, self.line, self.message)

    def __str__(self):
        where = [Path(str(self.notebook)).name]
        if self.cell is not None:
            where.append(f"cell {self.cell}")
        if self.line is not None:
            where.append(f"line {self.line}")
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True)
class ParameterSpec:
    """One input of a workflow (a ``schema:FormalParameter`` typed with an oda-hub class).

    Attributes
    ----------
    name : str
        The Python variable name.
    default : bool, int, float, str or None
        The literal the notebook assigns (ints given to float types become floats).
    type_iri : rdflib.URIRef
        The oda-hub class, e.g. ``oda:PointOfInterestRA`` (a key of `KNOWN_TYPES`).
    python_type : type
        ``bool``, ``int``, ``float`` or ``str``: the type of the value injected into the notebook.
    unit : rdflib.URIRef or None
        The ``unit:`` IRI values are in: ``oda:unit`` or the unit the type implies
        (``unit:deg`` for RA and Dec, ``unit:keV`` for ``oda:Energy_keV``).
    lower, upper : float, int or None
        ``oda:lower_limit`` and ``oda:upper_limit``, in ``unit``.
    allowed : tuple
        ``oda:allowed_value`` values, sorted, as RDF keeps no order (empty: any value).
    format : str or None
        ``oda:format`` of a time: ``isot`` or ``mjd``.
    optional : bool
        True for ``oda:optional true``, a ``X | None`` hint or a None default.
    label, description, group : str or None
        ``oda:label``, ``oda:description`` and ``oda:group``.
    """

    name: str
    default: object
    type_iri: object
    python_type: type
    unit: object = None
    lower: object = None
    upper: object = None
    allowed: tuple = ()
    format: str | None = None
    optional: bool = False
    label: str | None = None
    description: str | None = None
    group: str | None = None

    @property
    def kind(self):
        """The `runners.oda.TypeInfo` kind of the type, e.g. ``ra`` or ``energy``."""
        return KNOWN_TYPES[self.type_iri].kind


@dataclass(frozen=True)
class OutputSpec:
    """One output of a workflow: a variable of the ``outputs`` cell.

    Attributes
    ----------
    name : str
    type_iri : rdflib.URIRef or None
        An oda-hub product or scalar class, e.g. ``oda:ODAPictureProduct``, ``oda:Float``; None for an
        output named without a type (``data = dd`` or a bare ``result``), whose type is taken from
        its value at run time (a file the notebook wrote, or a value), as nb2workflow does.
    label, description : str or None
    unit : rdflib.URIRef or None
        ``oda:unit`` of a numeric output (``index = idx  # oda:Float ; oda:unit unit:TeV``), or
        the unit its class implies (``oda:Energy_TeV``, ``oda:PointOfInterestRA``): the
        ``unit:`` IRI its values are in, a key of `runners.oda.UNITS`. A value that is an astropy
        Quantity is converted to it; a plain number is taken to be in it.
    """

    name: str
    type_iri: object
    label: str | None = None
    description: str | None = None
    unit: object = None

    @property
    def unit_text(self):
        """The unit as an astropy / VOUnit string (``TeV``), or None."""
        return None if self.unit is None else UNITS[self.unit]


_INFERRED = {bool: ODA.Boolean, int: ODA.Integer, float: ODA.Float, str: ODA.String}
"""Type of an unannotated assignment, from its default (or its type hint)."""
_INFERRED_PARAMETER = {**_INFERRED, list: ODA.StructuredParameter, dict: ODA.StructuredParameter}
"""As `_INFERRED`, for parameters: a list or dict default is a structured (JSON) value, which
nb2workflow also takes unannotated (its reading names the Python type, ``xsd:list``/``xsd:dict``)."""
_BOOLEAN_TEXT = {"true": True, "false": False}
"""``oda:allowed_value "True", "False"`` on a Boolean: the texts nb2workflow casts to booleans."""
_HINTS = {"bool": bool, "int": int, "float": float, "str": str}
_PHYSICAL = {"ra": u.deg, "dec": u.deg, "angle": u.deg, "energy": u.keV, "interval": u.s}
"""Kinds whose unit must be of one physical type, with a reference unit of that type."""
_NUMERIC = ("ra", "dec", "angle", "energy", "interval", "float", "integer")


def _hint(node):
    """Return ``(python type or None, optional)`` of an assignment's type hint."""
    if node is None:
        return None, False
    if isinstance(node, ast.Constant) and node.value is None:
        return None, True
    if isinstance(node, ast.Name):
        return _HINTS.get(node.id), False
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [_hint(node.left), _hint(node.right)]
    elif isinstance(node, ast.Subscript):
        head = getattr(node.value, "id", getattr(node.value, "attr", None))
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if head == "Optional":
            return _hint(args[0])[0], True
        if head != "Union":
            return None, False
        parts = [_hint(a) for a in args]
    else:
        return None, False
    types = {t for t, _ in parts if t is not None}
    return (types.pop() if len(types) == 1 else None), any(o for _, o in parts)


def _type_problem(type_iri, role):
    if type_iri in KNOWN_TYPES:
        other = "an output" if role == "parameter" else "a parameter"
        return f"{curie(type_iri)} is {other} type, not {'a' if role == 'parameter' else 'an'} {role} type"
    known = PARAMETER_TYPES if role == "parameter" else OUTPUT_TYPES
    return (f"unknown type {curie(type_iri)}; {role} types are "
            f"{', '.join(curie(t) for t in known)}")


def _annotation(cell, line, name, text, types, role):
    """Parse an assignment's annotation into its type (None: not named) and pairs, checking the type
    suits ``role``."""
    try:
        type_iri, pairs = parse_annotation(text)
    except ValueError as exc:
        raise cell.error(line, f"the annotation of {name} {exc}") from None
    if type_iri is not None and type_iri not in types:
        raise cell.error(line, _type_problem(type_iri, role))
    return type_iri, pairs


def _collect(cell, line, name, pairs, allowed):
    fields = {}
    for predicate, obj in pairs:
        if predicate not in allowed:
            raise cell.error(line, f"unknown annotation term {curie(predicate)} on {name}; use "
                             f"{', '.join(sorted(curie(p) for p in allowed))}")
        fields.setdefault(predicate, []).append(obj)
    return fields


def _coerce(cell, line, name, value, python_type, what):
    """Return ``value`` as ``python_type`` (int -> float allowed), or raise AnnotationError."""
    if python_type is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if python_type is dict and isinstance(value, (dict, list)):
        return value
    if type(value) is python_type:
        return value
    raise cell.error(line, f"{what} {value!r} of {name} is not a {python_type.__name__}")


def _unit(cell, line, name, type_iri, unit):
    info = KNOWN_TYPES[type_iri]
    implied = ODA_UNIT[info.unit] if info.unit else None
    if unit is None:
        return implied
    if unit not in UNITS:
        raise cell.error(line, f"unknown unit {curie(unit)} on {name}; use one of "
                         f"{', '.join(curie(k) for k in UNITS)}")
    if info.kind not in _NUMERIC:
        raise cell.error(line, f"oda:unit applies to numeric parameters, not {curie(type_iri)} ({name})")
    reference = _PHYSICAL.get(info.kind)
    if reference is not None and not u.Unit(UNITS[unit]).is_equivalent(reference):
        raise cell.error(line, f"{curie(unit)} is not a unit of {reference.physical_type}, as "
                         f"{curie(type_iri)} needs ({name})")
    if implied is not None and type_iri != ODA.Angle and unit != implied:
        raise cell.error(line, f"{curie(type_iri)} is in {curie(implied)}; oda:unit {curie(unit)} "
                         f"contradicts it ({name})")
    return unit


def _limit(cell, line, name, obj, kind, what):
    if obj is None:
        return None
    value = literal_value(obj)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise cell.error(line, f"{what} of {name} must be a number, not {obj!r}")
    if kind not in _NUMERIC:
        raise cell.error(line, f"{what} applies to numeric parameters only ({name})")
    if kind == "integer" and float(value).is_integer():
        return int(value)
    return float(value)


def _limits(cell, line, name, objects, kind, lower, upper):
    """Read ``oda:limits a, b`` (as nb2workflow does: the smaller is the lower limit)."""
    if len(objects) != 2 or lower is not None or upper is not None:
        raise cell.error(line, f"oda:limits of {name} takes two numbers (oda:limits 0, 10), and no "
                         "oda:lower_limit or oda:upper_limit beside it")
    values = sorted(_limit(cell, line, name, o, kind, "oda:limits") for o in objects)
    return values[0], values[1]


def _class_limits(cell, line, name, type_iri, info, lower, upper):
    """Return the limits of a parameter of class ``info`` (a `TypeInfo`): its own, narrowed to the
    class's (``oda:ISGRIEnergy`` is an energy in [15, 800] keV, whatever the notebook says).

    Raises
    ------
    AnnotationError
        If the parameter's own limits leave no value the class admits.
    """
    if info.lower is not None:
        lower = info.lower if lower is None else max(lower, info.lower)
    if info.upper is not None:
        upper = info.upper if upper is None else min(upper, info.upper)
    if lower is not None and upper is not None and lower > upper:
        raise cell.error(line, f"the limits of {name} leave no value that {curie(type_iri)} admits "
                         f"([{info.lower}, {info.upper}])")
    return lower, upper


def _allowed_value(obj, python_type):
    """Return an ``oda:allowed_value`` as a Python value; on a Boolean, ``"True"`` and ``"False"``
    (any case) are the booleans, as nb2workflow casts them."""
    value = literal_value(obj)
    if python_type is bool and isinstance(value, str) and value.lower() in _BOOLEAN_TEXT:
        return _BOOLEAN_TEXT[value.lower()]
    return value


def _check_default(cell, line, name, default, lower, upper, allowed):
    """Refuse a default that breaks the parameter's own limits or allowed values."""
    if default is None:
        return
    if allowed and default not in allowed:
        raise cell.error(line, f"the default {default!r} of {name} is not one of its oda:allowed_value "
                         f"({', '.join(map(repr, allowed))})")
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        if lower is not None and default < lower:
            raise cell.error(line, f"the default {default!r} of {name} is below its oda:lower_limit {lower}")
        if upper is not None and default > upper:
            raise cell.error(line, f"the default {default!r} of {name} is above its oda:upper_limit {upper}")


def parameter_spec(cell, line, name, default, hint, text):
    """Build the `ParameterSpec` of one assignment of the ``parameters`` cell.

    Parameters
    ----------
    cell : object
        Gives ``cell.error(line, message) -> AnnotationError`` (see `runners.annotations`).
    line : int
        The assignment's line in the cell (1-based).
    name : str
    default : object
        The assigned literal.
    hint : ast.expr or None
        The type hint of an annotated assignment.
    text : str or None
        The trailing comment (without ``#``), or None when there is no annotation.

    Returns
    -------
    ParameterSpec

    Raises
    ------
    AnnotationError
        For an unknown type, predicate or unit, an annotation that is not Turtle, a term given
        twice, limits that are not numbers or reversed, or a default or allowed value of the wrong type.
    """
    hint_type, optional = _hint(hint)
    type_iri, pairs = (None, []) if text is None else _annotation(
        cell, line, name, text, PARAMETER_TYPES, "parameter")
    if type_iri is None:
        type_iri = _INFERRED_PARAMETER.get(type(default) if default is not None else hint_type)
        if type_iri is None:
            said = "no annotation" if text is None else "an annotation without a type"
            raise cell.error(line, f"{name} = {default!r} has {said} and no type to infer one from; "
                             "annotate it, e.g. '# oda:String'")
    info = KNOWN_TYPES[type_iri]
    fields = _collect(cell, line, name, pairs, KNOWN_PREDICATES)

    def one(predicate):
        values = fields.get(predicate, [])
        if len(values) > 1:
            raise cell.error(line, f"{curie(predicate)} is given {len(values)} times for {name}")
        return values[0] if values else None

    fmt = time_format(one(ODA["format"]))
    if fmt is not None and (info.kind != "time" or fmt not in TIME_FORMATS):
        raise cell.error(line, f"oda:format {fmt!r} of {name}: times take oda:ISOT or oda:MJD")
    if fmt is not None and info.format is not None and fmt != info.format:
        raise cell.error(line, f"oda:format {fmt!r} of {name} contradicts its type {curie(type_iri)} "
                         f"({info.format})")
    fmt = fmt or info.format
    flag = one(ODA.optional)
    if flag is not None:
        if not isinstance(literal_value(flag), bool):
            raise cell.error(line, f"oda:optional of {name} must be true or false, not {flag!r}")
        optional = optional or literal_value(flag)
    python_type = python_type_for(type_iri, default, fmt)
    if default is None:
        optional = True
    else:
        default = _coerce(cell, line, name, default, python_type, "the default")
    lower = _limit(cell, line, name, one(ODA.lower_limit), info.kind, "oda:lower_limit")
    upper = _limit(cell, line, name, one(ODA.upper_limit), info.kind, "oda:upper_limit")
    if ODA.limits in fields:
        lower, upper = _limits(cell, line, name, fields[ODA.limits], info.kind, lower, upper)
    if lower is not None and upper is not None and lower > upper:
        raise cell.error(line, f"oda:lower_limit {lower} of {name} is above oda:upper_limit {upper}")
    lower, upper = _class_limits(cell, line, name, type_iri, info, lower, upper)
    allowed = tuple(sorted({_coerce(cell, line, name, _allowed_value(o, python_type), python_type,
                                    "oda:allowed_value") for o in fields.get(ODA.allowed_value, [])}))
    if info.allowed:  # the class admits only these: the parameter's own list may narrow it, not widen it
        outside = [v for v in allowed if v not in info.allowed]
        if outside:
            raise cell.error(line, f"oda:allowed_value {outside[0]!r} of {name} is not a value of "
                             f"{curie(type_iri)} ({', '.join(map(repr, info.allowed))})")
        allowed = allowed or tuple(info.allowed)
    _check_default(cell, line, name, default, lower, upper, allowed)
    texts = {}
    for predicate in (ODA.label, ODA.description, ODA.group):
        obj = one(predicate)
        texts[predicate] = None if obj is None else str(obj)
    return ParameterSpec(
        name=name, default=default, type_iri=type_iri, python_type=python_type,
        unit=_unit(cell, line, name, type_iri, one(ODA.unit)), lower=lower, upper=upper,
        allowed=allowed, format=fmt, optional=bool(optional), label=texts[ODA.label],
        description=texts[ODA.description], group=texts[ODA.group],
    )


def output_spec(cell, line, name, default, text):
    """Build the `OutputSpec` of one assignment of the ``outputs`` cell.

    Parameters are those of `parameter_spec` (an output has no type hint, and its value may be
    ``runners.cells.NOT_LITERAL``, a computed value, or None for a bare name). An output
    without a type keeps ``type_iri=None``: its type is taken from the value at run time.

    Returns
    -------
    OutputSpec

    Raises
    ------
    AnnotationError
        For an unknown or parameter-only type, a predicate other than ``oda:label``,
        ``oda:description`` and ``oda:unit``, an unknown unit, a unit on an output that is not
        numeric (``oda:Float``, ``oda:Integer`` and their subclasses) or that contradicts its
        class's unit, or an annotation that is not Turtle.
    """
    type_iri, pairs = (None, []) if text is None else _annotation(
        cell, line, name, text, OUTPUT_TYPES, "output")
    if type_iri is None and default is not None:
        type_iri = _INFERRED.get(type(default))  # a literal: its type; else from the value at run time
    fields = _collect(cell, line, name, pairs, OUTPUT_PREDICATES)
    for predicate, values in fields.items():
        if len(values) > 1:
            raise cell.error(line, f"{curie(predicate)} is given {len(values)} times for {name}")
    label, description, unit = (fields.get(p, [None])[0] for p in (ODA.label, ODA.description, ODA.unit))
    info = KNOWN_TYPES.get(type_iri)
    if unit is not None and unit not in UNITS:
        raise cell.error(line, f"unknown unit {curie(unit)} on {name}; use one of "
                         f"{', '.join(curie(k) for k in UNITS)}")
    if unit is not None and (info is None or info.kind not in _NUMERIC):
        said = "an output without a type" if type_iri is None else curie(type_iri)
        raise cell.error(line, f"oda:unit applies to numeric outputs (oda:Float, oda:Integer and their "
                         f"subclasses), not {said} ({name})")
    if info is not None and info.kind in _NUMERIC:  # the class's own unit (oda:Energy_TeV: unit:TeV)
        unit = _unit(cell, line, name, type_iri, unit)
    return OutputSpec(name=name, type_iri=type_iri, label=None if label is None else str(label),
                      description=None if description is None else str(description), unit=unit)


def output_units(outputs):
    """Return the declared unit of each numeric output, as astropy strings by output name.

    An output ``X_err`` (the uncertainty of ``X``) or ``X_ul`` (an upper limit on ``X``) without a
    unit of its own is in ``X``'s declared unit.

    Parameters
    ----------
    outputs : sequence of OutputSpec

    Returns
    -------
    dict of str to str

    Examples
    --------
    >>> from skyweave.catalog.vocab import ODA_UNIT
    >>> output_units([OutputSpec("t", ODA.Float, unit=ODA_UNIT.h), OutputSpec("t_err", ODA.Float),
    ...               OutputSpec("n", ODA.Integer)])
    {'t': 'h', 't_err': 'h'}
    """
    units = {o.name: o.unit_text for o in outputs if o.unit is not None}
    for output in outputs:
        for suffix in ("_err", "_ul"):
            base = output.name[: -len(suffix)]
            if output.name.endswith(suffix) and output.name not in units and base in units:
                units[output.name] = units[base]
    return units
