"""The catalog record of one workflow version (``schema:ComputationalWorkflow``), and back.

`workflow_graph` turns a `~runners.annotations.WorkflowSpec` into the RDF the workflow shapes
(``ontology/shapes/workflow.ttl``, ``parameter.ttl``) accept: a Bioschemas ComputationalWorkflow
that is also a ``prov:Plan``, with one ``schema:FormalParameter`` per input
(``{iri}#param-{name}``) and output (``{iri}#output-{name}``), typed with oda-hub IRIs.
`spec_from_graph` reads such a record back, so a catalogued version can be checked and run from
the store alone.

RDF keeps no order, so each parameter, output and blank-node creator carries ``schema:position``
(1-based); ``oda:allowed_value`` and ``schema:citation`` values are sorted in a spec anyway.

References
----------
.. [1] Bioschemas ComputationalWorkflow profile 1.0-RELEASE,
   https://bioschemas.org/profiles/ComputationalWorkflow/1.0-RELEASE
.. [2] schema.org FormalParameter, https://schema.org/FormalParameter
.. [3] PROV-O ``prov:Plan``, https://www.w3.org/TR/prov-o/#Plan
.. [4] oda-hub ontology (parameter types and annotations), https://github.com/oda-hub/ontology
"""

import json
import re
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef

from skyweave.catalog.vocab import ODA, PREFIXES, PROV, RDF, SDO, SDO_INPUT, SDO_OUTPUT, SW, iri_for
from skyweave.runners.annotations import OutputSpec, ParameterSpec, Resource, WorkflowSpec
from skyweave.runners.oda import OUTPUT_TYPES, PARAMETER_TYPES, UNITS, curie, literal_value, python_type_for

__all__ = ["DEFAULT_CREATOR", "workflow_graph", "spec_from_graph", "version_of"]

COMPUTATIONAL_WORKFLOW = URIRef("https://schema.org/ComputationalWorkflow")
"""Bioschemas ``ComputationalWorkflow`` (pending in schema.org, so not in rdflib's SDO)."""
FORMAL_PARAMETER = URIRef("https://schema.org/FormalParameter")
"""Bioschemas ``FormalParameter`` (pending in schema.org, so not in rdflib's SDO)."""

DEFAULT_CREATOR = "skyweave user"
"""The creator's name when neither the caller nor the notebook metadata names anyone."""


def version_of(spec):
    """Return the ``schema:version`` of a spec: its ``oda:version``, else ``0+`` and the short commit.

    Examples
    --------
    >>> from runners.annotations import WorkflowSpec
    >>> version_of(WorkflowSpec("x", "X", None, None, (), (), (), None, "3f2a9c1d5e7b"))
    '0+3f2a9c1'
    """
    if spec.version:
        return spec.version
    return f"0+{spec.commit[:7]}" if spec.commit else "0"


def _is_iri(reference):
    """Whether an ``oda:reference`` value is an IRI (``http(s)://`` and no spaces) rather than citation text."""
    return re.fullmatch(r"https?://[^\s/$.?#][^\s]*", reference) is not None


def _absolute_iri(location):
    """Return an absolute IRI: ``location`` itself if it has a scheme, else its ``file:`` IRI."""
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", str(location)):
        return URIRef(str(location))
    return URIRef(Path(location).resolve().as_uri())


def _add_texts(graph, node, item):
    for predicate, value in ((ODA.label, item.label), (ODA.description, item.description),
                             (ODA.group, getattr(item, "group", None))):
        if value is not None:
            graph.add((node, predicate, Literal(value)))


