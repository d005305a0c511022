"""What a run's code and software are, known before it runs: the inputs of its cache key.

A run's cache key (`runners.jobs.cache_key`) must change whenever the code or the software that
would compute its products changes, so that an old product is never served as new: the SHA-256 of
the workflow version's files (the notebook and every file of its checked-out repository) and the
versions of the scientific packages in the runners' Python environment.
"""

import hashlib
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["KEY_PACKAGES", "code_root", "code_digest", "package_versions"]

KEY_PACKAGES = ("gammapy", "astropy", "numpy", "scipy", "matplotlib", "regions", "ipykernel")
"""Distributions whose versions enter every cache key (absent ones are recorded as absent)."""


def code_root(data_dir, notebook):
    """Return the root of the repository snapshot a catalogued notebook belongs to.

    Parameters
    ----------
    data_dir : str or pathlib.Path
        The service's data folder; snapshots are ``{data_dir}/repos/{name}/``.
    notebook : str or pathlib.Path
        The notebook's path relative to ``data_dir`` (``sw:notebook``).

    Returns
    -------
    pathlib.Path
        ``{data_dir}/repos/{name}`` for a snapshot, else the notebook's folder.

    Examples
    --------
    >>> code_root("/srv/data", "repos/abc-123/notebooks/spectrum.ipynb").as_posix()
    '/srv/data/repos/abc-123'
    >>> code_root("/srv/data", "elsewhere/spectrum.ipynb").as_posix()
    '/srv/data/elsewhere'
    """
    parts = Path(notebook).parts
    if len(parts) > 2 and parts[0] == "repos":
        return Path(data_dir) / parts[0] / parts[1]
    return (Path(data_dir) / notebook).parent


def code_digest(root, notebook):
    """Return the SHA-256 (hex) of a notebook and every file under its repository's root.

    Parameters
    ----------
    root : str or pathlib.Path
        The repository snapshot (see `code_root`).
    notebook : str or pathlib.Path
        The notebook file.

    Returns
    -------
    str
        Digest over the notebook's bytes, then each file's relative path and bytes in path order
        (``.git``, ``__pycache__`` and ``.ipynb_checkpoints`` skipped).
    """
    digest = hashlib.sha256(Path(notebook).read_bytes())
    root = Path(root)
    skip = {".git", "__pycache__", ".ipynb_checkpoints"}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not skip & set(p.relative_to(root).parts)):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _distribution_folders():
    """The folders of the module path that hold installed distributions (``*.dist-info``, ``*.egg-info``)."""
    out = []
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as items:
                if any(item.name.endswith((".dist-info", ".egg-info")) for item in items):
                    out.append(entry)
        except OSError:  # a zip file, a missing folder
            continue
    return tuple(out)


def _install_signature(folders):
    """Modification times of ``folders``: installing or removing a distribution changes them."""
    out = []
    for entry in folders:
        try:
            out.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            continue
    return tuple(out)


_VERSIONS = {}
_FOLDERS = {}


def package_versions(names=KEY_PACKAGES):
    """Return the installed versions of ``names`` and of Python, as a dict.

    Reading distribution metadata costs tens of milliseconds, so the answer is kept until a folder
    of the module path that holds distributions (site-packages) changes, which any install, upgrade
    or removal there does. Other folders of the module path (the project's, a script's) are not
    watched: writing files there is no install, and it must not cost every cache lookup a new read
    of the metadata. The module path itself is part of the key.

    Parameters
    ----------
    names : sequence of str
        Distribution names.

    Returns
    -------
    dict of str to str
        ``{name: version}`` (``"absent"`` for one not installed), plus ``python``.

    Examples
    --------
    >>> versions = package_versions(("numpy", "no-such-distribution"))
    >>> versions["no-such-distribution"], sorted(versions)
    ('absent', ['no-such-distribution', 'numpy', 'python'])
    """
    path = tuple(sys.path)
    folders = _FOLDERS.get(path)
    if folders is None:
        _FOLDERS.clear()
        folders = _FOLDERS[path] = _distribution_folders()
    signature = (tuple(names), path, _install_signature(folders))
    if signature in _VERSIONS:
        return dict(_VERSIONS[signature])
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    out["python"] = platform.python_version()
    _VERSIONS.clear()
    _VERSIONS[signature] = out
    return dict(out)
