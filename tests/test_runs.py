"""Registering notebook repositories and running their workflows for real, over the HTTP API."""

import subprocess
import time

from rdflib import Literal, URIRef

from skyweave.catalog.vocab import PROV, SDO, SW
from skyweave.runners.registry import register

from .conftest import BASE
from .workflow_repo import make_repo, submit, wait_for


def test_registered_versions_are_catalogued_with_tests_and_commit(runner_app):
    store = runner_app.extensions["store"]
    iri = URIRef(BASE + "workflows/ring-v1")
    graph = store.get(iri)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=runner_app.config["REPO"], capture_output=True,
                            text=True).stdout.strip()
    assert graph.value(iri, SW.commit) == Literal(commit)
    assert graph.value(iri, SW.testStatus) == Literal("passed")
    names = {str(graph.value(p, SDO.name)) for p in graph.objects(iri, URIRef("https://schema.org/input"))}
    assert names == {"ra", "dec", "radius", "n_points", "shape", "delay_s"}


def test_run_through_the_http_api_files_results_with_provenance(runner_app):
    client = runner_app.test_client()
    response = submit(client, "ring-v1", {"radius": "30 arcmin", "n_points": "12"})
    assert response.status_code == 303
    run_url = response.headers["Location"]
    assert run_url.startswith("/runs/")
    status = wait_for(client, run_url)
    assert status["phase"] == "COMPLETED", status
    assert status["parameters"]["radius"] == 0.5  # converted from arcmin to the parameter's degrees
    assert abs(status["values"]["mean_ra"] - 83.633) < 0.1
    outputs = {r["output"]: r for r in status["results"]}
    assert set(outputs) == {"picture", "table"}
    png = client.get(outputs["picture"]["file"])
    assert png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    png.close()
    store = runner_app.extensions["store"]
    run = URIRef(BASE + run_url.lstrip("/"))
    graph = store.get(run)
    assert graph.value(run, PROV.used) == URIRef(BASE + "workflows/ring-v1")
    assert graph.value(run, SW.phase) == Literal("COMPLETED")
    assert graph.value(run, PROV.startedAtTime) is not None and graph.value(run, PROV.endedAtTime) is not None
    used = {str(graph.value(pv, SW.parameter)).rsplit("#param-", 1)[1] for pv in graph.objects(run, SW.parameterValue)}
    assert used == {"ra", "dec", "radius", "n_points", "shape", "delay_s"}
    result = URIRef(BASE + outputs["table"]["href"].lstrip("/"))
    assert store.get(result).value(result, PROV.wasGeneratedBy) == run
    rows = store.select("PREFIX prov: <http://www.w3.org/ns/prov#> SELECT ?r WHERE { ?r prov:wasGeneratedBy $run }", run=run)
    assert len(rows) == 2


def test_bad_values_are_422_listing_each_and_nothing_is_queued(runner_app):
    client = runner_app.test_client()
    before = runner_app.extensions["store"].dump()
    response = submit(client, "ring-v1", {"radius": "9 deg", "n_points": "many", "shape": "triangle", "colour": "red"})
    assert response.status_code == 422
    bad = {e["path"] for e in response.json["errors"]}
    assert bad == {"radius", "n_points", "shape", "colour"}
    assert runner_app.extensions["store"].dump() == before


def test_a_failed_notebook_is_a_result_with_its_traceback(runner_app):
    client = runner_app.test_client()
    status = wait_for(client, submit(client, "broken-analysis-v1", {}).headers["Location"])
    assert status["phase"] == "ERROR"
    assert "the analysis broke on purpose" in status["error"]
    assert "RuntimeError" in status["log"]
    assert status["values"] == {"partial": "made before the failure"}


def test_cache_returns_the_completed_run_and_identical_requests_share_one(runner_app):
    client = runner_app.test_client()
    first = submit(client, "ring-v1", {"delay_s": "1.5", "n_points": "7"})
    second = submit(client, "ring-v1", {"n_points": "7", "delay_s": "1.5"})
    assert second.json["shared"] and second.headers["Location"] == first.headers["Location"]
    wait_for(client, first.headers["Location"])
    third = submit(client, "ring-v1", {"n_points": 7, "delay_s": 1.5})
    assert third.json["cached"] and third.headers["Location"] == first.headers["Location"]
    other = submit(client, "ring-v1", {"n_points": "8", "delay_s": "1.5"})
    assert other.headers["Location"] != first.headers["Location"]
    wait_for(client, other.headers["Location"])


def test_abort_a_running_run(runner_app):
    client = runner_app.test_client()
    submitted = submit(client, "ring-v1", {"delay_s": "30"})
    run_url = submitted.headers["Location"]
    deadline = time.monotonic() + 20
    while client.get(run_url, headers={"Accept": "application/json"}).json["phase"] != "EXECUTING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    response = client.delete(run_url, headers={"X-Abort-Key": submitted.json["abort_key"]})
    assert response.json["phase"] == "ABORTED"
    assert wait_for(client, run_url)["phase"] == "ABORTED"


