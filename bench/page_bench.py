"""Pages, start-up, memory and endpoint throughput of a served catalog (issue 13), for `catalog_bench`.

- `page_paths` names the pages a user opens (home, lists with facets and a deep page, text and cone
  search, target pages, an observation, an instrument, the popular workflow, a result, the alert
  list with and without a filter, an event); `time_pages` times them over HTTP (medians).
- `served_process` starts ``skyweave serve`` (or ``oxigraph serve-read-only``) on an existing store
  as a separate process and times how long it takes to answer; `rss_mb` reads its resident memory.
- `throughput` drives a server with N concurrent clients on cheap queries (describe one record,
  the observations of one target) and reports queries per second, p50 and p99 latency.
- Run alone (``python bench/page_bench.py``), `run_sizes` serves every size at once in this process
  and times writes and pages round robin, size after size, so that a change of a shared machine's
  load hits every size alike; then each size's ``skyweave serve`` and ``oxigraph serve-read-only``.
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
from urllib.parse import quote, unquote

import numpy as np
import requests

__all__ = ["page_paths", "page_queries", "time_pages", "time_page_queries", "served_process", "rss_mb", "pss_mb",
           "cheap_queries", "throughput", "PAGE_GOAL", "ALERTS_MESSENGER", "popular_workflow", "chosen_result",
           "chosen_event"]

PAGE_GOAL = 2.0
"""Each page's time at the largest size over its time at the smallest should stay at or below this."""


def page_paths(catalog, store, page_size=None):
    """Return ``{name: path}`` of the pages timed at every size.

    The deep page of a list starts after the record 90 % down the list, or earlier if fewer than a
    full page would follow (10k has about 130 targets): every size's deep page shows ``page_size``
    rows, so the sizes compare like with like.

    Parameters
    ----------
    catalog : catalog_bench.SyntheticCatalog
    store : skyweave.catalog.store.Store
        The served store (its index gives the IRI deep in each list, for the keyset link).
    page_size : int or None
        Rows per list page; default the ``PAGE_SIZE`` setting's default.

    Returns
    -------
    dict of str to str
    """
    base = catalog.base
    t, o = catalog.targets, catalog.observations
    counts = np.bincount(np.asarray(o["target"]), minlength=catalog.n_targets)
    popular, typical = int(np.argmax(counts)), int(np.argmin(np.abs(counts - np.median(counts))))

    if page_size is None:
        from skyweave.catalog.settings import defaults

        page_size = int(defaults()["PAGE_SIZE"])

    def deep(collection):
        rows = store.index.execute("SELECT COUNT(*) FROM records WHERE coll = ?", (collection,))
        at = max(0, min(int(rows[0][0] * 0.9), rows[0][0] - page_size - 1))
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
        "workflow": path(popular_workflow(catalog)),
        "result": path(catalog.results["iri"][chosen_result(catalog)]),
        "alerts": "/alerts/",
        "alerts_messenger": f"/alerts/?messenger={quote(ALERTS_MESSENGER, safe='')}",
        "event": path(catalog.events["iri"][chosen_event(catalog)]),
    }


ALERTS_MESSENGER = "https://skyweave.org/ns#GravitationalWaves"
"""The messenger of the filtered alert list (a quarter of the generated events are LVK's)."""


def popular_workflow(catalog):
    """Return the IRI of the workflow most generated runs used (`catalog_bench.POPULAR_WORKFLOW`)."""
    counts = np.bincount(np.asarray(catalog.runs["workflow"]), minlength=len(catalog.workflows))
    return catalog.workflows[int(np.argmax(counts))][0]


def chosen_result(catalog):
    """Return the index of the benchmarked result: the first one of a run of the popular workflow."""
    popular = popular_workflow(catalog)
    return next((i for i, j in enumerate(catalog.results["run"])
                 if catalog.workflows[catalog.runs["workflow"][j]][0] == popular), 0)


def chosen_event(catalog):
    """Return the index of the benchmarked event: the first whose alert started a run, else the first."""
    informed = {int(a) for a in catalog.runs["informed"] if a >= 0}
    return next((e for e, alerts in enumerate(catalog.events["alerts"]) if informed & set(alerts)), 0)


