"""Catalog workflow versions -> Workflow RO-Crate 1.0 zips (for WorkflowHub), and crates -> our RDF.

`workflow_crate` reads a workflow version (``schema:ComputationalWorkflow``) from the store and writes a
Workflow RO-Crate with the ``rocrate`` package (RO-Crate 1.1, so that ``rocrate`` adds the Workflow
RO-Crate **1.0** profile):

==============================  ==========================================================================
crate                           catalog record
==============================  ==========================================================================
root ``name``, ``description``  ``schema:name``, ``schema:description``
root ``license``                ``schema:license`` (an SPDX IRI becomes a ``CreativeWork`` entity), default
                                `DEFAULT_LICENSE`
root ``version``                ``schema:version`` (WorkflowHub names the version after it)
root ``isBasedOn``              the *source URL* WorkflowHub matches versions by: the IRI of the first
                                version of the workflow (following ``prov:wasRevisionOf`` back), so that all
                                versions of one workflow become versions of one WorkflowHub workflow
root ``url``                    the record's own IRI
root/workflow ``author``,       ``schema:creator``: ``Person`` entities, ``@id`` the ORCID IRI when known,
``creator``                     else ``#creator-<n>``
``mainEntity``                  the notebook (``DATA_DIR/<sw:notebook>``), typed File, SoftwareSourceCode,
                                ComputationalWorkflow, ``programmingLanguage`` → `LANGUAGE_ID`
workflow ``input``/``output``   one ``FormalParameter`` per ``schema:input``/``schema:output``: ``name``,
                                ``additionalType`` (the oda IRI), ``defaultValue``, ``valueRequired``
workflow ``identifier``         ``#commit``: a ``PropertyValue`` ``git-commit`` = ``sw:commit``
workflow ``citation``           ``schema:citation`` (``CreativeWork`` entities: an IRI as its ``@id``, a text as the ``name`` of ``#citation-N``)
==============================  ==========================================================================

RO-Crate's JSON-LD context maps terms to ``http://schema.org/`` (and ``input``, ``output``,
``ComputationalWorkflow``, ``FormalParameter`` to ``https://bioschemas.org/terms/``); the catalog uses
``https://schema.org/``. `crate_graph` reads a crate back as RDF with the context ``rocrate`` ships (no
network) and `normalise_schema` rewrites those IRIs to ours.

References
----------
.. [1] Workflow RO-Crate 1.0, https://w3id.org/workflowhub/workflow-ro-crate/1.0
.. [2] RO-Crate 1.1, https://w3id.org/ro/crate/1.1
.. [3] Bioschemas ComputationalWorkflow 1.0-RELEASE and FormalParameter 1.0-RELEASE profiles.
.. [4] ``specs/external-apis.md`` §2.5 (profile essentials), §2.6 (``rocrate`` API).
"""

import json
import shutil
import tempfile
import warnings
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from rdflib import Graph, URIRef
import rocrate
from rocrate.model.computerlanguage import ComputerLanguage
from rocrate.model.contextentity import ContextEntity
from rocrate.model.person import Person
from rocrate.rocrate import ROCrate

from skyweave.catalog.vocab import ODA, PROV, RDFS, SDO, SDO_INPUT, SDO_OUTPUT, SW
from skyweave.runners.describe import DEFAULT_CREATOR
from skyweave.runners.provenance import workflow_of

from .zenodo_metadata import MissingMetadata, _ordered_creators, orcid_of, record_kind

__all__ = ["WROC_PROFILE", "RO_CRATE_VERSION", "LANGUAGE_ID", "DEFAULT_LICENSE", "workflow_crate", "run_crate",
           "crate_source", "crate_graph", "normalise_schema", "spdx_id"]

RO_CRATE_VERSION = "1.1"
"""RO-Crate version written; ``rocrate`` pairs it with Workflow RO-Crate 1.0."""

WROC_PROFILE = "https://w3id.org/workflowhub/workflow-ro-crate/1.0"
"""The Workflow RO-Crate profile the crates conform to."""