def _add_parameter(graph, node, param, position):
    graph.add((node, RDF.type, FORMAL_PARAMETER))
    graph.add((node, SDO.name, Literal(param.name)))
    graph.add((node, SDO.additionalType, URIRef(param.type_iri)))
    graph.add((node, SDO.position, Literal(position)))
    graph.add((node, SDO.valueRequired, Literal(not param.optional)))
    if isinstance(param.default, (dict, list)):  # a StructuredParameter's JSON value
        graph.add((node, SDO.defaultValue, Literal(json.dumps(param.default), datatype=RDF.JSON)))
    elif param.default is not None:
        graph.add((node, SDO.defaultValue, Literal(param.default)))
    if param.unit is not None:
        graph.add((node, ODA.unit, URIRef(param.unit)))
    for predicate, value in ((ODA.lower_limit, param.lower), (ODA.upper_limit, param.upper),
                             (ODA["format"], param.format)):
        if value is not None:
            graph.add((node, predicate, Literal(value)))
    for value in param.allowed:
        graph.add((node, ODA.allowed_value, Literal(value)))
    _add_texts(graph, node, param)


def workflow_graph(spec, iri=None, base=None, *, creators=None, code_repository=None, license=None):
    """Return the record of one workflow version.

    Parameters
    ----------
    spec : runners.annotations.WorkflowSpec
    iri : str or rdflib.URIRef or None
        The version's IRI; default ``{base}workflows/{spec.slug}``.
    base : str or None
        The catalog's base IRI, used when ``iri`` is None.
    creators : sequence of str or mapping, optional
        The ``schema:creator`` nodes: names, or mappings ``{"name": ..., "iri": ORCID IRI}``.
        Default: ``spec.authors`` (the notebook metadata ``authors``), else ``["skyweave user"]``.
    code_repository : str or pathlib.Path or None
        ``schema:codeRepository``: the IRI of the git repository, or a local folder (written as
        its ``file:`` IRI).
    license : str or None
        ``schema:license``: an IRI (``https://spdx.org/licenses/MIT``) or an SPDX identifier.

    Returns
    -------
    rdflib.Graph
        ``<iri> a schema:ComputationalWorkflow, prov:Plan`` with ``schema:name``,
        ``schema:description``, ``schema:version`` (`version_of`), ``schema:creator``,
        ``schema:programmingLanguage "Python"``, ``schema:citation``, ``sw:commit``,
        ``schema:input`` and ``schema:output`` ``schema:FormalParameter`` nodes.

    Raises
    ------
    ValueError
        If neither ``iri`` nor ``base`` is given, or the slug is not a valid slug.

    References
    ----------
    .. [1] Bioschemas ComputationalWorkflow, https://bioschemas.org/profiles/ComputationalWorkflow/1.0-RELEASE
    .. [2] ``ontology/shapes/workflow.ttl`` and ``parameter.ttl`` (the shapes this graph passes)
    """
    if iri is None:
        if base is None:
            raise ValueError("give the workflow's iri, or the catalog's base IRI to mint one")
        iri = iri_for(base, "workflows", spec.slug)
    iri = URIRef(iri)
    graph = Graph()
    for prefix in ("schema", "prov", "oda", "unit", "sw", "xsd"):
        graph.bind(prefix, PREFIXES[prefix])
    graph.add((iri, RDF.type, COMPUTATIONAL_WORKFLOW))
    graph.add((iri, RDF.type, PROV.Plan))
    graph.add((iri, SDO.name, Literal(spec.title)))
    if spec.description:
        graph.add((iri, SDO.description, Literal(spec.description)))
    graph.add((iri, SDO.version, Literal(version_of(spec))))
    graph.add((iri, SDO.programmingLanguage, Literal("Python")))
    if creators is None:
        creators = spec.authors or (DEFAULT_CREATOR,)
    for position, creator in enumerate(creators, 1):
        if isinstance(creator, str):
            creator = {"name": creator}
        node = URIRef(creator["iri"]) if creator.get("iri") else BNode()
        graph.add((iri, SDO.creator, node))
        graph.add((node, SDO.name, Literal(creator["name"])))
        if isinstance(node, BNode):
            graph.add((node, SDO.position, Literal(position)))
    for reference in spec.references:
        graph.add((iri, SDO.citation, URIRef(reference) if _is_iri(reference) else Literal(reference)))
    if spec.commit:
        graph.add((iri, SW.commit, Literal(spec.commit)))
    if code_repository:
        graph.add((iri, SDO.codeRepository, _absolute_iri(code_repository)))
    if license:
        graph.add((iri, SDO.license, URIRef(license) if "://" in license else Literal(license)))
    for position, param in enumerate(spec.parameters, 1):
        node = URIRef(f"{iri}#param-{param.name}")
        graph.add((iri, SDO_INPUT, node))
        _add_parameter(graph, node, param, position)
    for position, output in enumerate(spec.outputs, 1):
        node = URIRef(f"{iri}#output-{output.name}")
        graph.add((iri, SDO_OUTPUT, node))
        for triple in ((RDF.type, FORMAL_PARAMETER), (SDO.name, Literal(output.name)),
                       (SDO.valueRequired, Literal(True)), (SDO.position, Literal(position))):
            graph.add((node, *triple))
        if output.type_iri is not None:  # else: typed from its value at run time
            graph.add((node, SDO.additionalType, URIRef(output.type_iri)))
        if output.unit is not None:
            graph.add((node, ODA.unit, URIRef(output.unit)))
        _add_texts(graph, node, output)
    _add_environment(graph, iri, spec)
    return graph


