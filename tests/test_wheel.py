"""The package installs like any other: a wheel built from the checkout, installed into a fresh
virtual environment, runs the demo from an empty folder, with its data found as package data.

The fresh environment takes skyweave from the wheel alone; its third-party dependencies (already
installed for the tests) are made visible through a ``.pth`` file rather than downloaded again.
The checkout itself is never on its path.
"""

import os
import re
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True)
    return next(out.glob("skyweave-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """A fresh virtual environment with the wheel installed; returns its ``bin`` folder."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(home)
    bin_dir = home / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "skyweave-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
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


def test_the_installed_wheel_runs_the_demo_from_an_empty_folder(installed, tmp_path):
    empty, data = tmp_path / "somewhere", tmp_path / "user-data"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYWEAVE_") and k != "PYTHONPATH"}
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
