"""The status of a run as a plain dict: what the run page, its JSON and the CLI show.

Values carry their units (`runners.values`): parameters with their parameter's unit, outputs as
quantities with unit, uncertainty and upper limit, each with a display text (``e_min`` ->
``1.0 TeV``).
"""

from rdflib import URIRef

from skyweave.catalog.exceptions import NotFound
from skyweave.catalog.vocab import DCAT, DCTERMS, PROV, SDO, SW

from .values import display, result_item

__all__ = ["run_status"]

_STATUS = (
    "PREFIX sw: <https://skyweave.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#> "
    "SELECT ?p ?o ?np ?no WHERE { GRAPH $run { $run ?p ?o "
    "FILTER(?p NOT IN (sw:codeUsed, sw:softwareUsed, prov:wasAssociatedWith)) OPTIONAL { ?o ?np ?no } } }")
"""The run's own statements and those of its value nodes, in its named graph: everything but the
code files and software it used (tens to hundreds of nodes, which only the RDF shows) and its agents."""

_PRODUCTS = (
    "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX sw: <https://skyweave.org/ns#> "
    "SELECT ?r ?label ?url ?type ?out WHERE { ?r prov:wasGeneratedBy $run ; rdfs:label ?label ; "
    "sw:outputName ?out ; dcat:distribution/dcat:downloadURL ?url ; dcat:distribution/dcat:mediaType ?type } "
    "ORDER BY ?out")
"""The run's file products (each its own record), found through the index on their ``prov:wasGeneratedBy``."""


class _Record:
    """The run's statements as read by `_STATUS`: its own objects by predicate, and each value node's."""

    def __init__(self, rows):
        self.own, self.nodes = {}, {}
        for row in rows:  # one row per statement of a value node: its own statement repeats
            self.own.setdefault(row["p"], {})[row["o"]] = None
            if "np" in row:
                self.nodes.setdefault(row["o"], {})[row["np"]] = row["no"]

    def value(self, predicate):
        """One object of the run for ``predicate``, or None."""
        return next(iter(self.own.get(predicate, ())), None)

    def objects(self, predicate):
        """Every object of the run for ``predicate``, in the order read."""
        return list(self.own.get(predicate, ()))

    def get(self, node, predicate):
        """The object of a value node for ``predicate``, or None."""
        return self.nodes.get(node, {}).get(predicate)


def run_status(store, jobs, base, run_iri):
    """Return the status of a run as a dict (phase, progress, times, values, results, log, error).

    Two indexed reads: the run's own statements and value nodes in its named graph (not its code
    files and software, which only its RDF shows), and its file products by ``prov:wasGeneratedBy``.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    jobs : JobManager
    base : str
        The catalog's ``BASE_IRI``; links in the status are paths below it.
    run_iri : str or rdflib.URIRef

    Returns
    -------
    dict
        ``run`` (path), ``phase``, ``progress``, ``workflow``, ``parameters`` (name -> value as given
        to the notebook), ``parameter_units`` (name -> unit), ``parameter_text`` (name -> value with
        its unit, for display), ``started``, ``ended``, ``values`` (name -> number or text; an
        upper limit's limit), ``quantities`` (one dict per output value with ``name``, ``value``,
        ``unit``, ``unit_code``, ``uncertainty``, ``upper_limit`` and ``text``, see
        `runners.values.read_results`), ``value_text`` (name -> text), ``results``, ``notebook``,
        ``data_files`` (one dict per data file the run read: ``path`` relative to the data folder,
        ``size`` in bytes, ``sha256``, ``file`` (its download path) and ``observation`` (the path of
        the catalogued observation it belongs to, or None)), ``error``, ``log``, ``label``.

    Raises
    ------
    NotFound
        If there is no such run.
    """
    from skyweave.catalog.pages import href_for
    from skyweave.catalog.vocab import RDFS

    run_iri = URIRef(run_iri)
    record = _Record(store.select(_STATUS, run=run_iri))
    if not record.own:
        raise NotFound(f"No record <{run_iri}> in the catalog.")
    progress = jobs.progress(run_iri)  # None unless the run is under way here
    phase = jobs.phase(run_iri) if progress is not None else str(record.value(SW.phase))
    rows = store.select(_PRODUCTS, run=run_iri)
    parameters = {}
    for pv in record.objects(SW.parameterValue):
        value, unit = record.get(pv, SDO.value).toPython(), record.get(pv, SDO.unitText)
        unit = None if unit is None else str(unit)
        original = record.get(pv, RDFS.label)  # a time as it was given to the notebook
        parameters[str(record.get(pv, SW.parameter)).rsplit("#param-", 1)[-1]] = {
            "value": str(original) if original is not None else value, "unit": unit, "text": display(value, unit)}
    quantities = sorted((result_item(lambda p, node=node: record.get(node, p)) for node in record.objects(SDO.result)),
                        key=lambda item: item["name"])
    notebook = next((record.get(n, DCAT.downloadURL) for n in record.objects(PROV.generated)), None)
    used = record.objects(PROV.used)
    files = [f for f in used if record.get(f, SDO.sha256) is not None]
    observations = {record.get(f, DCTERMS.isPartOf) for f in files}
    workflow = next(iter(sorted(u for u in used if u not in observations and u not in files)), None)
    data_files = sorted(({
        "path": str(record.get(f, SDO.name)), "size": int(record.get(f, DCAT.byteSize).toPython()),
        "sha256": str(record.get(f, SDO.sha256)),
        "file": href_for(base, record.get(f, DCAT.downloadURL)) if record.get(f, DCAT.downloadURL) else None,
        "observation": href_for(base, record.get(f, DCTERMS.isPartOf)) if record.get(f, DCTERMS.isPartOf) else None,
    } for f in files), key=lambda item: item["path"])
    return {
        "run": href_for(base, run_iri),
        "phase": phase,
        "progress": {"cells_done": progress[0], "cells_total": progress[1]} if progress else None,
        "workflow": href_for(base, workflow) if workflow is not None else None,
        "parameters": {name: item["value"] for name, item in parameters.items()},
        "parameter_units": {name: item["unit"] for name, item in parameters.items() if item["unit"]},
        "parameter_text": {name: item["text"] for name, item in parameters.items()},
        "started": str(record.value(PROV.startedAtTime) or "") or None,
        "ended": str(record.value(PROV.endedAtTime) or "") or None,
        "values": {q["name"]: q["value"] if q["value"] is not None else q["upper_limit"] for q in quantities},
        "quantities": quantities,
        "value_text": {q["name"]: q["text"] for q in quantities},
        "results": [{"href": href_for(base, r["r"]), "label": str(r["label"]), "output": str(r["out"]),
                     "file": href_for(base, r["url"]), "media_type": str(r["type"])} for r in rows],
        "notebook": href_for(base, notebook) if notebook else None,
        "data_files": data_files,
        "error": str(record.value(SW.error) or "") or None,
        "log": str(record.value(SW.log) or ""),
        "label": str(record.value(RDFS.label) or ""),
    }
