"""The bundled workflows: every notebook reads, conforms, and the Crab spectrum runs on the real data."""

from pathlib import Path

import pytest

from skyweave.catalog.validate import validate
from skyweave.runners.describe import workflow_graph
from skyweave.runners.registry import register
from skyweave.runners.repository import read_repository

from .conftest import BASE, make_app

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"


def test_every_bundled_notebook_is_a_valid_catalogued_workflow():
    specs = read_repository(WORKFLOWS)
    assert {s.slug for s in specs} == {"hess-spectrum", "hess-light-curve", "hess-sky-map", "catalog-cone-search",
                                       "fermi-counts-map"}
    for spec in specs:
        graph = workflow_graph(spec, f"{BASE}workflows/{spec.slug}-v1", BASE)
        report = validate(graph)
        assert report.conforms, (spec.slug, report.text())
        assert spec.references, f"{spec.slug} cites no data or paper"
        assert spec.outputs, f"{spec.slug} declares no outputs"


@pytest.fixture
def crab_app(records, tmp_path):
    from skyweave.catalog.web.app import close_app

    app = make_app(records, DATA_DIR=str(tmp_path / "data"), RUN_TIMEOUT_S=300)
    jobs = app.extensions["jobs"]
    register(str(WORKFLOWS), app.extensions["store"], BASE, app.config["DATA_DIR"], jobs.executor.kernels, jobs.env)
    yield app
    close_app(app)


def test_the_crab_spectrum_runs_on_the_real_data(crab_app):
    from .workflow_repo import wait_for

    client = crab_app.test_client()
    response = client.post("/workflows/hess-spectrum/runs", json={"parameters": {}}, headers={"Accept": "application/json"})
    assert response.status_code == 303, response.data
    run_url = response.json["run"].replace("http://localhost", "")
    status = wait_for(client, run_url, timeout_s=300)
    assert status["phase"] == "COMPLETED", status["log"][-2000:]
    # The Crab Nebula's spectrum above 1 TeV is a power law of index about 2.6 (HESS 2006, A&A 457, 899).
    assert 2.3 < status["values"]["index"] < 2.9
    assert status["values"]["significance"] > 20
    kinds = {r["media_type"] for r in status["results"]}
    assert "image/png" in kinds and "text/x-ecsv" in kinds
    again = client.post("/workflows/hess-spectrum/runs", json={"parameters": {}}, headers={"Accept": "application/json"})
    assert again.json["cached"] and again.json["run"] == response.json["run"]
    # A target name resolves against the catalog's own targets.
    bad = client.post("/workflows/hess-spectrum/runs", json={"parameters": {"source_name": "No Such Source 123"}},
                      headers={"Accept": "application/json"})
    assert bad.status_code == 422 and bad.json["errors"][0]["path"] == "source_name"
    # The Crab's own page lists the run about it and the results it made (issue 7).
    from bs4 import BeautifulSoup

    page = BeautifulSoup(client.get("/targets/crab-nebula").data, "html.parser")
    links = {a["href"] for a in page.select("#runs a")}
    assert run_url in links, links
    assert {r["href"] for r in status["results"]} <= links
    other = BeautifulSoup(client.get("/targets/pks-2155-304").data, "html.parser")
    assert run_url not in {a["href"] for a in other.select("#runs a")}


@pytest.mark.parametrize("slug, value, low, high", [
    # PKS 2155-304's four runs of 2006-07-29/30, and a bright flare (several times the Crab's flux).
    ("hess-light-curve", "n_runs", 4, 4),
    # The Crab Nebula stands out at tens of sigma in 1.75 h (HESS DL3 DR1 paper: ~40 sigma).
    ("hess-sky-map", "max_significance", 20, 80),
    # Sources within 2 deg of Sgr A*: HESS J1745-290 and its neighbours, and the 3FHL sources there.
    ("catalog-cone-search", "n_sources", 5, 40),
    # Photons above 10 GeV in a 10 deg x 10 deg box around the Galactic centre (of 32,843 in the file).
    ("fermi-counts-map", "total_counts", 5000, 32843),
])
def test_each_bundled_workflow_runs_with_its_defaults(crab_app, slug, value, low, high):
    from .workflow_repo import submit, wait_for

    client = crab_app.test_client()
    status = wait_for(client, submit(client, slug, {}).headers["Location"], timeout_s=300)
    assert status["phase"] == "COMPLETED", status["log"][-2000:]
    assert low <= status["values"][value] <= high
    assert any(r["media_type"] == "image/png" for r in status["results"])
