"""The alert list, its feed and filter menus, and a workflow's newest runs, read from the side index
(https://github.com/skyweave issue 13): what a page costs depends on what it shows, not on how many
alerts or runs the catalog holds.

Behaviour, not timing: every answer is compared with the SPARQL scan the pages ran before (the
same alerts in the same order, for each filter and ``since``), after new alerts, a retraction,
deletions and a rejected write; pages of older alerts give every alert exactly once; a workflow's
runs box equals a brute-force query; an index deleted or of an older schema is rebuilt with the
alerts in it.
"""

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from rdflib import Graph, Literal, URIRef

from skyweave.alerts import Message
from skyweave.alerts.intake import Intake
from skyweave.alerts.queries import _newest_by_scan, newest_alerts
from skyweave.catalog.exceptions import ValidationFailed
from skyweave.catalog.indexes import lists as ix
from skyweave.catalog.store import EmbeddedStore
from skyweave.catalog.vocab import SW

from .alert_samples import example, gcn_schemas, igwn_alert
from .conftest import BASE

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
NS = "https://skyweave.org/ns#"
NEUTRINOS, PHOTONS, GW = NS + "Neutrinos", NS + "Photons", NS + "GravitationalWaves"
ICECUBE, LIGO, VIRGO = BASE + "instruments/icecube", BASE + "instruments/ligo", BASE + "instruments/virgo"
P = ("PREFIX sw: <https://skyweave.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#> "
     "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ")

FILTERS = [{}, {"messenger": NEUTRINOS}, {"messenger": GW}, {"messenger": PHOTONS}, {"alert_type": "initial"},
           {"alert_type": "update"}, {"alert_type": "retraction"}, {"tense": "test"}, {"tense": "current"},
           {"mission": ICECUBE}, {"mission": VIRGO}, {"messenger": NEUTRINOS, "alert_type": "update"},
           {"messenger": GW, "mission": LIGO, "tense": "current"}, {"messenger": NS + "Nothing"}]
SINCES = [None, "2026-12-01T00:00:01Z", "2026-12-01T01:00:01+01:00", "2026-12-01T00:00:02.5Z",
          "2026-11-30T10:00:01", "2026-11-30T10:00:00.5", "2026-12-01", "not a time"]


def icecube(k, alert_type="initial", seconds=0):
    """An IceCube track notice (GCN's example) for event ``IceCube-2501{k}A``, received at T0 + ``seconds``."""
    data = json.loads(example("icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json"))
    data.update(event_name=[f"IceCube-2501{k:02d}A"], alert_type=alert_type, ra=83.7, dec=22.0, ra_dec_error=0.5)
    return Message(json.dumps(data).encode(), "gcn.notices.icecube", received=T0 + timedelta(seconds=seconds))


