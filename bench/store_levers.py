"""Where the on-disk store's query time goes: pyoxigraph on disk against pyoxigraph in memory, no HTTP.

The endpoint benchmark (`catalog_bench`) times queries through HTTP; this one removes the server
to see what the storage engine alone costs. It generates the catalog of `catalog_bench` at one
size, builds the on-disk store exactly as the benchmark and ``skyweave`` do
(`catalog_bench.build_store`: `EmbeddedStore`, ontology, ``bulk_load``, close), copies it, and
then times each `catalog_bench.QUERIES` query, the way the endpoint's worker processes run it
(`skyweave.catalog.oxquery.run_oxigraph_query`, rows serialised as SPARQL JSON or N-Triples),
on several handles opened at the same time in this process:

``memory``
    an in-memory ``pyoxigraph.Store`` holding the same quads (the baseline of the ratios);
``disk-primary``, ``disk-read-only``
    the store as built, through a read-write handle (what `EmbeddedStore` reads with when the
    endpoint runs in threads) and a ``Store.read_only`` handle (what the endpoint's worker
    processes use);
``optimized-primary``, ``optimized-read-only``
    the copy, after ``Store.optimize()`` (a full compaction) and ``Store.flush()``;
``written-primary``
    the store as built plus a batch of small SPARQL updates not yet flushed (a catalog in use).

Runs are interleaved (round after round, every handle and query in turn) so that a slow moment
of the shared machine falls on all of them; each handle runs each query once untimed first.
It prints per query the median time on each handle and its ratio to the memory store, plus the
number of SST files of each folder.

Then, since the allocator can only be chosen when a process starts, it times the read-only handle
in child processes started alternately with glibc's default per-thread cache
(``GLIBC_TUNABLES=glibc.malloc.tcache_count=7``) and with the one the endpoint's query workers
use (`skyweave.catalog.query_workers.worker_environment`), ``--cycles`` times each, and prints
each child's geometric mean over the queries and the ratio of the medians.

Run ``.venv/bin/python bench/store_levers.py`` (300k, 15 rounds, 3 cycles) or ``--quick`` (10k,
5 rounds, 2 cycles).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog_bench as cb  # noqa: E402
import pyoxigraph as ox  # noqa: E402

from skyweave.catalog.oxquery import run_oxigraph_query  # noqa: E402
from skyweave.catalog.store import ONTOLOGY_GRAPH  # noqa: E402

__all__ = ["sst_files", "time_query", "time_handle", "compare_malloc_cache", "main"]

DEFAULT_TCACHE = "glibc.malloc.tcache_count=7"
"""glibc's default per-thread cache (glibc 2.26 to 2.42), set explicitly for the baseline children."""


def sst_files(folder):
    """Return the number of RocksDB table files (``*.sst``) in a store folder.

    Parameters
    ----------
    folder : pathlib.Path

    Returns
    -------
    int
    """
    return len(list(Path(folder).glob("*.sst")))


def time_query(store, query):
    """Run one benchmark query on a pyoxigraph store as a query worker does, returning (seconds, result size).

    Parameters
    ----------
    store : pyoxigraph.Store
    query : catalog_bench.Query

    Returns
    -------
    seconds : float
    size : int
        Bytes of the serialised result.
    """
    start = time.perf_counter()
    result = run_oxigraph_query(store, query.text, time.monotonic() + 600, 10**7, select_format="json",
                                graph_format="nt")
    seconds = time.perf_counter() - start
    body = getattr(result, "body", None) or getattr(result, "data", None) or b""
    return seconds, len(body) if isinstance(body, (bytes, str)) else 0


def time_handle(store, the_queries, rounds):
    """Return the median seconds of each query on ``store``, over ``rounds`` interleaved rounds after one warm-up.

    Parameters
    ----------
    store : pyoxigraph.Store
    the_queries : list of catalog_bench.Query
    rounds : int

    Returns
    -------
    dict of str to float
    """
    times = {q.name: [] for q in the_queries}
    for query in the_queries:
        time_query(store, query)
    for _ in range(rounds):
        for query in the_queries:
            times[query.name].append(time_query(store, query)[0])
    return {name: statistics.median(values) for name, values in times.items()}


def compare_malloc_cache(folder, size, rounds, cycles):
    """Time the read-only handle on ``folder`` in child processes with glibc's default and the workers' malloc cache.

    Parameters
    ----------
    folder : pathlib.Path
        An on-disk store folder.
    size : str
        The catalog size it holds (the children regenerate the queries from it).
    rounds : int
        Timed rounds per child.
    cycles : int
        Children of each kind, started alternately.

    Returns
    -------
    dict
        ``{"default": [...], "workers": [...]}``: per child, the median seconds of each query.
    """
    from skyweave.catalog.query_workers import worker_environment

    base = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    kinds = {"default": dict(base, GLIBC_TUNABLES=DEFAULT_TCACHE), "workers": worker_environment(base)}
    out = {kind: [] for kind in kinds}
    for _ in range(cycles):
        for kind, env in kinds.items():
            done = subprocess.run([sys.executable, __file__, "--child", str(folder), "--size", size,
                                   "--rounds", str(rounds)], env=env, capture_output=True, text=True, check=True)
            out[kind].append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def _child(folder, size, rounds):
    """Child process body of `compare_malloc_cache`: print the medians on a read-only handle as JSON."""
    from skyweave.catalog.validate import ontology_graph

    catalog = cb.generate(cb.parse_sizes(size)[0][1], ontology_triples=len(ontology_graph()))
    store = ox.Store.read_only(str(folder))
    print(json.dumps(time_handle(store, cb.queries(catalog), rounds)))
    return 0


