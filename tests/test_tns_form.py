"""A TNS AT report of a counterpart candidate from a replayed alert's event: the facts a person measured are
typed in the report form or given with ``skyweave report tns --set``, checked with astropy before anything is
sent, and recorded as supplied by that person (https://github.com/skyweave issue 11: "Reports out")."""

import contextlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup

from skyweave.publishers import records as publications
from skyweave.publishers.tns_fields import VALUES, check
from skyweave.publishers.outcomes import MissingMetadata
from skyweave.standins.harness import StandIn
from skyweave.standins.tns import API_KEY, BOT_ID, BOT_NAME, TnsState, make_tns_app

from .conftest import BASE, make_app
from .test_event_reports import replay_icecube

PHOTOMETRY = {"ra": "77.43", "dec": "5.72", "position_error_arcsec": "0.4",
              "discovery_time": "2026-03-01T04:12:33.120Z", "discovery_mag": "18.2", "discovery_mag_err": "0.05",
              "filterid": "110", "last_nondetection_time": "2026-02-28T03:55:00Z", "limiting_mag": "20.9"}
"""A counterpart candidate's photometry, as an astronomer types it."""


@pytest.fixture
def tns():
    state = TnsState(reply_after=1)
    with StandIn(make_tns_app(state)) as server:
        server.tns_state = state
        yield server


def tns_settings(tns):
    """The settings the demo sets for the stand-in: the bot, and the ZTF group, instrument and r filter."""
    return {"TNS_BASE_URL": tns.url, "TNS_API_KEY": API_KEY, "TNS_BOT_ID": str(BOT_ID), "TNS_BOT_NAME": BOT_NAME,
            "TNS_REPORTING_GROUPID": "82", "TNS_DATA_SOURCE_GROUPID": "48", "TNS_INSTRUMENTID": "196",
            "TNS_FILTERID": "111"}


@pytest.fixture
def event_app(small_records, tmp_path, tns):
    from skyweave.catalog.web.app import close_app

    app = make_app(small_records, DATA_DIR=str(tmp_path / "data"), **tns_settings(tns))
    path = replay_icecube(app)
    yield app, path
    close_app(app)


def facts_shown(soup):
    """``{field: (value, source)}`` of the report form."""
    out = {}
    for div in soup.select("#report-facts .field"):
        control = div.select_one("input, select")
        value = control.get("value", "") if control.name == "input" else \
            next((o["value"] for o in control.select("option") if o.has_attr("selected")), "")
        out[div["data-field"]] = (value, div.select_one(".help").text)
    return out


def test_the_form_is_prefilled_from_the_event_and_names_what_is_missing(event_app, tns):
    app, path = event_app
    client = app.test_client()
    answer = client.get(f"{path}/publish/tns")
    soup = BeautifulSoup(answer.data, "html.parser")
    assert answer.status_code == 422  # the event has no photometry: the report cannot be sent as it is
    shown = facts_shown(soup)
    assert list(shown) == ["ra", "dec", "position_error_arcsec", "discovery_time", "discovery_mag",
                           "discovery_mag_err", "filterid", "instrumentid", "flux_unitid", "last_nondetection_time",
                           "limiting_mag", "at_type", "reporting_groupid", "data_source_groupid"]
    assert shown["ra"][1].startswith(f"from record <{BASE.rstrip('/')}{path}>") and float(shown["ra"][0]) > 0
    assert shown["filterid"] == ("111", "from setting TNS_FILTERID; TNS filter")
    assert shown["discovery_mag"][1] == "missing"
    problems = [li.text.strip() for li in soup.select(".problem li")]
    for name in ("discovery_time", "discovery_mag", "non_detection"):
        assert any(p.startswith(f"{name}: missing") for p in problems), problems
    assert soup.select_one("#publish-metadata") is None and tns.requests_log() == []
    labels = {d["data-field"]: d.label.text for d in soup.select("#report-facts .field")}
    assert labels["ra"] == "Right ascension (ICRS) (deg)" and labels["discovery_time"] == "Discovery time (UTC)"