def page_queries(catalog, paths):
    """SPARQL queries that fetch what each benchmarked page shows, for a bare SPARQL server.

    They give ``oxigraph serve`` the work of the page benchmark before its memory is read, so both
    servers' memory is measured after equivalent work: each list's first page with its count and
    facet counts, the facet and deep pages, text search over labels, the cone as an RA/Dec box,
    a target's and an observation's triples with the linked labels, an instrument's observations,
    the workflow's triples with its 20 newest runs and its versions, a result's and its run's
    triples with the run's results, the 100 newest alerts (all, and of one messenger) with the
    filter menus, an event's triples with its alerts, matched targets and the runs its alerts started.

    Parameters
    ----------
    catalog : catalog_bench.SyntheticCatalog
    paths : dict of str to str
        From `page_paths` (the deep pages start after the same records).

    Returns
    -------
    dict of str to list of str
        Page name (as in `page_paths`) -> the queries that page's content needs.
    """
    import catalog_bench as cb

    base, t, o = catalog.base, catalog.targets, catalog.observations
    counts = np.bincount(np.asarray(o["target"]), minlength=catalog.n_targets)
    popular, typical = int(np.argmax(counts)), int(np.argmin(np.abs(counts - np.median(counts))))
    p = cb._PREFIXES
    hess = f"<{base}instruments/hess>"

    def after(name):
        return unquote(paths[name].split("after=", 1)[1])

    def listing(cls, extra="", after=None, facet="sw:objectClass"):
        keyset = f"<{after}> rdfs:label ?after FILTER (STR(?label) > STR(?after))" if after else ""
        return [p + f"SELECT ?s ?label WHERE {{ ?s a {cls} ; rdfs:label ?label {extra} . {keyset} }} "
                    "ORDER BY ?label ?s LIMIT 51",
                p + f"SELECT (COUNT(?s) AS ?n) WHERE {{ ?s a {cls} {extra} }}",
                p + f"SELECT ?v (COUNT(?s) AS ?n) WHERE {{ ?s a {cls} ; {facet} ?v {extra} }} "
                    "GROUP BY ?v ORDER BY DESC(?n) LIMIT 30"]

    def record(iri):
        return [p + f"CONSTRUCT {{ <{iri}> ?p ?o . ?o rdfs:label ?l }} WHERE {{ <{iri}> ?p ?o "
                    "OPTIONAL { ?o rdfs:label ?l } }"]

    def target(i):
        ra, dec = float(t["ra"][i]), float(t["dec"][i])
        return record(t["iri"][i]) + [
            p + f"SELECT ?o ?label ?start WHERE {{ ?o sw:target <{t['iri'][i]}> ; rdfs:label ?label ; "
                "prov:startedAtTime ?start } ORDER BY DESC(?start) LIMIT 50",
            p + f"SELECT ?s ?label WHERE {{ ?s a sw:Target ; rdfs:label ?label ; sw:ra ?ra ; sw:dec ?dec "
                f"FILTER (?dec > {dec - 5} && ?dec < {dec + 5} && ?ra > {ra - 5} && ?ra < {ra + 5}) }} LIMIT 20"]

    def alerts(extra=""):
        return [p + "SELECT ?a ?received ?type ?tense ?name ?title ?topic ?mlabel WHERE { ?a a sw:Alert ; "
                    "sw:receivedAt ?received ; sw:alertType ?type ; sw:alertTense ?tense ; sw:about ?event ; "
                    "rdfs:label ?title ; sw:topic ?topic . ?event rdfs:label ?name ; sw:retracted ?retracted "
                    f"OPTIONAL {{ ?a sw:messenger ?m . ?m skos:prefLabel ?mlabel }} {extra} }} "
                    "ORDER BY DESC(?received) DESC(?a) LIMIT 100",
                p + "SELECT DISTINCT ?v ?label WHERE { { ?a a sw:Alert ; sw:messenger ?v . ?v skos:prefLabel ?label } "
                    "UNION { ?a a sw:Alert ; sw:instrument ?v . ?v rdfs:label ?label } } ORDER BY ?label"]

    workflow = popular_workflow(catalog)
    result = catalog.results["iri"][chosen_result(catalog)]
    run = catalog.runs["iri"][catalog.results["run"][chosen_result(catalog)]]
    event = catalog.events["iri"][chosen_event(catalog)]

    def search(text):
        return [p + "SELECT ?s ?label WHERE { ?s rdfs:label|skos:altLabel ?label "
                    f'FILTER (CONTAINS(LCASE(STR(?label)), "{text.lower()}")) }} LIMIT 50']

    return {
        "home": [p + "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type"],
        "targets": listing("sw:Target"),
        "targets_facet": listing("sw:Target", '; sw:objectClass "bll"'),
        "targets_deep": listing("sw:Target", after=after("targets_deep")),
        "observations": listing("sw:Observation", facet="sosa:madeBySensor"),
        "observations_facet": listing("sw:Observation", f"; sosa:madeBySensor {hess}", facet="sosa:madeBySensor"),
        "observations_deep": listing("sw:Observation", after=after("observations_deep"), facet="sosa:madeBySensor"),
        "text_search": search(str(t["name"][typical])),
        "text_prefix": search("pks"),
        "cone_search": [p + "SELECT ?s ?label ?ra ?dec WHERE { ?s a sw:Target ; rdfs:label ?label ; sw:ra ?ra ; "
                            "sw:dec ?dec FILTER (?ra > 82.55 && ?ra < 84.71 && ?dec > 21.01 && ?dec < 23.01) }"],
        "target": target(typical),
        "target_popular": target(popular),
        "observation": record(o["iri"][0]),
        "instrument": record(f"{base}instruments/hess") + listing(
            "sw:Observation", f"; sosa:madeBySensor {hess}", facet="sw:target")[:2],
        "workflow": record(workflow) + [
            p + f"SELECT ?run ?phase ?start WHERE {{ ?run a sw:Run ; prov:used <{workflow}> ; sw:phase ?phase "
                "OPTIONAL { ?run prov:startedAtTime ?start } } ORDER BY DESC(?start) LIMIT 20",
            p + "PREFIX schema: <https://schema.org/> SELECT ?w WHERE { ?w a schema:ComputationalWorkflow "
                f'FILTER(STRSTARTS(STR(?w), "{workflow.rsplit("-v", 1)[0]}-v")) }}'],
        "result": record(result) + record(run) + [
            p + f"SELECT ?res ?label WHERE {{ ?res prov:wasGeneratedBy <{run}> ; rdfs:label ?label }}",
            p + f"PREFIX schema: <https://schema.org/> SELECT ?n WHERE {{ <{run}> prov:used ?w . ?w schema:name ?n }}"],
        "alerts": alerts(),
        "alerts_messenger": alerts(f"?a sw:messenger <{ALERTS_MESSENGER}> ."),
        "event": record(event) + [
            p + f"SELECT ?a ?received ?issued ?type ?title ?payload WHERE {{ ?a sw:about <{event}> ; "
                "sw:receivedAt ?received ; sw:alertType ?type ; rdfs:label ?title ; dcat:distribution/dcat:downloadURL "
                "?payload OPTIONAL { ?a prov:generatedAtTime ?issued } } ORDER BY ?issued ?received",
            p + f"SELECT ?t ?label ?sep WHERE {{ <{event}> sw:localization ?l . ?a sw:localization ?l ; "
                "sw:crossMatch ?m . ?m sw:target ?t . ?t rdfs:label ?label OPTIONAL { ?m sw:separation ?sep } }",
            p + f"SELECT ?run ?label ?phase WHERE {{ ?a sw:about <{event}> . ?run prov:wasInformedBy ?a ; "
                "sw:phase ?phase ; rdfs:label ?label } ORDER BY ?run",
            p + f"SELECT ?run ?res ?url WHERE {{ ?a sw:about <{event}> . ?run prov:wasInformedBy ?a . "
                "?res prov:wasGeneratedBy ?run ; dcat:distribution/dcat:downloadURL ?url } ORDER BY ?run ?res"],
    }


