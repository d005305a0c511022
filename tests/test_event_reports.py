"""Reports from an event page: the four channels' buttons, previews drafted from the event's alerts (name,
trigger time, localisation), confirmation with a publisher token, and the outcome on the page and in SPARQL
(https://github.com/skyweave issue 11: "Reports out")."""

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from skyweave.alerts.demo import demo_messages
from skyweave.alerts.intake import Intake
from skyweave.publishers import records as publications
from skyweave.standins.gcn import CircularsArchive, make_circulars_app
from skyweave.standins.harness import StandIn

from .alert_samples import gcn_schemas
from .broker import tansu_broker  # noqa: F401  (fixture)
from .conftest import BASE, make_app
from .test_kafka_reports import SCHEMA_DIR, TOPIC, needs_schema

ICECUBE = "single_neutrino_alerts.gold_bronze_track_alerts.example.json"


def replay_icecube(app):
    """Replay GCN's IceCube example notice as the demo does; return the event's site path."""
    schemas = gcn_schemas()
    [message] = [m for m in demo_messages(schemas) if m.topic == f"replay:{ICECUBE}"]
    report = Intake(app.extensions["store"], BASE, app.config["DATA_DIR"], schemas).process([message])
    [event] = report.events
    return "/" + event[len(BASE):]


@pytest.fixture
def archive():
    return CircularsArchive()


@pytest.fixture
def gcn_api(archive):
    with StandIn(make_circulars_app(archive)) as server:
        yield server


@pytest.fixture
def event_app(small_records, tmp_path, gcn_api):
    app = make_app(small_records, DATA_DIR=str(tmp_path / "data"), GCN_CIRCULARS_VIA="api",
                   GCN_API_BASE_URL=gcn_api.url, GCN_API_TOKEN="submitter-token", GCN_SCHEMA_DIR=SCHEMA_DIR)
    path = replay_icecube(app)
    yield app, path
    from skyweave.catalog.web.app import close_app

    close_app(app)


def test_event_page_offers_the_four_reports_and_drafts_from_the_alerts(event_app):
    app, path = event_app
    client = app.test_client()
    soup = BeautifulSoup(client.get(path).data, "html.parser")
    buttons = {a.text: a["href"] for a in soup.select(".toolbar a")}
    assert buttons == {"Draft GCN Circular": f"{path}/publish/gcn-circulars", "GCN notice": f"{path}/publish/gcn-notices",
                       "Report to TNS": f"{path}/publish/tns", "Send to Hopskotch": f"{path}/publish/hopskotch"}
    preview = client.get(buttons["Draft GCN Circular"])
    page = BeautifulSoup(preview.data, "html.parser")
    event = soup.h1.text.strip()
    subject = page.select_one("#edit-subject")["value"]
    body = page.select_one("#edit-body").text
    assert preview.status_code == 200 and subject.startswith(f"{event}: IceCube follow-up")
    assert "triggered IceCube at 2023-04-16T05:22:26.150574Z (UTC)" in body
    assert "RA, Dec = " in body and "deg radius (90 % containment)" in body
    assert body.rstrip().endswith(BASE.rstrip("/") + path)
    assert page.select_one("form#publish-form input[name=_csrf]") is not None


def test_a_circular_about_an_event_is_sent_once_and_shown_with_its_number(event_app, gcn_api, archive):
    app, path = event_app
    client = app.test_client()
    target = f"{path}/publish/gcn-circulars"
    assert client.post(target, data={"api_token": "reader-token"}).status_code == 403
    assert archive.circulars == {}
    sent = client.post(target, data={"api_token": "publisher-token"})
    assert sent.status_code == 303 and sent.headers["Location"] == path
    again = client.post(target, data={"api_token": "publisher-token"}, headers={"Accept": "application/json"})
    assert again.json["reused"] and again.json["identifier"] == "40000" and len(archive.circulars) == 1
    soup = BeautifulSoup(client.get(path).data, "html.parser")
    link = soup.select_one("#publication-outcomes a")
    assert link.text == "40000" and link["href"] == f"{gcn_api.url}/circulars/40000"
    assert soup.select_one(f'a[href="{target}"]') is None  # sent: no second button
    rows = client.get("/sparql", query_string={"query": (
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX schema: <https://schema.org/> "
        "SELECT ?id WHERE { ?p prov:used <%s> ; schema:identifier ?id }" % (BASE.rstrip("/") + path))},
        headers={"Accept": "application/sparql-results+json"}).json["results"]["bindings"]
    assert [r["id"]["value"] for r in rows] == ["40000"]


