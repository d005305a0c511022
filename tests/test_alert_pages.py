"""Alert pages and API: the list with filters and its live feed, event pages, RDF forms, stored files,
rules edited through the API (https://github.com/skyweave issue 10)."""

import json
from datetime import datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from rdflib import Graph

from skyweave.alerts import Message
from skyweave.alerts.intake import Intake

from .alert_samples import example, gcn_schemas, igwn_alert
from .conftest import BASE, auth


@pytest.fixture
def alert_app(fresh_app):
    intake = Intake(fresh_app.extensions["store"], BASE, fresh_app.config["DATA_DIR"], gcn_schemas())
    data = json.loads(example("icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json"))
    data.update(ra=83.7, dec=22.0, event_name=["IceCube-250101A"])
    intake.process([Message(json.dumps(data).encode(), "gcn.notices.icecube", 0, 5)])
    intake.process([Message(example("superk/sn_alert.test.example.json"), "gcn.notices.superk")])
    intake.process([Message(igwn_alert("S250101ab", ra=83.63, dec=22.01), "igwn.gwalert")])
    intake.process([Message(b"{broken", "gcn.notices.superk")])
    return fresh_app


def test_the_alert_list_shows_the_newest_first_with_filters(alert_app):
    client = alert_app.test_client()
    soup = BeautifulSoup(client.get("/alerts/").data, "html.parser")
    assert soup.h1.text == "Alerts"
    rows = soup.select("#alerts-table tbody tr")
    assert len(rows) == 3
    received = [r["data-received"] for r in rows]
    assert received == sorted(received, reverse=True)
    assert soup.select_one('select[name="tense"]') is not None
    tests = BeautifulSoup(client.get("/alerts/?tense=test").data, "html.parser").select("#alerts-table tbody tr")
    assert len(tests) == 1 and "Super-Kamiokande" in tests[0].text


def test_the_feed_returns_only_what_is_newer(alert_app):
    client = alert_app.test_client()
    everything = client.get("/alerts/feed.json").json["alerts"]
    assert len(everything) == 3
    newest = everything[0]["received"]
    # at or after: an alert received later in the second of the newest one shown still comes
    # (received times are to the second; the page adds each alert once)
    same_second = client.get("/alerts/feed.json", query_string={"since": newest}).json["alerts"]
    assert same_second and {a["received"] for a in same_second} == {newest}
    later = datetime.fromisoformat(newest) + timedelta(seconds=1)
    assert client.get("/alerts/feed.json", query_string={"since": later.isoformat()}).json["alerts"] == []
    gw = client.get("/alerts/", headers={"Accept": "application/json"}, query_string={
        "messenger": "https://skyweave.org/ns#GravitationalWaves"}).json["alerts"]
    assert [a["event"] for a in gw] == ["S250101ab"]


def test_an_event_page_shows_its_timeline_matches_and_sky(alert_app):
    client = alert_app.test_client()
    soup = BeautifulSoup(client.get("/events/icecube-250101a").data, "html.parser")
    assert soup.h1.text.strip() == "IceCube-250101A"
    assert len(soup.select("#timeline li")) == 1
    assert "Crab Nebula" in soup.select_one("#matches").text
    payload = soup.select_one("#timeline a[href^='/files/alerts/']")["href"]
    assert json.loads(client.get(payload).data)["event_name"] == ["IceCube-250101A"]
    svg = client.get("/events/icecube-250101a/sky.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"Crab Nebula" in svg.data
    gw = client.get("/events/s250101ab/sky.svg")
    assert gw.status_code == 200 and b"90 %" in gw.data


@pytest.mark.parametrize("path, accept", [("/events/s250101ab", "text/turtle"), ("/events/s250101ab.jsonld", None)])
def test_events_and_alerts_have_rdf_forms(alert_app, path, accept):
    client = alert_app.test_client()
    response = client.get(path, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format="turtle" if accept else "json-ld")
    assert len(graph) > 5
    alert_href = client.get("/alerts/feed.json").json["alerts"][0]["href"]
    assert Graph().parse(data=client.get(alert_href + ".ttl").data, format="turtle")


def test_quarantined_messages_are_listed_with_their_reason(alert_app):
    client = alert_app.test_client()
    soup = BeautifulSoup(client.get("/quarantine/").data, "html.parser")
    assert "not valid JSON" in soup.text


RULE = """@prefix sw: <https://skyweave.org/ns#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
<http://localhost/rules/gw-follow-up> a sw:FollowUpRule, prov:Plan ; rdfs:label "GW follow-up" ;
    sw:workflow <http://localhost/workflows/none> ; sw:enabled true ; sw:alertTense "%s" ;
    sw:parameterMapping [ sw:parameterName "ra" ; sw:alertField "ra" ] ."""


def test_rules_are_edited_through_the_api_with_an_editor_token(alert_app):
    client = alert_app.test_client()
    body = RULE % "current"
    assert client.put("/rules/gw-follow-up", data=body, content_type="text/turtle").status_code == 401
    # the workflow it names must exist: a rule for nothing is refused with the shape's message
    refused = client.put("/rules/gw-follow-up", data=body, content_type="text/turtle", headers=auth())
    assert refused.status_code == 422 and "sw:workflow" in refused.get_data(as_text=True)
    store = alert_app.extensions["store"]
    from rdflib import URIRef

    from skyweave.catalog.vocab import RDF

    stub = Graph()
    stub.add((URIRef(f"{BASE}workflows/none"), RDF.type, URIRef("https://schema.org/ComputationalWorkflow")))
    store.put(f"{BASE}workflows/none", stub, validate=False)
    assert client.put("/rules/gw-follow-up", data=body, content_type="text/turtle", headers=auth()).status_code == 201
    test_rule = client.put("/rules/gw-follow-up", data=RULE % "test", content_type="text/turtle", headers=auth())
    assert test_rule.status_code == 422  # rules may never ask for test alerts
    assert "GW follow-up" in client.get("/rules/").get_data(as_text=True)