_FILES = {"requirements.txt": SW.requirements, "environment.yml": SW.condaEnvironment,
          "mmoda_help_page.md": SW.helpPage, "acknowledgements.md": SW.acknowledgements}
"""Repository files recorded on a workflow, by name."""


def _add_environment(graph, iri, spec):
    """Record the resources, token access, repository files and extra data a workflow needs."""
    for resource in spec.resources:
        node = URIRef(resource.iri)
        graph.add((iri, ODA.usesRequiredResource if resource.required else ODA.usesOptionalResource, node))
        if resource.type_iri:
            graph.add((node, RDF.type, URIRef(resource.type_iri)))
        if resource.env_var:
            graph.add((node, ODA.resourceBindingEnvVarName, Literal(resource.env_var)))
    if spec.token_access:
        graph.add((iri, ODA.oda_token_access, URIRef(spec.token_access)))
    for name, text in spec.files:
        graph.add((iri, _FILES[name], Literal(text)))
    for path in spec.extra_data:
        graph.add((iri, SW.extraData, Literal(path)))


def _environment(graph, iri):
    """Read back what `_add_environment` wrote: keyword arguments of `WorkflowSpec`."""
    resources = []
    for predicate, required in ((ODA.usesRequiredResource, True), (ODA.usesOptionalResource, False)):
        for node in graph.objects(iri, predicate):
            resources.append(Resource(str(node), _text(graph, node, RDF.type),
                                      _text(graph, node, ODA.resourceBindingEnvVarName), required))
    files = tuple((name, str(graph.value(iri, p))) for name, p in _FILES.items() if graph.value(iri, p) is not None)
    return {"resources": tuple(sorted(resources, key=lambda r: r.iri)),
            "token_access": _text(graph, iri, ODA.oda_token_access), "files": files,
            "extra_data": tuple(sorted(str(o) for o in graph.objects(iri, SW.extraData)))}


def _ordered(graph, nodes):
    def key(node):
        position = literal_value(graph.value(node, SDO.position))
        return (position if isinstance(position, int) else 1 << 30, str(graph.value(node, SDO.name)))
    return sorted(nodes, key=key)


def _text(graph, node, predicate):
    value = graph.value(node, predicate)
    return None if value is None else str(value)


def _sort_key(value):
    return (type(value).__name__, value)


