"""The side indexes (issue 13): exact counts and facets, keyset pages, cone search, full text, crash safety.

Behaviour, not timing: every answer the indexes give is compared with what a full scan of the store
(SPARQL) or a brute-force astropy separation over every position gives.
"""

import os
import subprocess
import sys
import textwrap
from urllib.parse import quote

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from rdflib import Graph, Literal, URIRef

from skyweave.catalog.exceptions import ValidationFailed
from skyweave.catalog.indexes import lists as ix
from skyweave.catalog.indexes.text import search_texts
from skyweave.catalog.queries import prologue
from skyweave.catalog.sky import find_in_cone, neighbours
from skyweave.catalog.store import EmbeddedStore
from skyweave.catalog.vocab import DCTERMS, RDF, RDFS, SKOS, SW, split_iri
from skyweave.catalog.web.views.search import text_search

from .conftest import BASE

HGPS = URIRef(f"{BASE}catalogs/hgps")


def target(slug, ra, dec, label=None, cls="pwn", catalog=HGPS):
    """A target record that passes the shapes (its catalog must exist)."""
    iri = URIRef(f"{BASE}targets/{slug}")
    g = Graph()
    g.add((iri, RDF.type, SW.Target))
    g.add((iri, RDFS.label, Literal(label or slug.upper())))
    g.add((iri, SW.ra, Literal(float(ra))))
    g.add((iri, SW.dec, Literal(float(dec))))
    g.add((iri, SW.objectClass, Literal(cls)))
    g.add((iri, DCTERMS.source, catalog))
    return iri, g


@pytest.fixture
def store(small_records):
    store = EmbeddedStore(None)
    stored, rejected = store.put_many(small_records)
    assert not rejected
    yield store
    store.close()


# -- counts and facets ------------------------------------------------------------------
FACET_PATTERNS = {("targets", "class"): "sw:objectClass", ("targets", "catalog"): "dcterms:source",
                  ("observations", "target"): "sw:target", ("observations", "instrument"): "sosa:madeBySensor"}
CLASSES = {"targets": "sw:Target", "observations": "sw:Observation"}
LABEL = "?s rdfs:label|schema:name|dcterms:title ?label ."


def full_counts(store, collection):
    """Count the collection and its facets by scanning the store (SPARQL)."""
    cls = CLASSES[collection]
    total = int(store.select(prologue() + f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a {cls} . {LABEL} }}")[0]["n"])
    facets = {}
    for (coll, facet), prop in FACET_PATTERNS.items():
        if coll != collection:
            continue
        rows = store.select(prologue() + f"SELECT ?v (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a {cls} . {LABEL} "
                            f"?s {prop} ?v }} GROUP BY ?v")
        facets[facet] = sorted((str(r["v"]), int(r["n"])) for r in rows)
    return total, facets


def index_counts(store, collection):
    total = ix.count(store.index, collection)
    facets = {facet: sorted(ix.facet_counts(store.index, collection, facet, limit=10**6))
              for (coll, facet) in FACET_PATTERNS if coll == collection}
    return total, facets


def _term(value):
    return URIRef(value).n3() if value.startswith(("http://", "https://")) else Literal(value).n3()


def full_filtered_list(store, collection, filters):
    """The IRIs of the collection with every facet value of ``filters``, by a scan of the store (SPARQL)."""
    patterns = " ".join(f"?s {FACET_PATTERNS[collection, f]} {_term(v)} ." for f, v in filters.items())
    rows = store.select(prologue() + f"SELECT DISTINCT ?s WHERE {{ ?s a {CLASSES[collection]} . {LABEL} {patterns} }}")
    return {str(r["s"]) for r in rows}


def full_filtered_facet(store, collection, facet, filters):
    """Counts of one facet's values among the records with ``filters``, by a scan of the store."""
    patterns = " ".join(f"?s {FACET_PATTERNS[collection, f]} {_term(v)} ." for f, v in filters.items())
    rows = store.select(prologue() + f"SELECT ?v (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a {CLASSES[collection]} . "
                        f"{LABEL} {patterns} ?s {FACET_PATTERNS[collection, facet]} ?v }} GROUP BY ?v")
    return sorted((str(r["v"]), int(r["n"])) for r in rows)