def time_page_queries(session, url, queries, repeat):
    """Time each page's SPARQL queries (`page_queries`) on a bare SPARQL endpoint, as `time_pages` times pages.

    Returns
    -------
    dict of str to float
        Median milliseconds per page name (all its queries, one after the other).
    """
    out = {}
    for name, texts in queries.items():
        times = []
        for n in range(repeat + 1):
            t = time.perf_counter()
            for text in texts:
                response = session.get(url, params={"query": text},
                                       headers={"Accept": "application/sparql-results+json, application/n-triples"})
                assert response.status_code == 200, f"{name}: {response.status_code} {response.text[:300]}"
            if n:
                times.append((time.perf_counter() - t) * 1000)
        out[name] = statistics.median(times)
    return out


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


def pss_mb(pid):
    """Proportional set size of process ``pid`` in MB (Linux ``/proc/PID/smaps_rollup``), or None.

    The resident memory with each page shared with other processes counted as its share: the
    sum over a server and its worker processes counts the shared library code once, not once per
    process, as a sum of `rss_mb` would.
    """
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


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


# -- the page benchmark on its own ---------------------------------------------------------------

def _catalog_digest(catalog):
    """A short digest naming what the generator made: its version, IRIs, target names and positions,
    the runs' workflows and the alerts' times, in order, and the bundled workflows' parameters.

    The real records' blank nodes get new labels on every load, so the N-Quads themselves differ
    from run to run; the synthetic records, drawn from a seeded generator, do not.
    """
    import hashlib

    import catalog_bench as cb

    digest = hashlib.sha256(cb.GENERATOR_VERSION.encode("utf-8"))
    for column in (catalog.targets["iri"], catalog.targets["name"], catalog.targets["ra"], catalog.targets["dec"],
                   catalog.observations["iri"], catalog.observations["target"], catalog.runs.get("iri", ()),
                   catalog.runs.get("workflow", ()), catalog.results.get("iri", ()), catalog.alerts.get("iri", ()),
                   catalog.alerts.get("received", ()), catalog.events.get("iri", ())):
        digest.update("\n".join(map(str, column)).encode("utf-8"))
    for iri, spec, _ in catalog.workflows:  # the bundled notebooks' parameters and outputs
        digest.update(f"{iri} {spec.parameters} {spec.outputs}".encode("utf-8"))
    digest.update(" ".join(str(iri) for iri, _ in catalog.real).encode("utf-8"))
    return digest.hexdigest()[:12]