def test_checking_the_typed_facts_shows_the_exact_json_and_sends_nothing(event_app, tns):
    app, path = event_app
    client = app.test_client()
    client.get(f"{path}/publish/tns")
    with client.session_transaction() as session:
        csrf = session["csrf"]
    answer = client.post(f"{path}/publish/tns/check", data={"_csrf": csrf, **PHOTOMETRY})
    soup = BeautifulSoup(answer.data, "html.parser")
    assert answer.status_code == 200, [li.text.strip() for li in soup.select(".problem li")]
    sent = json.loads(soup.select_one("#publish-metadata").text)
    report = sent["data"]["at_report"]["0"]
    assert sent["to"] == f"{tns.url}/api/set/bulk-report"
    assert report["ra"] == {"value": "77.430000", "error": "0.4", "units": "arcsec"}
    assert report["dec"] == {"value": "+5.720000", "error": "0.4", "units": "arcsec"}
    assert report["discovery_datetime"] == "2026-03-01 04:12:33.120"
    photometry = report["photometry"]["photometry_group"]["0"]
    assert (photometry["flux"], photometry["flux_error"], photometry["filterid"], photometry["instrumentid"]) == (
        "18.2", "0.05", "110", "196")
    assert (report["non_detection"]["obsdate"], report["non_detection"]["limiting_flux"]) == (
        "2026-02-28 03:55:00.000", "20.9")
    shown = facts_shown(soup)
    assert shown["discovery_mag"] == ("18.2", "supplied by a person using the web form (publisher token)")
    assert shown["instrumentid"] == ("196", "from setting TNS_INSTRUMENTID; TNS instrument")  # sent back unchanged
    assert report["internal_name"] in soup.select_one("#tns-internal-name").text
    assert tns.requests_log() == []


@pytest.mark.parametrize("bad, named", [
    ({"dec": "95"}, "dec: '95' is not a declination"),
    ({"ra": "361"}, "ra: '361' is not a right ascension"),
    ({"discovery_time": "2999-01-01T00:00:00Z"}, "discovery_time: '2999-01-01T00:00:00Z' is not a UTC time "
                                                 "(2999-01-01T00:00:00.000Z is in the future"),
    ({"discovery_time": "yesterday"}, "discovery_time: 'yesterday' is not a UTC time"),
    ({"discovery_mag": "45"}, "discovery_mag: '45' is not a magnitude (45 mag is outside -2..32 mag)"),
    ({"filterid": "999"}, "filterid: '999' is not a TNS filterid value id (TNS knows 110 (g-ZTF)"),
    ({"instrumentid": "1"}, "instrumentid: '1' is not a TNS instrumentid value id"),
    ({"last_nondetection_time": "2026-03-02T00:00:00Z"}, "last_nondetection_time: 2026-03-02T00:00:00.000Z is not "
                                                         "before the discovery time"),
])
def test_a_bad_value_is_refused_with_the_field_named_and_nothing_sent(event_app, tns, bad, named):
    app, path = event_app
    client = app.test_client()
    iri = BASE.rstrip("/") + path
    answer = client.post(f"{path}/publish/tns", data={"api_token": "publisher-token", **PHOTOMETRY, **bad})
    assert answer.status_code == 422
    problems = [li.text.strip() for li in BeautifulSoup(answer.data, "html.parser").select(".problem li")]
    assert any(p.startswith(named) for p in problems), problems
    as_json = client.post(f"{path}/publish/tns", data={"api_token": "publisher-token", **PHOTOMETRY, **bad},
                          headers={"Accept": "application/json"})
    assert as_json.status_code == 422 and any(e["message"].startswith(named) for e in as_json.json["errors"])
    assert tns.requests_log() == [] and publications.find(app.extensions["store"], iri, "tns") is None


