"""The base dependencies of the project, as installed in the test environment, for a fresh environment to see.

A wheel test installs skyweave into a fresh virtual environment without downloading its dependencies
again. It must not expose the test environment's whole site-packages there, or the product may import
a test extra (pytest, trustme, aiosmtpd, ...) and the test would not notice. This module resolves the
closure of pyproject's ``dependencies`` over the installed distributions, and lays out a folder that
holds only those distributions' installed files, as symbolic links.
"""

import importlib.machinery
import importlib.metadata
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


class MissingDependency(LookupError):
    """A required distribution is not installed, or not in a version the requirement allows."""


def project_requirements(pyproject, extra=None):
    """Read the project's requirements from its ``pyproject.toml``.

    Parameters
    ----------
    pyproject : str or `~pathlib.Path`
        The ``pyproject.toml`` file.
    extra : str, optional
        An extra of ``[project.optional-dependencies]`` (e.g. ``"test"``) to read instead of the base
        ``[project] dependencies``.

    Returns
    -------
    requirements : list of `packaging.requirements.Requirement`
        The requirements in the order the file lists them.

    Raises
    ------
    KeyError
        If the file has no such extra.

    References
    ----------
    .. [1] PyPA, "Writing your pyproject.toml", dependencies and optional-dependencies.
       https://packaging.python.org/en/latest/specifications/pyproject-toml/#dependencies-optional-dependencies
    """
    with open(pyproject, "rb") as f:
        project = tomllib.load(f)["project"]
    listed = project.get("dependencies", []) if extra is None else project["optional-dependencies"][extra]
    return [Requirement(line) for line in listed]


def installed_distributions(path=None):
    """Map each installed distribution's normalized name to the one an import would find first.

    Parameters
    ----------
    path : list of str, optional
        The folders to search, in order; `sys.path` if omitted.

    Returns
    -------
    distributions : dict of str to `importlib.metadata.Distribution`
        Keyed by the name normalized as PEP 503 says (``jupyter-client``, ``pyyaml``).

    References
    ----------
    .. [1] PEP 503, "Normalized names". https://peps.python.org/pep-0503/#normalized-names
    """
    found = {}
    for dist in importlib.metadata.distributions(**({} if path is None else {"path": path})):
        found.setdefault(canonicalize_name(dist.metadata["Name"]), dist)
    return found


def dependency_closure(requirements, installed=None):
    """Resolve requirements to the installed distributions they need, transitively.

    Each requirement's own marker is evaluated for this interpreter with no extra (``extra == ""``);
    a distribution's requirements are evaluated for no extra and for each extra some requirement asked
    of it (``dask[distributed]`` brings dask's ``extra == "distributed"`` requirements).

    Parameters
    ----------
    requirements : iterable of `packaging.requirements.Requirement`
        The starting requirements, e.g. `project_requirements`.
    installed : dict of str to `importlib.metadata.Distribution`, optional
        The distributions to resolve against, by normalized name; `installed_distributions` if omitted.

    Returns
    -------
    closure : dict of str to `importlib.metadata.Distribution`
        Every distribution needed, by normalized name, sorted by name.

    Raises
    ------
    MissingDependency
        If a needed distribution is not installed, or its installed version is outside a specifier
        that asks for it; the message lists every such requirement and who asked for it.

    References
    ----------
    .. [1] PEP 508, "Dependency specification for Python Software Packages" (markers, extras).
       https://peps.python.org/pep-0508/
    .. [2] Core metadata, ``Requires-Dist`` and ``Provides-Extra``.
       https://packaging.python.org/en/latest/specifications/core-metadata/#requires-dist-multiple-use

    Examples
    --------
    >>> from packaging.requirements import Requirement
    >>> sorted(dependency_closure([Requirement("flask>=3.0")]))
    ['blinker', 'click', 'flask', 'itsdangerous', 'jinja2', 'markupsafe', 'werkzeug']
    """
    installed = installed_distributions() if installed is None else installed
    extras = {}
    missing = []
    todo = [(req, "the project", "") for req in requirements]
    while todo:
        req, asker, asker_extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": asker_extra}):
            continue
        name = canonicalize_name(req.name)
        dist = installed.get(name)
        if dist is None or not req.specifier.contains(dist.version, prereleases=True):
            missing.append(f"{req} (asked by {asker}; installed: {dist.version if dist else 'none'})")
            continue
        new = {""} | {canonicalize_name(e) for e in req.extras}
        if name in extras:
            new -= extras[name]
        if not new:
            continue
        extras.setdefault(name, set()).update(new)
        for line in dist.requires or []:
            sub = Requirement(line)
            for extra in sorted(new):
                if sub.marker is None or sub.marker.evaluate({"extra": extra}):
                    todo.append((sub, name, extra))
                    break
    if missing:
        raise MissingDependency("not installed as required: " + "; ".join(sorted(set(missing))))
    return {name: installed[name] for name in sorted(extras)}