@needs_schema
def test_notice_and_hopskotch_message_about_an_event_go_to_the_broker_once(event_app, tansu_broker):  # noqa: F811
    app, path = event_app
    tansu_broker.create_topic(TOPIC)
    hop_topic = tansu_broker.topic("skyweave.events")
    app.config.update(GCN_KAFKA_BOOTSTRAP=tansu_broker.bootstrap, GCN_NOTICE_TOPIC=TOPIC,
                      HOP_BROKER=tansu_broker.url, HOP_TOPIC=hop_topic, HOP_USERNAME="", HOP_PASSWORD="")
    client = app.test_client()
    iri = BASE.rstrip("/") + path
    preview = BeautifulSoup(client.get(f"{path}/publish/gcn-notices").data, "html.parser")
    notice = json.loads(preview.select_one("#publish-metadata").text)["notice"]
    assert notice["event_name"] == BeautifulSoup(client.get(path).data, "html.parser").h1.text.strip()
    assert notice["trigger_time"] == "2023-04-16T05:22:26.150Z" and notice["data_archive_page"] == iri
    assert notice["containment_probability"] == 0.9 and notice["ra_dec_error"] > 0
    for service in ("gcn-notices", "hopskotch", "gcn-notices"):
        answer = client.post(f"{path}/publish/{service}", data={"api_token": "publisher-token"},
                             headers={"Accept": "application/json"})
        assert answer.status_code == 200, answer.data
    [produced] = tansu_broker.read_all(TOPIC)
    assert json.loads(produced.value())["event_name"] == notice["event_name"]
    [message] = tansu_broker.read_all(hop_topic)
    assert json.loads(message.value())["trigger_time_utc"] == "2023-04-16T05:22:26.150574Z"
    outcomes = {p.service: p for p in publications.of_record(app.extensions["store"], iri)}
    assert outcomes["gcn-notices"].identifier == f"{TOPIC}/0/0" and outcomes["hopskotch"].identifier
    shown = BeautifulSoup(client.get(path).data, "html.parser").select_one("#publication-outcomes").text
    assert f"{TOPIC}/0/0" in shown and outcomes["hopskotch"].identifier in shown


def test_an_events_circular_lists_the_catalogued_sources_in_its_localisation(event_app):
    from skyweave.alerts import Message
    from skyweave.publishers.drafts import draft_circular, report_facts

    from .alert_samples import example

    app, _ = event_app
    data = json.loads(example(f"icecube/{ICECUBE}"))
    data.update(ra=83.7, dec=22.0, ra_dec_error=0.5, event_name=["IceCube-250101A"])
    schemas = gcn_schemas()
    Intake(app.extensions["store"], BASE, app.config["DATA_DIR"], schemas).process(
        [Message(json.dumps(data).encode(), "gcn.notices.icecube.lvk_nu_track_search", 0, 1)])
    subject, body = draft_circular(report_facts(app.extensions["store"], f"{BASE}events/icecube-250101a"))
    assert subject == "IceCube-250101A: IceCube follow-up with skyweave"
    assert "centred at RA, Dec = 83.7000, +22.0000 deg (J2000) with an error circle of 0.5 deg radius" in body
    sources = body.split("(separation from its centre):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert sources == ["  3FHL J0534.5+2201 (0.063 deg)", "  Crab Nebula (0.063 deg)"]
    assert "analysed" not in body and len(body.splitlines()) < 60


def test_an_emailed_circular_shows_as_sent_until_a_look_in_the_archive_finds_its_number(event_app, gcn_api, archive):
    from skyweave.standins.gcn import CircularsSMTP

    from .test_gcn_circulars import know_circular

    app, path = event_app
    store = app.extensions["store"]
    know_circular(store, Path(app.config["DATA_DIR"]), 39999)  # the newest circular the catalog holds
    with CircularsSMTP(archive) as smtp:
        ca = Path(app.config["DATA_DIR"]) / "smtp-ca.pem"  # the stand-in's test CA, as GCN_SMTP_CA_FILE
        smtp.ca.cert_pem.write_to_path(str(ca))
        app.config.update(GCN_CIRCULARS_VIA="email", GCN_SMTP_HOST=smtp.host, GCN_SMTP_PORT=smtp.port,
                          GCN_SMTP_USER="ada@example.org", GCN_SMTP_PASSWORD="smtp-password",
                          GCN_FROM_ADDRESS="ada@example.org", GCN_SMTP_CA_FILE=str(ca))
        client = app.test_client()
        assert client.post(f"{path}/publish/gcn-circulars", data={"api_token": "publisher-token"}).status_code == 303
    soup = BeautifulSoup(client.get(path).data, "html.parser")
    item = soup.select_one('#publication-outcomes li[data-service="gcn-circulars"]')
    assert "its number comes when it appears" in item.text and item.select_one("a") is None
    look = item.select_one("form.look-again")
    assert look["action"] == f"{path}/publish/gcn-circulars" and look.select_one("input[name=_csrf]") is not None
    assert client.post(look["action"], data={"api_token": "publisher-token"}).status_code == 303
    link = BeautifulSoup(client.get(path).data, "html.parser").select_one(
        '#publication-outcomes li[data-service="gcn-circulars"] a')
    assert link.text == "40000" and link["href"] == f"{gcn_api.url}/circulars/40000"
    assert len(archive.messages) == 1 and gcn_api.requests_log(method="POST") == []
    assert [r.path for r in gcn_api.requests_log(method="GET")] == ["/circulars/40000.json"]