LANGUAGE_ID = "https://w3id.org/workflowhub/workflow-ro-crate#jupyter"
"""``@id`` of the notebook's ``ComputerLanguage``: stable, with a ``#`` (``rocrate``'s ``add_workflow`` takes
the part after it as the language key; WorkflowHub's handling of an unknown language is unverified,
``specs/external-apis.md`` §2.5)."""

DEFAULT_LICENSE = "https://spdx.org/licenses/CC-BY-4.0"
"""Licence of a record that names none (the Zenodo publisher's default, ``cc-by-4.0``)."""

CWF_PROFILE = "https://bioschemas.org/profiles/ComputationalWorkflow/1.0-RELEASE"
FP_PROFILE = "https://bioschemas.org/profiles/FormalParameter/1.0-RELEASE"

_BIOSCHEMAS = {f"https://bioschemas.org/terms/{t}": f"https://schema.org/{t}"
               for t in ("ComputationalWorkflow", "FormalParameter", "input", "output")}


def spdx_id(value):
    """Return the SPDX identifier of an SPDX IRI or identifier (else the value unchanged).

    Examples
    --------
    >>> spdx_id("https://spdx.org/licenses/BSD-3-Clause"), spdx_id("MIT")
    ('BSD-3-Clause', 'MIT')
    """
    text = str(value).strip()
    for prefix in ("https://spdx.org/licenses/", "http://spdx.org/licenses/"):
        if text.startswith(prefix):
            return text[len(prefix):].removesuffix(".html").removesuffix(".json").strip("/")
    return text


def _text(graph, node, predicate):
    value = graph.value(node, predicate)
    return None if value is None else str(value)


def crate_source(store, iri):
    """The source URL of a workflow version for WorkflowHub: the IRI of its first version.

    Follows ``prov:wasRevisionOf`` (not the store's own ``{iri}/versions/n`` links) back to the first
    version in the store.

    Returns
    -------
    str
    """
    seen, current = set(), URIRef(iri)
    while current not in seen:
        seen.add(current)
        if not store.exists(current):
            break
        graph = store.get(current)
        previous = [v for v in graph.objects(current, PROV.wasRevisionOf)
                    if not str(v).startswith(f"{current}/versions/")]
        if not previous or not store.exists(previous[0]):
            break
        current = previous[0]
    return str(current)


def _creators(crate, graph, iri, problems):
    field = f"schema:creator of <{iri}>"
    nodes = _ordered_creators(graph, iri)
    names = [" ".join(str(graph.value(n, SDO.name) or "").split()) for n in nodes]
    if not nodes or names == [DEFAULT_CREATOR]:
        problems.append(f"{field}: no real creator is given (name the authors, with their ORCID IRIs where they "
                        "have one; WorkflowHub DOIs need a first and last name)")
        return []
    people = []
    for position, (node, name) in enumerate(zip(nodes, names), 1):
        if not name:
            problems.append(f"{field}: the creator <{node}> has no schema:name")
            continue
        orcid = orcid_of(graph, node)
        properties = {"name": name}
        for key, predicate in (("givenName", SDO.givenName), ("familyName", SDO.familyName)):
            if graph.value(node, predicate) is not None:
                properties[key] = str(graph.value(node, predicate))
        identifier = f"https://orcid.org/{orcid}" if orcid else f"#creator-{position}"
        person = crate.get(identifier) or crate.add(Person(crate, identifier, properties=properties))
        people.append(person)
    return people


def _parameter(crate, graph, node, prefix):
    name = _text(graph, node, SDO.name)
    properties = {"@type": "FormalParameter", "name": name,
                  "conformsTo": {"@id": FP_PROFILE}}
    kind = graph.value(node, SDO.additionalType)
    if kind is not None:
        properties["additionalType"] = {"@id": str(kind)}
    default = graph.value(node, SDO.defaultValue)
    if default is not None:
        properties["defaultValue"] = str(default)
    required = graph.value(node, SDO.valueRequired)
    if required is not None:
        properties["valueRequired"] = bool(required.toPython())
    description = graph.value(node, ODA.description) or graph.value(node, ODA.label)
    if description is not None:
        properties["description"] = str(description)
    return crate.add(ContextEntity(crate, f"#{prefix}-{name}", properties=properties))


