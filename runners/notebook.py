"""Execute one annotated notebook with given parameter values in a Jupyter kernel (nbclient).

The notebook is copied with three cells added, papermill-style: a setup cell (the run's own empty
working folder, the workflow version's folders first on the module path, environment, an audit
hook that records the files the run opens under its data folders), the
injected parameter values right after the ``parameters`` cell, and a last cell that reports the
declared outputs and what ran (`runners.inkernel`) as JSON. Files the notebook writes in its working folder and
names in its outputs come back as bytes, so the same function serves a local pool and remote
Dask workers.

References
----------
.. [1] nbclient, https://nbclient.readthedocs.io/ ; papermill's parameter injection,
   https://papermill.readthedocs.io/en/latest/usage-parameterize.html
"""

import ast
import hashlib
import inspect
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path


from . import OutputFile, RunResult, inkernel
from .datacheck import data_folders

__all__ = ["code_dirs", "prepare_notebook", "scrub_paths", "execute", "run_request", "close_pool", "environment_defaults", "MARKER"]

MARKER = "<<skyweave-outputs>>"
"""Prefix of the line in which the last cell reports the outputs."""


def _compact(source):
    """Return Python source without its docstrings (the same code, fewer characters)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


_REPORTER = _compact(inspect.getsource(inkernel))
"""Source of the output report (`runners.inkernel`) run by the last cell, without docstrings."""

_WATCHER = _compact(inspect.getsource(inkernel._sw_watch_data))
"""Source of the audit hook that records the data files a run opens, run by the first cell."""

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LOG_LIMIT = 200_000


def _now():
    return datetime.now(timezone.utc).replace(microsecond=0)


def code_dirs(path, code_root=None):
    """Return the folders put first on a run's module path: the notebook's, then its code root.

    Parameters
    ----------
    path : str or pathlib.Path
        The notebook.
    code_root : str or pathlib.Path or None
        Root of the workflow version's checked-out files.

    Returns
    -------
    list of str
        Resolved folders, without duplicates, the notebook's first.
    """
    dirs = [str(Path(path).resolve().parent)]
    if code_root and str(Path(code_root).resolve()) not in dirs:
        dirs.append(str(Path(code_root).resolve()))
    return dirs


def prepare_notebook(path, parameters, outputs, workdir, env=None, code_root=None, units=None):
    """Return the notebook at ``path`` ready to run: setup, injected parameters, output report.

    Parameters
    ----------
    path : str or pathlib.Path
        The annotated notebook.
    parameters : dict of str to object
        Values to inject (Python literals: numbers, strings, booleans, None).
    outputs : sequence of str
        Declared output names to report.
    workdir : str
        Folder the notebook runs in (its own, empty).
    env : dict of str to str or None
        Environment variables to set in the kernel.
    code_root : str or None
        Root of the workflow version's files, put on the module path after the notebook's folder.
    units : dict of str to str or None
        Declared unit (astropy string) of numeric outputs, by name (`runners.spec.output_units`).

    Returns
    -------
    nbformat.NotebookNode

    Raises
    ------
    ValueError
        If ``parameters`` are given but the notebook has no cell tagged ``parameters``.
    """
    import nbformat  # with the first run, not with the app

    nb = nbformat.read(str(path), as_version=4)
    index = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if index is None:
        if parameters:
            raise ValueError(f"{Path(path).name}: no cell is tagged 'parameters'")
        index = -1  # a test notebook without parameters: nothing to inject after
    dirs = code_dirs(path, code_root)
    setup = "\n".join([
        "import os as _sw_os, sys as _sw_sys",
        f"_sw_os.chdir({str(workdir)!r})",
        f"_sw_sys.path[:0] = {dirs!r}",
        *(f"_sw_os.environ[{k!r}] = {str(v)!r}" for k, v in (env or {}).items()),
        "del _sw_os, _sw_sys",
    ])
    folders = data_folders(env)
    if folders:  # the audit hook that records the data files the run reads (runners.inkernel._sw_watch_data)
        setup += "\n" + f"exec({_WATCHER + chr(10) + f'_sw_watch_data({folders!r})'!r}, {{}})"
    injected = "\n".join(f"{name} = {value!r}" for name, value in parameters.items()) or "pass"
    # One string literal run with exec in a namespace of its own: IPython tokenizes every line of a
    # cell before running it (tens of milliseconds for the module's source), a literal is one token,
    # and the report binds no name in the notebook's namespace.
    call = f"_sw_report({list(outputs)!r}, {MARKER!r}, {dirs!r}, {dirs[-1]!r}, {dict(units or {})!r})"
    report = f"exec({_REPORTER + chr(10) + call!r}, {{}})"
    nb.cells.insert(index + 1, _code_cell(injected, "injected-parameters"))
    nb.cells.insert(0, _code_cell(setup, "skyweave-setup"))
    nb.cells.append(_code_cell(report, "skyweave-outputs"))
    return nb


def _code_cell(source, tag):
    """A code cell tagged ``tag`` whose id is the tag (unique: each tag is added once per run).

    Built as a plain `nbformat.NotebookNode`: ``nbformat.v4.new_code_cell`` validates each new cell
    against the whole notebook schema, which costs milliseconds per cell on every run.
    """
    import nbformat  # with the first run, not with the app

    return nbformat.from_dict({"id": tag, "cell_type": "code", "metadata": {"tags": [tag]},
                               "execution_count": None, "source": source, "outputs": []})


def _text_of(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])))
    return _ANSI.sub("", "".join(parts))


def execute(request, kernel, progress=None, abort=None):
    """Run a `runners.RunRequest` in a fresh kernel, in its own working folder, and collect what it produced.

    Parameters
    ----------
    request : runners.RunRequest
    kernel : runners.kernels.Kernel
        A fresh kernel from a `runners.kernels.KernelPool` (never one an earlier run used); it is
        killed if the run is aborted or over its time limit.
    progress : callable or None
        Called as ``progress(cells_done, cells_total)`` after each cell.
    abort : threading.Event or None
        Set it to abort the run.

    Returns
    -------
    runners.RunResult
        ``COMPLETED`` when every cell ran and every declared output yielded something; ``ERROR``
        (with the traceback in the log) when a cell raised, the time limit passed or an output is
        missing; ``ABORTED`` when ``abort`` was set. Its ``environment`` names what ran: the
        notebook's SHA-256, the SHA-256 of every file of the code folders the run imported, the
        versions of the packages loaded, Python's and the kernel's (see `runners.inkernel`).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError

    started = _now()
    workdir = tempfile.mkdtemp(prefix="skyweave-run-")
    deadline = time.monotonic() + request.timeout_s
    abort = abort or threading.Event()
    nb = prepare_notebook(request.notebook, request.parameters, request.outputs, workdir, request.env,
                          request.code_root, request.output_units)
    total = len(nb.cells) - 2  # the author's cells plus the injected parameters
    client = NotebookClient(nb, km=kernel.manager, timeout=max(1, int(request.timeout_s)), allow_errors=False)
    client.kc = kernel.run_client()
    stop = threading.Event()
    killed = {}

    def watchdog():
        while not stop.wait(0.05):
            if abort.is_set() or time.monotonic() > deadline:
                killed["why"] = "aborted" if abort.is_set() else "timeout"
                kernel.kill()
                return

    guard = threading.Thread(target=watchdog, daemon=True)
    guard.start()
    status, error, done = "COMPLETED", None, 0
    if progress:
        progress(0, total)
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            ours = index in (0, len(nb.cells) - 1)  # the setup and report cells: kept out of In/Out
            client.execute_cell(cell, index, store_history=not ours)
            if not ours:
                done += 1
                if progress:
                    progress(done, total)
    except Exception as exc:  # a cell error, a timeout, or the kernel killed under nbclient
        status, error = "ERROR", _first_line(exc)
        if killed.get("why") == "aborted":
            status, error = "ABORTED", "The run was aborted."
        elif killed.get("why") == "timeout" or isinstance(exc, CellTimeoutError):
            error = f"The run passed its time limit of {request.timeout_s:g} s."
        elif not kernel.broken:
            _report_after_failure(client, nb)
    finally:
        stop.set()
        guard.join()
    values, units, environment, files, problems = _collect(nb, request.outputs, workdir)
    environment["notebook_sha256"] = hashlib.sha256(Path(request.notebook).read_bytes()).hexdigest()
    root = Path(code_dirs(request.notebook, request.code_root)[-1])
    environment["notebook"] = Path(request.notebook).resolve().relative_to(root).as_posix()
    if status == "COMPLETED":
        missing = [n for n in request.outputs if n not in values and not any(f.output == n for f in files)]
        if problems:  # a value left out because its unit is wrong: say why, not just that it is missing
            status, error = "ERROR", "; ".join(problems)
        elif missing:
            status = "ERROR"
            error = "Declared output(s) yielded nothing: " + ", ".join(missing)
    log = "\n".join(t for t in (_text_of(c) for c in nb.cells[1:-1]) if t)
    if error and error not in log:
        log = f"{log}\n{error}".strip()
    log, error = (scrub_paths(t, _machine_paths(request, workdir)) if t else t for t in (log, error))
    files.append(OutputFile("executed.ipynb", _notebook_bytes(nb), None))
    shutil.rmtree(workdir, ignore_errors=True)
    return RunResult(status=status, started_at=started, ended_at=_now(), values=values, files=files,
                     log=log[-_LOG_LIMIT:], error=error, cells_done=done, cells_total=total, units=units,
                     environment=environment)


