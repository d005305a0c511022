"""Provenance names the data a run really read, and the data's terms follow its results (issues 9 and 11).

A run's kernel records the files it opens under the data folder (an audit hook, PEP 578); the run record
``prov:used`` each file (path, SHA-256, size) and the catalogued observation it belongs to, so the terms of
the H.E.S.S. DL3 DR1 release reach every result of the Crab spectrum, and publishing it is refused unless
``DATA_TERMS_ALLOW`` names the release. https://github.com/skyweave (issue 9: "Provenance that names what
ran"; issue 11: "The terms of the input data travel with the result").
"""

import hashlib
import tempfile
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from rdflib import Literal, URIRef

from skyweave.catalog.validate import validate
from skyweave.catalog.vocab import DCAT, DCTERMS, PROV, SDO, SW
from skyweave.publishers.terms import TermsCheck
from skyweave.runners import RunRequest
from skyweave.runners.notebook import execute, environment_defaults
from skyweave.runners.provenance import data_used, run_graph, workflow_of
from skyweave.runners.registry import register

from .conftest import BASE, make_app
from .test_kafka_reports import SCHEMA_DIR, needs_schema
from .workflow_repo import notebook, submit, wait_for

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"
DATA = Path(environment_defaults()["SKYWEAVE_DATA"])
CRAB_RUNS = (23523, 23526, 23559, 23592)
"""The four Crab Nebula runs of H.E.S.S. DL3 DR1 that the spectrum reads by default."""


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# -- the kernel's record of the files opened -------------------------------------------------------

READER = '''import os
from pathlib import Path
data = Path(os.environ["SKYWEAVE_DATA"])
text = (data / "sub" / "read.txt").read_text()
with open(data / "sub" / "binary.bin", "rb") as handle:
    handle.read(2)
os.chdir(data)
with open("sub/../sub/relative.txt") as handle:
    handle.read()
fd = os.open(str(data / "sub" / "low-level.txt"), os.O_RDONLY)
os.close(fd)
with open(data / "written.txt", "w") as handle:   # written, not read
    handle.write("new")
open(os.devnull).close()                           # outside the data folder
try:
    open(data / "missing.txt")
except FileNotFoundError:
    pass
n = len(text)
'''


@pytest.fixture
def kernel():
    from skyweave.runners.kernels import KernelPool

    pool = KernelPool(size=1, cwd=tempfile.gettempdir())
    kernel = pool.acquire()
    yield kernel
    pool.release(kernel)
    pool.close()


