"""Endpoint queries in worker processes that can be killed: a query over its time limit stops using CPU.

pyoxigraph offers no way to cancel a query that is computing one big step (an aggregate over a
cross product, a sort): its thread can only be left running. So the SPARQL endpoint of an on-disk
store sends each query to one of a few worker processes, each holding a read-only handle on the
store's folder (``pyoxigraph.Store.read_only``). A worker that does not answer by the query's time
limit is killed with SIGKILL and replaced, and the client gets `QueryTimeout` (HTTP 503).

A read-only handle sees the store as it was when it was opened. The store counts its committed
writes (`QueryWorkers.changed`, called before a write is acknowledged), and a worker reopens its
handle before the first query that follows a write: a query sent after a write was acknowledged
always sees it. The several processes also let reads use several cores (``skyweave serve --workers N``).

A query on the on-disk store opens a RocksDB iterator for every step of every join, and each
iterator allocates and frees many small blocks: with glibc's default per-thread cache of 7 blocks
per size, about a third of a query's time went to ``malloc`` and ``free``. The workers start with
a larger cache (`worker_environment`), which made the benchmark queries about 1.25 times faster on
the store itself, and less through the endpoint (``bench/store_levers.py``, ``bench/README.md``).

References
----------
.. [1] pyoxigraph ``Store.read_only``, https://pyoxigraph.readthedocs.io/en/stable/store.html
.. [2] RocksDB read-only instances, https://github.com/facebook/rocksdb/wiki/Read-only-and-Secondary-instances
.. [3] The GNU C Library manual, "Memory Allocation Tunables" (``glibc.malloc.tcache_count``),
   https://www.gnu.org/software/libc/manual/html_node/Memory-Allocation-Tunables.html
"""

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection

from .exceptions import CatalogError, QueryTimeout, StoreUnavailable

__all__ = ["QueryWorkers", "default_processes", "worker_environment"]

_START_S = 60.0
"""Longest wait for a new worker process to import its modules and report ready."""

_GRACE_S = 0.25
"""Time a worker gets past the query's limit to send its own answer (a row-streaming query stops itself)."""


def default_processes():
    """Return the default number of query worker processes: one per CPU core, at least 3 and at most 8.

    At least 3, so that one client's default share of the query slots (``SPARQL_CLIENT_SLOTS``, 2)
    always leaves a worker for the others.

    Returns
    -------
    int
    """
    return max(3, min(8, os.cpu_count() or 3))


MALLOC_TUNABLE = "glibc.malloc.tcache_count=256"
"""glibc setting the worker processes start with: keep up to 256 freed blocks of each size per thread.

glibc's default is 7 (16 in later releases). The cache holds at most 64 sizes x 256 blocks of at
most 1,032 bytes each; measured on the benchmark queries, a worker's peak resident memory grew
by about 1 MB."""


def worker_environment(environ=None):
    """Return the environment a query worker process starts with: ``environ`` plus `MALLOC_TUNABLE`.

    The tunable is put first in ``GLIBC_TUNABLES`` unless that already sets
    ``glibc.malloc.tcache_count`` (an operator's own choice wins). Other C libraries ignore the
    variable.

    Parameters
    ----------
    environ : Mapping of str to str or None
        The environment to start from; default ``os.environ``.

    Returns
    -------
    dict of str to str
        A new mapping; ``environ`` is left unchanged.

    References
    ----------
    .. [1] The GNU C Library manual, "Tunables" and "Memory Allocation Tunables",
       https://www.gnu.org/software/libc/manual/html_node/Tunables.html

    Examples
    --------
    >>> worker_environment({"PATH": "/usr/bin"})["GLIBC_TUNABLES"]
    'glibc.malloc.tcache_count=256'
    >>> worker_environment({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})["GLIBC_TUNABLES"]
    'glibc.malloc.tcache_count=256:glibc.malloc.arena_max=2'
    >>> worker_environment({"GLIBC_TUNABLES": "glibc.malloc.tcache_count=7"})["GLIBC_TUNABLES"]
    'glibc.malloc.tcache_count=7'
    """
    env = dict(os.environ if environ is None else environ)
    held = [item for item in env.get("GLIBC_TUNABLES", "").split(":") if item]
    name = MALLOC_TUNABLE.split("=", 1)[0]
    if not any(item.split("=", 1)[0] == name for item in held):
        env["GLIBC_TUNABLES"] = ":".join([MALLOC_TUNABLE] + held)
    return env


