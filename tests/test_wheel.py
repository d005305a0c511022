"""The package installs like any other: a wheel built from the checkout, installed into a fresh
virtual environment, runs the demo from an empty folder, with its data found as package data.

The fresh environment takes skyweave from the wheel alone. Its third-party dependencies, already
installed for the tests, are not downloaded again: the closure of pyproject's base ``dependencies``
(no extras) is linked into a folder of its own, which a ``.pth`` file adds to the environment, so
the test extras (pytest, trustme, aiosmtpd, ...) stay invisible there. The checkout itself is never
on its path.
"""

import json
import os
import re
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from .base_deps import dependency_closure, import_names, link_distributions, project_requirements

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True)
    return next(out.glob("skyweave-*.whl"))


@pytest.fixture(scope="module")
def base():
    """The installed distributions that pyproject's base dependencies need, by normalized name."""
    return dependency_closure(project_requirements(PYPROJECT))


@pytest.fixture(scope="module")
def base_folder(base, tmp_path_factory):
    """A folder holding links to the base distributions' installed files, and nothing else."""
    folder = tmp_path_factory.mktemp("base-deps")
    link_distributions(base.values(), folder)
    return folder


@pytest.fixture(scope="module")
def installed(wheel, base_folder, tmp_path_factory):
    """A fresh virtual environment with the wheel installed; returns its ``bin`` folder."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(home)
    bin_dir = home / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # As a site folder, so that a .pth file a dependency installs there is processed as on a real install.
    Path(site, "skyweave-base-deps.pth").write_text(f"import site; site.addsitedir({str(base_folder)!r})\n")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, capture_output=True)
    return bin_dir


def test_the_wheel_holds_the_data_and_no_checkout_names(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("skyweave/ontology/skyweave.ttl", "skyweave/ontology/shapes/workflow.ttl",
                   "skyweave/ontology/context.jsonld", "skyweave/templates/base.html",
                   "skyweave/static/skyweave.css", "skyweave/workflows/hess_spectrum.ipynb",
                   "skyweave/workflows/mmoda.yaml", "skyweave/data/SOURCES.md",
                   "skyweave/data/hess-dl3-dr1/obs-index.fits.gz", "skyweave/data/catalogs/hgps_catalog_v1.fits.gz",
                   "skyweave/catalog/web/app.py", "skyweave/runners/jobs.py", "skyweave/publishers/zenodo.py"):
        assert needed in names, needed
    tops = {name.split("/")[0] for name in names}
    assert tops == {"skyweave", next(n.split("/")[0] for n in names if ".dist-info/" in n)}, tops


def clean_env():
    """This process's environment without ``PYTHONPATH`` or ``SKYWEAVE_*`` settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SKYWEAVE_") and k != "PYTHONPATH"}


PROBE = """
import importlib, importlib.metadata, importlib.util, json, sys
present, absent = json.loads(sys.argv[1])
failed = {}
for dist, modules in present.items():
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as e:
            failed.setdefault(dist, []).append(f"{module}: {type(e).__name__}: {e}")
found = {dist: [m for m in modules if importlib.util.find_spec(m) is not None] for dist, modules in absent.items()}
dists = [(d.metadata["Name"], str(d.locate_file(""))) for d in importlib.metadata.distributions()]
print(json.dumps({"failed": failed, "found": {k: v for k, v in found.items() if v}, "dists": dists,
                  "path": sys.path}))
"""
"""Run in the fresh environment: imports the base dependencies' modules, looks for the test-only ones."""


def test_the_fresh_environment_sees_the_base_dependencies_and_nothing_else(installed, base, base_folder,
                                                                             tmp_path):
    """Every base dependency imports in the fresh environment; no test-only distribution is there."""
    base_names = [canonicalize_name(req.name) for req in project_requirements(PYPROJECT)]
    present = {name: import_names(base[name]) for name in base_names}
    test_only = {name: import_names(dist) for name, dist in
                 dependency_closure(project_requirements(PYPROJECT, "test")).items() if name not in base}
    assert {"trustme", "aiosmtpd", "pytest", "playwright"} <= set(test_only), sorted(test_only)
    assert all(present.values()), present
    probe = subprocess.run([installed / "python", "-c", PROBE, json.dumps([present, test_only])], cwd=tmp_path,
                           env=clean_env(), capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0, probe.stderr[-3000:]
    seen = json.loads(probe.stdout)
    assert seen["failed"] == {}, "base dependencies that do not import"
    assert seen["found"] == {}, "test-only modules visible in the fresh environment"
    assert sysconfig.get_paths()["purelib"] not in seen["path"] and str(ROOT) not in seen["path"]
    # Every distribution visible there is either a base one, from the linked folder, or the environment's
    # own (skyweave from the wheel, and what venv installs: pip, and setuptools before Python 3.12).
    home, where = installed.parent.resolve(), [(canonicalize_name(n), Path(w).resolve()) for n, w in seen["dists"]]
    linked = {name for name, folder in where if folder == base_folder.resolve()}
    own = {name for name, folder in where if folder.is_relative_to(home)}
    assert linked == set(base)
    assert "skyweave" in own and own.isdisjoint(test_only), own
    assert len(seen["dists"]) == len(linked) + len(own), seen["dists"]


def test_the_installed_wheel_runs_the_demo_from_an_empty_folder(installed, tmp_path):
    empty, data = tmp_path / "somewhere", tmp_path / "user-data"
    empty.mkdir()
    env = clean_env()
    env["SKYWEAVE_DATA_DIR"] = str(data)

    def skyweave(*args):
        return subprocess.run([installed / "skyweave", *args], cwd=empty, env=env, capture_output=True, text=True,
                              timeout=600)

    version = skyweave("--version")
    assert version.returncode == 0 and "skyweave, version" in version.stdout
    where = subprocess.run([installed / "python", "-c", "import skyweave.catalog as c; print(c.__file__)"],
                           cwd=empty, env=env, capture_output=True, text=True, check=True).stdout
    assert str(ROOT) not in where and "site-packages" in where
    info = skyweave("info")
    assert info.returncode == 0, info.stderr
    assert f"data folder    {data}" in info.stdout and str(ROOT) not in info.stdout
    demo = skyweave("demo", "--no-serve")
    assert demo.returncode == 0, demo.stderr[-3000:]
    stored = re.search(r"(\d+) records stored, (\d+) rejected", demo.stderr)
    assert stored and int(stored.group(1)) > 1600 and stored.group(2) == "0", demo.stderr[-3000:]
    assert "workflows registered" in demo.stderr
    assert demo.stdout.strip().endswith("COMPLETED"), demo.stdout + demo.stderr[-2000:]
    assert (data / "store").is_dir() and any((data / "files").rglob("*"))
    assert list(empty.iterdir()) == [], "the demo wrote into the working folder"