def test_time_limit(runner_app):
    runner_app.extensions["jobs"].timeout_s = 1.0
    client = runner_app.test_client()
    status = wait_for(client, submit(client, "ring-v1", {"delay_s": "20"}).headers["Location"])
    assert status["phase"] == "ERROR" and "time limit" in status["error"]


def test_a_run_left_executing_by_a_dead_worker_is_marked_error(runner_app):
    from skyweave.runners.provenance import run_graph

    store = runner_app.extensions["store"]
    run = BASE + "runs/deadbeef0001"
    store.put(run, run_graph(run, BASE + "workflows/ring-v1", "EXECUTING", {"ra": 83.6}, "someone", "local pool"))
    errored, requeued = runner_app.extensions["jobs"].recover()
    assert errored == 1
    graph = store.get(run)
    assert graph.value(URIRef(run), SW.phase) == Literal("ERROR")
    assert "stopped" in str(graph.value(URIRef(run), SW.error))


def test_new_commit_adds_a_version_and_failing_tests_are_not_offered(runner_app, tmp_path):
    repo = runner_app.config["REPO"]
    make_repo(repo, test_passes=False, extra_analysis="# a change\n")
    jobs = runner_app.extensions["jobs"]
    store = runner_app.extensions["store"]
    added = register(str(repo), store, BASE, runner_app.config["DATA_DIR"], jobs.executor.kernels, jobs.env)
    ring = next(r for r in added if r.slug == "ring")
    assert ring.added and ring.version == 2 and ring.test_status == "failed"
    v2 = URIRef(BASE + "workflows/ring-v2")
    assert store.get(v2).value(v2, PROV.wasRevisionOf) == URIRef(BASE + "workflows/ring-v1")
    assert "the test notebook fails" in str(store.get(v2).value(v2, SW.testLog))
    assert store.exists(BASE + "workflows/ring-v1")
    response = submit(runner_app.test_client(), "ring-v2", {})
    assert response.status_code == 409
    # Registering the same commit again adds nothing.
    again = register(str(repo), store, BASE, runner_app.config["DATA_DIR"], jobs.executor.kernels, jobs.env)
    assert not any(r.added for r in again)


def test_bare_workflow_name_redirects_to_the_newest_version_keeping_the_share_query(runner_app):
    response = runner_app.test_client().get("/workflows/ring?radius=1")
    assert response.status_code == 302 and response.headers["Location"] == "/workflows/ring-v1?radius=1"


def test_bad_values_from_the_form_come_back_on_the_page(runner_app):
    from bs4 import BeautifulSoup

    client = runner_app.test_client()
    page = BeautifulSoup(client.get("/workflows/ring-v1").data, "html.parser")
    token = page.select_one("#run-form input[name=_csrf]")["value"]
    response = client.post("/workflows/ring-v1/runs", data={"radius": "12 deg", "n_points": "20", "_csrf": token},
                           headers={"Accept": "text/html"})
    assert response.status_code == 422
    soup = BeautifulSoup(response.data, "html.parser")
    field = soup.select_one(".field.invalid")
    assert field.select_one("input")["name"] == "radius" and field.select_one("input")["value"] == "12 deg"
    assert "5" in field.select_one(".error").text


def test_cli_add_and_run(runner_app, tmp_path, monkeypatch, small_records):
    from click.testing import CliRunner

    from skyweave.catalog.cli import cli

    from .workflow_repo import make_repo

    monkeypatch.setenv("SKYWEAVE_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("SKYWEAVE_BASE_IRI", BASE)
    repo = make_repo(tmp_path / "cli-repo")
    result = CliRunner().invoke(cli, ["add", str(repo)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"{BASE}workflows/ring-v1  version 1  added  tests: passed" in result.stdout
    result = CliRunner().invoke(cli, ["run", "ring", "-p", "n_points=5", "-p", "radius=6 arcmin"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("COMPLETED")
    assert "mean_ra = " in result.stdout and "picture: /files/results/" in result.stdout
    result = CliRunner().invoke(cli, ["run", "ring", "-p", "n_points=1"])
    assert result.exit_code == 2 and "n_points" in result.output


def test_register_a_repository_from_the_web_form(runner_app, tmp_path):
    client = runner_app.test_client()
    repo = make_repo(tmp_path / "web-repo", extra_analysis="# from the web\n")
    runner_app.config["WORKFLOW_SOURCE_ROOTS"] = [str(tmp_path)]
    denied = client.post("/workflows/", data={"source": str(repo), "api_token": "reader-token"},
                         headers={"Accept": "text/html"})
    assert denied.status_code == 403
    response = client.post("/workflows/", data={"source": str(repo), "api_token": "editor-token"},
                           headers={"Accept": "text/html"})
    # Several notebooks: the answer is the repository's page, listing what was catalogued (and refused).
    assert response.status_code == 303 and response.headers["Location"] == "/repositories/web-repo"
    page = client.get("/repositories/web-repo", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "/workflows/ring-v2" in page.get_data(as_text=True)
    listing = client.get("/workflows/", headers={"Accept": "application/json"}).json
    assert {"/workflows/ring-v2", "/workflows/broken-analysis-v2"} <= {r["href"] for r in listing["rows"]}