def _open(ox, path):
    """Open a read-only handle, retrying briefly (the writer may be mid-way through a WAL record)."""
    for attempt in range(5):
        try:
            return ox.Store.read_only(path)
        except OSError:
            if attempt == 4:
                raise
            time.sleep(0.02 * (attempt + 1))


_BACKSTOP_S = 2.0
"""A worker still computing this long past a query's limit ends itself (SIGALRM), should the server be gone."""


def _serve(path, conn):
    """Worker process body: answer queries from ``conn`` until it closes (not called in the server process)."""
    import signal

    import pyoxigraph as ox

    from .oxquery import run_oxigraph_query

    reader, seen = None, None
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        generation, text, timeout_s, max_rows, select_format, dataset, base_iri, graph_format, prefixes = message
        deadline = time.monotonic() + timeout_s
        # The server kills a worker at the limit; if the server itself died, SIGALRM's default
        # action ends the worker even inside a step that holds the interpreter lock.
        signal.setitimer(signal.ITIMER_REAL, timeout_s + _BACKSTOP_S)
        for attempt in (0, 1):
            try:
                if reader is None or seen != generation:
                    reader = None
                    reader, seen = _open(ox, path), generation
                reply = ("ok", run_oxigraph_query(reader, text, deadline, max_rows, select_format, dataset, base_iri,
                                                  graph_format, prefixes))
                break
            except CatalogError as exc:
                reply = ("error", type(exc).__name__, exc.detail)
                break
            except OSError as exc:  # a file the handle expected was compacted away: reopen once
                reader = None
                reply = ("error", "StoreUnavailable", f"The store could not be read: {exc}")
            except Exception as exc:  # anything else the engine raises: answer it rather than die
                reply = ("error", "StoreUnavailable", f"The query failed in the store: {exc}")
                break
        signal.setitimer(signal.ITIMER_REAL, 0)
        conn.send(reply)


class _Worker:
    """One worker process and the server's end of its socket (started on first use)."""

    def __init__(self, path):
        self._path = path
        self.process = self.conn = None
        self.ready = False

    def alive(self):
        """True while the process runs."""
        return self.process is not None and self.process.poll() is None

    def launch(self):
        """Start the process if it is not running (without waiting for it)."""
        if self.alive():
            return
        self.kill()
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__, self._path, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                env=worker_environment())
        self.conn = Connection(ours.detach())
        self.ready = False

    def wait_ready(self):
        """Wait until a launched process reports ready.

        Raises
        ------
        StoreUnavailable
            If it does not within a minute.
        """
        if self.ready:
            return
        try:
            self.ready = self.conn.poll(_START_S) and self.conn.recv() == ("ready",)
        except (EOFError, OSError):
            self.ready = False
        if not self.ready:
            self.kill()
            raise StoreUnavailable("A query worker process did not start.")

    def kill(self):
        """Kill the process at once (SIGKILL) and reap it."""
        process, conn = self.process, self.conn
        self.process = self.conn = None
        if process is not None:
            process.kill()
            process.wait(5)
        if conn is not None:
            conn.close()

    def stop(self):
        """Ask the process to end, killing it if it does not within a second."""
        if self.process is None:
            return
        try:
            self.conn.send(None)
            self.process.wait(1)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


_ERRORS = {cls.__name__: cls for cls in (QueryTimeout, StoreUnavailable)}


