"""Endpoint queries in killable worker processes (issue 8: a query over its time limit stops using CPU;
issue 13: ``serve --workers N``).

https://github.com/skyweave/skyweave/issues/8 , https://github.com/skyweave/skyweave/issues/13
"""

import os
import subprocess
import sys
import threading
import time

import psutil
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from skyweave.catalog.exceptions import BadRequest, QueryTimeout, TooManyRequests
from skyweave.catalog.store import EmbeddedStore

from .conftest import BASE, make_app

EX = "http://example.org/"
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
"""An aggregate over a cross product: one big step that a thread could not interrupt."""


def _record(n, triples=1):
    graph = Graph()
    for i in range(triples):
        graph.add((URIRef(f"{EX}r{n}"), URIRef(f"{EX}p{i}"), Literal(f"value {n} {i}")))
    return graph


@pytest.fixture
def store(tmp_path):
    store = EmbeddedStore(tmp_path / "store", index=False, processes=2, timeout_s=1.0, client_slots=1)
    for n in range(20):
        store.put(URIRef(f"{EX}r{n}"), _record(n, triples=20), validate=False)
    yield store
    store.close()


def _cpu_s(pids):
    """CPU seconds (user + system) used so far by this process and the given live processes."""
    total = sum(psutil.Process().cpu_times()[:2])
    for pid in pids:
        try:
            total += sum(psutil.Process(pid).cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total


def test_a_query_over_its_limit_is_killed_and_cpu_returns_to_idle(store):
    store.query_workers.start()
    assert store.query("ASK { ?s ?p ?o }").value is True
    before = set(store.query_workers.pids())
    assert len(before) == 2
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        store.query(CROSS_PRODUCT)
    assert time.monotonic() - started < 1.0 + 1.0  # answered at the limit, not when the query would end
    killed = before - set(store.query_workers.pids())
    assert killed and not any(psutil.pid_exists(pid) for pid in killed)
    assert store.query_workers.wait_idle()  # the replacement has started
    pids = store.query_workers.pids()
    assert len(pids) == 2 and not killed & set(pids)
    cpu_before, wall_before = _cpu_s(pids), time.monotonic()
    time.sleep(1.0)
    used = _cpu_s(pids) - cpu_before
    assert used < 0.25 * (time.monotonic() - wall_before), f"{used:.2f} s of CPU in a second after the 503"
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", timeout_s=30).rows
    assert int(rows[0][0]) == 400


def test_the_other_workers_answer_while_a_killed_one_is_replaced(store, monkeypatch):
    """A replacement's start (up to a minute on a loaded machine) holds up no query on another worker."""
    from skyweave.catalog import query_workers

    store.query_workers.start()
    release, starting = threading.Event(), threading.Event()
    real = query_workers._Worker.wait_ready

    def slow_start(worker):  # the replacement's start takes until the test says so
        if threading.current_thread().name == "sparql-respawn":
            starting.set()
            release.wait(60)
        return real(worker)

    monkeypatch.setattr(query_workers._Worker, "wait_ready", slow_start)
    with pytest.raises(QueryTimeout):
        store.query(CROSS_PRODUCT)
    assert starting.wait(30)
    answers = []
    asker = threading.Thread(target=lambda: answers.append(store.query("ASK { ?s ?p ?o }", timeout_s=30).value))
    asker.start()
    asker.join(30)
    alive = asker.is_alive()
    release.set()
    asker.join(30)
    assert not alive and answers == [True]  # answered by the other worker, the replacement still starting
    assert store.query_workers.wait_idle()
    assert store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", timeout_s=30).rows[0][0].value == 400


def test_the_endpoint_answers_503_and_then_answers_normally(tmp_path, small_records):
    app = make_app(small_records, STORE="embedded", DATA_DIR=str(tmp_path), SPARQL_PROCESSES=2,
                   SPARQL_TIMEOUT_S=1.0)
    try:
        client = app.test_client()
        pool = app.extensions["store"].query_workers
        pool.start()
        accept = {"Accept": "application/sparql-results+json"}
        assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers=accept).json["boolean"]
        before = set(pool.pids())
        slow = client.get("/sparql", query_string={"query": CROSS_PRODUCT}, headers=accept)
        assert slow.status_code == 503 and "time limit" in slow.json["detail"]
        assert not any(psutil.pid_exists(pid) for pid in before - set(pool.pids()))
        ok = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s a ?t } LIMIT 3"}, headers=accept)
        assert ok.status_code == 200 and len(ok.json["results"]["bindings"]) == 3
    finally:
        from skyweave.catalog.web.app import close_app

        close_app(app)


