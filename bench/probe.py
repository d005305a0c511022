"""Probe the service under load and crashes: many clients, kill -9 during writes and loads.

What it does, on 127.0.0.1 only, against a real ``skyweave serve`` process with an on-disk store
in a temporary data folder:

1. loads the bundled real catalog with ``skyweave load``;
2. registers a small notebook workflow (``skyweave add``), starts the server and runs ``--clients``
   client threads for ``--seconds``, each doing a mix of page views (58 %), SPARQL queries (25 %),
   validated writes of new target records with an editor token (15 %) and anonymous run requests
   (2 %); twice during that time the server is killed with SIGKILL and started again, while the
   clients keep going (so writes, queries and runs are cut mid-way);
3. reads back every write the server acknowledged (2xx) and compares it triple for triple with
   what was sent: a missing record is *lost*, a different one *partial*; then waits for every
   acknowledged run (303) to end: a run the server no longer knows is a *lost run*, one still
   queued or executing at the end an *unfinished run* (a run cut by a kill is filed ERROR at the
   next start, a queued one is queued again);
4. stops the server with SIGTERM (it must exit by itself), then runs ``skyweave load`` on a file
   of new records, kills it with SIGKILL part way, checks that every record in the store is whole
   (no *partial* record), runs the load again and checks that it completes every record, skipping
   those already loaded.

It prints the counts (requests, errors, unavailable while restarting, lost, partial, runs) and
exits 1 unless errors, lost and partial writes and lost runs are all 0. ``--quick`` runs 12 clients for 15 s and a
smaller load.

Run ``.venv/bin/python bench/probe.py --quick`` (or without ``--quick``: 50 clients, 60 s).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from rdflib import Graph, Literal, URIRef

from skyweave.catalog.ingest import load_all
from skyweave.catalog.vocab import DCTERMS, RDF, RDFS, SW

TOKEN = "probe-editor-token"
WORKFLOW = "ring-v1"
"""The workflow anonymous clients request runs of (`register_workflow`)."""
PAGES = ["/", "/targets/", "/targets/crab-nebula", "/targets/pks-2155-304.ttl", "/instruments/",
         "/observations/hess-23523", "/search?q=Crab", "/ns", "/sparql", "/catalogs/hgps.jsonld"]
QUERIES = [
    "PREFIX sw: <https://skyweave.org/ns#> SELECT (COUNT(?t) AS ?n) WHERE { ?t a sw:Target }",
    "PREFIX sw: <https://skyweave.org/ns#> SELECT ?o ?id WHERE { ?o sw:obsId ?id } ORDER BY ?id",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?s ?l WHERE { ?s rdfs:label ?l "
    "FILTER(CONTAINS(LCASE(?l), 'pks')) } LIMIT 20",
    "PREFIX sw: <https://skyweave.org/ns#> SELECT ?t WHERE { ?t sw:ra ?ra ; sw:dec ?dec "
    "FILTER(?ra > 80 && ?ra < 90 && ?dec > 20 && ?dec < 25) }",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def skyweave_command():
    return [str(Path(sys.executable).parent / "skyweave")]


class Server:
    """A ``skyweave serve`` process that can be killed and started again."""

    def __init__(self, env, port):
        self.env, self.port, self.process = env, port, None
        self.url = f"http://127.0.0.1:{port}"

    def start(self, timeout_s=120):
        self.process = subprocess.Popen(skyweave_command() + ["serve", "--port", str(self.port)], env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/-/health", timeout=2).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
            if self.process.poll() is not None:
                raise RuntimeError("the server exited: " + self.process.stderr.read().decode()[-2000:])
        raise RuntimeError("the server did not start")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def terminate(self, timeout_s=60):
        """SIGTERM; return the seconds it took to exit (it must exit by itself)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=timeout_s)
        return time.monotonic() - started


def target_graph(iri, label, ra, dec, base):
    graph = Graph()
    graph.add((iri, RDF.type, SW.Target))
    graph.add((iri, RDFS.label, Literal(label)))
    graph.add((iri, SW.ra, Literal(ra)))
    graph.add((iri, SW.dec, Literal(dec)))
    graph.add((iri, DCTERMS.source, URIRef(base + "catalogs/hgps")))
    return graph


class Tally:
    def __init__(self):
        self.counts = Counter()
        self.acknowledged = {}  # path -> the set of N-Triples lines sent
        self.runs = []  # paths of the runs the server acknowledged (303)
        self.lock = threading.Lock()
        self.error_samples = []

    def add(self, kind, **extra):
        with self.lock:
            self.counts[kind] += 1
            if kind == "errors" and len(self.error_samples) < 5:
                self.error_samples.append(extra)


