"""Where skyweave's files are: the bundled package data, and the user's data folder.

The ontology, templates, static files, bundled workflows and bundled data ship inside the package
(``skyweave.ontology``, ``skyweave.templates``, ...) and are found with `importlib.resources`, so an
installed wheel works from any folder. What a user makes (the store, result files, settings) lives
in a per-user data folder, never inside the installed package or a source checkout.
"""

import os
from importlib.resources import files
from pathlib import Path

import platformdirs

__all__ = ["BUNDLED", "bundled", "user_data_dir"]

BUNDLED = ("ontology", "templates", "static", "workflows", "data")
"""The data packages that ship with skyweave."""


def bundled(name):
    """Return the folder of one of skyweave's bundled data packages.

    Parameters
    ----------
    name : str
        One of `BUNDLED`.

    Returns
    -------
    pathlib.Path
        The folder on disk (wheels install unzipped, so this is a real directory).

    Raises
    ------
    ValueError
        If ``name`` is not a bundled data package.

    Examples
    --------
    >>> (bundled("ontology") / "skyweave.ttl").is_file()
    True
    """
    if name not in BUNDLED:
        raise ValueError(f"{name!r} is not a bundled data package; choose one of {', '.join(BUNDLED)}")
    return Path(str(files(f"skyweave.{name}")))


def user_data_dir():
    """Return the folder of the user's store, result files and ``skyweave.toml``.

    ``SKYWEAVE_DATA_DIR`` when set, else the platform's per-user data folder
    (``~/.local/share/skyweave`` on Linux, via `platformdirs`). It is not created here.

    Returns
    -------
    pathlib.Path
    """
    return Path(os.environ.get("SKYWEAVE_DATA_DIR") or platformdirs.user_data_dir("skyweave", appauthor=False))