def test_the_endpoint_negotiates_graphs_and_results_from_workers_as_from_threads(tmp_path, small_records):
    """The workers' bytes equal what the in-process path serialises, for every Accept (issue 13)."""
    from skyweave.catalog.formats import parse_rdf
    from skyweave.catalog.web.app import close_app

    crab = f"{BASE}targets/crab-nebula"
    construct = f"CONSTRUCT {{ <{crab}> ?p ?o }} WHERE {{ <{crab}> ?p ?o }}"
    select = f"SELECT ?p ?o WHERE {{ <{crab}> ?p ?o }} ORDER BY ?p ?o"
    cases = [(construct, "application/n-triples", "application/n-triples"),
             (construct, "text/turtle", "text/turtle"), (construct, "*/*", "text/turtle"),
             (construct, "application/ld+json", "application/ld+json"),
             (construct, "application/rdf+xml;q=0.9, text/html;q=0.1", "application/rdf+xml"),
             (construct, "application/sparql-results+json", None),
             (select, "application/sparql-results+json", "application/sparql-results+json"),
             (select, "text/csv", "text/csv"), (select, "text/turtle", None)]
    answers = {}
    for processes in (2, 0):
        app = make_app(small_records, STORE="embedded", DATA_DIR=str(tmp_path / str(processes)),
                       SPARQL_PROCESSES=processes)
        try:
            assert (app.extensions["store"].query_workers is not None) == bool(processes)
            client = app.test_client()
            for query, accept, mime in cases:
                response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
                if mime is None:
                    assert response.status_code == 406, (accept, response.status_code)
                    continue
                assert response.status_code == 200 and response.mimetype == mime, (accept, response.mimetype)
                assert response.headers["Vary"] == "Accept"
                answers.setdefault((query, accept), []).append(response.get_data())
        finally:
            close_app(app)
    for (query, accept), (from_workers, from_threads) in answers.items():
        if query == construct:
            mime = {"*/*": "text/turtle"}.get(accept, accept.split(";")[0])
            graph = parse_rdf(from_workers, mime)
            assert len(graph) > 5 and isomorphic(graph, parse_rdf(from_threads, mime)), accept
        else:
            assert from_workers == from_threads, accept


def test_reads_are_never_stale_after_an_acknowledged_write(store):
    for n in range(100, 115):
        store.put(URIRef(f"{EX}r{n}"), _record(n), validate=False)
        assert store.query(f"ASK {{ <{EX}r{n}> ?p ?o }}").value is True
        store.delete(URIRef(f"{EX}r{n - 1}")) if n > 100 else None
        if n > 100:
            assert store.query(f"ASK {{ GRAPH <{EX}r{n - 1}> {{ ?s ?p ?o }} }}").value is False