def _positioned(graph, nodes):
    def key(node):
        try:
            return (int(graph.value(node, SDO.position)), str(node))
        except (TypeError, ValueError):
            return (1 << 30, str(node))
    return sorted(nodes, key=key)


def workflow_crate(store, iri, data_dir, base, *, dest=None):
    """Write the Workflow RO-Crate 1.0 zip of a catalogued workflow version.

    Parameters
    ----------
    store : catalog.store.Store
    iri : str
        A ``schema:ComputationalWorkflow`` record with ``sw:notebook``.
    data_dir : str or pathlib.Path
        ``DATA_DIR``, under which ``sw:notebook`` lies.
    base : str
        The catalog's base IRI (kept for the publisher signature; record IRIs are absolute already).
    dest : str or pathlib.Path or None
        The zip to write; default ``<new temporary folder>/<slug>.crate.zip`` (the caller removes it).

    Returns
    -------
    pathlib.Path
        The ``.crate.zip``; ``rocrate.rocrate.ROCrate(path)`` reads it.

    Raises
    ------
    publishers.zenodo_metadata.MissingMetadata
        If the record lacks a title, a description, a version, a real creator, or its notebook file; each
        problem names the field and the record.
    ValueError
        If ``iri`` is not a workflow version.

    References
    ----------
    .. [1] ``specs/external-apis.md`` §2.5-2.6; Workflow RO-Crate 1.0.
    """
    iri = URIRef(iri)
    graph = store.get(iri)
    if record_kind(graph, iri) != "workflow":
        raise ValueError(f"<{iri}> is not a workflow version (schema:ComputationalWorkflow); only workflow "
                         "versions become Workflow RO-Crates")
    problems = []
    name, description = _text(graph, iri, SDO.name), _text(graph, iri, SDO.description)
    version = _text(graph, iri, SDO.version)
    for value, field, why in ((name, "schema:name", "the workflow has no title"),
                              (description, "schema:description", "WorkflowHub shows it as the abstract"),
                              (version, "schema:version", "WorkflowHub names versions after it")):
        if not value or not value.strip():
            problems.append(f"{field} of <{iri}>: {why}")
    notebook = graph.value(iri, SW.notebook)
    path = None
    if notebook is None:
        problems.append(f"sw:notebook of <{iri}>: the workflow version names no notebook file")
    else:
        path = Path(data_dir) / str(notebook)
        if not path.is_file():
            problems.append(f"sw:notebook of <{iri}>: {notebook} is not under DATA_DIR ({data_dir})")
    crate = ROCrate(version=RO_CRATE_VERSION)
    people = _creators(crate, graph, iri, problems)
    if problems:
        raise MissingMetadata(problems, str(iri))

    language = crate.add(ComputerLanguage(crate, identifier=LANGUAGE_ID, properties={
        "name": "Jupyter Notebook (Python)", "alternateName": "ipynb",
        "url": {"@id": "https://jupyter.org/"},
        "identifier": {"@id": "https://nbformat.readthedocs.io/en/latest/format_description.html"}}))
    workflow = crate.add_workflow(path, dest_path=path.name, main=True, lang=language, properties={
        "name": name, "description": description, "version": version,
        "encodingFormat": "application/x-ipynb+json", "conformsTo": {"@id": CWF_PROFILE}})
    workflow["url"] = str(iri)
    workflow["creator"] = people
    crate.name, crate.description = name, description
    crate.root_dataset["version"] = version
    crate.root_dataset["isBasedOn"] = crate_source(store, iri)
    crate.root_dataset["url"] = str(iri)
    crate.root_dataset["author"] = people

    licence = graph.value(iri, SDO.license)
    licence = str(licence) if licence is not None else DEFAULT_LICENSE
    if "://" in licence:
        crate.license = crate.add(ContextEntity(crate, licence, properties={
            "@type": "CreativeWork", "name": spdx_id(licence), "identifier": spdx_id(licence)}))
    else:
        crate.license = licence

    commit = _text(graph, iri, SW.commit)
    if commit:
        workflow["identifier"] = crate.add(ContextEntity(crate, "#commit", properties={
            "@type": "PropertyValue", "propertyID": "git-commit", "name": "git commit", "value": commit}))
    repository = graph.value(iri, SDO.codeRepository)
    if repository is not None:
        workflow["codeRepository"] = {"@id": str(repository)}
    citations = [crate.add(ContextEntity(crate, str(c), properties={"@type": "CreativeWork"}) if isinstance(c, URIRef)
                           else ContextEntity(crate, f"#citation-{n}", properties={"@type": "CreativeWork", "name": str(c)}))
                 for n, c in enumerate(sorted(graph.objects(iri, SDO.citation)), 1)]
    if citations:
        workflow["citation"] = citations
    inputs = [_parameter(crate, graph, n, "param") for n in _positioned(graph, graph.objects(iri, SDO_INPUT))]
    outputs = [_parameter(crate, graph, n, "output") for n in _positioned(graph, graph.objects(iri, SDO_OUTPUT))]
    if inputs:
        workflow["input"] = inputs
    if outputs:
        workflow["output"] = outputs

    slug = str(iri).rstrip("/").rsplit("/", 1)[-1]
    return _write(crate, dest, f"{slug}.crate.zip")


