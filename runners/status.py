"""The status of a run as a plain dict: what the run page, its JSON and the CLI show.

Values carry their units (`runners.values`): parameters with their parameter's unit, outputs as
quantities with unit, uncertainty and upper limit, each with a display text (``e_min`` ->
``1.0 TeV``).
"""

from rdflib import URIRef

from skyweave.catalog.vocab import PROV, SDO, SW

from .values import display, read_results

__all__ = ["run_status"]


def run_status(store, jobs, base, run_iri):
    """Return the status of a run as a dict (phase, progress, times, values, results, log, error).

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
        ``unit``, ``uncertainty``, ``upper_limit`` and ``text``, see `runners.values.read_results`), ``value_text`` (name -> text),
        ``results``, ``notebook``, ``error``, ``log``, ``label``.

    Raises
    ------
    NotFound
        If there is no such run.
    """
    from skyweave.catalog.pages import href_for
    from skyweave.catalog.vocab import DCAT, RDFS

    run_iri = URIRef(run_iri)
    graph = store.get(run_iri)
    phase = jobs.phase(run_iri)
    progress = jobs.progress(run_iri)
    rows = store.select(
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX sw: <https://skyweave.org/ns#> "
        "SELECT ?r ?label ?url ?type ?out WHERE { ?r prov:wasGeneratedBy $run ; rdfs:label ?label ; "
        "sw:outputName ?out ; dcat:distribution/dcat:downloadURL ?url ; dcat:distribution/dcat:mediaType ?type } "
        "ORDER BY ?out", run=run_iri)
    run = URIRef(run_iri)
    parameters = {}
    for pv in graph.objects(run, SW.parameterValue):
        value, unit = graph.value(pv, SDO.value).toPython(), graph.value(pv, SDO.unitText)
        unit = None if unit is None else str(unit)
        original = graph.value(pv, RDFS.label)  # a time as it was given to the notebook
        parameters[str(graph.value(pv, SW.parameter)).rsplit("#param-", 1)[-1]] = {
            "value": str(original) if original is not None else value, "unit": unit, "text": display(value, unit)}
    quantities = read_results(graph, run)
    notebook = next((graph.value(n, DCAT.downloadURL) for n in graph.objects(run, PROV.generated)), None)
    return {
        "run": href_for(base, run_iri),
        "phase": phase,
        "progress": {"cells_done": progress[0], "cells_total": progress[1]} if progress else None,
        "workflow": href_for(base, graph.value(run, PROV.used)),
        "parameters": {name: item["value"] for name, item in parameters.items()},
        "parameter_units": {name: item["unit"] for name, item in parameters.items() if item["unit"]},
        "parameter_text": {name: item["text"] for name, item in parameters.items()},
        "started": str(graph.value(run, PROV.startedAtTime) or "") or None,
        "ended": str(graph.value(run, PROV.endedAtTime) or "") or None,
        "values": {q["name"]: q["value"] if q["value"] is not None else q["upper_limit"] for q in quantities},
        "quantities": quantities,
        "value_text": {q["name"]: q["text"] for q in quantities},
        "results": [{"href": href_for(base, r["r"]), "label": str(r["label"]), "output": str(r["out"]),
                     "file": href_for(base, r["url"]), "media_type": str(r["type"])} for r in rows],
        "notebook": href_for(base, notebook) if notebook else None,
        "error": str(graph.value(run, SW.error) or "") or None,
        "log": str(graph.value(run, SW.log) or ""),
        "label": str(graph.value(run, RDFS.label) or ""),
    }