def test_every_result_form_comes_back_from_a_worker(store):
    select = store.query(f"SELECT ?o WHERE {{ <{EX}r1> <{EX}p0> ?o }}")
    assert [row[0] for row in select.rows] == [Literal("value 1 0")]
    serialized = store.query(f"SELECT ?o WHERE {{ <{EX}r1> ?p ?o }}", select_format="csv")
    assert serialized.body.count(b"\n") == 21
    graph = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{EX}r2> {{ ?s ?p ?o }} }}")
    assert len(graph.graph) == 20
    raw = store.query(f"DESCRIBE <{EX}r2>", select_format="json")
    assert len(raw.triples) == 20
    from skyweave.catalog.exceptions import BadRequest

    with pytest.raises(BadRequest, match="does not parse"):
        store.query("SELECT WHERE {")
    with pytest.raises(BadRequest, match="more than 5 rows"):
        store.query("SELECT * WHERE { ?s ?p ?o }", max_rows=5)


@pytest.mark.parametrize("fmt", ["nt", "ttl", "jsonld", "rdf"])
def test_a_worker_sends_a_graph_as_the_bytes_the_client_gets(store, fmt):
    from skyweave.catalog.formats import FORMATS, parse_rdf
    from skyweave.catalog.results import SerializedGraph
    from skyweave.catalog.vocab import PREFIXES

    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{EX}r2> {{ ?s ?p ?o }} }}"
    result = store.query(query, select_format="json", graph_format=fmt, prefixes={"ex": EX, **PREFIXES})
    assert isinstance(result, SerializedGraph) and result.fmt == fmt and len(result) == 20
    parsed = parse_rdf(result.body, FORMATS[fmt][0])
    assert isomorphic(parsed, _record(2, triples=20))
    if fmt == "ttl":
        assert b"@prefix ex:" in result.body and b"ex:r2" in result.body
    with pytest.raises(BadRequest, match="more than 5 triples"):
        store.query(query, select_format="json", graph_format=fmt, max_rows=5)


