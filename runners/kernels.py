"""A pool of fresh Jupyter kernels: each run gets a kernel no earlier run has touched.

Background threads keep ``size`` kernels started and ready (about a second each, paid while other
runs execute), optionally with heavy modules already imported before any user code. `acquire` hands
one out, waiting only when none is ready; `release` discards it (shut down in the background), and
the thread starts a replacement. Nothing a run does to its interpreter (matplotlib rcParams, numpy's
random state, astropy settings, ``os.environ``, ``sys.path``, ``sys.modules``, IPython's history)
can reach a later run, whoever asked for it; kernels keep no history database on disk either
(`KERNEL_ARGUMENTS`). A kernel talks to us over Unix sockets in a private temporary folder (ZeroMQ's
``ipc`` transport), not over TCP.

References
----------
.. [1] Jupyter messaging protocol, https://jupyter-client.readthedocs.io/en/stable/messaging.html
"""

import logging
import os
import queue
import shutil
import tempfile
import threading
import time
from queue import Empty


__all__ = ["Kernel", "KernelKilled", "KernelPool", "DEFAULT_PRELOAD", "KERNEL_ARGUMENTS"]

log = logging.getLogger(__name__)

DEFAULT_PRELOAD = ("numpy", "astropy.units", "astropy.table", "astropy.coordinates")
"""Modules a spare kernel imports before any run (only imported: no name is bound in the user namespace)."""

KERNEL_ARGUMENTS = ("--HistoryManager.enabled=False",)
"""Options of every kernel: IPython keeps the cells it ran in memory only. Its default history is an
SQLite file shared by every kernel of the user, so a run could read an earlier run's cells (and
parameter values) with ``%history -g``; writing each cell to it also costs every cell a commit."""


def _kernel_env():
    """The environment a fresh kernel starts with: ours, without our module path or the caller's backend."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


class KernelKilled(RuntimeError):
    """The kernel was killed (run aborted or over its time limit), or died, while its client waited for a message."""


class _StoppableChannel:
    """A client channel whose waits end within ``step_s`` once ``stopped`` is set or the kernel died.

    nbclient waits for a cell's output messages without a time limit; when the kernel is killed
    none comes. Closing the channel's socket from another thread to end that wait is not safe
    (ZeroMQ sockets belong to one thread, and the wait may then never return), so the waiting
    thread polls in short steps and checks the flag, and after a quiet step the kernel process.
    """

    def __init__(self, channel, stopped, alive, step_s=0.1):
        self._channel, self._stopped, self._alive, self._step_s = channel, stopped, alive, step_s

    def get_msg(self, timeout=None):
        """Return the next message, as ``channel.get_msg``; raise `KernelKilled` once the kernel is killed.

        Raises
        ------
        queue.Empty
            If ``timeout`` (seconds) passes without a message.
        KernelKilled
            If the kernel is killed while waiting.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._stopped.is_set():
                raise KernelKilled("the kernel was killed")
            step = self._step_s if deadline is None else max(0.0, min(self._step_s, deadline - time.monotonic()))
            try:
                return self._channel.get_msg(timeout=step)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise
                if not self._stopped.is_set() and not self._alive():
                    raise KernelKilled("the kernel process died") from None

    def __getattr__(self, name):
        return getattr(self._channel, name)


class _StoppableClient:
    """The kernel's client as nbclient uses it, with `_StoppableChannel` shell and IOPub channels."""

    def __init__(self, client, stopped, alive):
        self._client = client
        self.shell_channel = _StoppableChannel(client.shell_channel, stopped, alive)
        self.iopub_channel = _StoppableChannel(client.iopub_channel, stopped, alive)

    def __getattr__(self, name):
        return getattr(self._client, name)

    def __setattr__(self, name, value):
        if name in ("_client", "shell_channel", "iopub_channel"):
            object.__setattr__(self, name, value)
        else:  # nbclient sets allow_stdin on its client
            setattr(self._client, name, value)


class Kernel:
    """One running kernel and its client, used for a single run.

    Parameters
    ----------
    kernel_name : str
        Jupyter kernel spec name (``python3``).
    cwd : str or None
        Folder the kernel starts in (a run changes to its own working folder first thing).
    preload : sequence of str
        Modules to import before the kernel is handed out.

    Raises
    ------
    RuntimeError
        If the kernel does not become ready within a minute, or a preload import fails.
    """

    def __init__(self, kernel_name="python3", cwd=None, preload=()):
        from jupyter_client.manager import KernelManager  # with the first kernel, not with the app

        self.cwd = cwd or os.getcwd()
        # The kernel's sockets are Unix sockets in a folder only this user can open, not TCP ports on
        # the loopback that every local user can reach (where the messages travel in plain text).
        self._sockets = tempfile.mkdtemp(prefix="skyweave-kernel-")
        self.manager = KernelManager(kernel_name=kernel_name, transport="ipc", ip=os.path.join(self._sockets, "k"),
                                     connection_file=os.path.join(self._sockets, "kernel.json"))
        try:
            self.manager.start_kernel(cwd=self.cwd, env=_kernel_env(), extra_arguments=list(KERNEL_ARGUMENTS))
        except BaseException:
            shutil.rmtree(self._sockets, ignore_errors=True)
            raise
        self.client = self.manager.client()
        self.client.start_channels()
        self.broken = False
        self._killed = threading.Event()
        try:
            self.client.wait_for_ready(timeout=60)
            # Always one silent execution before the kernel is handed out: IPython's first cell pays
            # for lazy set-up (tens of milliseconds) that would otherwise fall on the run.
            # silent: no execution count, no history entry, no `_`; the list binds no name.
            code = f"[__import__('importlib').import_module(_m) for _m in {list(preload)!r}]" if preload else "pass"
            reply = self.client.execute_interactive(code, silent=True, store_history=False, timeout=120,
                                                    output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"preloading {', '.join(preload)} failed: {reply['content'].get('evalue')}")
        except Exception:
            self.shutdown()
            raise

    def alive(self):
        """Return True if the kernel process is running."""
        try:
            return self.manager.is_alive()
        except Exception:
            return False

    def shutdown(self):
        """Stop the kernel at once."""
        self.broken = True
        try:
            self.client.stop_channels()
        finally:
            try:
                self.manager.shutdown_kernel(now=True)
            except Exception:
                pass
            shutil.rmtree(self._sockets, ignore_errors=True)

    def run_client(self):
        """Return the client to give nbclient: its waits end with `KernelKilled` soon after `kill`."""
        return _StoppableClient(self.client, self._killed, self.alive)

    def kill(self):
        """Kill the kernel process (used to abort a run or enforce a time limit).

        Safe from another thread than the run's: a client of `run_client` waiting for a message
        raises `KernelKilled` within a tenth of a second; the sockets are closed later, by
        `shutdown`, when nobody waits on them.
        """
        self.broken = True
        self._killed.set()
        try:
            self.manager.shutdown_kernel(now=True)
        except Exception:  # already dead
            pass