def _machine_paths(request, workdir):
    """The server's folders a log may show, with what to print instead."""
    pairs = [(workdir, "<workdir>")]
    pairs += [(d, "<repository>") for d in code_dirs(request.notebook, request.code_root)]
    pairs += [(v, f"${k}") for k, v in request.env.items() if os.path.isabs(str(v))]
    pairs += [(sys.prefix, "<python>"), (sys.base_prefix, "<python>")]
    return pairs


def scrub_paths(text, pairs):
    """Replace the server's absolute folders in ``text`` (a log) by neutral names.

    Parameters
    ----------
    text : str
    pairs : sequence of (str, str)
        Folder and its replacement; each folder is also matched as its resolved path.

    Returns
    -------
    str

    Examples
    --------
    >>> scrub_paths("data folder: /srv/x/data/hess", [("/srv/x/data", "$SKYWEAVE_DATA")])
    'data folder: $SKYWEAVE_DATA/hess'
    """
    expanded = []
    for folder, name in pairs:
        for variant in {str(folder), os.path.realpath(str(folder))}:
            if len(variant) > 1:
                expanded.append((variant.rstrip(os.sep), name))
    for folder, name in sorted(expanded, key=lambda pair: -len(pair[0])):
        text = text.replace(folder, name)
    return text