def test_the_kernel_reports_exactly_the_files_read_under_the_data_folder(kernel, tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    contents = {"sub/read.txt": b"counts", "sub/binary.bin": b"\x00\x01\x02", "sub/relative.txt": b"rel",
                "sub/low-level.txt": b"fd", "sub/never-opened.txt": b"no"}
    for name, body in contents.items():
        (data / name).write_bytes(body)
    nb = notebook("Reads data", [(READER, []), ("n = n  # oda:Integer", ["outputs"])])
    nbformat.write(nb, tmp_path / "reader.ipynb")
    result = execute(RunRequest("r", "w", str(tmp_path / "reader.ipynb"), {}, ("n",), 60,
                                {"SKYWEAVE_DATA": str(data)}), kernel)
    assert result.status == "COMPLETED", result.log
    assert result.values == {"n": 6}
    read = {name: {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
            for name, body in contents.items() if name != "sub/never-opened.txt"}
    assert result.environment["data_files"] == read
    assert str(tmp_path) not in repr(result.environment)  # paths relative to the data folder only


def test_without_a_data_folder_nothing_is_watched(kernel, tmp_path):
    nb = notebook("Reads nothing", [("n = 1", []), ("n = n  # oda:Integer", ["outputs"])])
    nbformat.write(nb, tmp_path / "plain.ipynb")
    result = execute(RunRequest("r", "w", str(tmp_path / "plain.ipynb"), {}, ("n",), 60, {}), kernel)
    assert result.status == "COMPLETED" and result.environment["data_files"] == {}


# -- the run record -------------------------------------------------------------------------------

def test_a_file_of_a_catalogued_observation_names_the_observation(app):
    store = app.extensions["store"]
    name = "hess-dl3-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz"
    files = {name: {"sha256": sha256(DATA / name), "size": (DATA / name).stat().st_size},
             "hess-dl3-dr1/obs-index.fits.gz": {"sha256": "0" * 64, "size": 2128}}
    used = data_used(store, BASE, files)
    assert [(f.path, f.record) for f in used] == [
        (name, f"{BASE}observations/hess-23523"), ("hess-dl3-dr1/obs-index.fits.gz", None)]
    assert used[0].url == f"{BASE}files/{name}"
    run, workflow = f"{BASE}runs/abc", f"{BASE}workflows/hess-spectrum-v1"
    g = run_graph(run, workflow, "COMPLETED", {}, "tester", "local pool", data=used)
    assert workflow_of(g, run) == URIRef(workflow)
    assert (URIRef(run), PROV.used, URIRef(f"{BASE}observations/hess-23523")) in g
    node = next(f for f in g.objects(URIRef(run), PROV.used) if g.value(f, SDO.name) == Literal(name))
    assert g.value(node, SDO.sha256) == Literal(files[name]["sha256"])
    assert g.value(node, DCAT.byteSize).toPython() == files[name]["size"]
    assert g.value(node, DCTERMS.isPartOf) == URIRef(f"{BASE}observations/hess-23523")


# -- a real run of the bundled workflows ----------------------------------------------------------

NOWHERE = {
    "ZENODO_TOKEN": "test-token", "ZENODO_BASE_URL": "http://127.0.0.1:9/api/", "GCN_SMTP_HOST": "127.0.0.1",
    "GCN_SMTP_PORT": 9, "GCN_FROM_ADDRESS": "ada@example.org", "GCN_KAFKA_BOOTSTRAP": "127.0.0.1:9",
    "TNS_BASE_URL": "http://127.0.0.1:9", "TNS_API_KEY": "test-key", "TNS_BOT_ID": "1", "TNS_BOT_NAME": "test-bot",
    "HOP_BROKER": "kafka://127.0.0.1:9", "HOP_TOPIC": "skyweave.test", "GCN_SCHEMA_DIR": SCHEMA_DIR,
}
"""Every channel configured, at a local port where nothing listens (the discard port): a refusal must come
before any connection, and a send that was not refused fails instead of reaching anything."""


@pytest.fixture(scope="module")
def crab(records, tmp_path_factory):
    """An app over the real catalog with the bundled workflows, after one default Crab spectrum run and
    one default catalog cone search run."""
    from skyweave.catalog.web.app import close_app

    app = make_app(records, DATA_DIR=str(tmp_path_factory.mktemp("data")), RUN_TIMEOUT_S=300, **NOWHERE)
    jobs = app.extensions["jobs"]
    register(str(WORKFLOWS), app.extensions["store"], BASE, app.config["DATA_DIR"], jobs.executor.kernels, jobs.env)
    client = app.test_client()
    runs = {}
    for slug in ("hess-spectrum", "catalog-cone-search"):
        response = submit(client, slug, {})
        assert response.status_code == 303, response.data
        runs[slug] = response.headers["Location"]
    statuses = {slug: wait_for(client, url, timeout_s=300) for slug, url in runs.items()}
    for slug, status in statuses.items():
        assert status["phase"] == "COMPLETED", (slug, status["log"][-2000:])
    yield app, statuses
    close_app(app)


def test_the_crab_run_names_the_dl3_files_it_read_and_their_observations(crab):
    app, statuses = crab
    store, status = app.extensions["store"], statuses["hess-spectrum"]
    run = URIRef(BASE.rstrip("/") + status["run"].replace("http://localhost", ""))
    g = store.get(run)
    assert validate(g, context=store.types_of({o for o in g.objects() if isinstance(o, URIRef)})).conforms
    observations = {str(o) for o in g.objects(run, PROV.used) if "/observations/" in str(o)}
    assert observations == {f"{BASE}observations/hess-{n}" for n in CRAB_RUNS}
    assert str(workflow_of(g, run)).startswith(f"{BASE}workflows/hess-spectrum-v")
    read = {f["path"]: f for f in status["data_files"]}
    for n in CRAB_RUNS:
        name = f"hess-dl3-dr1/data/hess_dl3_dr1_obs_id_{n:06d}.fits.gz"
        assert read[name]["sha256"] == sha256(DATA / name) and read[name]["size"] == (DATA / name).stat().st_size
        assert read[name]["observation"] == f"/observations/hess-{n}" and read[name]["file"] == f"/files/{name}"
    # PKS 2155-304's runs were not read; the release's indexes were, and no record lists them.
    assert not any("0337" in path for path in read)
    assert read["hess-dl3-dr1/obs-index.fits.gz"]["observation"] is None
    page = BeautifulSoup(app.test_client().get(status["run"].replace("http://localhost", "")).data, "html.parser")
    links = {a["href"] for a in page.select("#data-files a")}
    assert {f"/observations/hess-{n}" for n in CRAB_RUNS} <= links
    assert "/files/hess-dl3-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz" in links
    assert read["hess-dl3-dr1/data/hess_dl3_dr1_obs_id_023523.fits.gz"]["sha256"] in page.select_one("#data-files").text


def result_paths(status):
    return [r["href"] for r in status["results"]]


@pytest.mark.parametrize("service", ["zenodo", "gcn-circulars", pytest.param("gcn-notices", marks=needs_schema), "tns",
                                     "hopskotch"])
def test_the_crab_result_shows_the_dl3_terms_and_sending_is_refused(crab, service):
    app, statuses = crab
    client = app.test_client()
    path = result_paths(statuses["hess-spectrum"])[0]
    preview = client.get(f"{path}/publish/{service}")
    assert "no scientific publications may be derived" in preview.get_data(as_text=True), service
    assert "refused unless the setting DATA_TERMS_ALLOW" in preview.get_data(as_text=True)
    refused = client.post(f"{path}/publish/{service}", data={"api_token": "publisher-token"},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 403, refused.data
    assert "H.E.S.S. DL3" in refused.json["detail"] and "DATA_TERMS_ALLOW" in refused.json["detail"]
    assert refused.json["errors"][0]["release"] == f"{BASE}catalogs/hess-dl3-dr1"


def test_data_terms_allow_naming_the_release_clears_it(crab):
    app, statuses = crab
    store = app.extensions["store"]
    result = BASE.rstrip("/") + result_paths(statuses["hess-spectrum"])[0]
    check = TermsCheck(store, allow=["hess-dl3-dr1"])  # e.g. a test instance of a channel
    assert [r.iri for r in check.releases(result)] == [f"{BASE}catalogs/hess-dl3-dr1"]
    check.check(result, "GCN Circulars")  # raises nothing
    with pytest.raises(Exception, match="DATA_TERMS_ALLOW"):
        TermsCheck(store, allow=["hgps"]).check(result, "GCN Circulars")


def test_a_run_that_reads_no_release_data_is_not_refused(crab):
    app, statuses = crab
    store = app.extensions["store"]
    status = statuses["catalog-cone-search"]
    read = {f["path"] for f in status["data_files"]}
    assert read == {"catalogs/hgps_catalog_v1.fits.gz", "catalogs/fermi/gll_psch_v13.fit.gz"}
    for path in result_paths(status):
        assert TermsCheck(store).releases(BASE.rstrip("/") + path) == []
        preview = app.test_client().get(f"{path}/publish/gcn-circulars").get_data(as_text=True)
        assert "DATA_TERMS_ALLOW" not in preview


def test_the_cli_refuses_with_a_clear_message_and_shows_the_terms(crab, monkeypatch):
    import skyweave.catalog.cli as cli

    app, statuses = crab

    @contextmanager
    def this_app():
        yield app

    monkeypatch.setattr(cli, "opened_app", this_app)
    path = result_paths(statuses["hess-spectrum"])[0]
    runner = CliRunner()
    refused = runner.invoke(cli.cli, ["report", "hop", path, "--topic", "skyweave.test"])
    assert refused.exit_code == 1
    assert "Not sent to" in refused.output and "H.E.S.S. DL3 public test data release 1" in refused.output
    assert "DATA_TERMS_ALLOW" in refused.output
    shown = runner.invoke(cli.cli, ["publish", path, "--to", "zenodo", "--dry-run"])
    assert "Terms of the data: H.E.S.S. DL3" in shown.output, shown.output


# -- the cache and changed data ------------------------------------------------------------------

def test_a_changed_data_file_is_never_served_from_the_cache(small_records, tmp_path):
    """The cached run read ``data/counts.txt``; after the file changes the same request runs again."""
    from skyweave.catalog.web.app import close_app
    from skyweave.runners.datacheck import DataCheck

    repo, data = tmp_path / "repo", tmp_path / "served"
    repo.mkdir()
    data.mkdir()
    (data / "counts.txt").write_text("10\n")
    (repo / "mmoda.yaml").write_text("notebook_path: .\nfilename_pattern: '.*'\n")
    nbformat.write(notebook("Count", [
        ('# oda:version "1.0"\n# oda:reference "https://doi.org/10.5281/zenodo.1421099"\nscale = 1  # oda:Integer',
         ["parameters"]),
        ("import os\ncounts = scale * int(open(os.path.join(os.environ['SKYWEAVE_DATA'], 'counts.txt')).read())", []),
        ("counts = counts  # oda:Integer", ["outputs"])]), repo / "count.ipynb")
    nbformat.write(notebook("Test", [("assert True", [])]), repo / "test_count.ipynb")
    app = make_app(small_records, DATA_DIR=str(tmp_path / "store"), RUN_TIMEOUT_S=60)
    try:
        jobs = app.extensions["jobs"]
        jobs.env["SKYWEAVE_DATA"] = str(data)
        jobs.data_check = DataCheck(jobs.env)
        register(str(repo), app.extensions["store"], BASE, app.config["DATA_DIR"], jobs.executor.kernels, jobs.env)
        client = app.test_client()
        first = wait_for(client, submit(client, "count", {}).headers["Location"])
        assert first["values"] == {"counts": 10} and first["data_files"][0]["path"] == "counts.txt"
        assert submit(client, "count", {}).json["cached"]
        (data / "counts.txt").write_text("12\n")
        again = submit(client, "count", {})
        assert not again.json["cached"]
        second = wait_for(client, again.headers["Location"])
        assert second["values"] == {"counts": 12} and second["run"] != first["run"]
        assert second["data_files"][0]["sha256"] == hashlib.sha256(b"12\n").hexdigest()
        assert submit(client, "count", {}).json["run"] == second["run"]  # the new product is served now
    finally:
        close_app(app)
