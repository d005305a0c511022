"""A workflow page's newest runs and a workflow's latest version, read from the side index
(https://github.com/skyweave issue 13): an alert-triggered workflow gathers runs without end, and
its page must cost the 20 runs it shows. Compared with brute-force SPARQL queries over every run.
"""

from datetime import datetime, timedelta, timezone

from bs4 import BeautifulSoup
from rdflib import Graph, Literal, URIRef

from skyweave.catalog.store import EmbeddedStore
from skyweave.catalog.vocab import RDF, SDO
from skyweave.runners.provenance import DataFile, run_graph
from skyweave.runners.registry import latest_version, newest_runs

from .conftest import BASE

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
RING, BROKEN = BASE + "workflows/ring-v1", BASE + "workflows/broken-analysis-v1"


def brute_force(store, workflow, limit=10**6):
    """The runs of ``workflow`` by one SPARQL query over all of them: latest start first, unstarted last."""
    rows = store.select(
        "PREFIX sw: <https://skyweave.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#> SELECT ?run ?phase ?start WHERE { "
        "?run a sw:Run ; prov:used $w ; sw:phase ?phase OPTIONAL { ?run prov:startedAtTime ?start } } "
        f"ORDER BY DESC(?start) DESC(?run) LIMIT {limit}", w=URIRef(workflow))
    return [{"run": str(r["run"]), "phase": str(r["phase"]), "start": str(r["start"]) if r.get("start") is not None else ""}
            for r in rows]


def put_run(store, n, workflow, started=None, phase=None, observation=None):
    """Store run ``runs/idx-{n}`` of ``workflow`` (started at T0 + ``started`` s, if given)."""
    iri = f"{BASE}runs/idx-{n:03d}"
    data = [DataFile("data.fits", "0" * 64, 10, None, observation)] if observation else ()
    graph = run_graph(iri, workflow, phase or ("COMPLETED" if started is not None else "QUEUED"),
                      {"ra": 83.6, "dec": 22.0}, "tester", "local",
                      started=None if started is None else T0 + timedelta(seconds=started),
                      ended=None if started is None else T0 + timedelta(seconds=started + 5), data=data)
    store.put(iri, graph, validate=False)
    return iri


def page_runs(client, slug):
    soup = BeautifulSoup(client.get(f"/workflows/{slug}").data, "html.parser")
    table = soup.find("h2", string="Runs").find_next("table")
    return [BASE + a["href"].lstrip("/") for a in table.select("tbody tr td:first-child a")]


def test_the_runs_box_shows_the_newest_runs_as_a_full_query_does(runner_app):
    store, client = runner_app.extensions["store"], runner_app.test_client()
    observation = next(str(r["o"]) for r in store.select(
        "PREFIX sw: <https://skyweave.org/ns#> SELECT ?o WHERE { ?o a sw:Observation } LIMIT 1"))
    # 30 runs of ring-v1: queued ones (no start), several started in the same second, some reading
    # an observation (which they prov:used too); and runs of the other workflow
    for n in range(30):
        put_run(store, n, RING, started=None if n % 7 == 0 else n // 3, observation=observation if n % 5 == 0 else None)
    for n in range(30, 36):
        put_run(store, n, BROKEN, started=100 + n)
    expected = brute_force(store, RING)
    assert len(expected) == 30 and expected[0]["start"] and not expected[-1]["start"]
    assert newest_runs(store, RING, limit=1000) == expected
    assert newest_runs(store, RING) == expected[:20] and newest_runs(store, BROKEN) == brute_force(store, BROKEN)
    assert page_runs(client, "ring-v1") == [r["run"] for r in expected[:20]]

    # a queued run starts, one is deleted, one is rewritten with another workflow
    put_run(store, 0, RING, started=50)
    store.delete(expected[0]["run"])
    put_run(store, 3, BROKEN, started=60)
    expected = brute_force(store, RING)
    assert expected[0]["run"] == f"{BASE}runs/idx-000" and len(expected) == 28
    assert newest_runs(store, RING, limit=1000) == expected
    assert newest_runs(store, BROKEN, limit=1000) == brute_force(store, BROKEN)
    assert page_runs(client, "ring-v1") == [r["run"] for r in expected[:20]]

    # the runs list still lists every run, queued ones included, and the observation is no workflow
    listed = client.get("/runs/", headers={"Accept": "application/json"}).json
    total = int(store.select("PREFIX sw: <https://skyweave.org/ns#> SELECT (COUNT(?r) AS ?n) WHERE { ?r a sw:Run }")[0]["n"])
    assert listed["total"] == total >= 34
    from skyweave.catalog.indexes.lists import facet_counts

    assert dict(facet_counts(store.index, "runs", "workflow")) == {RING: 28, BROKEN: 7}


def test_the_latest_version_is_found_by_its_prefix_as_by_a_scan(small_records):
    indexed, plain = EmbeddedStore(None), EmbeddedStore(None, index=False)
    try:
        for slug in ("foo-v1", "foo-v2", "foo-v10", "foo-bar-v3", "foo-vx", "food-v9", "fo-v4"):
            iri = URIRef(f"{BASE}workflows/{slug}")
            graph = Graph()
            graph.add((iri, RDF.type, URIRef(f"{SDO}ComputationalWorkflow")))
            graph.add((iri, SDO.name, Literal(slug)))
            for store in (indexed, plain):
                store.put(iri, graph, validate=False)
        assert indexed.index is not None and plain.index is None
        for slug, newest in (("foo", "foo-v10"), ("foo-bar", "foo-bar-v3"), ("food", "food-v9"), ("fo", "fo-v4"),
                             ("f", None), ("foo-v1", None)):
            expected = f"{BASE}workflows/{newest}" if newest else None
            assert latest_version(indexed, BASE, slug) == latest_version(plain, BASE, slug) == expected, slug
    finally:
        indexed.close()
        plain.close()