def _cached_store(label, n_triples, catalog, nquads, cache_dir, log):
    """Return the folder of a bulk-loaded store of this size, built once and kept in ``cache_dir``.

    The folder is keyed by the size and a digest of the generated records (`_catalog_digest`): the
    generator's output depends on the ontology and the real records it is sized around, so a store
    generated before either changed is not reused (its fresh records could point to targets it does
    not hold). A side index of an older schema version is rebuilt in the cached folder once.
    """
    import catalog_bench as cb
    from skyweave.catalog.indexes import SCHEMA_VERSION
    from skyweave.catalog.store import EmbeddedStore

    key = f"{label}-{n_triples}-{_catalog_digest(catalog)}"
    folder = Path(cache_dir) / key
    if (folder / "done").exists():
        if (folder / "done").read_text() != SCHEMA_VERSION:  # same triples, older side index: rebuild it once
            t = time.perf_counter()
            store = EmbeddedStore(folder / "store")
            store.close()
            (folder / "done").write_text(SCHEMA_VERSION)
            log(f"{label}: side index rebuilt in {time.perf_counter() - t:.1f} s")
        return folder
    tmp = Path(cache_dir) / (key + ".partial")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    t = time.perf_counter()
    cb.build_store(nquads, tmp)
    log(f"{label}: bulk load and index {time.perf_counter() - t:.1f} s")
    tmp.rename(folder)
    (folder / "done").write_text(SCHEMA_VERSION)
    return folder