def assert_filtered_exact(store):
    """With each facet value active: its count, the other facet's counts and the listed records equal a scan."""
    for (collection, facet) in FACET_PATTERNS:
        for value, n in ix.facet_counts(store.index, collection, facet, limit=10**6):
            active = {facet: value}
            listed = [i for i, _ in ix.list_page(store.index, collection, active, size=10**6).iris]
            assert len(listed) == len(set(listed)) == n == ix.count(store.index, collection, active)
            assert set(listed) == full_filtered_list(store, collection, active)
            for (c2, other) in FACET_PATTERNS:
                if c2 == collection and other != facet:
                    got = sorted(ix.facet_counts(store.index, collection, other, active, limit=10**6))
                    assert got == full_filtered_facet(store, collection, other, active), (collection, active, other)


def assert_counts_exact(store):
    for collection in CLASSES:
        assert index_counts(store, collection) == full_counts(store, collection)
    assert_filtered_exact(store)


def test_counts_and_facets_equal_a_full_count_after_writes_deletes_and_rejected_writes(store):
    assert_counts_exact(store)
    before = index_counts(store, "targets")
    assert before[0] > 0 and before[1]["class"]

    store.put(*target("new-one", 10, 10, cls="snr"))
    assert_counts_exact(store)
    assert index_counts(store, "targets")[0] == before[0] + 1

    iri, g = target("new-one", 10, 10, cls="binary")          # replacing moves it to another class
    store.put(iri, g)
    assert_counts_exact(store)
    assert ("snr", 1) not in index_counts(store, "targets")[1]["class"]

    store.delete(f"{BASE}targets/crab-nebula")
    assert_counts_exact(store)

    generation = store.index.generation
    bad_iri, bad = target("broken", 0, 0)
    bad.remove((bad_iri, SW.ra, None))                          # a target needs a position
    with pytest.raises(ValidationFailed):
        store.put(bad_iri, bad)
    assert store.index.generation == generation
    assert_counts_exact(store)

    stored, _ = store.put_many([target(f"batch-{i}", i, -i, cls="agn") for i in range(5)])
    assert len(stored) == 5
    assert_counts_exact(store)
    filtered = ix.count(store.index, "targets", {"class": "agn", "catalog": str(HGPS)})
    assert filtered == 5
    both = {"class": "agn", "catalog": str(HGPS)}
    assert {i for i, _ in ix.list_page(store.index, "targets", both, size=10**6).iris} == full_filtered_list(
        store, "targets", both)

    for i in range(5):                                          # deleting lowers every maintained count
        store.delete(f"{BASE}targets/batch-{i}")
    assert ix.count(store.index, "targets", both) == 0
    assert ("agn", 5) not in ix.facet_counts(store.index, "targets", "class")
    assert_counts_exact(store)



def _index_tables(index):
    """Every row of the index's tables but the text rows' ids (which count insertions)."""
    tables = {t: sorted(index.execute(f"SELECT * FROM {t}")) for t in
              ("records", "facets", "list_counts", "facet_counts", "facet_pairs", "positions", "journal")}
    tables["text_rows"] = sorted(index.execute("SELECT iri, label, text FROM text_rows"))
    return tables


