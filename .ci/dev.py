#!/usr/bin/env python3
"""Set up skyweave in a local virtual environment, then run the demo or the tests.

    python3 .ci/dev.py demo [skyweave demo options]    # the catalog on http://127.0.0.1:5000/
    python3 .ci/dev.py test [pytest options]           # the whole test suite

Needs only Python 3.11+. The test command also installs what the tests need beyond PyPI:
Debian's Chromium for the browser tests (when run as root with apt-get; CI runs as root). The
Oxigraph server for the remote-store tests comes from PyPI (package ``oxigraph``).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
CHROMIUM = Path("/usr/bin/chromium")


def say(message):
    print(f"[skyweave] {message}", file=sys.stderr, flush=True)


def run(*args, **kwargs):
    subprocess.run([str(a) for a in args], check=True, **kwargs)


def ensure_venv(extras):
    """Create .venv and install the project (with ``extras``) unless already done for this pyproject."""
    if sys.version_info < (3, 11):
        sys.exit(f"skyweave needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        say("creating the virtual environment .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"installing skyweave{'[' + extras + ']' if extras else ''} into .venv")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", target, cwd=ROOT)
    stamp.write_text(digest)


def ensure_chromium():
    """Install Debian's Chromium for the browser tests when possible."""
    if CHROMIUM.exists():
        return True
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Chromium (Debian package) for the browser tests")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", env=env)
        return CHROMIUM.exists()
    say("Chromium is not installed and cannot be installed without root: the browser tests will be skipped")
    return False


def ensure_gcn_schema():
    """Fetch the npm package @nasa-gcn/schema into .cache/npm (not committed); return its folder or None."""
    folder = ROOT / ".cache" / "npm"
    package = folder / "node_modules" / "@nasa-gcn" / "schema"
    if (package / "package.json").exists():
        return package
    if not shutil.which("npm") and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing npm (Debian package) to fetch the GCN schema")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "npm", env=env)
    if not shutil.which("npm"):
        say("npm is not installed: the GCN notice tests will be skipped (apt-get install npm)")
        return None
    say("fetching @nasa-gcn/schema from npm into .cache/npm")
    folder.mkdir(parents=True, exist_ok=True)
    run("npm", "install", "--prefix", folder, "--no-save", "--no-audit", "--no-fund", "@nasa-gcn/schema@7.2.3")
    return package


def main(argv):
    if not argv or argv[0] not in ("demo", "test"):
        sys.exit(__doc__)
    command, rest = argv[0], argv[1:]
    if command == "demo":
        ensure_venv("")
        env = dict(os.environ)
        schema = ensure_gcn_schema()  # the demo checks the GCN notices it replays against their schema
        if schema is not None:
            env.setdefault("SKYWEAVE_GCN_SCHEMA_DIR", str(schema))
        os.execve(str(BIN / "skyweave"), [str(BIN / "skyweave"), "demo", *rest], env)
    ensure_venv("test")
    have_chromium = ensure_chromium()
    if os.environ.get("CI") == "true" and not have_chromium:
        sys.exit("CI needs Chromium for the browser tests, and it could not be installed")
    env = dict(os.environ)
    schema = ensure_gcn_schema()
    if os.environ.get("CI") == "true" and schema is None:
        sys.exit("CI needs the GCN schema package (@nasa-gcn/schema from npm) for the alert and notice tests")
    if schema is not None:
        env.setdefault("SKYWEAVE_TEST_GCN_SCHEMA_DIR", str(schema))
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    os.chdir(ROOT)
    os.execve(str(BIN / "python"), [str(BIN / "python"), "-m", "pytest", *rest], env)


if __name__ == "__main__":
    main(sys.argv[1:])
