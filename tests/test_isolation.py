"""Every run gets a fresh kernel and only its own workflow version's code (issue 9).

A run that changes matplotlib's rcParams, numpy's random state and error handling, astropy's
enabled equivalencies and Galactocentric frame defaults, warning filters, ``os.environ``,
``sys.path``, ``sys.modules`` (a module named like another repository's helper) and IPython's
history (in memory and in its database, ``%history -g``) is followed in
the same pool by runs that check every default; a workflow with two versions whose helper module
differs, run alternately, gives each version's own output.
"""

import subprocess
from pathlib import Path

import nbformat
import pytest
from rdflib import URIRef

from skyweave.runners import RunRequest
from skyweave.runners.executors import LocalExecutor
from skyweave.runners.registry import register

from .conftest import BASE
from .workflow_repo import notebook, submit, wait_for

POLLUTE = '''import os, sys, warnings
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import astropy.units as u
from astropy.coordinates import galactocentric_frame_defaults
import helper
plt.rcParams["lines.linewidth"] = 7.5
np.random.seed(1234)
np.seterr(all="raise")
u.set_enabled_equivalencies(u.spectral())
galactocentric_frame_defaults.set("pre-v4.0")
warnings.simplefilter("error")
os.environ["SKYWEAVE_LEAK"] = secret
sys.path.insert(0, "/leaked/path")
repo = helper.REPO
'''

CHECK = '''import os, sys, warnings
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import astropy.units as u
from astropy.coordinates import Galactocentric
import helper

def converts():
    try:
        (1 * u.nm).to(u.Hz)
        return True
    except u.UnitConversionError:
        return False

checks = {
    "rcParams": plt.rcParams["lines.linewidth"] == matplotlib.rcParamsDefault["lines.linewidth"],
    "random state": np.random.random() != np.random.RandomState(1234).random_sample(),
    "seterr": np.geterr()["divide"] == "warn",
    "equivalencies": not converts(),
    "frame defaults": Galactocentric().galcen_distance.to_value(u.kpc) == 8.122,
    "warning filters": not any(f[0] == "error" and f[2] is Warning for f in warnings.filters),
    "environment": "SKYWEAVE_LEAK" not in os.environ,
    "sys.path": "/leaked/path" not in sys.path,
    "helper module": helper.REPO == "B",
    "history": not any(("polluter" + "-secret") in str(cell) for cell in In),  # not this cell itself
    "history database": not any(("polluter" + "-secret") in str(row)
                                for row in get_ipython().history_manager.search("*")),
    "namespace": "repo" not in globals() and "secret" not in globals(),
}
failed = ", ".join(name for name, ok in checks.items() if not ok) or "none"
'''


def _repo(folder, name, analysis, parameters, outputs):
    folder.mkdir(parents=True)
    (folder / "helper.py").write_text(f"REPO = {name!r}\n")
    path = folder / "analysis.ipynb"
    nbformat.write(notebook(f"Repository {name}", [(parameters, ["parameters"]), (analysis, []),
                                                   (outputs, ["outputs"])]), path)
    return path


@pytest.fixture
def two_repositories(tmp_path):
    polluter = _repo(tmp_path / "repo-a", "A", POLLUTE, 'secret = "x"  # oda:String', "repo = repo  # oda:String")
    checker = _repo(tmp_path / "repo-b", "B", CHECK, "n = 1  # oda:Integer", "failed = failed  # oda:String")
    return polluter, checker


def _request(path, parameters, outputs):
    return RunRequest(f"{BASE}runs/iso", f"{BASE}workflows/iso-v1", str(path), parameters, outputs, 120.0,
                      {"MPLBACKEND": "Agg"})


def test_state_set_by_a_run_is_invisible_to_later_runs_in_the_same_pool(two_repositories):
    """https://skyweave.org/issues/9: a warm kernel leaked rcParams, random state, settings and modules."""
    polluter, checker = two_repositories
    executor = LocalExecutor(workers=1)
    try:
        check = _request(checker, {"n": 1}, ("failed",))
        before = executor.submit(check).result(timeout=180)
        assert before.status == "COMPLETED", before.log
        assert before.values == {"failed": "none"}
        polluted = executor.submit(_request(polluter, {"secret": "polluter-secret-value"}, ("repo",))).result(180)
        assert polluted.status == "COMPLETED", polluted.log
        assert polluted.values == {"repo": "A"}
        # The polluter's own run saw its own changes (so the checks below can fail).
        for _ in range(2):
            after = executor.submit(check).result(timeout=180)
            assert after.status == "COMPLETED", after.log
            assert after.values == {"failed": "none"}
        assert executor.kernels.handed_out == 4
    finally:
        executor.close()


def test_the_dask_worker_entry_point_gives_each_run_a_fresh_kernel(two_repositories):
    from skyweave.runners import notebook as runner

    polluter, checker = two_repositories
    try:
        polluted = runner.run_request(_request(polluter, {"secret": "polluter-secret-value"}, ("repo",)))
        assert polluted.values == {"repo": "A"}, polluted.log
        after = runner.run_request(_request(checker, {"n": 2}, ("failed",)))
        assert after.values == {"failed": "none"}, after.log
    finally:
        runner.close_pool()