def open_size(label, n_triples, cache_dir, folders, apps, log):
    """Copy one size's cached store to a temporary folder and serve it in this process.

    Parameters
    ----------
    label : str
    n_triples : int
    cache_dir : pathlib.Path
    folders, apps : contextlib.ExitStack
        The first removes the temporary folder, the second closes the server and the app.
    log : callable

    Returns
    -------
    dict
        ``{label, catalog, tmp, store, url, session, token, out}``; ``out`` collects the results.
    """
    import shutil
    import tempfile

    import catalog_bench as cb
    from skyweave.catalog.validate import ontology_graph
    from skyweave.catalog.web.app import create_app

    catalog = cb.generate(n_triples, real=cb.real_records(), ontology_triples=len(ontology_graph()))
    nquads, _ = catalog.serialize()
    folder = _cached_store(label, n_triples, catalog, nquads, cache_dir, log)
    del nquads
    tmp = folders.enter_context(tempfile.TemporaryDirectory(prefix=f"skyweave-pages-{label}-", dir=cache_dir))
    t = time.perf_counter()
    shutil.copytree(folder, tmp, dirs_exist_ok=True)
    log(f"{label}: copied the cached store in {time.perf_counter() - t:.1f} s")
    token = "bench-editor-token"
    app = create_app({"STORE": "embedded", "DATA_DIR": tmp, "BASE_IRI": cb.BASE, "SPARQL_MAX_ROWS": 10**7,
                      "SPARQL_TIMEOUT_S": 600, "API_TOKENS": {token: "editor"}, "SECRET_KEY": "bench"})
    apps.callback(cb._close_app, app)
    store = app.extensions["store"]
    server = cb.serve(app)
    apps.callback(server.close)
    session = apps.enter_context(requests.Session())
    out = {"label": label, "targets": catalog.n_targets, "observations": catalog.n_observations,
           "runs": catalog.n_runs, "results": catalog.n_results, "alerts": catalog.n_alerts,
           "events": catalog.n_events, "triples": len(store.ox)}
    return {"label": label, "catalog": catalog, "tmp": tmp, "store": store, "url": server.url, "session": session,
            "token": token, "out": out}


def interleaved_writes(sizes, n=20, warmup=2):
    """Time validated writes of fresh records at every size in turn (one record per size, round robin).

    Half go to ``store.put``, half through ``PUT`` over HTTP, targets and observations alternating,
    as `catalog_bench.time_writes` does; taking the sizes in turn makes a change of the machine's
    load hit every size alike.

    Returns
    -------
    None
        Each size's ``out["writes"]`` gets ``{direct_ms, http_ms, n}`` (medians).
    """
    from rdflib import Graph

    per_kind = (n + warmup) // 2
    plans = {}
    for size in sizes:
        cat = size["catalog"]
        order = [("target", *cat.fresh_targets[k]) if i == 0 else ("observation", *cat.fresh_observations[k])
                 for k in range(2 * per_kind) for i in (0, 1)]
        plans[size["label"]] = (order[:2 * per_kind], order[2 * per_kind:])
    times = {size["label"]: {"direct": [], "http": []} for size in sizes}
    for k in range(2 * per_kind):
        for size in sizes:
            kind, iri, nt = plans[size["label"]][0][k]
            graph = Graph().parse(data=nt, format="nt")
            t = time.perf_counter()
            assert size["store"].put(iri, graph).created
            if k >= warmup:
                times[size["label"]]["direct"].append(time.perf_counter() - t)
        for size in sizes:
            kind, iri, nt = plans[size["label"]][1][k]
            path = str(iri)[len(size["catalog"].base) - 1:]
            t = time.perf_counter()
            response = size["session"].put(size["url"] + path, data=nt.encode("utf-8"), timeout=120, headers={
                "Content-Type": "application/n-triples", "Authorization": f"Bearer {size['token']}",
                "Accept": "application/json"})
            assert response.status_code == 201, f"PUT {path}: {response.status_code} {response.text[:300]}"
            if k >= warmup:
                times[size["label"]]["http"].append(time.perf_counter() - t)
    for size in sizes:
        t = times[size["label"]]
        size["out"]["writes"] = {"direct_ms": statistics.median(t["direct"]) * 1000,
                                 "http_ms": statistics.median(t["http"]) * 1000, "n": len(t["direct"])}


