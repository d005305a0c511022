"""GCN Kafka notices and Hopskotch messages on a real Kafka-protocol broker (Tansu), exactly once (§7 F16)."""

import json
import os
from pathlib import Path

import pytest

from skyweave.publishers import kafka_delivery
from skyweave.publishers import records as publications
from skyweave.publishers.gcn_notices import GcnNoticePublisher
from skyweave.publishers.gcn_schema import NOTICE_SCHEMA_ID, notice_problems, notice_validator
from skyweave.publishers.hopskotch import HopskotchPublisher
from skyweave.publishers.outcomes import MissingMetadata, OutcomeUnknown
from skyweave.publishers.registry import make_publisher

from .broker import tansu_broker  # noqa: F401  (fixture)
from .conftest import BASE
from .test_tns import add_detection, spec  # noqa: F401  (fixture)
from .test_zenodo_metadata import add_workflow, edit, hess_records, new_store

SCHEMA_DIR = os.environ.get("SKYWEAVE_TEST_GCN_SCHEMA_DIR") or str(
    Path(__file__).resolve().parent.parent / ".cache" / "npm" / "node_modules" / "@nasa-gcn" / "schema")
TOPIC = "gcn.notices.skyweave.analysis"

needs_schema = pytest.mark.skipif(not Path(SCHEMA_DIR, "gcn").is_dir(),
                                  reason="npm @nasa-gcn/schema not fetched (python3 .ci/dev.py test does it)")


@pytest.fixture
def catalog(spec, tmp_path):  # noqa: F811
    from rdflib import URIRef

    from skyweave.catalog.vocab import SW

    store = new_store(hess_records())
    workflow = add_workflow(store, spec, tmp_path, "ring-v1", context=False)
    edit(store, workflow, lambda g, iri: g.add((iri, SW.target, URIRef(f"{BASE}targets/crab-nebula"))))
    return store, add_detection(store, spec, workflow, tmp_path)


def notices(store, broker, **kwargs):
    broker.create_topic(TOPIC)
    return GcnNoticePublisher(store, BASE, topic=TOPIC, schema_dir=SCHEMA_DIR, timeout_s=kwargs.pop("timeout_s", 10.0),
                              kafka_config={"bootstrap.servers": broker.bootstrap, "security.protocol": "plaintext",
                                            **kwargs})


@needs_schema
def test_notice_mapping_field_by_field_and_schema(catalog):
    store, result = catalog
    validator = notice_validator(SCHEMA_DIR)
    channel = GcnNoticePublisher(store, BASE, topic=TOPIC, schema_dir=SCHEMA_DIR)
    notice = channel.prepare(result).notice
    assert notice["$schema"] == NOTICE_SCHEMA_ID and "/v1/" in notice["$schema"]
    assert (notice["ra"], notice["dec"], notice["ra_dec_error"]) == (83.63333, 22.01444, round(0.5 / 3600, 8))
    assert notice["trigger_time"] == "2026-03-01T04:12:33.120Z" and notice["alert_datetime"].endswith("Z")
    assert (notice["event_name"], notice["id"], notice["data_archive_page"]) == ("Crab Nebula", [result.rsplit("/", 1)[1]],
                                                                                 result)
    assert (notice["mission"], notice["alert_type"], notice["alert_tense"]) == ("skyweave", "initial", "archival")
    assert notice_problems(validator, notice) == []
    assert validator.schema["x-gcn-schema-version"].startswith("7.")
    broken = {**notice, "alert_type": "guess", "energy_TeV": 1.0}
    problems = notice_problems(validator, broken)
    assert any(p.startswith("alert_type:") for p in problems) and any("energy_TeV" in p for p in problems)


@needs_schema
def test_notice_is_produced_once_and_reads_back(catalog, tansu_broker):  # noqa: F811
    store, result = catalog
    channel = notices(store, tansu_broker)
    outcome = channel.publish(result)
    [message] = tansu_broker.read_all(TOPIC)
    assert json.loads(message.value()) == channel.prepare(result).notice | {
        "alert_datetime": json.loads(message.value())["alert_datetime"]}
    pub = publications.get(store, outcome.publication)
    assert message.key().decode() == pub.marker and outcome.identifier == f"{TOPIC}/0/0"
    assert channel.publish(result).reused and len(tansu_broker.read_all(TOPIC)) == 1


@needs_schema
def test_f16_unconfirmed_delivery_is_read_back_not_sent_twice(catalog, tansu_broker, monkeypatch):  # noqa: F811
    store, result = catalog
    real = kafka_delivery.deliver

    def delivered_but_unconfirmed(*args, **kwargs):
        real(*args, **kwargs)
        raise OutcomeUnknown("gcn-notices", None, "1 message(s) not confirmed within 10 s (flush)")

    monkeypatch.setattr("skyweave.publishers.gcn_notices.deliver", delivered_but_unconfirmed)
    with pytest.raises(OutcomeUnknown):
        notices(store, tansu_broker).publish(result)
    monkeypatch.setattr("skyweave.publishers.gcn_notices.deliver", real)
    outcome = notices(store, tansu_broker).publish(result)
    assert len(tansu_broker.read_all(TOPIC)) == 1 and outcome.identifier == f"{TOPIC}/0/0"
    assert "found on the topic" in publications.get(store, outcome.publication).progress["steps"][-1]


