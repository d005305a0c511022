"""Runs on Dask distributed: a real `dask scheduler` and `dask worker` started as separate processes."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import URIRef

from skyweave.catalog.vocab import SW
from skyweave.runners.registry import register

from .conftest import BASE, free_port, make_app, wait_for_port
from .workflow_repo import make_repo, submit, wait_for


def dask_command(*args):
    return [str(Path(sys.executable).parent / "dask"), *args]


@pytest.fixture
def dask_cluster(tmp_path):
    """A scheduler and a worker (2 processes, 1 thread each) on 127.0.0.1; yields the scheduler address."""
    port = free_port()
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    logs = open(tmp_path / "dask.log", "w")
    scheduler = subprocess.Popen(dask_command("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"),
                                 stdout=logs, stderr=subprocess.STDOUT, env=env)
    wait_for_port(port, timeout_s=30)
    worker = subprocess.Popen(dask_command("worker", f"tcp://127.0.0.1:{port}", "--nworkers", "2", "--nthreads", "1",
                                           "--no-dashboard", "--local-directory", str(tmp_path / "worker")),
                              stdout=logs, stderr=subprocess.STDOUT, env=env, cwd=str(Path(__file__).parent.parent))
    try:
        yield f"tcp://127.0.0.1:{port}"
    finally:
        for process in (worker, scheduler):
            process.terminate()
        for process in (worker, scheduler):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        logs.close()


def test_runs_execute_on_a_separate_dask_scheduler_and_workers(dask_cluster, small_records, tmp_path):
    from skyweave.catalog.web.app import close_app

    app = make_app(small_records, DATA_DIR=str(tmp_path / "data"), RUNNER_EXECUTOR="dask",
                   DASK_SCHEDULER=dask_cluster, RUN_TIMEOUT_S=120)
    try:
        client = app.extensions["jobs"].executor.client
        deadline = time.monotonic() + 60
        while len(client.scheduler_info()["workers"]) < 2:
            assert time.monotonic() < deadline, "the Dask workers did not join"
            time.sleep(0.2)
        repo = make_repo(tmp_path / "repo")
        register(str(repo), app.extensions["store"], BASE, app.config["DATA_DIR"], None, app.extensions["jobs"].env)
        http = app.test_client()
        first = submit(http, "ring-v1", {"n_points": "9"})
        second = submit(http, "ring-v1", {"n_points": "10"})
        statuses = [wait_for(http, r.headers["Location"], timeout_s=120) for r in (first, second)]
        assert [s["phase"] for s in statuses] == ["COMPLETED", "COMPLETED"], statuses
        assert {len(s["results"]) for s in statuses} == {2}
        run = URIRef(BASE + first.headers["Location"].lstrip("/"))
        agents = app.extensions["store"].select(
            "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX schema: <https://schema.org/> "
            "SELECT ?name WHERE { $run prov:wasAssociatedWith ?a . ?a a prov:SoftwareAgent ; schema:name ?name }",
            run=run)
        assert dask_cluster in str(agents[0]["name"])
        # An abort reaches the worker through a distributed Event.
        submitted = submit(http, "ring-v1", {"delay_s": "30"})
        slow = submitted.headers["Location"]
        time.sleep(3)
        assert http.delete(slow).status_code == 401  # only the submitter (abort key) or an editor may abort
        assert http.delete(slow, headers={"X-Abort-Key": submitted.json["abort_key"]}).status_code == 200
        assert wait_for(http, slow, timeout_s=30)["phase"] == "ABORTED"
        assert app.extensions["store"].get(run).value(run, SW.phase) is not None
    finally:
        close_app(app)