def _write(crate, dest, name):
    # The day, not the instant, so that a crate rebuilt by a resumed publication is byte for byte the same.
    crate.datePublished = datetime.now(timezone.utc).date().isoformat()
    dest = Path(dest) if dest is not None else Path(tempfile.mkdtemp(prefix="skyweave-crate-")) / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    crate.write_zip(dest)
    _normalise_zip(dest)
    return dest


def _normalise_zip(path):
    """Rewrite a zip with its entries sorted and dated 1980-01-01, so the same crate gives the same bytes.

    A resumed publication rebuilds the crate and compares its md5 with the copy already uploaded; file
    modification times would otherwise make every rebuild differ.
    """
    with zipfile.ZipFile(path) as archive:
        entries = sorted((info.filename, archive.read(info)) for info in archive.infolist())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, data in entries:
            archive.writestr(zipfile.ZipInfo(filename, date_time=(1980, 1, 1, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)


PROCESS_RUN_PROFILE = "https://w3id.org/ro/wfrun/process/0.5"
WORKFLOW_RUN_PROFILE = "https://w3id.org/ro/wfrun/workflow/0.5"
"""Workflow Run RO-Crate profiles (0.5) a result's run crate conforms to."""


def run_crate(store, result_iri, data_dir, base, files, *, dest=None):
    """Write a Workflow Run RO-Crate zip of the run that generated a result.

    The crate is the workflow version's Workflow RO-Crate plus the run: a ``CreateAction`` whose
    ``instrument`` is the workflow, ``object`` the parameter values (``PropertyValue``, each
    ``exampleOfWork`` its ``FormalParameter``) and ``result`` the files, with start and end times.

    Parameters
    ----------
    store : catalog.store.Store
    result_iri : str
        A result (``sw:DataProduct``).
    data_dir : str or pathlib.Path
    base : str
    files : sequence of (str, pathlib.Path)
        The run's files to include, as (name in the crate, path on disk).
    dest : str or pathlib.Path or None
        Where to write; default a new temporary folder's ``run.crate.zip``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    publishers.zenodo_metadata.MissingMetadata
        As `workflow_crate`, for the workflow that made the result.

    References
    ----------
    .. [1] Workflow Run RO-Crate 0.5, https://www.researchobject.org/workflow-run-crate/profiles/workflow_run_crate/
    """
    result = store.get(result_iri)
    run = result.value(URIRef(result_iri), PROV.wasGeneratedBy)
    run_graph = store.get(run)
    workflow_iri = workflow_of(run_graph, run)
    crate_zip = workflow_crate(store, workflow_iri, data_dir, base)
    crate = ROCrate(crate_zip)
    workflow = crate.mainEntity
    profiles = [{"@id": p} for p in (PROCESS_RUN_PROFILE, WORKFLOW_RUN_PROFILE, WROC_PROFILE)]
    crate.root_dataset["conformsTo"] = profiles
    for profile in profiles:
        crate.add(ContextEntity(crate, profile["@id"], properties={"@type": "CreativeWork", "name": profile["@id"]}))
    values = []
    for node in run_graph.objects(run, SW.parameterValue):
        name = str(run_graph.value(node, SW.parameter)).rsplit("#param-", 1)[-1]
        values.append(crate.add(ContextEntity(crate, f"#pv-{name}", properties={
            "@type": "PropertyValue", "name": name, "value": str(run_graph.value(node, SDO.value)),
            "exampleOfWork": {"@id": f"#param-{name}"}})))
    outputs = [crate.add_file(path, dest_path=name) for name, path in files]
    properties = {"name": _text(run_graph, run, RDFS.label) or f"Run {run}", "actionStatus": {
        "@id": "http://schema.org/CompletedActionStatus" if _text(run_graph, run, SW.phase) == "COMPLETED"
        else "http://schema.org/FailedActionStatus"}, "url": str(run)}
    for prop, key in ((PROV.startedAtTime, "startTime"), (PROV.endedAtTime, "endTime")):
        value = run_graph.value(run, prop)
        if value is not None:
            properties[key] = str(value)
    crate.add_action(workflow, identifier=f"#run-{str(run).rsplit('/', 1)[-1]}", object=values, result=outputs,
                     properties=properties)
    shutil.rmtree(crate_zip.parent, ignore_errors=True)
    return _write(crate, dest, "run.crate.zip")


def normalise_schema(graph):
    """Rewrite ``http://schema.org/`` and the Bioschemas workflow terms to the catalog's ``https://schema.org/``.

    Parameters
    ----------
    graph : rdflib.Graph
        Changed in place.

    Returns
    -------
    rdflib.Graph
        ``graph``.

    Examples
    --------
    >>> from rdflib import Graph, URIRef, Literal
    >>> g = Graph()
    >>> _ = g.add((URIRef("urn:x"), URIRef("http://schema.org/name"), Literal("x")))
    >>> [str(p) for p in normalise_schema(g).predicates()]
    ['https://schema.org/name']
    """
    def fix(term):
        if isinstance(term, URIRef):
            text = str(term)
            if text.startswith("http://schema.org/"):
                return URIRef("https://schema.org/" + text[len("http://schema.org/"):])
            if text in _BIOSCHEMAS:
                return URIRef(_BIOSCHEMAS[text])
        return term

    for triple in list(graph):
        fixed = tuple(fix(t) for t in triple)
        if fixed != triple:
            graph.remove(triple)
            graph.add(fixed)
    return graph


def crate_graph(path, base="arcp://crate/"):
    """Read a crate's ``ro-crate-metadata.json`` as RDF in the catalog's vocabulary, without network access.

    Parameters
    ----------
    path : str or pathlib.Path
        A crate folder, a ``.zip``, or the metadata file itself.
    base : str
        Base IRI for the crate's relative ``@id`` values.

    Returns
    -------
    rdflib.Graph
        Parsed with the RO-Crate context shipped by ``rocrate``, then `normalise_schema`.
    """
    path = Path(path)
    if path.is_dir():
        text = (path / "ro-crate-metadata.json").read_text()
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            text = archive.read("ro-crate-metadata.json").decode()
    else:
        text = path.read_text()
    document = json.loads(text)
    context = json.loads((Path(rocrate.__file__).parent / "data" / "ro-crate.jsonld").read_text())["@context"]
    document["@context"] = context
    graph = Graph()
    with warnings.catch_warnings():  # rdflib's JSON-LD parser builds a ConjunctiveGraph (deprecated in rdflib 7)
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        graph.parse(data=json.dumps(document), format="json-ld", base=base)
    return normalise_schema(graph)
