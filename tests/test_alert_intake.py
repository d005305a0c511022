"""The intake pipeline over a real store: records that pass the shapes, duplicates, retractions in
either order, quarantine, cross-match, and SPARQL over it all (https://github.com/skyweave issue 10)."""

import json

import pytest
from rdflib import URIRef

from skyweave.alerts import Message
from skyweave.alerts.intake import Intake, replay_messages
from skyweave.catalog.vocab import SW

from .alert_samples import CIRCULARS, example, gcn_schemas, igwn_alert
from .conftest import BASE

PREFIXES = "PREFIX sw: <https://skyweave.org/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "


@pytest.fixture
def intake(fresh_app, tmp_path):
    return Intake(fresh_app.extensions["store"], BASE, tmp_path, schemas=gcn_schemas())


def msg(payload, topic="gcn.notices.test", offset=None):
    return Message(payload, topic, 0 if offset is not None else None, offset)


def count(store, cls):
    return int(store.select(f"{PREFIXES} SELECT (COUNT(?x) AS ?n) WHERE {{ ?x a sw:{cls} }}")[0]["n"])


def test_real_notices_become_valid_alert_and_event_records(intake):
    store = intake.store
    payloads = [example(p) for p in ("icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json",
                                     "swift/bat/Guano.example.json", "swift/bat/guano.loc_arc_min.example.json",
                                     "superk/sn_alert.test.example.json", "maxi/gsc.unknown.ellipse.example.json")]
    report = intake.process([msg(p, offset=i) for i, p in enumerate(payloads)])
    assert len(report.stored) == 5 and not report.quarantined
    assert count(store, "Alert") == 5 and count(store, "Event") == 4
    alert = URIRef(report.stored[0].iri)
    graph = store.get(alert)
    assert graph.value(alert, SW.offset).toPython() == 0
    assert str(graph.value(alert, SW.instrument)) == f"{BASE}instruments/icecube"
    assert graph.value(alert, SW.messenger) == SW.Neutrinos
    loc = graph.value(alert, SW.localization)
    assert graph.value(loc, SW.errorRadius).toPython() == 0.5
    event = store.get(report.stored[0].event)
    assert str(event.value(URIRef(report.stored[0].event), SW.alertTense)) == "current"
    swift = URIRef(f"{BASE}events/swift-bat-guano-694215995")
    assert store.get(swift).value(swift, SW.localization) is not None  # from the located update


def test_the_raw_payload_is_kept_as_a_file(intake, tmp_path):
    from skyweave.runners.files import path_of

    payload = example("swift/bat/Guano.example.json")
    report = intake.process([msg(payload)])
    graph = intake.store.get(report.stored[0].iri)
    url = str(next(graph.objects(None, URIRef("http://www.w3.org/ns/dcat#downloadURL"))))
    digest = url.split("/files/alerts/")[1].split("/")[0]
    assert path_of(tmp_path, digest).read_bytes() == payload


