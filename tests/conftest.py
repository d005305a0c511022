"""Shared fixtures: apps over the real catalog data, a live HTTP server, an Oxigraph server, Chromium."""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from skyweave.catalog.web.app import create_app
from skyweave.catalog.web.app import close_app
from skyweave.catalog.ingest import load_all

# Hooks that keep a finished session from hanging on its way out (see the module).
from .exit_guard import pytest_sessionfinish, pytest_terminal_summary, pytest_unconfigure  # noqa: F401

BASE = "http://localhost/"
"""BASE_IRI of the test apps (the Flask test client's host)."""

TOKENS = {"editor-token": "editor", "reader-token": "reader", "admin-token": "admin", "publisher-token": "publisher"}
"""API tokens of the test apps."""

DATA = Path(__file__).parent / "data"
CHROMIUM = Path("/usr/bin/chromium")


def pytest_addoption(parser):
    parser.addoption("--network", action="store_true", help="run tests marked network (live outside services)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--network"):
        return
    skip = pytest.mark.skip(reason="talks to a live outside service; pass --network to run")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


def free_port():
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout_s=15.0, process=None):
    """Wait until 127.0.0.1:port accepts connections; raise RuntimeError after ``timeout_s``, or at once
    when ``process`` (the server's `subprocess.Popen`, if given) has exited."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server for 127.0.0.1:{port} exited with {process.returncode}") from None
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


@pytest.fixture(scope="session")
def records():
    """Every real record of the demo catalog, as (iri, graph), under `BASE`."""
    return list(load_all(BASE))


def make_app(records=(), **config):
    """Create a test app with an in-memory store holding ``records`` (validated on load)."""
    settings = {"TESTING": True, "STORE": "memory", "BASE_IRI": BASE, "API_TOKENS": dict(TOKENS)}
    settings.update(config)
    app = create_app(settings)
    stored, rejected = app.extensions["store"].put_many(records)
    assert not rejected, rejected
    return app


@pytest.fixture(scope="session")
def app(records):
    """A read-mostly app over the whole real catalog (do not write to it: use `fresh_app`)."""
    app = make_app(records)
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def small_records(records):
    """The instruments, source catalogs, the two H.E.S.S. targets and their observations."""
    from skyweave.catalog.vocab import SKOS

    keep = ("/instruments/", "/observatories/", "/catalogs/", "/targets/crab-nebula", "/targets/pks-2155-304",
            "/observations/")
    chosen = [(iri, g) for iri, g in records if any(k in str(iri) for k in keep)]
    matches = {o for _, g in chosen for o in g.objects(None, SKOS.closeMatch)}
    return chosen + [(iri, g) for iri, g in records if iri in matches]


@pytest.fixture
def fresh_app(small_records):
    """A fresh app with a small real catalog, for tests that write."""
    app = make_app(small_records)
    yield app
    close_app(app)


@pytest.fixture
def fresh_client(fresh_app):
    return fresh_app.test_client()


def auth(token="editor-token"):
    """Return the Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


class LiveServer:
    """A real HTTP server running an app in a thread; ``url`` ends without a slash."""

    def __init__(self, app):
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        wait_for_port(self.port)
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


@pytest.fixture(scope="session")
def live_server(app):
    """The whole real catalog served over real HTTP."""
    with LiveServer(app) as server:
        yield server


def oxigraph_binary():
    """Return the path of the ``oxigraph`` server binary (PyPI package ``oxigraph``), or None."""
    candidate = Path(sys.executable).parent / "oxigraph"
    if candidate.exists():
        return str(candidate)
    return shutil.which("oxigraph")


@contextmanager
def running_oxigraph():
    """Start a real ``oxigraph serve`` process (in memory, union default graph); yield its base URL."""
    binary = oxigraph_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the oxigraph server binary is missing (pip package oxigraph)")
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def oxigraph_server():
    """A real ``oxigraph serve`` process for one test; yields its base URL."""
    with running_oxigraph() as url:
        yield url


def remote_config(url):
    """Settings of an app whose store is the Oxigraph server at ``url``."""
    return {"STORE": "remote", "REMOTE_QUERY_URL": f"{url}/query", "REMOTE_UPDATE_URL": f"{url}/update",
            "REMOTE_GSP_URL": f"{url}/store"}


CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (skipped locally when absent; required in CI)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required in CI: .ci/dev.py installs it")
        pytest.skip("Chromium is not installed (python3 .ci/dev.py test installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def runner_app(small_records, tmp_path):
    """An app with a real local runner pool and a registered git repository of two workflows."""
    from skyweave.runners.registry import register

    from .workflow_repo import make_repo

    app = make_app(small_records, DATA_DIR=str(tmp_path / "data"), RUN_TIMEOUT_S=60, RUNNER_WORKERS=2)
    repo = make_repo(tmp_path / "repo")
    jobs = app.extensions["jobs"]
    added = register(str(repo), app.extensions["store"], BASE, app.config["DATA_DIR"], jobs.executor.kernels, jobs.env)
    assert {r.slug for r in added} == {"ring", "broken-analysis"}
    app.config["REPO"] = repo
    yield app
    close_app(app)