def _parameter_spec(graph, node):
    name = _text(graph, node, SDO.name)
    type_iri = graph.value(node, SDO.additionalType)
    if type_iri not in PARAMETER_TYPES:
        raise ValueError(f"parameter {name} of <{node}> has the type {curie(type_iri)}, which is not "
                         "a parameter type skyweave knows")
    default_term = graph.value(node, SDO.defaultValue)
    default = literal_value(default_term)
    if isinstance(default_term, Literal) and default_term.datatype == RDF.JSON:
        default = json.loads(str(default_term))
    time_format = _text(graph, node, ODA["format"])
    python_type = python_type_for(type_iri, default, time_format)

    def number(value):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value if python_type is int and isinstance(value, int) else float(value)
        return value

    if python_type is float:
        default = number(default)
    lower, upper = (number(literal_value(graph.value(node, p))) for p in (ODA.lower_limit, ODA.upper_limit))
    allowed = sorted({number(literal_value(o)) for o in graph.objects(node, ODA.allowed_value)}, key=_sort_key)
    required = literal_value(graph.value(node, SDO.valueRequired))
    return ParameterSpec(
        name=name, default=default, type_iri=type_iri, python_type=python_type,
        unit=graph.value(node, ODA.unit), lower=lower, upper=upper, allowed=tuple(allowed),
        format=time_format, optional=required is False, label=_text(graph, node, ODA.label),
        description=_text(graph, node, ODA.description), group=_text(graph, node, ODA.group),
    )


def spec_from_graph(graph, iri):
    """Rebuild the `~runners.annotations.WorkflowSpec` of a catalogued workflow version.

    Parameters
    ----------
    graph : rdflib.Graph
        The version's record (as `workflow_graph` writes it).
    iri : str or rdflib.URIRef
        The version's IRI; its last path segment becomes the slug.

    Returns
    -------
    runners.annotations.WorkflowSpec
        With ``notebook=None``. ``version`` is None when the record's ``schema:version`` was
        derived (``0`` or ``0+<commit>``), and the placeholder creator ``skyweave user`` is not an author.

    Raises
    ------
    ValueError
        If ``iri`` is not a ``schema:ComputationalWorkflow`` in ``graph``, or a parameter or output
        has a type skyweave does not know.
    """
    iri = URIRef(iri)
    if (iri, RDF.type, COMPUTATIONAL_WORKFLOW) not in graph:
        raise ValueError(f"<{iri}> is not a schema:ComputationalWorkflow in this graph")
    commit = _text(graph, iri, SW.commit)
    version = _text(graph, iri, SDO.version)
    if version in ("0", f"0+{(commit or '')[:7]}"):
        version = None
    authors = tuple(_text(graph, c, SDO.name) for c in _ordered(graph, graph.objects(iri, SDO.creator)))
    if authors == (DEFAULT_CREATOR,):
        authors = ()
    outputs = []
    for node in _ordered(graph, graph.objects(iri, SDO_OUTPUT)):
        type_iri = graph.value(node, SDO.additionalType)
        if type_iri is not None and type_iri not in OUTPUT_TYPES:
            raise ValueError(f"output <{node}> has the type {curie(type_iri)}, which is not an output type")
        unit = graph.value(node, ODA.unit)
        if unit is not None and unit not in UNITS:
            raise ValueError(f"output <{node}> has the unit {curie(unit)}, which skyweave does not know")
        outputs.append(OutputSpec(_text(graph, node, SDO.name), type_iri, _text(graph, node, ODA.label),
                                  _text(graph, node, ODA.description), unit))
    return WorkflowSpec(
        slug=str(iri).split("#")[0].rstrip("/").rsplit("/", 1)[-1],
        title=_text(graph, iri, SDO.name) or "",
        description=_text(graph, iri, SDO.description),
        version=version,
        references=tuple(sorted(str(o) for o in graph.objects(iri, SDO.citation))),
        parameters=tuple(_parameter_spec(graph, n) for n in _ordered(graph, graph.objects(iri, SDO_INPUT))),
        outputs=tuple(outputs),
        notebook=None,
        commit=commit,
        authors=authors,
        **_environment(graph, iri),
    )