def main(argv=None):
    """Build the stores, time every query on every handle, print the medians and ratios.

    Parameters
    ----------
    argv : list of str or None

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k triples, 5 rounds")
    parser.add_argument("--size", default="300k", help="catalog size in triples (default 300k)")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default 15)")
    parser.add_argument("--cycles", type=int, default=3, help="child processes of each malloc setting (default 3)")
    parser.add_argument("--child", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child, args.size, args.rounds)
    size, rounds, cycles = ("10k", 5, 2) if args.quick else (args.size, args.rounds, args.cycles)
    n_triples = cb.parse_sizes(size)[0][1]

    from skyweave.catalog.validate import ontology_graph

    catalog = cb.generate(n_triples, ontology_triples=len(ontology_graph()))
    nquads, _ = catalog.serialize()
    the_queries = cb.queries(catalog)
    with tempfile.TemporaryDirectory(prefix="skyweave-levers-") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        quads = cb.build_store(nquads, tmp / "built")
        print(f"{size}: {quads} quads; built on disk in {time.perf_counter() - t:.1f} s", flush=True)
        shutil.copytree(tmp / "built" / "store", tmp / "optimized")
        shutil.copytree(tmp / "built" / "store", tmp / "written")
        files = {"built": sst_files(tmp / "built" / "store")}

        writer = ox.Store(str(tmp / "optimized"))
        t = time.perf_counter()
        writer.optimize()
        writer.flush()
        print(f"optimize + flush: {time.perf_counter() - t:.1f} s", flush=True)
        del writer
        gc.collect()
        files["optimized"] = sst_files(tmp / "optimized")

        handles = {"memory": ox.Store()}
        handles["memory"].bulk_load(input=nquads, format=ox.RdfFormat.N_QUADS)
        ontology = ox.Store(str(tmp / "built" / "store"))  # the ontology graph the build installed
        handles["memory"].bulk_extend(ontology.quads_for_pattern(None, None, None, ox.NamedNode(str(ONTOLOGY_GRAPH))))
        del ontology
        gc.collect()
        handles["disk-primary"] = ox.Store(str(tmp / "built" / "store"))
        handles["disk-read-only"] = ox.Store.read_only(str(tmp / "built" / "store"))
        handles["optimized-primary"] = ox.Store(str(tmp / "optimized"))
        handles["optimized-read-only"] = ox.Store.read_only(str(tmp / "optimized"))
        written = handles["written-primary"] = ox.Store(str(tmp / "written"))
        for i in range(200):  # small committed writes, as validated PUTs make them
            written.update(f"INSERT DATA {{ GRAPH <{cb.BASE}bench/w{i}> {{ <{cb.BASE}bench/w{i}> "
                           f"<http://www.w3.org/2000/01/rdf-schema#label> \"written {i}\" }} }}")
        files["written"] = sst_files(tmp / "written")
        sizes = {name: len(store) for name, store in handles.items()}
        print("quads per handle: " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
        print("SST files: " + ", ".join(f"{k} {v}" for k, v in files.items()), flush=True)

        times = {(h, q.name): [] for h in handles for q in the_queries}
        results = {}
        for name, store in handles.items():  # warm-up, and the result sizes must agree
            for query in the_queries:
                _, results[name, query.name] = time_query(store, query)
        for query in the_queries:
            base = results["memory", query.name]
            for name in handles:
                if name != "written-primary" and results[name, query.name] != base:
                    print(f"warning: {query.name}: {name} returned {results[name, query.name]} bytes, "
                          f"memory {base}")
        for _ in range(rounds):
            for query in the_queries:
                for name, store in handles.items():
                    seconds, _ = time_query(store, query)
                    times[name, query.name].append(seconds)

        names = list(handles)
        print(f"\nmedian ms over {rounds} interleaved rounds (ratio to memory in brackets)")
        print(f"{'query':<18}" + "".join(f"{n:>24}" for n in names))
        ratios = {n: [] for n in names}
        for query in the_queries:
            mem = statistics.median(times["memory", query.name])
            cells = []
            for name in names:
                med = statistics.median(times[name, query.name])
                ratios[name].append(med / mem)
                cells.append(f"{1000 * med:10.1f} ({med / mem:5.2f}x)")
            print(f"{query.name:<18}" + "".join(f"{c:>24}" for c in cells))
        print(f"{'geomean ratio':<18}" + "".join(f"{statistics.geometric_mean(ratios[n]):>23.2f}x" for n in names))
        handles.clear()
        del written
        gc.collect()

        runs = compare_malloc_cache(tmp / "built" / "store", size, rounds, cycles)
        print(f"\nread-only handle in child processes, {cycles} of each started alternately: geometric mean "
              "of the query medians (ms)")
        geo = {kind: [statistics.geometric_mean(r.values()) * 1000 for r in children] for kind, children in runs.items()}
        for kind, values in geo.items():
            print(f"{kind:<10}" + "".join(f"{v:8.1f}" for v in values) + f"   median {statistics.median(values):.1f}")
        for query in the_queries:
            med = {kind: statistics.median(r[query.name] for r in children) for kind, children in runs.items()}
            print(f"{query.name:<18} default {1000 * med['default']:7.1f}  workers {1000 * med['workers']:7.1f}  "
                  f"speed-up {med['default'] / med['workers']:.2f}x")
        print(f"geomean speed-up {statistics.median(geo['default']) / statistics.median(geo['workers']):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
