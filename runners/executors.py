"""Executors: where runs execute. One interface, two engines.

- `LocalExecutor` (the default): a pool of worker threads, each driving a fresh Jupyter kernel
  (a separate process, used for one run only) from a `runners.kernels.KernelPool`.
- `DaskExecutor`: Dask distributed, either a `LocalCluster` it starts or an existing scheduler
  given by address, which is how a SLURM cluster (dask-jobqueue) or a Kubernetes deployment is
  reached. Workers run `runners.notebook.run_request` in fresh kernels of their own pools; aborts travel through
  a `distributed.Event`.

``submit(request, progress, abort)`` returns a `concurrent.futures.Future` of a `runners.RunResult`.

References
----------
.. [1] Dask distributed, https://distributed.dask.org/
"""

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone

from . import RunResult
from .kernels import DEFAULT_PRELOAD, KernelPool

__all__ = ["LocalExecutor", "DaskExecutor", "make_executor", "failed_result"]


def failed_result(error):
    """Return an ERROR `runners.RunResult` for a run that could not execute at all.

    Parameters
    ----------
    error : str
        Why.
    """
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return RunResult(status="ERROR", started_at=now, ended_at=now, log=error, error=error)


class LocalExecutor:
    """Runs on this machine: ``workers`` threads, each run in a fresh kernel.

    Parameters
    ----------
    workers : int
        Most runs executing at once (the concurrency limit), and the number of spare kernels
        kept ready.
    kernel_cwd : str or None
        Folder spare kernels start in.
    preload : sequence of str
        Modules each spare kernel imports before its run (`runners.kernels.DEFAULT_PRELOAD`).
    """

    def __init__(self, workers=2, kernel_cwd=None, preload=DEFAULT_PRELOAD):
        self.name = f"local pool of {workers}"
        self.kernels = KernelPool(size=workers, cwd=kernel_cwd, preload=preload)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="runner")

    def submit(self, request, progress=None, abort=None):
        """Queue ``request``; return a Future of its `runners.RunResult`."""
        return self.pool.submit(self._run, request, progress, abort)

    def _run(self, request, progress, abort):
        if abort is not None and abort.is_set():
            now = datetime.now(timezone.utc).replace(microsecond=0)
            return RunResult(status="ABORTED", started_at=now, ended_at=now, error="The run was aborted.")
        try:
            kernel = self.kernels.acquire()
        except Exception as exc:  # no kernel could start: the run fails, the service goes on
            return failed_result(f"No Jupyter kernel could be started: {exc}")
        from .notebook import execute  # nbclient loads with the first run, not with the app

        try:
            return execute(request, kernel, progress=progress, abort=abort)
        except Exception as exc:
            kernel.broken = True
            return failed_result(f"{exc.__class__.__name__}: {exc}")
        finally:
            self.kernels.release(kernel)

    def close(self):
        """Stop accepting runs and shut the kernels down."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.kernels.close()


class DaskExecutor:
    """Runs on a Dask cluster.

    Parameters
    ----------
    address : str or None
        Scheduler address (``tcp://host:8786``); None starts a `distributed.LocalCluster` of
        ``workers`` single-threaded worker processes.
    workers : int
        Workers of the local cluster (ignored with an address).
    """

    def __init__(self, address=None, workers=2):
        from distributed import Client, LocalCluster

        self.cluster = None
        if address:
            self.client = Client(address, timeout="10s")
            self.name = f"dask {address}"
        else:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
            self.name = f"dask local cluster of {workers}"
        self._watchers = ThreadPoolExecutor(max_workers=32, thread_name_prefix="dask-wait")

    def submit(self, request, progress=None, abort=None):
        """Send ``request`` to the cluster; return a Future of its `runners.RunResult`."""
        from distributed import Event

        event_name = f"abort-{request.run_iri}"
        task = self.client.submit(_run_on_worker, request, event_name, pure=False, key=f"run-{request.run_iri}")
        out = Future()
        out.set_running_or_notify_cancel()

        def wait():
            stop = threading.Event()
            if abort is not None:
                def relay():
                    while not stop.wait(0.2):
                        if abort.is_set():
                            Event(event_name, client=self.client).set()
                            return
                threading.Thread(target=relay, daemon=True).start()
            try:
                out.set_result(task.result())
            except Exception as exc:
                out.set_result(failed_result(f"The Dask task failed: {exc.__class__.__name__}: {exc}"))
            finally:
                stop.set()

        self._watchers.submit(wait)
        return out

    def close(self):
        """Disconnect (and stop the local cluster, if this executor started one)."""
        from .notebook import close_pool

        self._watchers.shutdown(wait=False, cancel_futures=True)
        try:
            self.client.run(close_pool)  # the workers' kernels end with the executor
        except Exception:  # workers already gone
            pass
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _run_on_worker(request, event_name):
    """Execute on a Dask worker, watching the distributed abort event (runs in the worker process)."""
    from distributed import Event, get_client

    from . import notebook

    abort = threading.Event()
    stop = threading.Event()
    client = get_client()

    def watch():
        remote = Event(event_name, client=client)
        while not stop.wait(0.25):
            if remote.is_set():
                abort.set()
                return

    threading.Thread(target=watch, daemon=True).start()
    try:
        return notebook.run_request(request, abort=abort)
    finally:
        stop.set()


def make_executor(config):
    """Build the executor a configuration asks for.

    Parameters
    ----------
    config : Mapping
        ``RUNNER_EXECUTOR`` (``local`` or ``dask``), ``RUNNER_WORKERS``, ``RUNNER_PRELOAD`` (comma-separated
        modules), ``DASK_SCHEDULER``.

    Returns
    -------
    LocalExecutor or DaskExecutor

    Raises
    ------
    ValueError
        If ``RUNNER_EXECUTOR`` is unknown.
    """
    kind = config.get("RUNNER_EXECUTOR", "local")
    workers = int(config.get("RUNNER_WORKERS", 2))
    preload = config.get("RUNNER_PRELOAD", ",".join(DEFAULT_PRELOAD))
    if isinstance(preload, str):
        preload = [m.strip() for m in preload.split(",") if m.strip()]
    if kind == "local":
        return LocalExecutor(workers=workers, preload=preload)
    if kind == "dask":
        return DaskExecutor(address=config.get("DASK_SCHEDULER") or None, workers=workers)
    raise ValueError(f"unknown RUNNER_EXECUTOR {kind!r}: use local or dask")