class QueryWorkers:
    """A pool of worker processes answering read-only queries on an on-disk pyoxigraph store.

    Parameters
    ----------
    path : str or pathlib.Path
        Folder of the on-disk store (opened read-only by each worker).
    processes : int
        Number of worker processes, hence of queries that run at once.

    Examples
    --------
    >>> import tempfile, pyoxigraph
    >>> folder = tempfile.mkdtemp()
    >>> writer = pyoxigraph.Store(folder)
    >>> writer.update("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> a <http://example.org/C> } }")
    >>> pool = QueryWorkers(folder, processes=1)
    >>> pool.changed()  # the writer tells the pool after each committed write
    >>> pool.run("ASK { ?s a <http://example.org/C> }", timeout_s=30, max_rows=10).value
    True
    >>> pool.close(); del writer
    """

    def __init__(self, path, processes):
        self.path = str(path)
        self.processes = max(1, int(processes))
        self._workers = [_Worker(self.path) for _ in range(self.processes)]
        self._idle = queue.Queue()
        for worker in self._workers:
            self._idle.put(worker)
        self._generation = 0
        self._closed = False
        self._respawns = []
        self._lock = threading.Lock()  # closing, and launching workers (a start is waited for outside it)
        self._generation_lock = threading.Lock()

    def start(self):
        """Start every worker process now rather than on its first query (a server does this at start).

        Raises
        ------
        StoreUnavailable
            If a worker does not start.
        """
        with self._lock:
            for worker in self._workers:
                worker.launch()
            for worker in self._workers:
                worker.wait_ready()

    def pids(self):
        """Return the process ids of the running workers (for tests and monitoring).

        Returns
        -------
        list of int
        """
        return [w.process.pid for w in self._workers if w.alive()]

    def wait_idle(self, timeout_s=60.0):
        """Wait until no query runs and every killed worker has been replaced (tests, benchmarks).

        Parameters
        ----------
        timeout_s : float
            Longest wait, in seconds.

        Returns
        -------
        bool
            True if the pool became idle in time.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._idle.qsize() == self.processes:
                return True
            time.sleep(0.02)
        return False

    def changed(self):
        """Note that a write committed: every worker reopens its handle before its next query."""
        with self._generation_lock:
            self._generation += 1

    def run(self, text, timeout_s, max_rows, select_format=None, dataset=None, base_iri=None, graph_format=None,
            prefixes=None):
        """Answer a query in a worker process, killing the worker if it passes the time limit.

        Parameters
        ----------
        text : str
            The query (already checked by `skyweave.catalog.sparqlscan.check_query`).
        timeout_s : float
            Time limit in seconds, counted from now (waiting for a free worker included, a first
            start of the worker process excluded).
        max_rows : int
            Row (or triple) limit.
        select_format, dataset, base_iri, graph_format, prefixes
            As for `skyweave.catalog.oxquery.run_oxigraph_query`: with ``select_format`` and
            ``graph_format`` every result but ASK comes back as the bytes the client gets.

        Returns
        -------
        SelectResult, SerializedSelect, AskResult, GraphResult, RawGraphResult or SerializedGraph

        Raises
        ------
        BadRequest
            If the query does not parse or returns too many rows.
        QueryTimeout
            If no worker was free within ``timeout_s``, or the query ran past it (its worker is
            then killed, and a new one started in its place).
        StoreUnavailable
            If the worker could not read the store or died.
        """
        from .exceptions import BadRequest

        asked = time.monotonic()
        try:
            worker = self._idle.get(timeout=max(0.0, timeout_s))
        except queue.Empty:
            raise QueryTimeout(f"All {self.processes} query workers stayed busy for {timeout_s:g} s; "
                               "try again shortly.") from None
        remaining = max(0.05, timeout_s - (time.monotonic() - asked))
        healthy = False
        try:
            with self._lock:
                if self._closed:
                    raise StoreUnavailable("The store is closing.")
                worker.launch()
            worker.wait_ready()  # a first query waits for its worker to start, outside its time limit
            worker.conn.send((self._generation, text, remaining, max_rows, select_format, dataset, base_iri,
                              graph_format, prefixes))
            if not worker.conn.poll(remaining + _GRACE_S):
                raise QueryTimeout(
                    f"The query ran longer than its time limit of {timeout_s:g} s and was stopped. "
                    "Narrow it (a LIMIT, a more selective pattern) and try again.")
            reply = worker.conn.recv()
            healthy = True
        except (EOFError, OSError) as exc:
            raise StoreUnavailable(f"The query worker ended unexpectedly ({exc or type(exc).__name__}).") from None
        finally:
            if healthy:
                self._idle.put(worker)
            else:
                self._replace(worker)
        if reply[0] == "ok":
            return reply[1]
        cls = _ERRORS.get(reply[1], BadRequest)
        raise cls(reply[2])

    def _replace(self, worker):
        """Kill ``worker`` now, and start its replacement in the background before it takes queries again."""
        worker.kill()

        def respawn():
            try:
                with self._lock:
                    if self._closed:
                        return
                    worker.launch()
                # waited for outside the lock: the other workers keep answering meanwhile
                worker.wait_ready()
            finally:
                self._idle.put(worker)

        thread = threading.Thread(target=respawn, name="sparql-respawn", daemon=True)
        with self._lock:
            self._respawns = [t for t in self._respawns if t.is_alive()] + [thread]
        thread.start()

    def close(self):
        """Stop every worker process (waiting for replacements being started)."""
        with self._lock:
            self._closed = True
            respawns = list(self._respawns)
        for thread in respawns:
            thread.join(30)
        for worker in self._workers:
            worker.stop()


if __name__ == "__main__":  # a worker process: python -m skyweave.catalog.query_workers STORE_FOLDER SOCKET_FD
    _serve(sys.argv[1], Connection(int(sys.argv[2])))
