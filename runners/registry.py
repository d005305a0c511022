"""Register the workflows of a folder or git repository: ``skyweave add PATH | GIT_URL[@REV]``.

Each registration takes a snapshot of the repository (at a commit for git, or of the folder's
content) under ``{DATA_DIR}/repos/``, runs its ``test_*.ipynb`` notebooks, and catalogues every
workflow notebook as a new version ``workflows/{slug}-v{n}`` (``prov:wasRevisionOf`` the previous
one) unless that version is already catalogued. A version whose tests fail is catalogued with
``sw:testStatus "failed"`` and its log, and is not offered for runs.

A notebook whose annotations are wrong is refused on its own; the others are still catalogued. The
registration is recorded as ``repositories/{name}`` (a ``schema:SoftwareSourceCode`` with the
catalogued versions as ``schema:hasPart`` and each refusal as ``sw:refusal``, naming notebook, cell
and line), so the refusals are shown on the repository's page.
"""

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import re

from rdflib import Graph, Literal, URIRef

from skyweave.catalog.vocab import PROV, RDF, SDO, SW

from . import RunRequest
from .sources import GIT_SCHEMES, check_location, check_revision, check_symlinks
from .repository import read_repository, test_notebooks
from .describe import workflow_graph
from .notebook import execute

__all__ = ["Registered", "Registration", "Source", "resolve_source", "register", "latest_version",
           "newest_runs", "repository_graph"]

_TEST_LOG_LIMIT = 20_000


@dataclass(frozen=True)
class Registered:
    """The outcome of registering one workflow notebook.

    Attributes
    ----------
    slug : str
        The workflow's name (``hess-spectrum``).
    iri : str
        The version's record IRI.
    version : int
        Its version number.
    added : bool
        False when this exact version was already catalogued.
    test_status : str
        ``passed``, ``failed`` or ``untested``.
    """

    slug: str
    iri: str
    version: int
    added: bool
    test_status: str


class Registration(list):
    """The outcome of registering a repository: a list of `Registered`, one per catalogued notebook.

    Attributes
    ----------
    refused : list of runners.annotations.AnnotationError
        The notebooks refused, each naming its notebook, cell and line.
    repository : str or None
        The IRI of the repository's record.
    """

    def __init__(self, registered=(), refused=(), repository=None):
        super().__init__(registered)
        self.refused, self.repository = list(refused), repository


@dataclass(frozen=True)
class Source:
    """Where a registration's files come from.

    Attributes
    ----------
    folder : pathlib.Path
        The snapshot to read (and run from).
    commit : str
        Git commit, or the SHA-1 of the folder's content for a plain folder.
    repository : str or None
        The git URL (or path) registered, for ``schema:codeRepository``.
    """

    folder: Path
    commit: str
    repository: str | None


def _git(*args, cwd=None):
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise ValueError(f"git {' '.join(args)} failed: {result.stderr.strip()[:500]}")
    return result.stdout.strip()


def _content_digest(folder):
    digest = hashlib.sha1()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".git" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def resolve_source(spec, data_dir, roots=None, schemes=GIT_SCHEMES):
    """Snapshot a folder or a git repository into ``{data_dir}/repos/`` and return it.

    Parameters
    ----------
    spec : str
        A folder path, or a git URL or repository path with an optional ``@REV`` (commit, tag or
        branch). A folder that is the top of a git work tree is taken at its ``HEAD`` commit.
    data_dir : str or pathlib.Path
    roots : list of str or None
        Folders a local source must lie under (None: any, for the CLI); see `runners.sources`.
    schemes : tuple of str
        URL schemes allowed for git URLs.

    Returns
    -------
    Source

    Raises
    ------
    ValueError
        If the folder does not exist, git cannot clone or check out the revision, or the source is
        not allowed (`runners.sources.check_location`, a symbolic link out of the repository).
    """
    location, rev = spec, ""
    if "@" in spec:
        head, tail = spec.rsplit("@", 1)
        if tail and "/" not in tail and ":" not in tail:
            location, rev = head, tail
    path = Path(location)
    is_git = "://" in location or "::" in location or location.endswith(".git") or (path / ".git").exists()
    check_location(location, is_git, roots, schemes)
    if rev:
        check_revision(rev)
    repos = Path(data_dir) / "repos"
    repos.mkdir(parents=True, exist_ok=True)
    if is_git:
        with tempfile.TemporaryDirectory() as tmp:
            _git("clone", "--quiet", "--no-hardlinks", "--", str(location), tmp)
            if rev:
                _git("checkout", "--quiet", rev, "--", cwd=tmp)
            commit = _git("rev-parse", "HEAD", cwd=tmp)
            check_symlinks(tmp)
            target = repos / f"{hashlib.sha1(str(location).encode()).hexdigest()[:10]}-{commit[:12]}"
            if not target.exists():
                shutil.copytree(tmp, target, ignore=shutil.ignore_patterns(".git"))
        return Source(target, commit, str(location))
    if not path.is_dir():
        raise ValueError(f"{spec}: no such folder or git repository")
    check_symlinks(path)
    commit = _content_digest(path)
    target = repos / f"{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]}-{commit[:12]}"
    if not target.exists():
        shutil.copytree(path, target, ignore=shutil.ignore_patterns(".git", ".ipynb_checkpoints", "__pycache__"))
    return Source(target, commit, None)