def first_batch():
    """Fourteen alerts of every messenger, several received in the same second (ties broken by IRI)."""
    out = [icecube(k, ("initial", "update")[k % 2], k // 3) for k in range(8)]
    for n, rel in enumerate(["swift/bat/Guano.example.json", "einstein_probe/wxt/alert.example.json",
                             "superk/sn_alert.test.example.json", "fermi/gbm/trigger.alert.example.json"]):
        out.append(Message(example(rel), "gcn.notices." + rel.split("/")[0], received=T0 + timedelta(seconds=2 + n % 2)))
    out += [Message(igwn_alert("S250101ab", kind), "igwn.gwalert", received=T0 + timedelta(seconds=s))
            for kind, s in (("PRELIMINARY", 3), ("INITIAL", 4))]
    return out


@pytest.fixture
def alerts(fresh_app):
    """The app, its store and intake, with `first_batch` stored."""
    store = fresh_app.extensions["store"]
    intake = Intake(store, BASE, fresh_app.config["DATA_DIR"], gcn_schemas())
    assert len(intake.process(first_batch()).stored) == 14
    return fresh_app, store, intake


def scan_count(store):
    """Alerts in the store, by a SPARQL count."""
    return int(store.select(P + "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a sw:Alert ; rdfs:label ?l }")[0]["n"])


def assert_as_scanned(store):
    """`newest_alerts` (side index) equals the SPARQL scan for every filter, ``since`` and limit; returns the full list."""
    everything = _newest_by_scan(store, 1000, None, None, None, None, None, None)
    assert newest_alerts(store, limit=1000) == everything
    for filters in FILTERS:
        for since in SINCES:
            for limit in (1, 3, 100):
                expected = _newest_by_scan(store, limit, filters.get("messenger"), filters.get("alert_type"),
                                           filters.get("tense"), filters.get("mission"), since, None)
                assert newest_alerts(store, limit=limit, since=since, **filters) == expected, (filters, since, limit)
    assert ix.count(store.index, "alerts") == scan_count(store)
    return everything


def test_the_list_equals_the_scan_through_writes_retractions_deletions_and_refusals(alerts):
    app, store, intake = alerts
    everything = assert_as_scanned(store)
    assert len(everything) == 14 and everything[0]["event"] == "S250101ab"
    assert [a["received"] for a in everything] == sorted((a["received"] for a in everything), reverse=True)
    # some of the filters and bounds select something, some not
    assert len(newest_alerts(store, since="2026-12-01T00:00:02.5Z")) == 4
    assert len(newest_alerts(store, since="2026-11-30T10:00:01")) == 8  # no zone: later in every zone
    assert newest_alerts(store, since="not a time") == [] and newest_alerts(store, messenger=NS + "Nothing") == []

    # new alerts, some in the same second as stored ones
    assert len(intake.process([icecube(k, "update", 4 + k % 2) for k in range(8, 14)]).stored) == 6
    assert len(assert_as_scanned(store)) == 20

    # a retraction: a new alert, and its event's earlier alerts show as retracted
    intake.process([icecube(3, "retraction", 9)])
    after = assert_as_scanned(store)
    retracted = [a for a in after if a["event"] == "IceCube-250103A"]
    assert len(retracted) == 2 and all(a["retracted"] for a in retracted)
    assert newest_alerts(store, alert_type="retraction")[0]["event"] == "IceCube-250103A"

    # deletions: an alert, and an event (whose alerts the list no longer shows)
    store.delete(after[0]["alert"])
    store.delete(f"{BASE}events/icecube-250109a")
    left = assert_as_scanned(store)
    assert len(left) == 19 and after[0]["alert"] not in {a["alert"] for a in left}
    assert all(a["event"] != "IceCube-250109A" for a in left)
    assert ix.count(store.index, "alerts") == 20  # the orphaned alert is still listed by the index: skipped

    # a rejected write changes nothing
    source = URIRef(left[0]["alert"])
    bad = Graph()
    fake = URIRef(f"{BASE}alerts/0000000000000000")
    for _, p, o in store.get(source).triples((source, None, None)):
        if p != SW.alertType:
            bad.add((fake, p, o))
    bad.add((fake, SW.receivedAt, Literal("2030-01-01T00:00:00Z", datatype=URIRef("http://www.w3.org/2001/XMLSchema#dateTime"))))
    with pytest.raises(ValidationFailed):
        store.put(fake, bad)
    assert assert_as_scanned(store) == left

    # the page, its JSON form and the feed say the same
    client = app.test_client()
    hrefs = [a["alert"] for a in left]
    soup = BeautifulSoup(client.get("/alerts/").data, "html.parser")
    assert [BASE + r["data-alert"].lstrip("/") for r in soup.select("#alerts-table tbody tr")] == hrefs
    listed = client.get("/alerts/", headers={"Accept": "application/json"}).json
    assert [a["alert"] for a in listed["alerts"]] == hrefs and listed["older"] is None
    # the feed counts from the second of ``since`` on (received at or after it)
    feed = client.get("/alerts/feed.json", query_string={"since": "2026-12-01T00:00:02Z", "messenger": NEUTRINOS}).json
    expected = _newest_by_scan(store, 100, NEUTRINOS, None, None, None, "2026-12-01T00:00:01.999999Z", None)
    assert [a["alert"] for a in feed["alerts"]] == [a["alert"] for a in expected]
    assert expected[-1]["received"].startswith("2026-12-01T00:00:02")
    assert client.get("/alerts/feed.json?limit=many").status_code == 400


def test_the_filter_menus_list_what_alerts_name_with_their_counts(alerts):
    app, store, _ = alerts
    soup = BeautifulSoup(app.test_client().get("/alerts/").data, "html.parser")
    for name, label in (("messenger", "skos:prefLabel"), ("instrument", "rdfs:label")):
        rows = store.select(P + f"SELECT ?v ?label (COUNT(DISTINCT ?a) AS ?n) WHERE {{ ?a a sw:Alert ; sw:{name} ?v . "
                            f"?v {label} ?label }} GROUP BY ?v ?label")
        expected = sorted((str(r["label"]), str(r["v"]), f"{r['label']} ({int(r['n'])})") for r in rows)
        options = soup.select(f'select[name="{name}"] option[value!=""]')
        assert [(o.text.rsplit(" (", 1)[0], o["value"], o.text) for o in options] == expected
        assert len(expected) >= 3


def test_older_pages_give_every_alert_once_while_alerts_arrive(alerts):
    app, store, intake = alerts
    everything = [a["alert"] for a in _newest_by_scan(store, 1000, None, None, None, None, None, None)]
    seen, cursor = [], None
    while True:
        page = newest_alerts(store, limit=4, before=cursor)
        assert page == _newest_by_scan(store, 4, None, None, None, None, None, cursor)
        if not page:
            break
        seen += [a["alert"] for a in page]
        cursor = page[-1]["alert"]
        if len(seen) == 4:  # newer alerts arriving meanwhile do not shift the older pages
            intake.process([icecube(k, "update", 30 + k) for k in range(20, 23)])
    assert seen == everything

    neutrinos = [a["alert"] for a in _newest_by_scan(store, 1000, NEUTRINOS, None, None, None, None, None)]
    seen, cursor = [], None
    while page := newest_alerts(store, limit=3, messenger=NEUTRINOS, before=cursor):
        seen += [a["alert"] for a in page]
        cursor = page[-1]["alert"]
    assert seen == neutrinos and len(neutrinos) > 6

    # the HTML pages, by their "Older alerts" links
    client = app.test_client()
    url, seen = "/alerts/?limit=5", []
    while url:
        soup = BeautifulSoup(client.get(url).data, "html.parser")
        seen += [BASE + r["data-alert"].lstrip("/") for r in soup.select("#alerts-table tbody tr")]
        older = soup.select_one("#alerts-older")
        assert (soup.select_one("#alerts-paged") is not None) == ("before=" in url)  # older pages do not poll
        url = older["href"] if older else None
    assert seen == [a["alert"] for a in _newest_by_scan(store, 1000, None, None, None, None, None, None)]


@pytest.mark.parametrize("damage", ["deleted", "old schema"])
def test_an_index_deleted_or_of_an_old_schema_is_rebuilt_with_the_alerts(small_records, tmp_path, damage):
    path = tmp_path / "store"
    store = EmbeddedStore(str(path))
    store.put_many(small_records)
    Intake(store, BASE, tmp_path / "data", gcn_schemas()).process(first_batch())
    expected = newest_alerts(store, limit=100)
    assert len(expected) == 14
    index_file = store.index.path
    store.close()
    if damage == "deleted":
        for suffix in ("", "-wal", "-shm"):
            index_file.with_name(index_file.name + suffix).unlink(missing_ok=True)
    else:
        db = sqlite3.connect(index_file)
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
        db.execute("DELETE FROM records WHERE coll = 'alerts'")  # as an index of schema 2 had it
        db.commit()
        db.close()
    store = EmbeddedStore(str(path))
    try:
        assert ix.count(store.index, "alerts") == 14
        assert newest_alerts(store, limit=100) == expected == _newest_by_scan(store, 100, None, None, None, None, None, None)
        rows = store.select(P + "SELECT ?m (COUNT(?a) AS ?n) WHERE { ?a a sw:Alert ; sw:messenger ?m } GROUP BY ?m")
        assert dict(ix.facet_counts(store.index, "alerts", "messenger")) == {str(r["m"]): int(r["n"]) for r in rows}
    finally:
        store.close()


def test_the_cli_lists_what_the_scan_lists(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from skyweave.catalog.cli import cli

    from .alert_samples import SCHEMA_DIR

    gcn_schemas()  # skips where the schemas are not fetched
    monkeypatch.setenv("SKYWEAVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SKYWEAVE_BASE_IRI", BASE)
    monkeypatch.setenv("SKYWEAVE_STORE", "embedded")
    monkeypatch.setenv("SKYWEAVE_GCN_SCHEMA_DIR", SCHEMA_DIR)
    folder = tmp_path / "replay"
    folder.mkdir()
    for n, message in enumerate(first_batch()[:12]):
        (folder / f"{n:02d}.json").write_bytes(message.payload)
    runner = CliRunner()
    assert runner.invoke(cli, ["alerts", "replay", str(folder)], catch_exceptions=False).exit_code == 0
    listed = runner.invoke(cli, ["alerts", "list", "--limit", "5", "--format", "json"], catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    store = EmbeddedStore(str(tmp_path / "data" / "store"))
    try:
        # Replayed, several of these files are the same alert (stored once, with a topic per file):
        # the limit counts alerts, not their rows.
        topics = store.select(P + "SELECT ?a (COUNT(?t) AS ?n) WHERE { ?a a sw:Alert ; sw:topic ?t } GROUP BY ?a")
        assert max(int(r["n"]) for r in topics) > 1
        expected = _newest_by_scan(store, 5, None, None, None, None, None, None)
        assert json.loads(listed.output) == expected and len(expected) == 5
        assert expected == _newest_by_scan(store, 100, None, None, None, None, None, None)[:5]
    finally:
        store.close()


@pytest.mark.remote
def test_a_remote_store_without_an_index_lists_the_same_alerts(fresh_app, oxigraph_server, small_records):
    """Remote mode keeps the SPARQL path: same list, pages and menus (without counts) as the index."""
    from .conftest import make_app, remote_config

    remote = make_app(small_records, **remote_config(oxigraph_server))
    try:
        pages = {}
        for app in (fresh_app, remote):
            store = app.extensions["store"]
            Intake(store, BASE, app.config["DATA_DIR"], gcn_schemas()).process(first_batch())
            client, seen, url = app.test_client(), [], "/alerts/?limit=4&messenger=" + NEUTRINOS.replace("#", "%23")
            while url:
                listed = client.get(url, headers={"Accept": "application/json"}).json
                seen += [(a["alert"], a["received"], a["type"], a["topic"], a["messenger"]) for a in listed["alerts"]]
                url = listed["older"]
            soup = BeautifulSoup(client.get("/alerts/").data, "html.parser")
            menu = [o["value"] for o in soup.select('select[name="instrument"] option[value!=""]')]
            feed = client.get("/alerts/feed.json", query_string={"since": "2026-12-01T00:00:02Z"}).json["alerts"]
            pages[store.index is None] = (seen, menu, [a["alert"] for a in feed])
        assert pages[True] == pages[False]
        assert len(pages[True][0]) == 9 and pages[True][1] and pages[True][2]
    finally:
        remote.extensions["store"].close()