def test_the_batch_write_path_indexes_what_it_writes_as_a_rebuild_from_the_store_would(store):
    """`Store.put_triples` hands the index the triples it wrote (no read back, no deletes for new
    records); the rows and counts must be those a full rebuild reads from the store."""
    from skyweave.catalog.indexes import CatalogIndex
    from skyweave.catalog.terms import from_rdflib

    def plain(iri, graph):
        return str(iri), [tuple(map(from_rdflib, t)) for t in graph]

    stored, rejected = store.put_triples([plain(*target(f"plain-{i}", 3 * i, -i, cls="snr")) for i in range(4)])
    assert len(stored) == 4 and not rejected and all(w.created for w in stored)
    assert_counts_exact(store)
    # replaced (a new class and label, another position) beside a new one, in one batch
    named_iri, named = target("plain-1", 3, -1, cls="snr")                # the same, and one more name
    named.add((named_iri, SKOS.altLabel, Literal("Another name")))
    kept_ids = store.index.execute("SELECT id FROM text_rows WHERE iri = ?", (str(named_iri),))
    stored, _ = store.put_triples([plain(*target("plain-0", 50, 5, label="Renamed", cls="binary")),
                                   plain(*target("plain-9", 1, 1, cls="agn")), plain(named_iri, named)])
    assert [w.created for w in stored] == [False, True, False]
    # the unchanged text row stays as it was; only the new name is added to the full-text index
    assert set(kept_ids) < set(store.index.execute("SELECT id FROM text_rows WHERE iri = ?", (str(named_iri),)))
    assert [r[0] for r in search_texts(store.index, "another name")] == [str(named_iri)]
    assert not search_texts(store.index, "plain-0")
    assert_counts_exact(store)
    assert ("snr", 3) in index_counts(store, "targets")[1]["class"]
    rebuilt = CatalogIndex(None)
    try:
        rebuilt.rebuild(store)
        assert _index_tables(store.index) == _index_tables(rebuilt)
    finally:
        rebuilt.close()
    # the replaced record's earlier content is kept as a version, readable as a graph
    [version] = store.versions(f"{BASE}targets/plain-0")
    kept = store.version(f"{BASE}targets/plain-0", version.number)
    assert kept.value(URIRef(f"{BASE}targets/plain-0"), RDFS.label) == Literal("PLAIN-0")

# -- keyset pagination -------------------------------------------------------------------
def test_filtered_pages_return_every_matching_record_exactly_once_in_list_order_while_writing(small_records):
    store = EmbeddedStore(None)
    try:
        rng = np.random.default_rng(11)
        store.put_many([r for r in small_records if "/catalogs/" in str(r[0])])
        store.put_many([target(f"t-{i}", rng.uniform(0, 360), rng.uniform(-90, 90), cls=("pwn", "snr", "agn")[i % 3],
                               label=f"T {rng.integers(10**6):06d}") for i in range(200)], validate=False)
        active = {"class": "snr", "catalog": str(HGPS)}
        present = [i for i, _ in ix.list_page(store.index, "targets", active, size=10**6).iris]
        assert set(present) == full_filtered_list(store, "targets", active)
        everything = [i for i, _ in ix.list_page(store.index, "targets", size=10**6).iris]
        assert present == [i for i in everything if i in set(present)], "filtered order differs from the list order"
        seen, after, n = [], None, 0
        while True:
            page = ix.list_page(store.index, "targets", active, size=6, after=after)
            seen += [i for i, _ in page.iris]
            store.put(*target(f"late-{n}", 1, 1, cls="snr", label=f"T {rng.integers(10**6):06d}"), validate=False)
            n += 1
            if page.next_after is None:
                break
            after = page.next_after
        assert len(seen) == len(set(seen)), "a record came twice"
        assert set(present) <= set(seen), "a record present throughout was skipped"
        full = [i for i, _ in ix.list_page(store.index, "targets", active, size=10**6).iris]
        back, before = [], full[-1]
        while before:
            page = ix.list_page(store.index, "targets", active, size=5, before=before)
            back = [i for i, _ in page.iris] + back
            before = page.prev_before
        assert back == full[:-1]
    finally:
        store.close()


def test_pages_return_every_record_exactly_once_while_records_are_written(small_records):
    store = EmbeddedStore(None)
    try:
        rng = np.random.default_rng(7)
        store.put_many([r for r in small_records if "/catalogs/" in str(r[0])])
        store.put_many([target(f"t-{i}", rng.uniform(0, 360), rng.uniform(-90, 90), label=f"T {rng.integers(10**6):06d}")
                        for i in range(300)], validate=False)
        present = {i for i, _ in ix.list_page(store.index, "targets", size=10**6).iris}
        seen, after, n = [], None, 0
        while True:
            page = ix.list_page(store.index, "targets", size=7, after=after)
            seen += [i for i, _ in page.iris]
            # a write between two page requests: new records, and a rewrite of one already listed
            store.put(*target(f"late-{n}", 1, 1, label=f"T {rng.integers(10**6):06d}"), validate=False)
            store.put(*target("t-3", 5, 5, label=str(store.get(f"{BASE}targets/t-3").value(
                URIRef(f"{BASE}targets/t-3"), RDFS.label))), validate=False)
            n += 1
            if page.next_after is None:
                break
            after = page.next_after
        assert len(seen) == len(set(seen)), "a record came twice"
        assert present <= set(seen), "a record present throughout was skipped"
        # paging back from the end gives the same order, reversed page by page
        full = [i for i, _ in ix.list_page(store.index, "targets", size=10**6).iris]
        back, before = [], full[-1]
        while before:
            page = ix.list_page(store.index, "targets", size=9, before=before)
            back = [i for i, _ in page.iris] + back
            before = page.prev_before
        assert back == full[:-1]
    finally:
        store.close()


