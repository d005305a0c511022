"""Pages, start-up, memory and endpoint throughput of a served catalog (issue 13), for `catalog_bench`.

- `page_paths` names the pages a user opens (home, lists with facets and a deep page, text and cone
  search, target pages, an observation, an instrument); `time_pages` times them over HTTP (medians).
- `served_process` starts ``skyweave serve`` (or ``oxigraph serve-read-only``) on an existing store
  as a separate process and times how long it takes to answer; `rss_mb` reads its resident memory.
- `throughput` drives a server with N concurrent clients on cheap queries (describe one record,
  the observations of one target) and reports queries per second, p50 and p99 latency.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np
import requests

__all__ = ["page_paths", "time_pages", "served_process", "rss_mb", "cheap_queries", "throughput", "PAGE_GOAL"]

PAGE_GOAL = 2.0
"""Each page's time at the largest size over its time at the smallest should stay at or below this."""


def page_paths(catalog, store):
    """Return ``{name: path}`` of the pages timed at every size.

    Parameters
    ----------
    catalog : catalog_bench.SyntheticCatalog
    store : skyweave.catalog.store.Store
        The served store (its index gives the IRI deep in each list, for the keyset link).

    Returns
    -------
    dict of str to str
    """
    base = catalog.base
    t, o = catalog.targets, catalog.observations
    counts = np.bincount(np.asarray(o["target"]), minlength=catalog.n_targets)
    popular, typical = int(np.argmax(counts)), int(np.argmin(np.abs(counts - np.median(counts))))

    def deep(collection):
        rows = store.index.execute("SELECT COUNT(*) FROM records WHERE coll = ?", (collection,))
        at = int(rows[0][0] * 0.9)
        iri = store.index.execute("SELECT iri FROM records WHERE coll = ? ORDER BY sort, iri LIMIT 1 OFFSET ?",
                                  (collection, at))[0][0]
        return quote(iri, safe="")

    def path(iri):
        return "/" + str(iri)[len(base):]

    return {
        "home": "/",
        "targets": "/targets/",
        "targets_facet": "/targets/?class=bll",
        "targets_deep": f"/targets/?after={deep('targets')}",
        "observations": "/observations/",
        "observations_facet": f"/observations/?instrument={quote(base + 'instruments/hess', safe='')}",
        "observations_deep": f"/observations/?after={deep('observations')}",
        "text_search": f"/search?q={quote(str(t['name'][typical]))}",
        "text_prefix": "/search?q=pks",
        "cone_search": "/search?ra=83.63&dec=22.01&radius=1",
        "target": path(t["iri"][typical]),
        "target_popular": path(t["iri"][popular]),
        "observation": path(o["iri"][0]),
        "instrument": "/instruments/hess",
    }


def time_pages(session, url, paths, repeat):
    """Time GET of each page: one warm-up, then ``repeat`` runs; every answer must be 200.

    Returns
    -------
    dict of str to float
        Median milliseconds per page name.
    """
    out = {}
    for name, path in paths.items():
        times = []
        for n in range(repeat + 1):
            t = time.perf_counter()
            response = session.get(url + path, headers={"Accept": "text/html"})
            elapsed = time.perf_counter() - t
            assert response.status_code == 200, f"{name} {path}: {response.status_code} {response.text[:300]}"
            if n:
                times.append(elapsed * 1000)
        out[name] = statistics.median(times)
    return out


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def served_process(command, env, ready_path, timeout_s=600):
    """Start a server process and wait until ``ready_path`` answers 200.

    Parameters
    ----------
    command : list of str
        With ``{port}`` in one argument.
    env : dict or None
        Extra environment variables.
    ready_path : str
        Path polled every 20 ms.

    Returns
    -------
    (subprocess.Popen, str, float)
        The process, its base URL and the seconds from start to the first 200.
    """
    port = _free_port()
    argv = [a.replace("{port}", str(port)) for a in command]
    t = time.perf_counter()
    process = subprocess.Popen(argv, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if requests.get(url + ready_path, timeout=5).status_code == 200:
                return process, url, time.perf_counter() - t
        except requests.ConnectionError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{argv[0]} exited: {process.stderr.read().decode()[-2000:]}")
        if time.perf_counter() - t > timeout_s:
            process.kill()
            raise RuntimeError(f"{argv[0]} did not answer within {timeout_s} s")
        time.sleep(0.02)


def stop(process):
    """Terminate a server process started by `served_process`."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def rss_mb(pid):
    """Resident memory of process ``pid`` in MB (Linux ``/proc``), or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cheap_queries(catalog):
    """The cheap endpoint queries: one observation's triples (CONSTRUCT) and one target's observations.

    Returns
    -------
    list of (str, str, str)
        ``(name, query, Accept)``.
    """
    obs = catalog.observations["iri"][len(catalog.observations["iri"]) // 2]
    target = catalog.targets["iri"][len(catalog.targets["iri"]) // 3]
    return [
        ("describe_record", f"CONSTRUCT {{ <{obs}> ?p ?o }} WHERE {{ <{obs}> ?p ?o }}", "application/n-triples"),
        ("target_observations", "SELECT ?o ?label WHERE { ?o <https://skyweave.org/ns#target> "
         f"<{target}> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }}", "application/sparql-results+json"),
    ]


def throughput(url, queries, clients=8, duration_s=5.0):
    """Run ``clients`` threads that send the queries in turn for ``duration_s`` seconds.

    Parameters
    ----------
    url : str
        The SPARQL endpoint (GET ``?query=``).
    queries : list of (str, str, str)
        From `cheap_queries`.

    Returns
    -------
    dict
        ``{qps, p50_ms, p99_ms, n}``.
    """
    latencies, lock = [], threading.Lock()
    start = threading.Event()
    end_at = [0.0]

    def client(k):
        session = requests.Session()
        mine, n = [], k
        start.wait()
        while time.perf_counter() < end_at[0]:
            _, text, accept = queries[n % len(queries)]
            n += 1
            t = time.perf_counter()
            response = session.get(url, params={"query": text}, headers={"Accept": accept})
            mine.append(time.perf_counter() - t)
            assert response.status_code == 200, response.text[:300]
        with lock:
            latencies.extend(mine)
        session.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    t0 = time.perf_counter()
    end_at[0] = t0 + duration_s
    start.set()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    lat = np.array(latencies) * 1000
    return {"qps": len(lat) / wall, "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)),
            "n": int(len(lat))}


def skyweave_command():
    """The ``skyweave serve`` command of this interpreter's environment."""
    return [sys.executable, "-m", "skyweave.catalog.cli", "serve", "--port", "{port}"]