def test_a_payload_file_that_cannot_be_written_stores_nothing_of_the_batch(intake, tmp_path, monkeypatch):
    """The batch's files are written together before its records; one failure: no record, no commit."""
    import skyweave.runners.files as files

    real, bad = files._write, example("swift/bat/Guano.example.json")

    def write(data_dir, digest, data):  # what store_bytes and FileBatch write every file with
        if data == bad:
            raise OSError(28, "No space left on device")
        return real(data_dir, digest, data)

    monkeypatch.setattr(files, "_write", write)
    payloads = [bad, example("icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json")]
    before = len(intake.store.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"))
    with pytest.raises(OSError):
        intake.process([msg(p, offset=i) for i, p in enumerate(payloads)])
    assert count(intake.store, "Alert") == 0
    assert len(intake.store.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")) == before
    monkeypatch.setattr(files, "_write", real)  # the disk has room again: the same batch goes in whole
    report = intake.process([msg(p, offset=i) for i, p in enumerate(payloads)])
    assert len(report.stored) == 2 and count(intake.store, "Alert") == 2


def test_duplicates_become_one_alert(intake):
    payload = example("swift/bat/Guano.example.json")
    first = intake.process([msg(payload, offset=1), msg(payload, offset=2)])
    again = intake.process([msg(payload, "gcn.notices.swift.bat.guano", offset=7)])
    assert (len(first.stored), first.duplicates, len(again.stored), again.duplicates) == (1, 1, 0, 1)
    assert count(intake.store, "Alert") == 1


@pytest.mark.parametrize("order", ["notice first", "retraction first"])
def test_a_retraction_marks_its_event_retracted_in_either_order(intake, order):
    notice, retraction = example("swift/bat/Guano.example.json"), example("swift/bat/Guano.Retraction.example.json")
    for payload in ([notice, retraction] if order == "notice first" else [retraction, notice]):
        intake.process([msg(payload)])
    event = URIRef(f"{BASE}events/swift-bat-guano-694215995")
    assert intake.store.get(event).value(event, SW.retracted).toPython() is True
    assert count(intake.store, "Alert") == 2


def test_the_retraction_survives_a_restart_of_the_intake(fresh_app, tmp_path):
    store = fresh_app.extensions["store"]
    Intake(store, BASE, tmp_path, gcn_schemas()).process([msg(example("swift/bat/Guano.Retraction.example.json"))])
    Intake(store, BASE, tmp_path, gcn_schemas()).process([msg(example("swift/bat/Guano.example.json"))])
    event = URIRef(f"{BASE}events/swift-bat-guano-694215995")
    assert store.get(event).value(event, SW.retracted).toPython() is True


def test_bad_messages_are_quarantined_and_the_rest_is_stored(intake):
    before = intake.store.dump()
    good = example("swift/bat/Guano.example.json")
    broken = json.loads(good)
    broken["ra"] = "east"
    report = intake.process([msg(b"{oops", offset=1), msg(json.dumps(broken).encode(), offset=2), msg(good, offset=3)])
    assert len(report.stored) == 1 and len(report.quarantined) == 2
    reasons = intake.store.select(f"{PREFIXES} SELECT ?r ?o WHERE {{ ?q a sw:QuarantinedMessage ; sw:reason ?r ; sw:offset ?o }} ORDER BY ?o")
    assert "not valid JSON" in str(reasons[0]["r"]) and "does not conform" in str(reasons[1]["r"])
    assert set(before) < set(intake.store.dump())


def test_an_error_circle_is_matched_with_the_catalogued_targets(intake):
    data = json.loads(example("icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json"))
    data.update(ra=83.7, dec=22.0, ra_dec_error=0.5, event_name=["IceCube-250101A"])
    report = intake.process([msg(json.dumps(data).encode())])
    [match] = [m for m in report.stored[0].matches if m.label == "Crab Nebula"]
    assert 0.05 < match.separation < 0.07
    rows = intake.store.select(PREFIXES + """SELECT ?event ?name ?sep WHERE {
        ?alert sw:about ?event ; sw:crossMatch [ sw:target ?t ; sw:separation ?sep ] . ?t rdfs:label ?name }""")
    assert "Crab Nebula" in {str(r["name"]) for r in rows}
    assert {str(r["event"]) for r in rows} == {f"{BASE}events/icecube-250101a"}


def test_a_sky_map_gets_credible_areas_and_its_90_percent_region_matched(intake):
    report = intake.process([msg(igwn_alert("S250101ab", ra=83.63, dec=22.01, sigma=1.5), "igwn.gwalert")])
    [alert] = report.stored
    crab = [m for m in alert.matches if m.label == "Crab Nebula"]
    assert crab and crab[0].density > 0 and crab[0].separation is None
    graph = intake.store.get(alert.iri)
    loc = URIRef(f"{alert.iri}#localization")
    area50, area90 = graph.value(loc, SW.area50).toPython(), graph.value(loc, SW.area90).toPython()
    assert 0 < area50 < area90 < 100
    event = URIRef(f"{BASE}events/s250101ab")
    assert {str(i) for i in intake.store.get(event).objects(event, SW.instrument)} == {
        f"{BASE}instruments/ligo", f"{BASE}instruments/virgo"}


def test_replay_reads_lists_folders_and_single_files(intake):
    messages = list(replay_messages([CIRCULARS / "circulars.json"]))
    assert len(messages) == 508 and messages[0].topic == "replay:circulars.json"
    report = intake.process(messages[:60])
    assert len(report.stored) == 60 and not report.quarantined
    with pytest.raises(FileNotFoundError):
        list(replay_messages(["no/such/file.json"]))


def test_records_stored_without_shape_validation_conform_for_every_sample(fresh_app, tmp_path):
    """The fast path (ALERT_VALIDATE_SHAPES off) stores records as built: they must still pass the shapes."""
    import voeventparse.fixtures.datapaths as fixtures
    from rdflib import Graph

    from skyweave.catalog import validate as shacl

    from .alert_samples import igwn_alert

    store = fresh_app.extensions["store"]
    intake = Intake(store, BASE, tmp_path, gcn_schemas(), validate_shapes=False)
    messages = [msg(p.read_bytes()) for p in gcn_schemas().examples()]
    messages += list(replay_messages([CIRCULARS / "circulars.json"]))[:50]
    messages += [msg(open(fixtures.swift_bat_grb_pos_v2, "rb").read()), msg(igwn_alert("S250102cd"))]
    report = intake.process(messages)
    assert len(report.stored) >= 90 and len(report.quarantined) >= 5  # core blocks, BOOM, placeholder sky maps
    merged = Graph()
    for iri in [a.iri for a in report.stored] + report.events + [q for q, _ in report.quarantined]:
        merged += store.get(iri)
    result = shacl.validate(merged, context=store.types_of(shacl.referenced_iris(merged)))
    assert result.conforms, result.text()[:3000]


def test_a_replaced_event_record_keeps_its_earlier_content_as_a_version(intake):
    """Every batch rewrites its events' records; as any replaced record, the old content stays a version."""
    store = intake.store
    event = URIRef(f"{BASE}events/swift-bat-guano-694215995")
    intake.process([msg(example("swift/bat/Guano.example.json"), offset=1)])
    first = store.get(event)
    assert first.value(event, SW.localization) is None and store.versions(event) == []
    intake.process([msg(example("swift/bat/guano.loc_arc_min.example.json"), offset=2)])
    [version] = store.versions(event)
    assert store.get(event).value(event, SW.localization) is not None
    assert store.get(event).value(event, URIRef("http://www.w3.org/ns/prov#wasRevisionOf")) == URIRef(version.iri)
    kept = store.version(event, version.number)
    assert set(kept) == set(first)  # the earlier content, triple for triple
    intake.process([msg(example("swift/bat/Guano.Retraction.example.json"), offset=3)])
    assert [v.number for v in store.versions(event)] == [2, 1]


def test_a_batch_with_a_record_refused_by_a_content_check_stores_the_rest_and_nothing_of_it(fresh_app):
    from skyweave.catalog.terms import Iri, string

    store = fresh_app.extensions["store"]
    before = store.dump()
    a, b = Iri(f"{BASE}alerts/aaaa"), Iri(f"{BASE}alerts/bbbb")
    label = Iri("http://www.w3.org/2000/01/rdf-schema#label")
    stored, rejected = store.put_triples([(a, [(a, label, string("fine"))]),
                                          (b, [(b, label, string("nul\x00here"))]),
                                          (Iri(f"{BASE}alerts/cccc"), [(a, label, string("not its own"))])])
    assert [r.iri for r in stored] == [a]
    assert [iri for iri, _ in rejected] == [b, f"{BASE}alerts/cccc"]
    assert "U+0000" in rejected[0][1].results[0].message
    after = set(store.dump()) - set(before)
    assert after and all(f"<{a}>" in line for line in after)  # only the good record was written