def test_list_page_links_use_the_keyset_cursor(client):
    first = client.get("/targets/", headers={"Accept": "application/json"}).json
    assert first["next"] and first["prev"] is None
    second = client.get("/targets/", query_string={"after": first["next"]}, headers={"Accept": "application/json"}).json
    assert second["rows"][0]["iri"] > "" and second["rows"][0]["iri"] not in {r["iri"] for r in first["rows"]}
    assert second["prev"] == second["rows"][0]["iri"]
    back = client.get("/targets/", query_string={"before": second["prev"]}, headers={"Accept": "application/json"}).json
    assert [r["iri"] for r in back["rows"]] == [r["iri"] for r in first["rows"]]
    by_number = client.get("/targets/?page=2", headers={"Accept": "application/json"}).json
    assert [r["iri"] for r in by_number["rows"]] == [r["iri"] for r in second["rows"]]
    html = client.get("/targets/", query_string={"after": first["next"]}).get_data(as_text=True)
    assert 'rel="next" href="/targets/?after=' in html and 'rel="prev" href="/targets/?before=' in html


# -- cone search ------------------------------------------------------------------------
def random_positions(rng, n):
    """Uniform on the sphere, plus crowds at both poles and on both sides of RA = 0/360."""
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    k = n // 8
    dec[:k] = 90 - rng.uniform(0, 2, k)
    dec[k:2 * k] = -90 + rng.uniform(0, 2, k)
    ra[2 * k:3 * k] = np.where(rng.random(k) < 0.5, rng.uniform(0, 0.5, k), 360 - rng.uniform(1e-9, 0.5, k))
    dec[2 * k:3 * k] = rng.uniform(-5, 5, k)
    dec[3] = 90.0
    dec[k + 3] = -90.0
    ra[2 * k + 3] = 0.0
    return ra, dec


def test_cone_search_over_the_index_equals_brute_force_separation():
    rng = np.random.default_rng(2026)
    ra, dec = random_positions(rng, 4000)
    store = EmbeddedStore(None)
    try:
        store.put_many([target(f"p-{i}", a, d) for i, (a, d) in enumerate(zip(ra, dec))], validate=False, batch_size=2000)
        everything = SkyCoord(ra * u.deg, dec * u.deg)
        centres = [(0.0, 90.0), (180.0, -90.0), (0.0, 0.0), (359.99, 1.0), (0.01, -2.0), (45.0, 89.5), (300.0, -89.0)]
        centres += [(float(a), float(d)) for a, d in zip(rng.uniform(0, 360, 25), np.degrees(np.arcsin(rng.uniform(-1, 1, 25))))]
        checked = 0
        for (a, d), radius in zip(centres, rng.choice([0.05, 0.3, 1.0, 2.5, 7.0, 15.0, 30.0], len(centres))):
            centre = SkyCoord(a * u.deg, d * u.deg)
            expected = {f"{BASE}targets/p-{i}" for i in np.flatnonzero(everything.separation(centre).deg <= radius)}
            found = find_in_cone(store, centre, radius * u.deg, kinds=("targets",))["targets"]
            assert {h["iri"] for h in found} == expected, (a, d, radius)
            assert [h["separation_deg"] for h in found] == sorted(h["separation_deg"] for h in found)
            checked += len(expected)
        assert checked > 500
        near = neighbours(store, BASE, 0.0, 90.0, 2.0, exclude=URIRef(f"{BASE}targets/p-3"))
        assert f"{BASE}targets/p-3" not in {h["iri"] for h in near} and len(near) > 10
    finally:
        store.close()


