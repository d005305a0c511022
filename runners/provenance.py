"""PROV-O records of runs and their results (shaped like a Workflow Run Crate's CreateAction).

A run (``sw:Run``, a ``prov:Activity``) ``prov:used`` its workflow version and each parameter value
(``sw:parameterValue``, a sub-property of ``prov:used``), ``prov:wasAssociatedWith`` the user and the
runner (``prov:SoftwareAgent``), with start and end times, phase, log and error. Each file output
becomes a result (``sw:DataProduct``, a ``prov:Entity`` and ``dcat:Dataset``) that
``prov:wasGeneratedBy`` the run, with one distribution per file, stored content-addressed.

The run also ``prov:used`` each data file it really opened (`DataFile`, found in its kernel by an
audit hook, see `runners.inkernel`): a ``prov:Entity`` and ``dcat:Distribution`` with its path in the
data folder (``schema:name``), ``schema:sha256``, ``dcat:byteSize`` and ``dcat:downloadURL``
(``{BASE_IRI}files/<path>``); when that URL is a distribution of a catalogued observation, the run
``prov:used`` the observation too and the file is ``dcterms:isPartOf`` it. So the terms of the data
release the observation belongs to follow the run's results (`publishers.terms`).

References
----------
.. [1] PROV-O, https://www.w3.org/TR/prov-o/ ; Workflow Run RO-Crate,
   https://www.researchobject.org/workflow-run-crate/
"""

from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef

from skyweave.catalog.vocab import DCAT, DCTERMS, ODA, PROV, RDF, RDFS, SDO, SW, XSD

from .files import download_url, media_type, store_bytes
from .values import add_results, literal, time_literal

__all__ = ["PRODUCT_TYPES", "literal", "run_graph", "result_records", "RUNNER_NAME", "xsd_time", "now", "DataFile",
           "data_file_url", "data_used", "workflow_of"]

RUNNER_NAME = "skyweave notebook runner"
"""Name of the software agent recorded on every run."""

PRODUCT_TYPES = {
    ODA.Image: SW.Image, ODA.ODAPictureProduct: SW.Image, ODA.Spectrum: SW.Spectrum,
    ODA.LightCurve: SW.LightCurve, ODA.ODAAstropyTable: SW.Table,
}
"""oda-hub output type -> our product type; other file outputs are tables."""


@dataclass(frozen=True)
class DataFile:
    """A data file a run read.

    Attributes
    ----------
    path : str
        Its path relative to the data folder served under ``/files/`` (``hess-dl3-dr1/data/...``),
        or ``$GAMMAPY_DATA/...`` for another data folder.
    sha256 : str
        SHA-256 (hex) of its bytes when the run ended.
    size : int
        Its size in bytes.
    url : str or None
        ``{BASE_IRI}files/<path>``, where the service serves it (None outside the served folder).
    record : str or None
        The catalogued record (an observation) that has a distribution at ``url``, if any.
    """

    path: str
    sha256: str
    size: int
    url: str | None = None
    record: str | None = None


def data_file_url(base, path):
    """Return the download IRI of a file of the served data folder, or None for another folder.

    Examples
    --------
    >>> data_file_url("http://127.0.0.1:5000/", "hess-dl3-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz")
    'http://127.0.0.1:5000/files/hess-dl3-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz'
    >>> data_file_url("http://127.0.0.1:5000/", "$GAMMAPY_DATA/x.fits") is None
    True
    """
    if path.startswith("$"):
        return None
    return f"{base}files/{quote(path)}"


_CATALOGUED = (
    "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX sw: <https://skyweave.org/ns#> "
    "SELECT ?url ?record WHERE { VALUES ?url { %s } ?record dcat:distribution/dcat:downloadURL ?url . "
    "{ ?record a sw:Observation } UNION { ?record a dcat:Dataset } }")


def data_used(store, base, data_files):
    """Map the data files a run read to the catalogued records whose distributions they are.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    base : str
        BASE_IRI.
    data_files : dict of str to dict
        ``RunResult.environment["data_files"]``: path -> ``{"sha256": str, "size": int}``.

    Returns
    -------
    list of DataFile
        In path order; ``record`` set where a catalogued observation (or dataset) has a
        ``dcat:distribution`` whose ``dcat:downloadURL`` is the file's URL.
    """
    files = [DataFile(path, str(item["sha256"]), int(item["size"]), data_file_url(base, path))
             for path, item in sorted((data_files or {}).items())]
    urls = [f.url for f in files if f.url]
    found = {}
    if urls:
        for row in store.select(_CATALOGUED % " ".join(f"<{u}>" for u in urls)):
            found.setdefault(str(row["url"]), str(row["record"]))
    return [DataFile(f.path, f.sha256, f.size, f.url, found.get(f.url)) for f in files]