def test_a_worker_process_imports_no_rdflib():
    """The workers hold only pyoxigraph and the result types, so each stays small (issue 13's memory goal)."""
    code = ("import sys, skyweave.catalog.query_workers, skyweave.catalog.oxquery; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rdflib', 'flask', 'pyshacl')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_one_client_holds_only_its_share_of_the_workers(tmp_path):
    store = EmbeddedStore(tmp_path / "store", index=False, processes=3, timeout_s=2.0, client_slots=2)
    try:
        for n in range(20):
            store.put(URIRef(f"{EX}r{n}"), _record(n, triples=20), validate=False)
        store.query_workers.start()
        errors = []

        def slow():
            try:
                store.query(CROSS_PRODUCT, client="10.0.0.1")
            except QueryTimeout as exc:
                errors.append(exc)

        threads = [threading.Thread(target=slow) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        with pytest.raises(TooManyRequests):
            store.query("ASK { ?s ?p ?o }", client="10.0.0.1")
        assert store.query("ASK { ?s ?p ?o }", client="10.0.0.2").value is True
        for thread in threads:
            thread.join(10)
        assert len(errors) == 2
        assert store.query("ASK { ?s ?p ?o }", client="10.0.0.1").value is True
    finally:
        store.close()


def test_memory_stores_keep_answering_in_threads(tmp_path):
    store = EmbeddedStore(None, index=False, processes=2)
    try:
        assert store.query_workers is None and store.query("ASK {}").value is True
    finally:
        store.close()


def test_closing_the_store_stops_every_worker(tmp_path):
    store = EmbeddedStore(tmp_path / "store", index=False, processes=2)
    store.query_workers.start()
    pids = store.query_workers.pids()
    assert len(pids) == 2
    store.close()
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in pids)


def test_serve_with_workers_answers_from_worker_processes_and_stops_them(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    import requests

    from .conftest import free_port, wait_for_port

    port = free_port()
    env = dict(os.environ, SKYWEAVE_DATA_DIR=str(tmp_path / "data"), SKYWEAVE_STORE="embedded",
               SKYWEAVE_SPARQL_TIMEOUT_S="1.0", SKYWEAVE_RUNNER_RECOVER="false")
    server = subprocess.Popen([str(Path(sys.executable).parent / "skyweave"), "serve", "--port", str(port),
                               "--workers", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout_s=60, process=server)

        def workers():
            found = set()
            for child in psutil.Process(server.pid).children(recursive=True):
                try:
                    if "skyweave.catalog.query_workers" in " ".join(child.cmdline()):
                        found.add(child.pid)
                except psutil.Error:  # ended meanwhile
                    pass
            return found

        deadline = time.monotonic() + 60  # the workers start beside the server
        while len(workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        before = workers()
        assert len(before) == 2
        url, accept = f"http://127.0.0.1:{port}/sparql", {"Accept": "application/sparql-results+json"}
        assert requests.get(url, params={"query": "ASK { ?s ?p ?o }"}, headers=accept, timeout=30).json()["boolean"]
        slow = requests.get(url, params={"query": CROSS_PRODUCT}, headers=accept, timeout=30)
        assert slow.status_code == 503
        assert not any(psutil.pid_exists(pid) for pid in before - workers())
        assert requests.get(url, params={"query": "ASK { ?s ?p ?o }"}, headers=accept, timeout=30).status_code == 200
        alive = workers()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                       for pid in alive)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        server.stdout.close()


def test_workers_end_when_the_server_is_killed(tmp_path):
    """An idle worker sees its socket close; a busy one ends itself shortly after the query's limit."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import sys, threading, time, pyoxigraph
        from skyweave.catalog.query_workers import QueryWorkers
        writer = pyoxigraph.Store({str(tmp_path / "store")!r})
        for n in range(400):
            writer.add(pyoxigraph.Quad(pyoxigraph.NamedNode(f"http://e/s{{n}}"), pyoxigraph.NamedNode("http://e/p"),
                                       pyoxigraph.Literal(str(n)), pyoxigraph.NamedNode("http://e/g")))
        pool = QueryWorkers({str(tmp_path / "store")!r}, 2)
        pool.start()
        print(" ".join(map(str, pool.pids())), flush=True)
        threading.Thread(target=pool.run, args=({CROSS_PRODUCT!r}, 1.0, 10), daemon=True).start()
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(pids) == 2
        time.sleep(0.3)
    finally:
        parent.kill()
        parent.wait(10)
        parent.stdout.close()

    def running(pid):
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 1.0 + 2.0 + 5.0
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(running(pid) for pid in pids)


def _tunables(pid):
    """The GLIBC_TUNABLES a process started with, as /proc shows it (Linux).

    glibc ends the string in place after the first tunable it parses, so /proc may show only a
    leading part of what the process was given.
    """
    with open(f"/proc/{pid}/environ", "rb") as handle:
        items = handle.read().split(b"\0")
    return dict(item.decode().split("=", 1) for item in items if b"=" in item).get("GLIBC_TUNABLES")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_start_with_a_larger_malloc_cache_unless_the_operator_chose_one(tmp_path, monkeypatch):
    from skyweave.catalog.query_workers import MALLOC_TUNABLE

    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    store = EmbeddedStore(tmp_path / "store", index=False, processes=1)
    try:
        store.put(URIRef(f"{EX}r1"), _record(1), validate=False)
        assert store.query(f"ASK {{ <{EX}r1> ?p ?o }}").value is True  # the worker answers with the setting
        (pid,) = store.query_workers.pids()
        seen = _tunables(pid)
        assert seen.split(":")[0] == MALLOC_TUNABLE
        assert f"{MALLOC_TUNABLE}:glibc.malloc.arena_max=2".startswith(seen)
        assert os.environ["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2"  # the server's own is unchanged
    finally:
        store.close()
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=3")
    store = EmbeddedStore(tmp_path / "store", index=False, processes=1)
    try:
        store.query_workers.start()
        (pid,) = store.query_workers.pids()
        assert _tunables(pid) == "glibc.malloc.tcache_count=3"
        assert store.query(f"ASK {{ <{EX}r1> ?p ?o }}").value is True
    finally:
        store.close()