# -- full text --------------------------------------------------------------------------
def scan(store, q):
    """What a scan of every name and description finds (SPARQL CONTAINS over LCASE)."""
    rows = store.select(prologue() + "SELECT DISTINCT ?s WHERE { ?s rdfs:label|schema:name|dcterms:title|skos:altLabel|"
                        "rdfs:comment|schema:description ?text . ?s rdfs:label|schema:name|dcterms:title ?label "
                        f"FILTER(CONTAINS(LCASE(STR(?text)), LCASE({Literal(q).n3()}))) }}")
    return {str(r["s"]) for r in rows if split_iri(BASE, r["s"])}


@pytest.mark.parametrize("q", ["crab", "Crab Nebula", "PKS", "2155", "ebu", "j05", "h.e.s.s", "3fhl j1", "lat", "pw",
                               "ab", "zzzz", "run 2352", "Nebula)"])
def test_text_search_finds_what_a_scan_finds(app, q):
    store = app.extensions["store"]
    found = {h["iri"] for h in text_search(store, BASE, q, limit=10**6)}
    assert found == scan(store, q)


def test_text_search_ranks_exact_names_then_prefixes(app):
    store = app.extensions["store"]
    hits = text_search(store, BASE, "crab nebula")
    assert hits[0]["label"] == "Crab Nebula" or hits[0]["matched"] == "Crab Nebula"
    assert search_texts(store.index, "crab")[0][0]  # ranked, an IRI first


def test_text_search_pages_show_every_match_once(app, client):
    store = app.extensions["store"]
    q = "lat"
    full = scan(store, q)
    assert len(full) > 6
    paged, offset = [], 0
    while True:
        hits = text_search(store, BASE, q, limit=4, offset=offset)
        paged += [h["iri"] for h in hits]
        if len(hits) < 4:
            break
        offset += 4
    assert len(paged) == len(set(paged)) and set(paged) == full
    # the page shows at most its page size and links to the next one
    from bs4 import BeautifulSoup
    from skyweave.catalog.web.views.search import TEXT_PAGE

    html = BeautifulSoup(client.get(f"/search?q={q}").text, "html.parser")
    shown = html.select("section table tbody tr")
    assert 0 < len(shown) <= TEXT_PAGE
    nxt = html.select_one('a[rel="next"]')
    assert (nxt is not None) == (len(full) > TEXT_PAGE)


def test_text_search_puts_names_starting_with_the_query_first_then_shorter_matches():
    store = EmbeddedStore(None)
    try:
        for slug, label in (("a", "Old Crab Remnant Field"), ("b", "Crab"), ("c", "Crab Pulsar Wind"), ("d", "The Crab")):
            store.put(*target(slug, 1, 1, label=label), validate=False)
        texts = [t for _, _, t in search_texts(store.index, "crab")]
        assert texts == ["Crab", "Crab Pulsar Wind", "The Crab", "Old Crab Remnant Field"]
        assert [t for _, _, t in search_texts(store.index, "crab", limit=2)] == texts[:2]
    finally:
        store.close()


# -- crash safety -----------------------------------------------------------------------
KILLED_WRITER = textwrap.dedent("""
    import os, signal, sys
    from rdflib import Graph, Literal, URIRef
    from skyweave.catalog.indexes import CatalogIndex
    from skyweave.catalog.store import EmbeddedStore
    from skyweave.catalog.vocab import RDF, RDFS, SW

    store = EmbeddedStore(sys.argv[1])
    for n, name in enumerate(("kept", "doomed")):
        iri = URIRef("http://localhost/targets/" + name)
        g = Graph()
        for p, o in ((RDF.type, SW.Target), (RDFS.label, Literal(name)), (SW.ra, Literal(1.0 + n)), (SW.dec, Literal(2.0))):
            g.add((iri, p, o))
        if name == "doomed":  # the store commits, then the process dies before the index does
            CatalogIndex.refresh = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
        store.put(iri, g, validate=False)
""")


