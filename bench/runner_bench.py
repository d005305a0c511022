"""Benchmark of the workflow runners: cache hits, per-run overhead and throughput.

Three measurements, each reported as medians and ratios taken in the same run:

1. **Cache hit against cold run, over HTTP.** The bundled ``workflows/`` folder is registered
   (`runners.registry.register`) into a fresh application (embedded store in a temporary
   ``DATA_DIR``, the real catalog records of `catalog.ingest.load_all` loaded so that the target
   name "Crab Nebula" resolves), served by waitress on a free ``127.0.0.1`` port. The Crab
   spectrum with default parameters is requested (``POST /workflows/<slug>/runs``) and its run
   polled until ``COMPLETED`` (the cold run); then the identical request is made again, which the
   cache answers: ``POST`` (303, ``cached`` true) plus one ``GET`` of the run's JSON, what a client
   needs to get the answer. With ``--quick`` the ring notebook of ``tests/workflow_repo.py`` is
   the cold workflow instead.
2. **Runner overhead against papermill**, on a small notebook (3 code cells of trivial work):
   ``papermill.execute_notebook`` (a fresh kernel per run, its default) and
   `runners.notebook.execute` in a fresh kernel of a `runners.kernels.KernelPool` (acquire a
   pre-started kernel, execute, release, which discards it in the background; the pool's start of
   the next kernel, including the one silent cell every kernel runs before it is handed out, is
   not timed, as in the service it happens while other runs execute), minus the
   time of the notebook's cells alone, measured by sending the same cells to a warm kernel back to back.
3. **Throughput**: a batch of short runs of the ring notebook (0.2 s sleep each, distinct
   parameter values) submitted at once to `runners.executors.LocalExecutor` and to
   `runners.executors.DaskExecutor` (a ``LocalCluster``), both with 2 workers, after one untimed
   warm-up batch on each.

Run ``.venv/bin/python bench/runner_bench.py --help``; ``bench/README.md`` explains the output.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import wait as wait_futures
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

import nbformat  # noqa: E402
import requests  # noqa: E402

__all__ = [
    "BASE", "TARGET_HIT_RATIO", "TARGET_OVERHEAD_RATIO", "small_notebook", "HttpServer", "bench_cache",
    "bench_overhead", "bench_throughput", "format_results", "summary_line", "main",
]

BASE = "http://127.0.0.1:5000/"
"""Base IRI of the records (the default ``BASE_IRI`` setting)."""

TARGET_HIT_RATIO = 1 / 1000
"""A cache hit (POST + GET of the run) should cost at most this fraction of the cold run."""

TARGET_OVERHEAD_RATIO = 1 / 10
"""Our runner's overhead per run should be at most this fraction of papermill's."""

CRAB_WORKFLOW = "hess-spectrum"
"""Slug of the bundled workflow timed cold (the H.E.S.S. Crab spectrum)."""

RING_DELAY_S = 0.2
"""Sleep of each throughput run (the ring notebook's ``delay_s``), seconds."""

WORKERS = 2
"""Workers of both executors in the throughput test."""

SMALL_PARAMETERS = {"scale": 3.0, "n": 50}
"""Values injected into the small notebook (both runners inject them the same way)."""

_SMALL_CELLS = (
    ('# oda:version "1.0"\nscale = 2.0  # oda:Float\nn = 100  # oda:Integer\n', ["parameters"]),
    ("values = [scale * i for i in range(n)]\ntotal = sum(values)\n", []),
    ("total = total  # oda:Float\n", ["outputs"]),
)

FINAL = ("COMPLETED", "ERROR", "ABORTED")


def _log(message):
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _median(values):
    return statistics.median(values) if values else None


# -- fixtures -----------------------------------------------------------------------------------

def small_notebook():
    """Return the overhead test notebook: a title, then parameters, work and outputs cells.

    Returns
    -------
    nbformat.NotebookNode
        Three code cells (tagged ``parameters``, untagged, tagged ``outputs``) doing trivial work
        (a sum of ``n`` numbers), with a ``python3`` kernelspec.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Small notebook\n\nTrivial work, to time runner overhead."))
    for source, tags in _SMALL_CELLS:
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    return nb


class HttpServer:
    """The application served by waitress in a daemon thread on a free ``127.0.0.1`` port.

    Parameters
    ----------
    app : flask.Flask
    threads : int
        Waitress worker threads (``skyweave serve`` uses 8).

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:{port}``, no trailing slash.
    """

    def __init__(self, app, threads=8):
        from waitress.server import create_server

        self._server = create_server(app, host="127.0.0.1", port=0, threads=threads, ident="skyweave")
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, name="waitress-bench", daemon=True)
        self._thread.start()

    def close(self):
        """Finish the requests under way, then close every socket from the serving loop's own thread."""
        server = self._server
        server.task_dispatcher.shutdown()

        def close_all():
            for channel in list(server._map.values()):
                if channel not in (server, server.trigger):
                    channel.handle_close()
            server.close()

        server.trigger.pull_trigger(close_all)
        self._thread.join(timeout=10)


def _make_app(data_dir, load_records=True):
    """Create the real app (embedded store in ``data_dir``) holding the real catalog records."""
    from skyweave.catalog.web.app import create_app
    from skyweave.catalog.ingest import load_all

    app = create_app({"STORE": "embedded", "DATA_DIR": str(data_dir), "BASE_IRI": BASE, "RUNNER_WORKERS": WORKERS,
                      "RUN_TIMEOUT_S": 900})
    n = 0
    if load_records:
        stored, rejected = app.extensions["store"].put_many(load_all(BASE))
        assert not rejected, f"{len(rejected)} real records rejected: {rejected[:1]}"
        n = len(stored)
    return app, n


# -- 1. cache hit against cold run ------------------------------------------------------------

def _poll(session, url, interval_s, timeout_s=1800):
    deadline = time.monotonic() + timeout_s
    while True:
        status = session.get(url, headers={"Accept": "application/json"}, timeout=60).json()
        if status["phase"] in FINAL:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not finish in {timeout_s} s: {status['phase']}")
        time.sleep(interval_s)


def _post_run(session, url, slug, parameters):
    return session.post(f"{url}/workflows/{slug}/runs", json={"parameters": parameters},
                        headers={"Accept": "application/json"}, allow_redirects=False, timeout=60)


def bench_cache(quick, hits, workdir, profile_hits=False):
    """Time a cold run and identical (cached) requests through the HTTP API.

    Parameters
    ----------
    quick : bool
        Use the ring notebook of ``tests/workflow_repo.py`` as the cold workflow instead of the Crab
        spectrum of ``workflows/`` (which takes tens of seconds).
    hits : int
        Timed cache hits, after the cold run.
    workdir : pathlib.Path
        Scratch folder (DATA_DIR and the ring repository go there).
    profile_hits : bool
        Also profile (cProfile) the server side of ``hits`` further cache hits, made in this thread
        through the Flask test client, and return the top of the profile.

    Returns
    -------
    dict
        ``workflow``, ``cold_s`` (POST to the poll that sees COMPLETED), ``hit_ms``, ``hit_post_ms``,
        ``hit_get_ms`` (medians), ``first_hit_ms``, ``ratio`` (hit / cold), ``hits``, set-up times,
        and ``profile`` (text) when asked.

    Raises
    ------
    AssertionError
        If the cold run does not complete, or a repeated request is not a cache hit.
    """
    from skyweave.catalog.web.app import close_app
    from skyweave.runners.registry import register

    timings = {}
    start = time.perf_counter()
    app, n_records = _make_app(workdir / "data")
    timings["app_and_records"] = time.perf_counter() - start
    _log(f"app created, {n_records} real records loaded ({timings['app_and_records']:.1f} s)")
    jobs = app.extensions["jobs"]
    store = app.extensions["store"]
    start = time.perf_counter()
    if quick:
        sys.path.insert(0, str(PROJECT_DIR / "tests"))
        from workflow_repo import make_repo

        source, slug_prefix, parameters = str(make_repo(workdir / "ring-repo")), "ring", {}
    else:
        source, slug_prefix, parameters = str(PROJECT_DIR / "workflows"), CRAB_WORKFLOW, {}
    added = register(source, store, BASE, app.config["DATA_DIR"], jobs.executor.kernels, jobs.env)
    timings["register"] = time.perf_counter() - start
    chosen = next(r for r in added if r.slug == slug_prefix)
    slug = chosen.iri.rsplit("/", 1)[-1]
    _log(f"registered {', '.join(r.slug for r in added)} from {source} (tests {chosen.test_status}, "
         f"{timings['register']:.1f} s)")
    jobs.executor.kernels.warm_up()  # the cold run does not pay for a kernel start
    server = HttpServer(app)
    session = requests.Session()
    out = {"workflow": slug, "source": "tests/workflow_repo.py ring" if quick else "workflows/",
           "parameters": parameters, "registered": [r.slug for r in added], "records": n_records}
    try:
        _log(f"cold run of {slug} ...")
        start = time.perf_counter()
        response = _post_run(session, server.url, slug, parameters)
        assert response.status_code == 303, f"{response.status_code} {response.text[:500]}"
        body = response.json()
        assert not body["cached"] and not body["shared"], body
        run_url = server.url + response.headers["Location"]
        status = _poll(session, run_url, 0.02 if quick else 0.25)
        cold = time.perf_counter() - start
        assert status["phase"] == "COMPLETED", status.get("error") or status
        out.update(cold_s=cold, cold_run=response.headers["Location"], cold_values=status["values"],
                   cold_results=[r["output"] for r in status["results"]])
        _log(f"cold run COMPLETED in {cold:.2f} s: {status['values']}")

        post_t, get_t, total_t = [], [], []
        for _ in range(hits):
            t0 = time.perf_counter()
            response = _post_run(session, server.url, slug, parameters)
            t1 = time.perf_counter()
            answer = session.get(server.url + response.headers["Location"], headers={"Accept": "application/json"},
                                 timeout=60)
            status = answer.json()
            t2 = time.perf_counter()
            body = response.json()
            assert response.status_code == 303 and body["cached"], body
            assert response.headers["Location"] == out["cold_run"] and status["phase"] == "COMPLETED", status
            assert status["values"] == out["cold_values"]
            post_t.append(t1 - t0)
            get_t.append(t2 - t1)
            total_t.append(t2 - t0)
        out.update(hits=hits, hit_ms=1e3 * _median(total_t), hit_post_ms=1e3 * _median(post_t),
                   hit_get_ms=1e3 * _median(get_t), first_hit_ms=1e3 * total_t[0], hit_times_s=total_t)
        out["ratio"] = out["hit_ms"] / 1e3 / cold
        if profile_hits:
            out["profile"] = _profile_hits(app, slug, parameters, out["cold_run"], hits)
    finally:
        session.close()
        server.close()
        close_app(app)
    out["timings_s"] = timings
    return out


def _profile_hits(app, slug, parameters, run_path, n):
    """Profile the server side of ``n`` cache hits (POST + GET through the Flask test client)."""
    client = app.test_client()
    headers = {"Accept": "application/json"}
    client.post(f"/workflows/{slug}/runs", json={"parameters": parameters}, headers=headers)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        client.post(f"/workflows/{slug}/runs", json={"parameters": parameters}, headers=headers)
        client.get(run_path, headers=headers)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(45)
    return text.getvalue()


# -- 2. overhead against papermill ------------------------------------------------------------

def _cell_seconds(nb, skip_tags=("skyweave-setup", "skyweave-outputs")):
    """Sum of ``shell.execute_reply - iopub.execute_input`` over the code cells of an executed notebook."""
    total = 0.0
    for cell in nb.cells:
        if cell.cell_type != "code" or set(cell.metadata.get("tags", [])) & set(skip_tags):
            continue
        timing = cell.metadata.get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            t0 = dt.datetime.fromisoformat(timing["iopub.execute_input"])
            t1 = dt.datetime.fromisoformat(timing["shell.execute_reply"])
            total += (t1 - t0).total_seconds()
    return total


def bench_overhead(papermill_runs, our_runs, workdir, profile_ours=False):
    """Time the small notebook with papermill (fresh kernel) and with our runner (fresh pre-started kernel).

    Parameters
    ----------
    papermill_runs, our_runs : int
        Timed runs of each, after one untimed run each.
    workdir : pathlib.Path
    profile_ours : bool
        Also profile (cProfile) ``our_runs`` further runs of ours and return the top of the profile.

    Returns
    -------
    dict
        Medians in ms: ``papermill_wall_ms``, ``ours_wall_ms`` (acquire + execute + release; the
        pool's background start of the next kernel excluded),
        ``ours_acquire_ms``, ``ours_execute_ms``, ``ours_release_ms``; the cells' time from nbclient's
        timing metadata of each tool's runs (``papermill_cells_meta_ms``, ``ours_cells_meta_ms``)
        and the overheads ``papermill_overhead_ms``, ``ours_overhead_ms`` (wall - cells) with
        ``ratio`` (ours / papermill); ``cells_ms`` (the same cells sent back to back to a warm
        kernel) with the overheads and ratio computed from it (``*_b2b``).
    """
    import papermill

    from skyweave.runners import RunRequest
    from skyweave.runners.kernels import Kernel, KernelPool
    from skyweave.runners.notebook import execute

    folder = workdir / "small"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "small.ipynb"
    nbformat.write(small_notebook(), path)
    expected = sum(SMALL_PARAMETERS["scale"] * i for i in range(SMALL_PARAMETERS["n"]))
    out = {"papermill_runs": papermill_runs, "our_runs": our_runs, "cells": len(_SMALL_CELLS),
           "parameters": SMALL_PARAMETERS}

    # (a) papermill: a fresh kernel per run (its default).
    _log(f"papermill: 1 + {papermill_runs} runs of the small notebook")
    wall, meta = [], []
    for k in range(papermill_runs + 1):
        target = folder / f"papermill-{k}.ipynb"
        t0 = time.perf_counter()
        nb = papermill.execute_notebook(str(path), str(target), parameters=dict(SMALL_PARAMETERS),
                                        kernel_name="python3", progress_bar=False, log_output=False, cwd=str(folder))
        elapsed = time.perf_counter() - t0
        if k:
            wall.append(elapsed)
            meta.append(_cell_seconds(nb))
    out["papermill_wall_ms"] = 1e3 * _median(wall)
    out["papermill_cells_meta_ms"] = 1e3 * _median(meta)

    # (b) ours: a fresh kernel from the pool for each run, discarded after it. In the service the
    # pool starts the next kernel while runs execute; here we wait (untimed) until one is ready,
    # so what is timed is what a run pays when the pool is not empty.
    _log(f"runners.notebook.execute: 1 + {our_runs} runs, each in a fresh kernel")
    pool = KernelPool(size=1, cwd=str(folder), preload=())
    request = RunRequest(f"{BASE}runs/bench-small", f"{BASE}workflows/small-v1", str(path), dict(SMALL_PARAMETERS),
                         ("total",), 60.0, {})
    acquire_t, execute_t, release_t, wall, meta = [], [], [], [], []
    try:
        for k in range(our_runs + 1):
            pool.warm_up(1)
            time.sleep(0.3)  # let the kernel settle, as it would while waiting in the pool
            t0 = time.perf_counter()
            kernel = pool.acquire()
            t1 = time.perf_counter()
            result = execute(request, kernel)
            t2 = time.perf_counter()
            pool.release(kernel)
            t3 = time.perf_counter()
            assert result.status == "COMPLETED" and result.values == {"total": expected}, (result.status, result.log)
            if k:
                acquire_t.append(t1 - t0)
                execute_t.append(t2 - t1)
                release_t.append(t3 - t2)
                wall.append(t3 - t0)
                executed = nbformat.reads(result.files[-1].data.decode("utf-8"), as_version=4)
                meta.append(_cell_seconds(executed))
        if profile_ours:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(our_runs):
                pool.warm_up(1)
                kernel = pool.acquire()
                execute(request, kernel)
                pool.release(kernel)
            profiler.disable()
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
            out["profile"] = text.getvalue()
    finally:
        pool.close()
    out.update(ours_wall_ms=1e3 * _median(wall), ours_acquire_ms=1e3 * _median(acquire_t),
               ours_execute_ms=1e3 * _median(execute_t), ours_release_ms=1e3 * _median(release_t),
               ours_cells_meta_ms=1e3 * _median(meta))

    # (c) the cells alone: the injected values and the 3 cells, back to back in a warm kernel.
    _log(f"the cells alone: 1 + {our_runs} times in a warm kernel")
    sources = ["\n".join(f"{k} = {v!r}" for k, v in SMALL_PARAMETERS.items())] + [s for s, _ in _SMALL_CELLS]
    kernel = Kernel(cwd=str(folder))
    cells_t = []
    try:
        for k in range(our_runs + 1):
            t0 = time.perf_counter()
            for source in sources:
                reply = kernel.client.execute_interactive(source, timeout=30, output_hook=lambda msg: None)
                assert reply["content"]["status"] == "ok", reply["content"]
            if k:
                cells_t.append(time.perf_counter() - t0)
    finally:
        kernel.shutdown()
    out["cells_ms"] = 1e3 * _median(cells_t)
    # Headline: wall minus each tool's own cell time as nbclient recorded it (kernel side, per cell).
    out["papermill_overhead_ms"] = out["papermill_wall_ms"] - out["papermill_cells_meta_ms"]
    out["ours_overhead_ms"] = out["ours_wall_ms"] - out["ours_cells_meta_ms"]
    out["ratio"] = out["ours_overhead_ms"] / out["papermill_overhead_ms"]
    # Cross-check: wall minus the cells sent back to back (this counts the per-cell message round
    # trips as cell time, so it gives both tools a smaller overhead).
    out["papermill_overhead_b2b_ms"] = out["papermill_wall_ms"] - out["cells_ms"]
    out["ours_overhead_b2b_ms"] = out["ours_wall_ms"] - out["cells_ms"]
    out["ratio_b2b"] = out["ours_overhead_b2b_ms"] / out["papermill_overhead_b2b_ms"]
    return out


# -- 3. throughput ----------------------------------------------------------------------------

def _ring_requests(notebook, n, first):
    from skyweave.runners import RunRequest
    from skyweave.runners.notebook import environment_defaults

    env = environment_defaults()
    return [RunRequest(f"{BASE}runs/bench-{first + k:04d}-{os.getpid()}", f"{BASE}workflows/ring-v1", str(notebook),
                       {"n_points": 10 + first + k, "delay_s": RING_DELAY_S}, ("picture", "table", "mean_ra"), 120.0,
                       env) for k in range(n)]


def _batch(executor, requests_):
    start = time.perf_counter()
    futures = [executor.submit(r) for r in requests_]
    wait_futures(futures)
    elapsed = time.perf_counter() - start
    results = [f.result() for f in futures]
    bad = [(r.status, r.error) for r in results if r.status != "COMPLETED"]
    assert not bad, f"{len(bad)} runs failed: {bad[:3]}"
    return elapsed


def bench_throughput(n_runs, warmup_runs, workdir):
    """Run batches of short ring runs on a LocalExecutor and a DaskExecutor (LocalCluster), 2 workers each.

    Each executor first runs an untimed warm-up batch of ``warmup_runs`` (kernels started, numpy and
    matplotlib imported in each), then the timed batch of ``n_runs``, all submitted at once. Every
    run has distinct parameter values.

    Parameters
    ----------
    n_runs, warmup_runs : int
    workdir : pathlib.Path

    Returns
    -------
    dict
        ``local_runs_per_s``, ``dask_runs_per_s``, ``ratio`` (dask / local), batch times, the
        ideal rate (``workers / delay``), and ``dask_start_s`` (LocalCluster start-up).
    """
    from skyweave.runners.executors import DaskExecutor, LocalExecutor

    sys.path.insert(0, str(PROJECT_DIR / "tests"))
    from workflow_repo import ring_notebook

    folder = workdir / "throughput"
    folder.mkdir(parents=True, exist_ok=True)
    notebook = folder / "ring.ipynb"
    nbformat.write(ring_notebook(), notebook)
    out = {"runs": n_runs, "warmup_runs": warmup_runs, "workers": WORKERS, "delay_s": RING_DELAY_S,
           "ideal_runs_per_s": WORKERS / RING_DELAY_S}
    counter = 0
    for name in ("local", "dask"):
        start = time.perf_counter()
        executor = LocalExecutor(workers=WORKERS, kernel_cwd=str(folder)) if name == "local" else \
            DaskExecutor(address=None, workers=WORKERS)
        out[f"{name}_start_s"] = time.perf_counter() - start
        try:
            _log(f"{executor.name}: warm-up batch of {warmup_runs}")
            out[f"{name}_warmup_s"] = _batch(executor, _ring_requests(notebook, warmup_runs, counter))
            counter += warmup_runs
            _log(f"{executor.name}: timed batch of {n_runs}")
            elapsed = _batch(executor, _ring_requests(notebook, n_runs, counter))
            counter += n_runs
        finally:
            executor.close()
        out[f"{name}_batch_s"] = elapsed
        out[f"{name}_runs_per_s"] = n_runs / elapsed
        _log(f"{name}: {n_runs} runs in {elapsed:.2f} s")
    out["ratio"] = out["dask_runs_per_s"] / out["local_runs_per_s"]
    return out


# -- output -------------------------------------------------------------------------------------

def _frac(ratio):
    return f"1/{1 / ratio:,.0f}" if ratio and ratio < 1 else f"{ratio:.2f}"


def format_results(cache, overhead, throughput, quick):
    """Render the three measurements as text.

    Parameters
    ----------
    cache, overhead, throughput : dict
        From `bench_cache`, `bench_overhead` and `bench_throughput`.
    quick : bool

    Returns
    -------
    str
    """
    c, o, t = cache, overhead, throughput
    target_note = "" if not quick else "; the target is for the Crab spectrum, not met by design with the ring"
    lines = [
        f"== 1. cache hit vs cold run, over HTTP ({c['workflow']} from {c['source']}, default parameters) ==",
        f"cold run                {c['cold_s']:10.2f} s   POST -> poll of the run JSON sees COMPLETED (a fresh pre-started kernel)",
        f"cache hit (median of {c['hits']}) {c['hit_ms']:7.1f} ms  POST 303 cached {c['hit_post_ms']:.1f} ms "
        f"+ GET run JSON {c['hit_get_ms']:.1f} ms (first hit {c['first_hit_ms']:.1f} ms)",
        f"hit/cold                {_frac(c['ratio']):>10}     (target <= {_frac(TARGET_HIT_RATIO)}{target_note})",
        "",
        f"== 2. runner overhead vs papermill: small notebook, {o['cells']} code cells + injected parameters ==",
        f"{'':34} {'wall ms':>9} {'cells ms':>9} {'overhead ms':>12}   {'(cells b2b':>10} {'overhead)':>10}",
        f"{'papermill, fresh kernel (med ' + str(o['papermill_runs']) + ')':34} {o['papermill_wall_ms']:9.1f} "
        f"{o['papermill_cells_meta_ms']:9.1f} {o['papermill_overhead_ms']:12.1f}   {o['cells_ms']:10.1f} "
        f"{o['papermill_overhead_b2b_ms']:10.1f}",
        f"{'ours, fresh kernel (med ' + str(o['our_runs']) + ')':34} {o['ours_wall_ms']:9.1f} "
        f"{o['ours_cells_meta_ms']:9.1f} {o['ours_overhead_ms']:12.1f}   {o['cells_ms']:10.1f} "
        f"{o['ours_overhead_b2b_ms']:10.1f}",
        f"ours = acquire {o['ours_acquire_ms']:.1f} + execute {o['ours_execute_ms']:.1f} + release (discard) "
        f"{o['ours_release_ms']:.1f} ms",
        "cells = the injected values + 3 cells, from nbclient's timing metadata of each run (execute_input to "
        "execute_reply, summed); b2b = the same 4 cells sent back to back to a warm kernel with execute_interactive",
        f"overhead ours/papermill {_frac(o['ratio']):>10}     (target <= {_frac(TARGET_OVERHEAD_RATIO)}; "
        f"with b2b cells {_frac(o['ratio_b2b'])})",
        "",
        f"== 3. throughput: {t['runs']} ring runs (delay {t['delay_s']:g} s, distinct values) submitted at once, "
        f"{t['workers']} workers, both warm (one untimed warm-up batch of {t['warmup_runs']} first) ==",
        f"LocalExecutor(workers={t['workers']})       {t['local_runs_per_s']:6.2f} runs/s  "
        f"({t['local_batch_s']:.2f} s per batch)",
        f"DaskExecutor(LocalCluster, {t['workers']})    {t['dask_runs_per_s']:6.2f} runs/s  "
        f"({t['dask_batch_s']:.2f} s per batch; cluster start {t['dask_start_s']:.1f} s)",
        f"dask/local              {t['ratio']:10.2f}     (ideal for both: {t['ideal_runs_per_s']:.1f} runs/s, "
        f"{t['workers']} workers / {t['delay_s']:g} s sleep)",
    ]
    return "\n".join(lines)


def summary_line(cache, overhead, throughput, quick):
    """Return the one-line summary with the three ratios and their targets.

    Parameters
    ----------
    cache, overhead, throughput : dict
    quick : bool

    Returns
    -------
    str
    """
    hit_ok = "met" if cache["ratio"] <= TARGET_HIT_RATIO else "MISSED"
    oh_ok = "met" if overhead["ratio"] <= TARGET_OVERHEAD_RATIO else "MISSED"
    cold = f"{cache['workflow']} cold {cache['cold_s']:.1f} s"
    hit = (f"hit/cold = {_frac(cache['ratio'])} ({cache['hit_ms']:.1f} ms vs {cold}; target <= "
           f"{_frac(TARGET_HIT_RATIO)}: {'n/a with --quick' if quick else hit_ok})")
    oh = (f"overhead ours/papermill = {_frac(overhead['ratio'])} ({overhead['ours_overhead_ms']:.1f} vs "
          f"{overhead['papermill_overhead_ms']:.0f} ms; target <= {_frac(TARGET_OVERHEAD_RATIO)}: {oh_ok})")
    tp = (f"throughput dask/local = {throughput['ratio']:.2f} ({throughput['dask_runs_per_s']:.2f} vs "
          f"{throughput['local_runs_per_s']:.2f} runs/s)")
    return f"SUMMARY{' (quick)' if quick else ''}: {hit}; {oh}; {tp}"


def main(argv=None):
    """Run the benchmark from the command line.

    Parameters
    ----------
    argv : list of str or None
        Arguments; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="the ring notebook as the cold workflow and fewer repeats (under 2 minutes)")
    parser.add_argument("--hits", type=int, default=None, help="timed cache hits (default 30; 10 with --quick)")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile the cache hits (server side) and our runs; the top is printed to stderr "
                             "and kept in the JSON file")
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON results file (default bench/results/runner-<date>.json)")
    args = parser.parse_args(argv)
    hits = args.hits or (10 if args.quick else 30)
    papermill_runs, our_runs = (3, 10) if args.quick else (10, 30)
    n_runs, warmup_runs = 20, (6 if args.quick else 20)

    started = time.perf_counter()
    totals = {}
    with tempfile.TemporaryDirectory(prefix="skyweave-runner-bench-") as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        cache = bench_cache(args.quick, hits, workdir, profile_hits=args.profile)
        totals["cache"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        overhead = bench_overhead(papermill_runs, our_runs, workdir, profile_ours=args.profile)
        totals["overhead"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        throughput = bench_throughput(n_runs, warmup_runs, workdir)
        totals["throughput"] = time.perf_counter() - t0
    total = time.perf_counter() - started
    for name, part in (("cache hits", cache), ("our runs", overhead)):
        if part.get("profile"):
            print(f"-- cProfile of {name} --\n{part['profile']}", file=sys.stderr)
    print(format_results(cache, overhead, throughput, args.quick))
    print()
    print(f"(totals: {', '.join(f'{k} {v:.1f} s' for k, v in totals.items())}; all {total / 60:.1f} min)")
    line = summary_line(cache, overhead, throughput, args.quick)
    print(line, flush=True)

    import distributed
    import nbclient
    import papermill

    output = args.output or PROJECT_DIR / "bench" / "results" / (
        f"runner-{dt.date.today().isoformat()}{'-quick' if args.quick else ''}.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "argv": sys.argv[1:] if argv is None else list(argv),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "versions": {"papermill": papermill.__version__, "nbclient": nbclient.__version__,
                     "distributed": distributed.__version__},
        "targets": {"hit_over_cold": TARGET_HIT_RATIO, "overhead_ours_over_papermill": TARGET_OVERHEAD_RATIO},
        "cache": cache, "overhead": overhead, "throughput": throughput, "summary": line,
        "totals_s": totals, "total_s": total,
    }, indent=2, default=str), encoding="utf-8")
    print(f"results written to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