@needs_schema
def test_f16_broker_down_reports_failure_then_sends_once(catalog, tansu_broker):  # noqa: F811
    store, result = catalog
    tansu_broker.create_topic(TOPIC)
    down = GcnNoticePublisher(store, BASE, topic=TOPIC, schema_dir=SCHEMA_DIR, timeout_s=2.0,
                              kafka_config={"bootstrap.servers": "127.0.0.1:9", "security.protocol": "plaintext"})
    with pytest.raises(OutcomeUnknown, match="not confirmed"):
        down.publish(result)
    assert publications.find(store, result, "gcn-notices").state == "failed"
    notices(store, tansu_broker).publish(result)
    assert len(tansu_broker.read_all(TOPIC)) == 1


@needs_schema
def test_notice_without_position_is_refused_before_the_broker(spec, tmp_path):  # noqa: F811
    store = new_store(hess_records())
    workflow = add_workflow(store, spec, tmp_path, "ring-v1", context=False)
    result = add_detection(store, spec, workflow, tmp_path)
    from skyweave.catalog.vocab import SW

    def no_sky_parameters(graph, run):  # no target, and the run's ra/dec parameters (deg) gone: no position
        for node in list(graph.objects(run, SW.parameterValue)):
            if str(graph.value(node, SW.parameter)).rsplit("#param-", 1)[-1] in ("ra", "dec"):
                graph.remove((run, SW.parameterValue, node))
                graph.remove((node, None, None))

    edit(store, f"{BASE}runs/d1", no_sky_parameters)
    with pytest.raises(MissingMetadata, match="ra, dec: the record has no position"):
        GcnNoticePublisher(store, BASE, topic=TOPIC, schema_dir=SCHEMA_DIR).publish(result)


def test_hopskotch_message_once_with_our_id_header(catalog, tansu_broker):  # noqa: F811
    store, result = catalog
    tansu_broker.create_topic("skyweave.test")
    config = {"BASE_IRI": BASE, "HOP_BROKER": tansu_broker.url}
    channel = make_publisher("hopskotch", config, store, topic="skyweave.test")
    outcome = channel.publish(result)
    [message] = tansu_broker.read_all("skyweave.test")
    headers = dict(message.headers())
    import uuid

    pub = publications.get(store, outcome.publication)
    assert str(uuid.UUID(bytes=headers["_id"])) == outcome.identifier == pub.marker.rsplit(":", 1)[1]
    assert headers["_format"] == b"json" and headers["title"] == b"Crab Nebula: skyweave result table \xe2\x80\x94 Ring around a position"
    body = json.loads(message.value())
    assert (body["ra_deg"], body["dec_deg"], body["position_error_arcsec"], body["record"]) == (83.63333, 22.01444, 0.5,
                                                                                               result)
    assert channel.publish(result).reused and len(tansu_broker.read_all("skyweave.test")) == 1


def test_hopskotch_unconfirmed_send_is_read_back_by_id(catalog, tansu_broker, monkeypatch):  # noqa: F811
    store, result = catalog
    tansu_broker.create_topic("skyweave.test")
    config = {"BASE_IRI": BASE, "HOP_BROKER": tansu_broker.url, "HOP_TOPIC": "skyweave.test"}
    real = HopskotchPublisher.send

    def sent_but_unconfirmed(self, attempt, remote):
        real(self, attempt, remote)
        raise OutcomeUnknown("hopskotch", None, "not confirmed")

    monkeypatch.setattr(HopskotchPublisher, "send", sent_but_unconfirmed)
    with pytest.raises(OutcomeUnknown):
        make_publisher("hopskotch", config, store).publish(result)
    monkeypatch.setattr(HopskotchPublisher, "send", real)
    outcome = make_publisher("hopskotch", config, store).publish(result)
    assert len(tansu_broker.read_all("skyweave.test")) == 1
    assert "found on the topic" in publications.get(store, outcome.publication).progress["steps"][-1]


@needs_schema
def test_a_result_without_target_takes_its_position_from_the_runs_ra_dec_parameters(spec, tmp_path):  # noqa: F811
    store = new_store(hess_records())
    workflow = add_workflow(store, spec, tmp_path, "ring-v1", context=False)
    result = add_detection(store, spec, workflow, tmp_path)  # the run's parameters: ra 83.633, dec 22.0145 (deg)
    notice = GcnNoticePublisher(store, BASE, topic=TOPIC, schema_dir=SCHEMA_DIR).prepare(result).notice
    assert (notice["ra"], notice["dec"]) == (83.633, 22.0145)