def run_tests(folder, kernels, env=None, timeout_s=300.0):
    """Execute a repository's ``test_*.ipynb`` notebooks; return ``(status, log)``.

    Parameters
    ----------
    folder : pathlib.Path
    kernels : runners.kernels.KernelPool or None
        Kernels to use; None starts one for the tests.
    env : dict or None
        Environment for the notebooks.
    timeout_s : float
        Time limit of each test notebook.

    Returns
    -------
    (str, str)
        ``("untested", "")`` without test notebooks, else ``passed`` or ``failed`` and the log.
    """
    tests = test_notebooks(folder)
    if not tests:
        return "untested", ""
    if kernels is None:
        from .kernels import KernelPool

        pool = KernelPool(size=1)
        try:
            return run_tests(folder, pool, env, timeout_s)
        finally:
            pool.close()
    status, parts = "passed", []
    for path in tests:
        kernel = kernels.acquire()
        try:
            result = execute(RunRequest("test", "test", str(path), {}, (), timeout_s, dict(env or {})), kernel)
        finally:
            kernels.release(kernel)
        parts.append(f"== {path.name}: {result.status}\n{result.log}".strip())
        if result.status != "COMPLETED":
            status = "failed"
    return status, "\n\n".join(parts)[-_TEST_LOG_LIMIT:]


def _versions(store, base, slug):
    rows = store.select(
        "PREFIX schema: <https://schema.org/> PREFIX sw: <https://skyweave.org/ns#> "
        "SELECT ?w ?commit ?nb WHERE { ?w a schema:ComputationalWorkflow . "
        "OPTIONAL { ?w sw:commit ?commit } OPTIONAL { ?w sw:notebook ?nb } "
        f"FILTER(STRSTARTS(STR(?w), \"{base}workflows/{slug}-v\")) }}"
    )
    out = []
    for row in rows:
        tail = str(row["w"]).rsplit("-v", 1)[-1]
        if tail.isdigit():
            out.append((int(tail), str(row["w"]), str(row.get("commit", "")), str(row.get("nb", ""))))
    return sorted(out)


def _repository_name(source, spec):
    location = source.repository or spec
    name = re.sub(r"\.git$", "", str(location).split("@")[0].rstrip("/").rsplit("/", 1)[-1])
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "repository"


def repository_graph(iri, name, source, registered, refused):
    """Return the record of one registration of a repository.

    Parameters
    ----------
    iri : rdflib.URIRef
    name : str
    source : Source
    registered : sequence of Registered
    refused : sequence of runners.annotations.AnnotationError

    Returns
    -------
    rdflib.Graph
        ``<iri> a schema:SoftwareSourceCode`` with ``schema:name``, ``sw:commit``,
        ``schema:codeRepository`` (a git repository), ``schema:hasPart`` per catalogued version and
        ``sw:refusal`` per refused notebook.
    """
    graph = Graph()
    graph.add((iri, RDF.type, SDO.SoftwareSourceCode))
    graph.add((iri, SDO.name, Literal(name)))
    graph.add((iri, SW.commit, Literal(source.commit)))
    if source.repository and "://" in source.repository:
        graph.add((iri, SDO.codeRepository, URIRef(source.repository)))
    for r in registered:
        graph.add((iri, SDO.hasPart, URIRef(r.iri)))
    for error in refused:
        graph.add((iri, SW.refusal, Literal(str(error))))
    return graph


