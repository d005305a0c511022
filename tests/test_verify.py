"""``skyweave verify``: published references re-computed in fresh kernels, and cached runs re-checked (issue 9)."""

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from skyweave.catalog.vocab import DCTERMS, PROV, RDF, SDO, SW
from skyweave.runners.values import literal
from skyweave.runners.verify import load_references, verify

from .conftest import BASE
from .workflow_repo import submit, wait_for


def _reference(store, name, published, parameters):
    iri = URIRef(f"{BASE}references/{name}")
    g = Graph()
    g.add((iri, RDF.type, SW.Reference))
    g.add((iri, RDF.type, PROV.Entity))
    g.add((iri, SW.workflowName, Literal("ring")))
    g.add((iri, DCTERMS.source, URIRef("https://doi.org/10.5281/zenodo.1421099")))
    g.add((iri, DCTERMS.bibliographicCitation, Literal("A test reference, 2026")))
    for key, value in parameters.items():
        node = BNode()
        g.add((iri, SDO.additionalProperty, node))
        g.add((node, RDF.type, SDO.PropertyValue))
        g.add((node, SDO.name, Literal(key)))
        g.add((node, SDO.value, literal(value)))
    node = BNode()
    g.add((iri, SW.publishedValue, node))
    g.add((node, RDF.type, SDO.QuantitativeValue))
    g.add((node, SDO.name, Literal("mean_ra")))
    for key, value in published.items():
        g.add((node, {"min": SDO.minValue, "max": SDO.maxValue, "value": SDO.value,
                      "uncertainty": SW.uncertainty}[key], literal(value)))
    store.put(iri, g)
    return str(iri)


def test_references_are_reproduced_or_drift_and_recorded(runner_app):
    store, jobs = runner_app.extensions["store"], runner_app.extensions["jobs"]
    # The ring's mean RA is the centre plus a small offset: 83.633 + ~0.5/20 deg for 20 points.
    good = _reference(store, "ring-mean-ra", {"min": 83.6, "max": 83.7}, {"n_points": 20})
    bad = _reference(store, "ring-mean-ra-wrong", {"value": 80.0, "uncertainty": 0.5}, {"n_points": 20})
    report = verify(store, jobs, BASE, workflow="ring", timeout_s=120)
    outcomes = {c.reference: c.outcome for c in report.checks}
    assert outcomes == {good: "reproduced", bad: "drift"}, report.checks
    runs = {c.run for c in report.checks}
    # The two references name the same parameter values: one fresh run (not the cache) serves both.
    assert len(runs) == 1 and None not in runs
    rows = store.select(
        "PREFIX sw: <https://skyweave.org/ns#> SELECT ?ref ?outcome ?run WHERE { ?v a sw:Verification ; "
        "sw:reference ?ref ; sw:outcome ?outcome ; sw:verifiedRun ?run }")
    assert {(str(r["ref"]), str(r["outcome"])) for r in rows} == {(good, "reproduced"), (bad, "drift")}
    # The workflow's page shows the numbers side by side.
    from bs4 import BeautifulSoup

    page = BeautifulSoup(runner_app.test_client().get("/workflows/ring-v1").data, "html.parser")
    cells = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in page.select("#verifications tbody tr")]
    assert [(c[0], c[1], c[3].split()[0]) for c in cells] == [("mean_ra", "83.6 – 83.7", "reproduced"),
                                                             ("mean_ra", "80.0 ± 0.5", "drift")], cells


def test_bundled_references_load_and_conform(runner_app):
    store = runner_app.extensions["store"]
    iris = load_references(store, BASE)
    assert iris == [f"{BASE}references/hess-spectrum-{q}-{tool}" for q in ("flux", "index") for tool in ("ctools", "hap")]
    for iri in iris:
        graph = store.get(iri)
        assert "Mohrmann" in str(graph.value(URIRef(iri), DCTERMS.bibliographicCitation))
        value = graph.value(URIRef(iri), SW.publishedValue)
        assert graph.value(value, SW.uncertainty).toPython() > 0  # a published value with its error
        assert {(str(graph.value(p, SDO.name)), graph.value(p, SDO.value).toPython())
                for p in graph.objects(URIRef(iri), SDO.additionalProperty)} == {("e_ref", 1.45)}
    flux = store.get(iris[0]).value(URIRef(iris[0]), SW.publishedValue)
    assert str(store.get(iris[0]).value(flux, SDO.unitText)) == "TeV-1 cm-2 s-1"


def test_a_published_unit_is_compared_in_that_unit(runner_app):
    """The run's value is converted to the reference's unit before the comparison."""
    from skyweave.runners.verify import _quantity

    store = runner_app.extensions["store"]
    run = URIRef(f"{BASE}runs/unit-check")
    g = Graph()
    g.add((run, RDF.type, SW.Run))
    g.add((run, RDF.type, PROV.Activity))
    node = BNode()
    g.add((run, SDO.result, node))
    g.add((node, SDO.name, Literal("amplitude")))
    g.add((node, SDO.value, literal(4.0e-11)))
    g.add((node, SDO.unitText, Literal("cm-2 s-1 TeV-1")))
    g.add((node, SW.uncertainty, literal(2.0e-12)))
    store.put(run, g, validate=False)
    assert _quantity(store, run, "amplitude", "TeV-1 cm-2 s-1") == (4.0e-11, 2.0e-12)
    value, error = _quantity(store, run, "amplitude", "GeV-1 m-2 s-1")
    assert (round(value / 4.0e-10, 9), round(error / 2.0e-11, 9)) == (1.0, 1.0)  # x 1e4 cm2/m2 / 1e3 GeV/TeV
    with pytest.raises(ValueError):
        _quantity(store, run, "amplitude", "deg")


def test_a_cached_run_whose_outputs_changed_is_flagged(runner_app):
    store, jobs = runner_app.extensions["store"], runner_app.extensions["jobs"]
    client = runner_app.test_client()
    status = wait_for(client, submit(client, "ring-v1", {"n_points": "33"}).headers["Location"], timeout_s=120)
    assert status["phase"] == "COMPLETED", status["log"]
    report = verify(store, jobs, BASE, workflow="no-such-workflow", sample=1, timeout_s=120)
    assert [c.same for c in report.cache] == [True], report.cache
    # Pretend the stored value was computed by other software: the re-computation no longer matches.
    run = URIRef(BASE + "runs/" + status["run"].rsplit("/", 1)[-1])
    graph = store.get(run)
    node = next(n for n in graph.objects(run, SDO.result) if str(graph.value(n, SDO.name)) == "mean_ra")
    graph.set((node, SDO.value, literal(status["values"]["mean_ra"] + 1e-9)))
    store.put(run, graph)
    report = verify(store, jobs, BASE, workflow="no-such-workflow", sample=1, timeout_s=120)
    assert [(c.run, c.same, c.changed) for c in report.cache] == [(str(run), False, ("mean_ra",))]
