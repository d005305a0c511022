"""The same notice from two streams becomes one alert record naming both, against a real
Kafka-protocol broker (Tansu): one JSON notice on two topics, and a classic VOEvent with the JSON
notice of the same trigger (https://github.com/skyweave issue 10)."""

import json

import pytest
import voeventparse.fixtures.datapaths as voevent_fixtures
from rdflib import URIRef

from skyweave.alerts.intake import Intake
from skyweave.alerts.listen import Listener, make_consumer
from skyweave.catalog.vocab import SW

from .alert_samples import example, gcn_schemas
from .broker import kafka_broker  # noqa: F401  (the fixture)
from .conftest import BASE

P = "PREFIX sw: <https://skyweave.org/ns#> "


def listen(broker, store, tmp_path, topics, batch_size):
    config = {"GCN_KAFKA_BOOTSTRAP": broker.bootstrap, "ALERT_GROUP_ID": f"g-{'-'.join(topics)}"}
    intake = Intake(store, BASE, tmp_path, gcn_schemas())
    return Listener(intake, make_consumer(config), topics, batch_size=batch_size).run(idle_exit_s=3)


def origins(store, alert):
    rows = store.select(P + "SELECT ?t ?p ?o WHERE { $a sw:origin [ sw:topic ?t ; sw:partition ?p ; sw:offset ?o ] }",
                        a=URIRef(alert))
    return sorted((str(r["t"]), int(r["p"]), int(r["o"])) for r in rows)


def alerts_about(store, event):
    rows = store.select(P + "SELECT ?a WHERE { ?a a sw:Alert ; sw:about $e }", e=URIRef(f"{BASE}events/{event}"))
    return sorted(str(r["a"]) for r in rows)


@pytest.mark.parametrize("batch_size", [1, 50], ids=["apart", "together"])
def test_one_notice_on_two_topics_is_one_alert_naming_both(kafka_broker, fresh_app, tmp_path, batch_size):
    store = fresh_app.extensions["store"]
    gcn, hop = kafka_broker.topic("gcn.notices.icecube"), kafka_broker.topic("hop.icecube")
    track = json.loads(example("icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json"))
    same = json.dumps(dict(track, event_name=[f"IceCube-26{batch_size:04d}A"])).encode()
    other = json.dumps(dict(track, event_name=["IceCube-269999Z"], ra=10.0)).encode()
    kafka_broker.produce(gcn, [other, same])   # offsets 0 and 1
    kafka_broker.produce(hop, [same, same])    # offsets 0 and 1: the second is a plain redelivery
    totals = listen(kafka_broker, store, tmp_path, [gcn, hop], batch_size)
    assert totals["stored"] == 2 and totals["duplicates"] == 2 and totals["quarantined"] == 0
    [alert] = alerts_about(store, f"icecube-26{batch_size:04d}a")
    graph = store.get(alert)
    assert {str(t) for t in graph.objects(URIRef(alert), SW.topic)} == {gcn, hop}
    # one origin per stream, each the first delivery from it (hop's offset 1 is a plain redelivery)
    assert origins(store, alert) == sorted([(gcn, 0, 1), (hop, 0, 0)])
    assert store.check(alert, graph).conforms


def test_a_voevent_and_the_json_notice_of_one_trigger_are_one_alert(kafka_broker, fresh_app, tmp_path):
    store = fresh_app.extensions["store"]
    classic, unified = kafka_broker.topic("gcn.classic.voevent.SWIFT_BAT_GRB_POS_ACK"), kafka_broker.topic("gcn.notices.swift.bat")
    voevent = open(voevent_fixtures.swift_bat_grb_pos_v2, "rb").read()  # Swift BAT trigger 532871
    notice = json.loads(example("swift/bat/guano.loc_arc_min.example.json"))
    notice.update(id=["532871"], instrument="BAT", alert_type="initial", trigger_time="2012-09-07T00:24:23.08Z",
                  alert_datetime="2012-09-07T00:24:36Z", ra=74.7412, dec=-9.3137, ra_dec_error=0.05)
    kafka_broker.produce(classic, [voevent])
    kafka_broker.produce(unified, [json.dumps(notice).encode()])
    totals = listen(kafka_broker, store, tmp_path, [classic, unified], 1)
    assert totals == {"stored": 1, "duplicates": 1, "quarantined": 0}
    rows = store.select(P + "SELECT ?a WHERE { ?a a sw:Alert ; sw:noticeKey ?k }")
    [alert] = {str(r["a"]) for r in rows}
    assert {t for t, _, _ in origins(store, alert)} == {classic, unified}
    # the second format's own bytes are kept too, on its origin
    kept = store.select(P + "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?t ?m WHERE { $a sw:origin ?o . "
                            "?o sw:topic ?t ; dcat:distribution [ dcat:mediaType ?m ] }", a=URIRef(alert))
    assert len(kept) == 1 and str(kept[0]["m"]) in ("application/json", "application/xml")
    assert store.check(alert, store.get(alert)).conforms

    moved = dict(notice, ra=74.9)  # the same trigger with another position is another notice
    kafka_broker.produce(unified, [json.dumps(moved).encode()])
    assert listen(kafka_broker, store, tmp_path, [unified], 1)["stored"] == 1