def register(spec, store, base, data_dir, kernels, env=None, progress=None, roots=None, schemes=GIT_SCHEMES):
    """Register every workflow of a folder or git repository as a catalogued version.

    Parameters
    ----------
    spec : str
        ``PATH`` or ``GIT_URL[@REV]`` (see `resolve_source`).
    store : catalog.store.Store
    base : str
    data_dir : str or pathlib.Path
    kernels : runners.kernels.KernelPool
        Kernels for the test notebooks.
    env : dict or None
    progress : callable or None
        Called with a short message at each step.
    roots, schemes
        Which sources are allowed (see `resolve_source`).

    Returns
    -------
    Registration
        The catalogued notebooks, with ``refused``: the notebooks whose annotations are wrong
        (each naming notebook, cell and line), which are not catalogued.

    Raises
    ------
    ValueError
        If the source cannot be read.
    runners.annotations.AnnotationError
        If ``mmoda.yaml`` is wrong; nothing is stored.
    skyweave.catalog.exceptions.ValidationFailed
        If a workflow's description breaks the shapes.
    """
    say = progress or (lambda message: None)
    source = resolve_source(spec, data_dir, roots, schemes)
    say(f"snapshot {source.commit[:12]} in {source.folder.name}")
    specs = read_repository(source.folder, commit=source.commit)
    for error in specs.refused:
        say(f"refused {error}")
    say(f"{len(specs)} workflow notebook(s), {len(specs.refused)} refused; running the test notebooks")
    status, test_log = run_tests(source.folder, kernels, env)
    say(f"tests: {status}")
    out = []
    for wf in specs:
        notebook = str(Path(wf.notebook).resolve().relative_to(Path(data_dir).resolve()))
        versions = _versions(store, base, wf.slug)
        same = next((v for v in versions if v[2] == source.commit and v[3] == notebook), None)
        if same is not None:
            out.append(Registered(wf.slug, same[1], same[0], False, status))
            continue
        number = (versions[-1][0] + 1) if versions else 1
        iri = URIRef(f"{base}workflows/{wf.slug}-v{number}")
        graph = workflow_graph(wf, iri, base, code_repository=source.repository)
        graph.set((iri, SW.commit, Literal(source.commit)))
        graph.set((iri, SW.notebook, Literal(notebook)))
        graph.set((iri, SW.testStatus, Literal(status)))
        if test_log:
            graph.set((iri, SW.testLog, Literal(test_log)))
        if versions:
            graph.set((iri, PROV.wasRevisionOf, URIRef(versions[-1][1])))
        store.put(iri, graph)
        say(f"added {iri}")
        out.append(Registered(wf.slug, str(iri), number, True, status))
    name = _repository_name(source, spec)
    repo_iri = URIRef(f"{base}repositories/{name}")
    store.put(repo_iri, repository_graph(repo_iri, name, source, out, specs.refused))
    return Registration(out, specs.refused, str(repo_iri))


def latest_version(store, base, slug):
    """Return the IRI of the newest catalogued version ``workflows/{slug}-v{n}`` of a workflow, or None.

    With the store's side index (`skyweave.catalog.indexes`) the versions are one range of its
    ``workflows`` list by IRI (those starting ``{base}workflows/{slug}-v``): the cost of that
    workflow's versions, not of the catalog's workflows. Without one, one SPARQL query filters
    every workflow's IRI.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    base : str
        The catalog's ``BASE_IRI``.
    slug : str
        The workflow's name without its version, e.g. ``hess-spectrum``.

    Returns
    -------
    str or None
    """
    prefix = f"{base}workflows/{slug}-v"
    if getattr(store, "index", None) is not None:
        # The prefix ends in "v": the IRIs starting with it are those >= it and < it with "w" for "v".
        iris = [r[0] for r in store.index.execute(
            "SELECT iri FROM records WHERE coll = 'workflows' AND iri >= ? AND iri < ?", (prefix, prefix[:-1] + "w"))]
    else:
        iris = [str(r["w"]) for r in store.select(
            "PREFIX schema: <https://schema.org/> SELECT ?w WHERE { ?w a schema:ComputationalWorkflow "
            f"FILTER(STRSTARTS(STR(?w), \"{prefix}\")) }}")]
    numbered = [(int(w.rsplit("-v", 1)[1]), w) for w in iris if w.rsplit("-v", 1)[-1].isdigit()]
    return max(numbered)[1] if numbered else None


def newest_runs(store, workflow_iri, limit=20):
    """Return the newest runs of a workflow version: latest ``prov:startedAtTime`` first.

    Runs not started yet (no start time) come after the started ones; runs that started at the
    same time are ordered by IRI, descending. With the store's side index the runs are a range of
    its ``runs`` list's ``workflow`` facet (kept in start-time order), and one query bound to their
    IRIs reads their phases: the cost of ``limit`` runs, however many the workflow gathered (an
    alert-triggered workflow gathers runs without end). Without one, one SPARQL query sorts every
    run of the workflow.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    workflow_iri : str
        The workflow version the runs ``prov:used``.
    limit : int
        Most runs returned.

    Returns
    -------
    list of dict
        ``run`` (IRI), ``phase`` and ``start`` (``xsd:dateTime`` text, empty if not started).
    """
    prefixes = "PREFIX sw: <https://skyweave.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#> "
    if getattr(store, "index", None) is None:
        rows = store.select(prefixes + "SELECT ?run ?phase ?start WHERE { ?run a sw:Run ; prov:used $w ; sw:phase ?phase "
                            "OPTIONAL { ?run prov:startedAtTime ?start } } ORDER BY DESC(?start) DESC(?run) "
                            f"LIMIT {int(limit)}", w=URIRef(workflow_iri))
        order = None
    else:
        from skyweave.catalog.indexes.lists import newest

        order = newest(store.index, "runs", {"workflow": str(workflow_iri)}, size=limit)
        if not order:
            return []
        rows = store.select(prefixes + "SELECT ?run ?phase ?start WHERE { VALUES ?run { "
                            + " ".join(URIRef(i).n3() for i in order)
                            + " } ?run sw:phase ?phase OPTIONAL { ?run prov:startedAtTime ?start } }")
    found = {}
    for r in rows:
        found.setdefault(str(r["run"]), {"run": str(r["run"]), "phase": str(r["phase"]),
                                         "start": str(r["start"]) if r.get("start") is not None else ""})
    return list(found.values()) if order is None else [found[i] for i in order if i in found]