def test_indexes_survive_kill_9_and_restart(tmp_path):
    path = tmp_path / "store"
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    store = EmbeddedStore(path)
    try:
        assert {i for i, _ in ix.list_page(store.index, "targets").iris} == {f"{BASE}targets/kept", f"{BASE}targets/doomed"}
        assert {r[0] for r in search_texts(store.index, "doomed")} == {f"{BASE}targets/doomed"}
        assert store.index.execute("SELECT COUNT(*) FROM journal") == [(0,)]
    finally:
        store.close()
    # a lost index file is rebuilt from the store on start
    os.remove(tmp_path / "store-index.sqlite")
    store = EmbeddedStore(path)
    try:
        assert ix.count(store.index, "targets") == 2
        assert {r[0] for r in search_texts(store.index, "doomed")} == {f"{BASE}targets/doomed"}
        store.put(*target("after-rebuild", 3, 3), validate=False)  # the rebuilt index keeps up with writes
        assert {r[0] for r in search_texts(store.index, "after-rebuild")} == {f"{BASE}targets/after-rebuild"}
        hits = find_in_cone(store, SkyCoord(2 * u.deg, 2 * u.deg), 0.5 * u.deg, kinds=("targets",))["targets"]
        assert [h["iri"] for h in hits] == [f"{BASE}targets/doomed"]
    finally:
        store.close()


def test_a_popular_target_page_lists_its_first_observations_and_links_to_all():
    """A target's page costs what it shows: the first observations by start time, the count, a link to the list."""
    from datetime import datetime, timedelta, timezone

    from skyweave.catalog.pages import OBSERVATIONS_SHOWN, target_extra
    from skyweave.catalog.vocab import PROV, XSD

    store = EmbeddedStore(None)
    try:
        t_iri, t_graph = target("popular", 83.6, 22.0)
        records = [(t_iri, t_graph)]
        start = datetime(2020, 1, 1, tzinfo=timezone.utc)
        order = np.random.default_rng(3).permutation(OBSERVATIONS_SHOWN + 10)
        for n in order:
            iri = URIRef(f"{BASE}observations/run-{n}")
            g = Graph()
            g.add((iri, RDF.type, SW.Observation))
            g.add((iri, RDFS.label, Literal(f"run {n}")))
            g.add((iri, SW.target, t_iri))
            g.add((iri, PROV.startedAtTime, Literal((start + timedelta(hours=int(n))).isoformat(), datatype=XSD.dateTime)))
            g.add((iri, SW.liveTime, Literal(1000.0)))
            records.append((iri, g))
        store.put_many(records, validate=False)
        extra = target_extra(store, BASE, t_iri, t_graph)
        assert extra["observations_total"] == OBSERVATIONS_SHOWN + 10
        assert [o["label"] for o in extra["observations"]] == [f"run {n}" for n in range(OBSERVATIONS_SHOWN)]
        assert extra["observations_href"] == "/observations/?target=" + quote(str(t_iri), safe="")
    finally:
        store.close()


def test_reindex_command_rebuilds_the_index_after_an_outside_load(tmp_path, monkeypatch):
    """Data loaded into the store folder by another tool appears in the lists after ``skyweave reindex``."""
    import pyoxigraph as ox
    from click.testing import CliRunner

    from skyweave.catalog.cli import cli

    monkeypatch.setenv("SKYWEAVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SKYWEAVE_BASE_IRI", BASE)
    monkeypatch.setenv("SKYWEAVE_STORE", "embedded")
    store = EmbeddedStore(tmp_path / "store")
    iri, g = target("outside", 1, 2)
    store.ox.bulk_load(input="".join(f"{s.n3()} {p.n3()} {o.n3()} {iri.n3()} .\n" for s, p, o in g).encode(),
                       format=ox.RdfFormat.N_QUADS)  # behind the index's back
    assert ix.count(store.index, "targets") == 0
    store.close()
    result = CliRunner().invoke(cli, ["reindex"], catch_exceptions=False)
    assert result.exit_code == 0 and "indexed" in result.output
    store = EmbeddedStore(tmp_path / "store")
    try:
        assert [i for i, _ in ix.list_page(store.index, "targets").iris] == [str(iri)]
    finally:
        store.close()