def workflow_of(graph, run):
    """Return the workflow version a run record ``prov:used`` (not the data it read), or None.

    A run ``prov:used`` its workflow version, the data files it read (blank nodes) and the
    observations those files belong to (each named by a file's ``dcterms:isPartOf``).

    Parameters
    ----------
    graph : rdflib.Graph
        The run's record.
    run : rdflib.URIRef or str

    Returns
    -------
    rdflib.URIRef or None
    """
    run = URIRef(run)
    used = list(graph.objects(run, PROV.used))
    data = {o for f in used if isinstance(f, BNode) for o in graph.objects(f, DCTERMS.isPartOf)}
    return next(iter(sorted(u for u in used if isinstance(u, URIRef) and u not in data)), None)


def xsd_time(value):
    """Return a UTC ``xsd:dateTime`` literal (``...Z``) of a timezone-aware datetime."""
    return Literal(value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=XSD.dateTime)


def run_graph(run_iri, workflow_iri, phase, parameters, user, executor_name, cache_key=None, label=None,
              started=None, ended=None, log=None, error=None, values=None, notebook_url=None, version="0",
              informed_by=None, plan=None, units=None, parameter_units=None, time_parameters=(), environment=None,
              unit_codes=None, data=()):
    """Build the record of a run in a given phase.

    Parameters
    ----------
    run_iri, workflow_iri : str
    phase : str
        IVOA UWS phase (``QUEUED``, ``EXECUTING``, ``COMPLETED``, ``ERROR``, ``ABORTED``).
    parameters : dict of str to object
        Normalised parameter values, by parameter name (linked to ``{workflow_iri}#param-{name}``).
    user : str
        Who asked for the run.
    executor_name : str
        Which executor ran it (``local pool``, ``dask tcp://...``).
    cache_key : str or None
    label : str or None
    started, ended : datetime.datetime or None
        UTC times.
    log, error : str or None
    values : dict of str to object or None
        Output values (not files), recorded as ``schema:result`` nodes.
    notebook_url : str or None
        Download IRI of the executed notebook.
    version : str
        skyweave's version, recorded with the runner agent.
    informed_by : str or None
        The alert that started the run (``prov:wasInformedBy``), for runs a follow-up rule requested.
    plan : str or None
        The follow-up rule that requested it (``prov:wasInfluencedBy``).
    units : dict of str to str or None
        Unit of each output value (`runners.RunResult.units`).
    parameter_units : dict of str to str or None
        Unit (astropy string) of each parameter, recorded as its value's ``schema:unitText``.
    time_parameters : collection of str
        Parameters whose values are UTC ISOT times, recorded as ``xsd:dateTime``.
    environment : dict or None
        What ran (`runners.RunResult.environment`): the notebook and each imported repository
        file become ``sw:codeUsed`` ``schema:SoftwareSourceCode`` nodes with ``schema:sha256``,
        the packages, Python and the kernel ``sw:softwareUsed`` ``schema:SoftwareApplication``
        nodes with ``schema:softwareVersion``.
    unit_codes : dict of str to str or None
        ``unit:`` IRI of each output whose unit the notebook declares (``schema:unitCode``).
    data : sequence of DataFile
        The data files the run read (`data_used`): each a ``prov:used`` file entity, and its
        catalogued observation ``prov:used`` too.

    Returns
    -------
    rdflib.Graph
    """
    g = Graph()
    run = URIRef(run_iri)
    g.add((run, RDF.type, SW.Run))
    g.add((run, RDF.type, PROV.Activity))
    g.add((run, RDFS.label, Literal(label or f"Run {str(run_iri).rsplit('/', 1)[-1]}")))
    g.add((run, PROV.used, URIRef(workflow_iri)))
    g.add((run, SW.phase, Literal(phase)))
    for name, value in parameters.items():
        node = BNode()
        g.add((run, SW.parameterValue, node))
        g.add((node, RDF.type, SW.ParameterValue))
        g.add((node, RDF.type, PROV.Entity))
        g.add((node, SW.parameter, URIRef(f"{workflow_iri}#param-{name}")))
        timed = name in time_parameters and isinstance(value, str)
        g.add((node, SDO.value, time_literal(value) if timed else literal(value)))
        if timed:
            g.add((node, RDFS.label, Literal(value)))  # the literal as injected into the notebook
        if (parameter_units or {}).get(name):
            g.add((node, SDO.unitText, Literal(parameter_units[name])))
    person, agent = BNode(), BNode()
    g.add((run, PROV.wasAssociatedWith, person))
    g.add((person, RDF.type, PROV.Person))
    g.add((person, SDO.name, Literal(user)))
    g.add((run, PROV.wasAssociatedWith, agent))
    g.add((agent, RDF.type, PROV.SoftwareAgent))
    g.add((agent, SDO.name, Literal(f"{RUNNER_NAME} {version} ({executor_name})")))
    if informed_by:
        g.add((run, PROV.wasInformedBy, URIRef(informed_by)))
    if plan:
        g.add((run, PROV.wasInfluencedBy, URIRef(plan)))
    if cache_key:
        g.add((run, SW.cacheKey, Literal(cache_key)))
    if started:
        g.add((run, PROV.startedAtTime, xsd_time(started)))
    if ended:
        g.add((run, PROV.endedAtTime, xsd_time(ended)))
    if log:
        g.add((run, SW.log, Literal(log)))
    if error:
        g.add((run, SW.error, Literal(error)))
    add_results(g, run, values or {}, units, unit_codes)
    _add_environment(g, run, environment or {})
    _add_data(g, run, data)
    if notebook_url:
        node = BNode()
        g.add((run, PROV.generated, node))
        g.add((node, RDF.type, PROV.Entity))
        g.add((node, RDFS.label, Literal("Executed notebook")))
        g.add((node, DCAT.downloadURL, URIRef(notebook_url)))
        g.add((node, DCAT.mediaType, Literal("application/x-ipynb+json")))
    return g