def _first_line(exc):
    text = _ANSI.sub("", str(exc)).strip()
    lines = [l for l in text.splitlines() if l.strip()]
    # nbclient's message ends with the exception line "Name: message".
    return (lines[-1] if lines else exc.__class__.__name__)[:500]


def _notebook_bytes(nb):
    """The executed notebook as nbformat JSON (UTF-8).

    Written with `json.dumps` as nbformat's own writer lays it out (sorted keys, indent 1), without
    its deep copy and schema validation of the whole notebook: the cells came from a notebook
    validated when it was registered and from nbclient.
    """
    return (json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _report_after_failure(client, nb):
    """Run the output-report cell after a failed cell, to keep partial outputs."""
    try:
        client.execute_cell(nb.cells[-1], len(nb.cells) - 1, store_history=False)
    except Exception:
        pass


def _collect(nb, outputs, workdir):
    """Read the report: values (with units) stay values, paths of written files become OutputFiles."""
    text = _text_of(nb.cells[-1])
    line = next((l for l in text.splitlines() if l.startswith(MARKER)), None)
    report = json.loads(line[len(MARKER):]) if line else {}
    reported, units = report.get("values", {}), report.get("units", {})
    values, files = {}, []
    root = Path(workdir).resolve()
    for name in outputs:
        value = reported.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            candidate = (root / value).resolve()
            if candidate.is_file() and root in candidate.parents:
                files.append(OutputFile(candidate.name, candidate.read_bytes(), name))
                continue
        values[name] = value
    return (values, {k: v for k, v in units.items() if k in values}, report.get("environment", {}), files,
            report.get("problems", []))


_POOL = None


def run_request(request, abort=None):
    """Execute ``request`` in a fresh kernel of this process's own pool (the entry point for Dask workers).

    Parameters
    ----------
    request : runners.RunRequest
    abort : threading.Event or None
        Set it to abort the run.

    Returns
    -------
    runners.RunResult
    """
    global _POOL
    from .kernels import KernelPool

    if _POOL is None:
        _POOL = KernelPool(size=1, cwd=tempfile.gettempdir())
    kernel = _POOL.acquire()
    try:
        return execute(request, kernel, abort=abort)
    finally:
        _POOL.release(kernel)


def close_pool():
    """Shut down this process's kernel pool (run on each Dask worker when the executor closes)."""
    global _POOL
    if _POOL is not None:
        _POOL.close()
        _POOL = None


def environment_defaults():
    """Return the environment the bundled workflows expect (``SKYWEAVE_DATA`` -> the bundled data)."""
    from skyweave.catalog.resources import bundled

    data = bundled("data")
    return {"SKYWEAVE_DATA": str(data), "GAMMAPY_DATA": str(data), "MPLBACKEND": "Agg"} if data.is_dir() else {}


os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