def client_loop(number, server, base, stop, tally):
    rng = random.Random(number)
    session = requests.Session()
    n = 0
    while not stop.is_set():
        roll = rng.random()
        try:
            if roll < 0.60:
                response = session.get(server.url + rng.choice(PAGES), timeout=30)
            elif roll < 0.83:
                response = session.get(server.url + "/sparql", params={"query": rng.choice(QUERIES)},
                                       headers={"Accept": "application/sparql-results+json"}, timeout=30)
            elif roll < 0.85:
                response = session.post(server.url + f"/workflows/{WORKFLOW}/runs", timeout=30, allow_redirects=False,
                                        json={"parameters": {"n_points": str(rng.randint(2, 1000)), "delay_s": "0.5"}},
                                        headers={"Accept": "application/json"})
                if response.status_code == 303:
                    with tally.lock:
                        tally.runs.append(response.headers["Location"])
            else:
                n += 1
                path = f"/targets/probe-{number}-{n}"
                graph = target_graph(URIRef(base + path[1:]), f"Probe {number}-{n}", rng.uniform(0, 359.9),
                                     rng.uniform(-89, 89), base)
                response = session.put(server.url + path, data=graph.serialize(format="nt"),
                                       headers={"Content-Type": "application/n-triples",
                                                "Authorization": f"Bearer {TOKEN}"}, timeout=30)
                if response.status_code in (200, 201):
                    with tally.lock:
                        tally.acknowledged[path] = set(graph.serialize(format="nt").strip().splitlines())
        except requests.RequestException:
            tally.add("unavailable")  # refused or cut while the server was being killed and restarted
            time.sleep(0.2)
            continue
        tally.add("requests")
        if response.status_code == 429:
            tally.add("throttled")
        elif response.status_code >= 500 or response.status_code >= 400 and response.status_code != 404:
            tally.add("errors", status=response.status_code, url=response.url, body=response.text[:200])


def check_writes(server, tally):
    lost = partial = 0
    for path, sent in tally.acknowledged.items():
        response = requests.get(server.url + path + ".nt", timeout=30)
        if response.status_code == 404:
            lost += 1
            continue
        got = {line for line in response.text.strip().splitlines() if "wasRevisionOf" not in line}
        if {" ".join(line.split()) for line in got} != {" ".join(line.split()) for line in sent}:
            partial += 1
    return lost, partial


FINAL = ("COMPLETED", "FAILED", "ERROR", "ABORTED")


def check_runs(server, tally, wait_s, say):
    """Wait up to ``wait_s`` for every acknowledged run to end; return (lost, unfinished, phases)."""
    pending, phases, lost = set(tally.runs), Counter(), 0
    deadline = time.monotonic() + wait_s
    while pending:
        for path in sorted(pending):
            response = requests.get(server.url + path, headers={"Accept": "application/json"}, timeout=30)
            if response.status_code == 404:
                lost += 1
                pending.discard(path)
            elif response.ok and response.json()["phase"] in FINAL:
                phases[response.json()["phase"]] += 1
                pending.discard(path)
        if not pending or time.monotonic() > deadline:
            break
        say(f"{len(pending)} acknowledged runs still queued or executing")
        time.sleep(5)
    for path in pending:
        phases[requests.get(server.url + path, headers={"Accept": "application/json"}, timeout=30).json()["phase"]] += 1
    return lost, len(pending), dict(phases)