def _add_environment(g, run, environment):
    """Record the code files and software a run used (see `run_graph`)."""
    files = dict(environment.get("code_files", {}))
    if environment.get("notebook_sha256"):
        files[environment.get("notebook", "notebook.ipynb")] = environment["notebook_sha256"]
    for path, digest in sorted(files.items()):
        node = BNode()
        g.add((run, SW.codeUsed, node))
        g.add((node, RDF.type, SDO.SoftwareSourceCode))
        g.add((node, SDO.name, Literal(path)))
        g.add((node, SDO.sha256, Literal(digest)))
    software = dict(environment.get("packages", {}))
    if environment.get("python"):
        software["python"] = environment["python"]
    if environment.get("kernel"):
        name, _, version = environment["kernel"].partition(" ")
        software[name] = version
    for name, version in sorted(software.items()):
        node = BNode()
        g.add((run, SW.softwareUsed, node))
        g.add((node, RDF.type, SDO.SoftwareApplication))
        g.add((node, SDO.name, Literal(name)))
        g.add((node, SDO.softwareVersion, Literal(version)))


def _add_data(g, run, data):
    """Record the data files a run read, and the observations they belong to (see `run_graph`)."""
    for item in data:
        node = BNode()
        g.add((run, PROV.used, node))
        g.add((node, RDF.type, PROV.Entity))
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, SDO.name, Literal(item.path)))
        g.add((node, SDO.sha256, Literal(item.sha256)))
        g.add((node, DCAT.byteSize, Literal(item.size, datatype=XSD.integer)))
        if item.url:
            g.add((node, DCAT.downloadURL, URIRef(item.url)))
        if item.record:
            g.add((node, DCTERMS.isPartOf, URIRef(item.record)))
            g.add((run, PROV.used, URIRef(item.record)))


def result_records(base, run_iri, result, outputs, data_dir, title):
    """Store a run's files content-addressed and build one result record per declared file output.

    Parameters
    ----------
    base : str
        BASE_IRI.
    run_iri : str
    result : runners.RunResult
    outputs : dict of str to runners.annotations.OutputSpec
        Declared outputs by name (for their type and label).
    data_dir : str or pathlib.Path
    title : str
        The workflow's title, used in result labels.

    Returns
    -------
    records : list of (rdflib.URIRef, rdflib.Graph)
    notebook_url : str or None
        Download IRI of the executed notebook.
    """
    run_id = str(run_iri).rsplit("/", 1)[-1]
    records, notebook_url = [], None
    for file in result.files:
        digest = store_bytes(data_dir, file.data)
        url = download_url(base, digest, file.name)
        if file.output is None:
            notebook_url = url
            continue
        spec = outputs.get(file.output)
        iri = URIRef(f"{base}results/{run_id}-{file.output.replace('_', '-').lower()}")
        g = Graph()
        g.add((iri, RDF.type, SW.DataProduct))
        g.add((iri, RDF.type, PROV.Entity))
        g.add((iri, RDF.type, DCAT.Dataset))
        label = (getattr(spec, "label", None) or file.output.replace("_", " "))
        g.add((iri, RDFS.label, Literal(f"{label} — {title}")))
        g.add((iri, SW.outputName, Literal(file.output)))
        g.add((iri, PROV.wasGeneratedBy, URIRef(run_iri)))
        g.add((iri, SW.productType, PRODUCT_TYPES.get(getattr(spec, "type_iri", None), SW.Table)))
        g.add((iri, PROV.generatedAtTime, xsd_time(result.ended_at)))
        dist = BNode()
        g.add((iri, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.downloadURL, URIRef(url)))
        g.add((dist, DCAT.mediaType, Literal(media_type(file.name))))
        g.add((dist, DCAT.byteSize, Literal(len(file.data), datatype=XSD.integer)))
        records.append((iri, g))
    return records, notebook_url


def now():
    """Return the current UTC time, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0)