def import_names(dist):
    """The top-level names a distribution makes importable.

    Parameters
    ----------
    dist : `importlib.metadata.Distribution`
        An installed distribution with a file list (``RECORD``).

    Returns
    -------
    names : list of str
        Its top-level regular packages (a folder with ``__init__.py``), sorted; if it has none, its
        top-level modules (``six.py``, an extension module). Namespace folders are left out, as are
        modules beside packages, which may be scripts (``ipykernel_launcher`` starts a kernel on import),
        and names of the standard library, which it shadows (rocrate installs a ``test`` package).

    Raises
    ------
    MissingDependency
        If the distribution lists no installed files.

    Examples
    --------
    >>> import_names(importlib.metadata.distribution("pyyaml"))
    ['_yaml', 'yaml']
    >>> import_names(importlib.metadata.distribution("six"))
    ['six']
    """
    files = dist.files
    if files is None:
        raise MissingDependency(f"{dist.metadata['Name']} lists no installed files (no RECORD)")
    packages, modules = set(), set()
    suffixes = importlib.machinery.SOURCE_SUFFIXES + importlib.machinery.EXTENSION_SUFFIXES
    for f in files:
        if len(f.parts) == 2 and f.parts[1] == "__init__.py":
            packages.add(f.parts[0])
        elif len(f.parts) == 1:
            for suffix in suffixes:
                if f.name.endswith(suffix) and f.name[:-len(suffix)].isidentifier():
                    modules.add(f.name[:-len(suffix)])
    return sorted((packages or modules) - set(sys.stdlib_module_names))


def link_distributions(dists, folder, installed=None):
    """Lay out a folder holding only the given distributions' installed files, as symbolic links.

    A top-level entry of the site folder (package, module, ``.dist-info``, ``.libs`` folder of shared
    libraries) that only these distributions install is linked whole. One that other installed
    distributions share (``__pycache__``, a namespace package) becomes a real folder holding links to
    these distributions' own files in it. Files installed outside the site folder (scripts, ``share/``)
    are left out.

    Parameters
    ----------
    dists : iterable of `importlib.metadata.Distribution`
        The distributions to expose, e.g. the values of `dependency_closure`.
    folder : str or `~pathlib.Path`
        An existing empty folder; a path to put on ``sys.path`` (or give to `site.addsitedir`).
    installed : dict of str to `importlib.metadata.Distribution`, optional
        Every installed distribution, to find shared entries; `installed_distributions` if omitted.

    Returns
    -------
    linked : list of str
        The top-level names now in ``folder``, sorted.

    Raises
    ------
    MissingDependency
        If a distribution lists no installed files.
    """
    folder = Path(folder)
    installed = installed_distributions() if installed is None else installed
    dists = {canonicalize_name(d.metadata["Name"]): d for d in dists}
    files = {name: dist.files for name, dist in {**installed, **dists}.items()}
    owners = defaultdict(set)
    for name, dist in {**installed, **dists}.items():
        if files[name] is not None:
            base = Path(dist.locate_file("")).resolve()
            for f in files[name]:
                if f.parts[0] != "..":
                    owners[(base, f.parts[0])].add(name)
    for name, dist in dists.items():
        if files[name] is None:
            raise MissingDependency(f"{dist.metadata['Name']} lists no installed files (no RECORD)")
        base = Path(dist.locate_file("")).resolve()
        for top in {f.parts[0] for f in files[name] if f.parts[0] != ".."}:
            if owners[(base, top)] <= set(dists):
                if not (folder / top).is_symlink():
                    (folder / top).symlink_to(base / top, target_is_directory=(base / top).is_dir())
                continue
            for f in files[name]:
                if f.parts[0] == top and (base / f).exists():
                    (folder / f).parent.mkdir(parents=True, exist_ok=True)
                    (folder / f).symlink_to(base / f)
    return sorted(p.name for p in folder.iterdir())