def test_the_report_is_sent_once_with_the_typed_facts_recorded_as_supplied(event_app, tns):
    app, path = event_app
    client = app.test_client()
    iri = BASE.rstrip("/") + path
    assert client.post(f"{path}/publish/tns", data={"api_token": "reader-token", **PHOTOMETRY}).status_code == 403
    shown = facts_shown(BeautifulSoup(client.get(f"{path}/publish/tns").data, "html.parser"))
    form = {name: value for name, (value, _) in shown.items()}  # a browser sends the prefilled fields back
    event_ra = form["ra"]
    sent = client.post(f"{path}/publish/tns", data={"api_token": "publisher-token", **form,
                                                    **{k: v for k, v in PHOTOMETRY.items() if k not in ("ra", "dec")}})
    assert sent.status_code == 303 and sent.headers["Location"] == path
    again = client.post(f"{path}/publish/tns", data={"api_token": "publisher-token", **PHOTOMETRY,
                                                     "discovery_mag": "18.4"}, headers={"Accept": "application/json"})
    assert again.json["reused"] and again.json["identifier"] == "AT 2026aaa"
    assert len(tns.requests_log(path="set/bulk-report")) == 1 and len(tns.tns_state.accepted) == 1
    [report] = tns.tns_state.accepted
    assert report["photometry"]["photometry_group"]["0"]["flux"] == "18.2"
    pub = publications.find(app.extensions["store"], iri, "tns")
    facts = pub.progress["facts"]
    assert facts["discovery_mag"] == {"value": "18.2", "from": "supplied by a person using the web form "
                                                              "(publisher token)"}
    assert facts["filterid"] == {"value": "110", "from": "supplied by a person using the web form (publisher token)"}
    assert facts["instrumentid"] == {"value": "196", "from": "setting TNS_INSTRUMENTID"}
    assert pub.progress["internal_name"] == report["internal_name"]
    assert facts["ra"] == {"value": event_ra, "from": f"record <{iri}>"}  # the event's position, left as prefilled
    # written before the first remote call: the facts step precedes the step logging the upload
    steps = pub.progress["steps"]
    first = next(i for i, s in enumerate(steps) if " facts: " in s)
    assert first < next(i for i, s in enumerate(steps) if "queued report_id" in s)
    assert "discovery_mag" in steps[first] and "supplied by a person using the web form" in steps[first]
    soup = BeautifulSoup(client.get(path).data, "html.parser")
    assert "AT 2026aaa" in soup.select_one("#publication-outcomes").text
    rows = client.get("/sparql", query_string={"query": (
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX schema: <https://schema.org/> "
        "SELECT ?p ?id WHERE { ?p a prov:Activity ; prov:used <%s> ; schema:identifier ?id }" % iri)},
        headers={"Accept": "application/sparql-results+json"}).json["results"]["bindings"]
    assert [r["id"]["value"] for r in rows] == ["AT 2026aaa"] and rows[0]["p"]["value"] == pub.iri


def test_cli_report_tns_with_set_prints_the_exact_json_then_sends_it_once(event_app, tns, monkeypatch):
    from click.testing import CliRunner

    from skyweave.catalog import cli as cli_module

    app, path = event_app

    monkeypatch.setattr(cli_module, "opened_app", lambda: contextlib.nullcontext(app))
    runner = CliRunner()
    sets = [arg for name, value in PHOTOMETRY.items() for arg in ("--set", f"{name}={value}")]
    dry = runner.invoke(cli_module.cli, ["report", "tns", path, *sets, "--dry-run"], catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    shown = json.loads(dry.stdout)
    assert shown["data"]["at_report"]["0"]["photometry"]["photometry_group"]["0"]["flux"] == "18.2"
    assert tns.requests_log() == []
    bad = runner.invoke(cli_module.cli, ["report", "tns", path, *sets, "--set", "dec=95"])
    assert bad.exit_code == 1 and "dec: '95' is not a declination" in bad.output and tns.requests_log() == []
    unknown = runner.invoke(cli_module.cli, ["report", "tns", path, "--set", "magnitude=18"])
    assert unknown.exit_code == 2 and "discovery_mag" in unknown.output
    live = runner.invoke(cli_module.cli, ["report", "tns", path, *sets], catch_exceptions=False)
    assert live.exit_code == 0, live.output
    assert live.stdout.split()[:2] == ["AT", "2026aaa"]
    [report] = tns.tns_state.accepted
    assert {"at_report": {"0": report}} == shown["data"]
    pub = publications.find(app.extensions["store"], BASE.rstrip("/") + path, "tns")
    assert pub.progress["facts"]["discovery_mag"]["from"].startswith("supplied by a person on the command line")


def test_the_contracts_value_lists_are_the_stand_ins(tns):
    import requests

    answer = requests.post(f"{tns.url}/api/get/values", data={"api_key": API_KEY}, timeout=5,
                           headers={"User-Agent": f'tns_marker{{"tns_id": {BOT_ID}, "type": "bot", "name": "x"}}'})
    data = answer.json()["data"]
    assert data["filters"] == VALUES["filterid"] and data["instruments"] == VALUES["instrumentid"]
    assert data["at_types"] == VALUES["at_type"] and data["flux_units"] == VALUES["flux_unitid"]
    assert data["groups"] == {**VALUES["reporting_groupid"], **VALUES["data_source_groupid"]}


def test_check_reads_sexagesimal_and_refuses_a_time_after_now():
    now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    assert check({"ra": "05:09:43.2", "dec": "+05:43:12"}, now=now) == {"ra": "77.43", "dec": "5.72"}
    with pytest.raises(MissingMetadata, match="in the future"):
        check({"discovery_time": (now + timedelta(minutes=1)).isoformat()}, now=now)
    with pytest.raises(ValueError, match="unknown AT-report field"):
        check({"magnitude": "18"})