class KernelPool:
    """Fresh kernels started ahead of time and discarded after one run.

    The pool starts its kernels lazily, on the first `acquire` or `warm_up`; from then on
    ``size`` background threads keep ``size`` spare kernels ready (or starting).

    Parameters
    ----------
    size : int
        Spare kernels kept ready (the executor's concurrency, ``RUNNER_WORKERS``).
    kernel_name : str
    cwd : str or None
        Neutral folder kernels start in.
    preload : sequence of str
        Modules every spare kernel imports before its run (see `DEFAULT_PRELOAD`).
    """

    def __init__(self, size=2, kernel_name="python3", cwd=None, preload=DEFAULT_PRELOAD):
        self.size = max(1, int(size))
        self.kernel_name = kernel_name
        self.cwd = cwd
        self.preload = tuple(preload)
        self.handed_out = 0
        self._ready = queue.Queue()
        self._wanted = threading.Condition()
        self._starting = 0
        self._closed = False
        self._error = None
        self._threads = []

    def _start_thread(self):
        with self._wanted:
            if not self._threads and not self._closed:
                # One starter per slot: kernels start in parallel when several runs took theirs.
                self._threads = [threading.Thread(target=self._fill, name=f"kernel-starter-{k}", daemon=True)
                                 for k in range(self.size)]
                for thread in self._threads:
                    thread.start()

    def _fill(self):
        """Background loop of one starter: keep ``size`` kernels ready or starting."""
        while True:
            with self._wanted:
                while not self._closed and self._ready.qsize() + self._starting >= self.size:
                    self._wanted.wait()
                if self._closed:
                    return
                self._starting += 1
            try:
                kernel = Kernel(self.kernel_name, self.cwd, self.preload)
                self._error = None
            except Exception as exc:  # reported to whoever waits; retried after a pause
                log.error("a kernel could not be started: %s", exc)
                self._error = exc
                with self._wanted:
                    self._starting -= 1
                    self._ready.put(exc)
                    self._wanted.wait(5)
                continue
            with self._wanted:
                self._starting -= 1
                closed = self._closed
                if not closed:
                    self._ready.put(kernel)
            if closed:
                kernel.shutdown()
                return

    def acquire(self, timeout_s=300):
        """Return a fresh kernel, waiting for one only when none is ready.

        Parameters
        ----------
        timeout_s : float
            Longest wait, seconds.

        Returns
        -------
        Kernel

        Raises
        ------
        RuntimeError
            If the pool is closed, no kernel could be started, or none became ready in time.
        """
        self._start_thread()
        deadline = time.monotonic() + timeout_s
        while True:
            if self._closed:  # checked while waiting too: a closed pool starts no kernel
                raise RuntimeError("the kernel pool is closed")
            try:
                item = self._ready.get(timeout=0.1)
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no Jupyter kernel became ready within {timeout_s:g} s") from None
                continue
            with self._wanted:
                self._wanted.notify_all()  # start the replacement now
            if isinstance(item, Exception):
                raise RuntimeError(f"no Jupyter kernel could be started: {item}") from item
            if item.alive():
                self.handed_out += 1
                return item
            item.shutdown()  # died while waiting: take the next

    def release(self, kernel):
        """Discard a kernel after its run (shut down in the background; it is never reused)."""
        threading.Thread(target=kernel.shutdown, name="kernel-discard", daemon=True).start()

    def warm_up(self, n=None):
        """Start the pool and wait until ``n`` kernels (default: ``size``) are ready.

        Parameters
        ----------
        n : int or None
            Kernels to wait for, at most ``size``.
        """
        self._start_thread()
        want = min(self.size, n or self.size)
        while self._ready.qsize() < want and not self._closed:
            if self._error is not None:
                raise RuntimeError(f"no Jupyter kernel could be started: {self._error}")
            threading.Event().wait(0.02)

    def ready(self):
        """Return the number of kernels ready now."""
        return self._ready.qsize()

    def close(self):
        """Stop starting kernels and shut down the ready ones; kernels in use end with their run."""
        with self._wanted:
            self._closed = True
            self._wanted.notify_all()
        for thread in self._threads:
            thread.join(timeout=90)
        while True:
            try:
                item = self._ready.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, Kernel):
                item.shutdown()