def register_workflow(env, workdir, say):
    """Register the test suite's small ring workflow (``tests/workflow_repo.py``) with ``skyweave add``."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.workflow_repo import make_repo

    repo = make_repo(Path(workdir) / "workflows")
    result = subprocess.run(skyweave_command() + ["add", str(repo)], env=env, capture_output=True, text=True,
                            timeout=600)
    if f"workflows/{WORKFLOW} " not in result.stdout:
        raise RuntimeError("skyweave add failed: " + result.stdout[-1000:] + result.stderr[-1000:])
    say(f"registered {WORKFLOW}")


def graph_sizes(env, prefix):
    query = ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
             f"FILTER(STRSTARTS(STR(?g), \"{prefix}\")) }} GROUP BY ?g")
    result = subprocess.run(skyweave_command() + ["query", "--format", "json", query], env=env,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    rows = json.loads(result.stdout)["results"]["bindings"]
    return {r["g"]["value"]: int(r["n"]["value"]) for r in rows}


def probe_load(env, base, workdir, records, say):
    """Kill ``skyweave load`` part way, check no record is partial, then complete it."""
    graph = Graph()
    for k in range(records):
        graph += target_graph(URIRef(f"{base}targets/load-{k}"), f"Load {k}", (k * 0.37) % 360, float(k % 170) - 85.0, base)
    path = Path(workdir) / "load.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    started = time.monotonic()
    first = subprocess.Popen(skyweave_command() + ["load", str(path)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    # Kill it once the store has part of the records (polled from another process is not possible
    # while it holds the store, so wait a fraction of a typical load time).
    time.sleep(5.0 + records / 60)
    killed = first.poll() is None
    if killed:
        first.send_signal(signal.SIGKILL)
    first.wait()
    say(f"load killed after {time.monotonic() - started:.1f} s" if killed else "load ended before the kill")
    sizes = graph_sizes(env, f"{base}targets/load-")
    partial = sum(1 for n in sizes.values() if n != 5)
    second = subprocess.run(skyweave_command() + ["load", str(path)], env=env, capture_output=True, text=True,
                            timeout=1800)
    sizes_after = graph_sizes(env, f"{base}targets/load-")
    complete = sum(1 for n in sizes_after.values() if n == 5)
    return {"records": records, "killed": killed, "present_after_kill": len(sizes), "partial_after_kill": partial,
            "rerun_output": second.stdout.strip().splitlines()[-1] if second.stdout.strip() else second.stderr[-300:],
            "complete_after_rerun": complete, "lost_after_rerun": records - complete}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="12 clients for 15 s and a 1,500-record load")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--load-records", type=int, default=6000)
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.seconds, args.load_records = 12, 15.0, 1500

    def say(message):
        print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    workdir = tempfile.mkdtemp(prefix="skyweave-probe-")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "SKYWEAVE_DATA_DIR": str(Path(workdir) / "data"), "SKYWEAVE_STORE": "embedded",
           "SKYWEAVE_BASE_IRI": base, "SKYWEAVE_API_TOKENS": json.dumps({TOKEN: "editor"}),
           "SKYWEAVE_RUNNER_WORKERS": "1", "SKYWEAVE_SPARQL_CLIENT_SLOTS": "64",
           "SKYWEAVE_RUN_QUEUE_PER_CLIENT": "16"}
    catalog = Graph()
    for _, graph in load_all(base):
        catalog += graph
    catalog.serialize(Path(workdir) / "catalog.nt", format="nt", encoding="utf-8")
    say("loading the real catalog")
    subprocess.run(skyweave_command() + ["load", str(Path(workdir) / "catalog.nt")], env=env, check=True,
                   capture_output=True)
    register_workflow(env, workdir, say)
    server = Server(env, port)
    server.start()
    say(f"server up on {server.url}; {args.clients} clients for {args.seconds:g} s")
    tally, stop = Tally(), threading.Event()
    threads = [threading.Thread(target=client_loop, args=(n, server, base, stop, tally), daemon=True)
               for n in range(args.clients)]
    for thread in threads:
        thread.start()
    kills = 0
    for share in (0.35, 0.35):  # the server is up for ``seconds`` in all; restarts come on top
        time.sleep(share * args.seconds)
        server.kill()
        kills += 1
        say(f"kill -9 number {kills} (acknowledged writes so far: {len(tally.acknowledged)})")
        server.start()
        say("server up again")
    time.sleep(0.3 * args.seconds)
    stop.set()
    for thread in threads:
        thread.join(60)
    say("checking every acknowledged write")
    lost, partial = check_writes(server, tally)
    say(f"checking the {len(tally.runs)} acknowledged runs")
    lost_runs, unfinished_runs, run_phases = check_runs(server, tally, 180.0, say)
    stop_s = server.terminate()
    say(f"SIGTERM: the server exited in {stop_s:.1f} s")
    load = probe_load(env, base, workdir, args.load_records, say)
    report = {
        "clients": args.clients, "seconds": args.seconds, "server_kills": kills,
        "requests": tally.counts["requests"], "errors": tally.counts["errors"],
        "throttled_429": tally.counts["throttled"], "unavailable_while_restarting": tally.counts["unavailable"],
        "acknowledged_writes": len(tally.acknowledged), "lost_writes": lost, "partial_writes": partial,
        "acknowledged_runs": len(tally.runs), "lost_runs": lost_runs, "unfinished_runs": unfinished_runs,
        "run_phases": run_phases,
        "sigterm_exit_s": round(stop_s, 1), "load": load, "error_samples": tally.error_samples,
    }
    print(json.dumps(report, indent=2))
    bad = report["errors"] + lost + partial + lost_runs + load["partial_after_kill"] + load["lost_after_rerun"]
    print(f"SUMMARY probe: {report['requests']} requests, {report['errors']} errors, {lost} lost and {partial} "
          f"partial of {len(tally.acknowledged)} acknowledged writes across {kills} kill -9; {lost_runs} lost and "
          f"{unfinished_runs} unfinished of {len(tally.runs)} acknowledged runs {run_phases}; load "
          + ("killed part way" if load["killed"] else "ended before its kill (raise --load-records)")
          + f": {load['present_after_kill']} records present, {load['partial_after_kill']} partial; "
          f"{load['lost_after_rerun']} missing after the re-run")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