def test_a_run_names_the_code_and_software_that_ran(two_repositories):
    _, checker = two_repositories
    executor = LocalExecutor(workers=1, preload=())
    try:
        result = executor.submit(_request(checker, {"n": 3}, ("failed",))).result(timeout=180)
    finally:
        executor.close()
    env = result.environment
    import hashlib

    assert env["notebook_sha256"] == hashlib.sha256(checker.read_bytes()).hexdigest()
    assert env["code_files"] == {"helper.py": hashlib.sha256((checker.parent / "helper.py").read_bytes()).hexdigest()}
    import astropy
    import numpy

    assert env["packages"]["numpy"] == numpy.__version__ and env["packages"]["astropy"] == astropy.__version__
    assert env["kernel"].startswith("ipykernel ") and env["python"].count(".") == 2


def _commit(folder, message):
    run = lambda *a: subprocess.run(["git", *a], cwd=folder, check=True, capture_output=True)  # noqa: E731
    if not (Path(folder) / ".git").exists():
        run("init", "-q", "-b", "main")
        run("config", "user.email", "tests@skyweave.invalid")
        run("config", "user.name", "skyweave tests")
    run("add", "-A")
    run("commit", "-q", "-m", message)


def test_two_versions_with_different_helpers_run_alternately_each_with_its_own_code(runner_app, tmp_path):
    store, jobs = runner_app.extensions["store"], runner_app.extensions["jobs"]
    repo = tmp_path / "versions"
    repo.mkdir()
    nbformat.write(notebook("Which helper", [
        ("n = 1  # oda:Integer", ["parameters"]),
        ("import stepper\nanswer = f'{stepper.VERSION}:{n}'", []),
        ("answer = answer  # oda:String", ["outputs"]),
    ]), repo / "which_helper.ipynb")
    for version in ("one", "two"):
        (repo / "stepper.py").write_text(f"VERSION = {version!r}\n")
        _commit(repo, f"helper {version}")
        added = register(str(repo), store, BASE, runner_app.config["DATA_DIR"], jobs.executor.kernels, jobs.env)
        assert [r.version for r in added] == [1 if version == "one" else 2]
    client = runner_app.test_client()
    answers = []
    for n, slug in enumerate(["which-helper-v1", "which-helper-v2"] * 2):
        status = wait_for(client, submit(client, slug, {"n": str(n)}).headers["Location"], timeout_s=120)
        assert status["phase"] == "COMPLETED", status["log"]
        answers.append(status["values"]["answer"])
    assert answers == ["one:0", "two:1", "one:2", "two:3"]
    # The run record names the helper file it imported, with its hash.
    run = URIRef(BASE + "runs/" + status["run"].rsplit("/", 1)[-1])
    rows = store.select(
        "PREFIX sw: <https://skyweave.org/ns#> PREFIX schema: <https://schema.org/> "
        "SELECT ?name ?sha WHERE { $run sw:codeUsed ?f . ?f schema:name ?name ; schema:sha256 ?sha }", run=run)
    import hashlib

    names = {str(r["name"]): str(r["sha"]) for r in rows}
    assert names["stepper.py"] == hashlib.sha256(b"VERSION = 'two'\n").hexdigest()
    assert "which_helper.ipynb" in names


def test_logs_in_workflow_records_hold_no_server_paths(runner_app, tmp_path):
    """https://skyweave.org/issues/9: the test log of a workflow record showed the server's absolute paths."""
    import os

    from skyweave.catalog.vocab import SW

    store, jobs = runner_app.extensions["store"], runner_app.extensions["jobs"]
    repo = tmp_path / "paths"
    repo.mkdir()
    (repo / "mmoda.yaml").write_text("notebook_path: .\n")
    nbformat.write(notebook("Where am I", [("x = 1  # oda:Integer", ["parameters"]), ("y = x", []),
                                           ("y = y  # oda:Integer", ["outputs"])]), repo / "where.ipynb")
    nbformat.write(notebook("Test", [(
        "import os, sys\nfrom pathlib import Path\n"
        "print('cwd', os.getcwd())\nprint('data', Path(os.environ.get('SKYWEAVE_DATA', '.')).resolve())\n"
        "print('code', sys.path[0])\nprint('python', os.__file__)", [])]), repo / "test_where.ipynb")
    added = register(str(repo), store, BASE, runner_app.config["DATA_DIR"], jobs.executor.kernels, jobs.env)
    iri = URIRef(added[0].iri)
    log = str(store.get(iri).value(iri, SW.testLog))
    assert "cwd <workdir>" in log and "code <repository>" in log and "python <python>" in log, log
    for folder in (runner_app.config["DATA_DIR"], str(tmp_path), os.path.realpath(tmp_path), *jobs.env.values()):
        if os.path.isabs(folder):
            assert folder not in log, (folder, log)