def same_rows(sizes, paths):
    """Add the alert lists as every size can fill them: ``limit`` the fewest alerts any size holds.

    `/alerts/` shows the 100 newest alerts, but the smallest catalog holds fewer (15 at 10k, 4 of them
    from gravitational waves), so its default page shows fewer rows than the larger sizes'. The pages
    ``alerts_same_rows`` and ``alerts_messenger_same_rows`` ask every size for the same number of
    rows, as the deep list pages do, so their ratio compares like with like. Changes ``paths`` in place.

    Parameters
    ----------
    sizes : list of dict
        The opened sizes (their ``store`` has the side index).
    paths : dict of str to dict of str to str
        Size label -> page name -> path, as from `page_paths`.
    """
    from skyweave.catalog.indexes.lists import count

    fewest = min(count(size["store"].index, "alerts") for size in sizes)
    fewest_messenger = min(count(size["store"].index, "alerts", {"messenger": ALERTS_MESSENGER}) for size in sizes)
    for by_name in paths.values():
        by_name["alerts_same_rows"] = f"/alerts/?limit={max(1, min(100, fewest))}"
        by_name["alerts_messenger_same_rows"] = by_name["alerts_messenger"] + f"&limit={max(1, min(100, fewest_messenger))}"


def interleaved_pages(sizes, repeat):
    """Time every page at every size in turn: one warm-up round, then ``repeat`` rounds; medians.

    Returns
    -------
    dict of str to dict of str to str
        Size label -> page name -> path (for the served process later).
    """
    paths = {size["label"]: page_paths(size["catalog"], size["store"]) for size in sizes}
    same_rows(sizes, paths)
    times = {size["label"]: {} for size in sizes}
    names = list(paths[sizes[0]["label"]])
    for n in range(repeat + 1):
        for name in names:
            for size in sizes:
                path = paths[size["label"]][name]
                t = time.perf_counter()
                response = size["session"].get(size["url"] + path, headers={"Accept": "text/html"})
                elapsed = time.perf_counter() - t
                assert response.status_code == 200, f"{name} {path}: {response.status_code} {response.text[:300]}"
                if n:
                    times[size["label"]].setdefault(name, []).append(elapsed * 1000)
    for size in sizes:
        size["out"]["pages"] = {name: statistics.median(v) for name, v in times[size["label"]].items()}
    return paths


def run_sizes(sizes, repeat, cache_dir, log):
    """Open every size at once, time writes and pages round robin, then each size's ``skyweave serve``.

    Parameters
    ----------
    sizes : list of (str, int)
    repeat : int
    cache_dir : pathlib.Path
    log : callable

    Returns
    -------
    list of dict
        Per size ``{label, triples, targets, observations, writes, pages, served}``, smallest first.
    """
    import contextlib
    import gc

    import catalog_bench as cb

    with contextlib.ExitStack() as folders:
        with contextlib.ExitStack() as apps:  # closed before the served processes open the same stores
            opened = [open_size(label, n, cache_dir, folders, apps, log) for label, n in sizes]
            interleaved_writes(opened)
            log("writes: " + ", ".join(f"{s['label']} {s['out']['writes']['direct_ms']:.1f} ms" for s in opened))
            paths = interleaved_pages(opened, repeat)
            for size in opened:
                log(f"{size['label']}: pages: " + ", ".join(f"{k} {v:.1f} ms" for k, v in size["out"]["pages"].items()))
            for size in opened:
                del size["store"]
        gc.collect()
        for size in opened:
            size["out"]["served"] = cb.serve_and_compare(size["tmp"], size["catalog"], paths[size["label"]], repeat)
    return [size["out"] for size in opened]


def format_pages(results):
    """Render the page table of every size side by side, with the ratios of the largest to the smallest."""
    small, large = results[0], results[-1]
    head = f"{'page':20}" + "".join(f" {r['label'] + ' ms':>11}" for r in results) + f" {'ratio':>7}"
    lines = [", ".join(f"{r['label']}: {r['triples']:,} quads ({r['targets']:,} targets, "
                       f"{r['observations']:,} observations, {r.get('runs', 0):,} runs, {r.get('results', 0):,} "
                       f"results, {r.get('alerts', 0):,} alerts, {r.get('events', 0):,} events)" for r in results), head]
    for name in small["pages"]:
        ratio = large["pages"][name] / small["pages"][name]
        lines.append(f"{name:20}" + "".join(f" {r['pages'][name]:>11.1f}" for r in results)
                     + f" {ratio:>6.2f}x" + ("" if ratio <= PAGE_GOAL else "  over"))
    for key, title in (("direct_ms", "write store.put"), ("http_ms", "write HTTP PUT")):
        ratio = large["writes"][key] / small["writes"][key]
        lines.append(f"{title:20}" + "".join(f" {r['writes'][key]:>11.1f}" for r in results) + f" {ratio:>6.2f}x")
    for r in results:
        ours, bare = r["served"]["skyweave"], r["served"].get("oxigraph")
        line = (f"{r['label']}: skyweave serve ready {ours['ready_s']:.2f} s, after pages RSS {ours['rss_mb']:.0f} MB, "
                f"PSS {ours['pss_mb']:.0f} MB")
        if bare:
            line += (f"; oxigraph serve-read-only after the pages' queries RSS {bare['rss_mb']:.0f} MB, PSS "
                     f"{bare['pss_mb']:.0f} MB => RSS ratio {ours['rss_mb'] / bare['rss_mb']:.2f}x, PSS ratio "
                     f"{ours['pss_mb'] / bare['pss_mb']:.2f}x; q/s {ours['throughput']['qps']:.0f} vs "
                     f"{bare['throughput']['qps']:.0f} ({ours['throughput']['qps'] / bare['throughput']['qps']:.2f}x), "
                     f"p99 {ours['throughput']['p99_ms']:.0f} vs {bare['throughput']['p99_ms']:.0f} ms")
        lines.append(line)
    ratios = {k: large["pages"][k] / small["pages"][k] for k in small["pages"]}
    worst = max(ratios, key=ratios.get)
    lines.append(f"SUMMARY pages {large['label']}/{small['label']}: {sum(v <= PAGE_GOAL for v in ratios.values())}/"
                 f"{len(ratios)} within {PAGE_GOAL:g}x (worst {worst} {ratios[worst]:.2f}x); "
                 f"write {large['writes']['direct_ms'] / small['writes']['direct_ms']:.2f}x (goal <= 1.5); "
                 f"ready {large['served']['skyweave']['ready_s']:.2f} s (goal <= 2)")
    return "\n".join(lines)


def main(argv=None):
    """Run the page benchmark alone: pages, writes, start-up, memory at each size, stores cached between runs.

    Parameters
    ----------
    argv : list of str or None

    Returns
    -------
    int
        Exit status: 0.
    """
    import argparse
    import json
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import catalog_bench as cb

    parser = argparse.ArgumentParser(description="Pages, writes, start-up and memory of a served catalog (issue 13)")
    parser.add_argument("--quick", action="store_true", help="10k only")
    parser.add_argument("--sizes", default="10k,300k,3M", help="comma-separated sizes (default 10k,300k,3M)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per page (default 5)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "skyweave-page-bench",
                        help="folder keeping generated stores between runs (default: in the temporary folder)")
    parser.add_argument("--output", type=Path, default=None, help="JSON results file")
    args = parser.parse_args(argv)
    sizes = [("10k", cb.SIZES["10k"])] if args.quick else cb.parse_sizes(args.sizes)
    sizes.sort(key=lambda s: s[1])
    args.cache.mkdir(parents=True, exist_ok=True)
    results = run_sizes(sizes, args.repeat, args.cache, cb._log)
    print(format_pages(results), flush=True)
    if args.output:
        args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
