"""AT reports to the TNS stand-in, exactly once: mapping field by field, reply polling, failure matrix F11-F13, F19."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from rdflib import URIRef

from skyweave.publishers import records as publications
from skyweave.publishers.outcomes import MissingMetadata, OutcomeUnknown, UpstreamError
from skyweave.publishers.registry import make_publisher
from skyweave.publishers.tns import TnsPublisher
from skyweave.publishers.tns_report import internal_name
from skyweave.runners import OutputFile, RunResult
from skyweave.runners.provenance import result_records, run_graph
from skyweave.standins.harness import StandIn
from skyweave.standins.tns import API_KEY, BOT_ID, BOT_NAME, TnsState, make_tns_app

from .conftest import BASE
from .test_zenodo_metadata import TABLE, add_workflow, hess_records, new_store, ring_spec

VALUES = {"discovery_time": "2026-03-01T04:12:33.120Z", "discovery_mag": 19.5, "discovery_mag_err": 0.1,
          "last_nondetection_time": "2026-02-28T03:55:00Z", "limiting_mag": 21.5, "position_error_arcsec": 0.5}
IDS = {"reporting_groupid": "82", "data_source_groupid": "48", "instrumentid": "196", "filterid": "111"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return ring_spec(tmp_path_factory.mktemp("repo"))


def add_detection(store, spec, workflow, data_dir, values=VALUES, slug="d1"):
    run_iri = f"{BASE}runs/{slug}"
    ended = datetime(2026, 3, 1, 12, 0, 5, tzinfo=timezone.utc)
    result = RunResult("COMPLETED", ended - timedelta(seconds=5), ended, values=dict(values),
                       files=[OutputFile("ring.csv", TABLE, "table")])
    results, url = result_records(BASE, run_iri, result, {o.name: o for o in spec.outputs}, data_dir, spec.title)
    store.put(run_iri, run_graph(run_iri, workflow, "COMPLETED", {"ra": 83.633, "dec": 22.0145}, "Jane van Doe",
                                 "local pool", started=result.started_at, ended=ended, values=result.values))
    store.put_many(results)
    return str(results[0][0])


@pytest.fixture
def catalog(spec, tmp_path):
    store = new_store(hess_records())
    workflow = add_workflow(store, spec, tmp_path, "ring-v1", context=False)
    # the target gives the position; the workflow names no instrument, so no data terms apply
    from rdflib import URIRef as U

    from skyweave.catalog.vocab import SW
    from .test_zenodo_metadata import edit

    edit(store, workflow, lambda g, iri: g.add((iri, SW.target, U(f"{BASE}targets/crab-nebula"))))
    return store, add_detection(store, spec, workflow, tmp_path), (spec, workflow, tmp_path)


@pytest.fixture
def tns():
    state = TnsState(reply_after=2)
    with StandIn(make_tns_app(state)) as server:
        server.tns_state = state
        yield server


def publisher(store, tns, **kwargs):
    kwargs = {"ids": IDS, "poll_s": 1.0, "poll_budget_s": 10.0, "sleep": lambda s: None, **kwargs}
    return TnsPublisher(tns.url, kwargs.pop("api_key", API_KEY), BOT_ID, BOT_NAME, store, BASE, **kwargs)


def test_mapping_field_by_field(catalog, tns):
    store, result, _ = catalog
    report = publisher(store, tns).prepare(result).report
    assert report["ra"] == {"value": "83.633330", "error": "0.5", "units": "arcsec"}
    assert report["dec"] == {"value": "+22.014440", "error": "0.5", "units": "arcsec"}
    assert report["discovery_datetime"] == "2026-03-01 04:12:33.120"
    assert report["internal_name"] == internal_name(result, "SKW", 2026) and report["internal_name"].startswith("SKW26")
    photometry = report["photometry"]["photometry_group"]["0"]
    assert (photometry["flux"], photometry["flux_error"], photometry["flux_unitid"], photometry["filterid"],
            photometry["instrumentid"], photometry["obsdate"]) == ("19.5", "0.1", "1", "111", "196",
                                                                    "2026-03-01 04:12:33.120")
    assert (report["non_detection"]["obsdate"], report["non_detection"]["limiting_flux"]) == ("2026-02-28 03:55:00.000",
                                                                                              "21.5")
    assert (report["reporting_groupid"], report["data_source_groupid"], report["at_type"]) == ("82", "48", "1")
    assert report["reporter"] == "Jane van Doe, Josiah Carberry on behalf of skyweave" and result in report["remarks"]


def test_missing_fields_are_named_before_any_request(catalog, tns):
    store, _, (spec, workflow, tmp) = catalog
    bare = add_detection(store, spec, workflow, tmp, values={"discovery_mag": 19.0}, slug="d2")
    with pytest.raises(MissingMetadata) as caught:
        publisher(store, tns, ids={"reporting_groupid": "82"}).publish(bare)
    text = str(caught.value)
    for field in ("discovery_time", "data_source_groupid", "TNS_INSTRUMENTID", "TNS_FILTERID", "non_detection"):
        assert field in text
    assert tns.requests_log() == [] and publications.find(store, bare, "tns") is None


def test_report_polls_the_reply_then_records_the_name_once(catalog, tns):
    store, result, _ = catalog
    channel = publisher(store, tns)
    outcome = channel.publish(result)
    assert outcome.identifier == "AT 2026aaa" and outcome.url == f"{tns.url}/object/2026aaa"
    [sent] = tns.requests_log(method="POST", path="^/api/set/bulk-report$")
    assert sent.headers["User-Agent"] == f'tns_marker{{"tns_id": {BOT_ID}, "type": "bot", "name": "{BOT_NAME}"}}'
    form = dict(x.split("=", 1) for x in sent.body.decode().split("&"))
    from urllib.parse import unquote_plus

    assert unquote_plus(form["api_key"]) == API_KEY
    assert json.loads(unquote_plus(form["data"])) == {"at_report": {"0": channel.prepare(result).report}}
    assert [r.status for r in tns.requests_log(path="bulk-report-reply")] == [404, 404, 200]
    pub = publications.get(store, outcome.publication)
    assert API_KEY not in json.dumps(pub.progress) and pub.progress["report_id"] == "100"
    again = channel.publish(result)
    assert again.reused and len(tns.requests_log(path="set/bulk-report")) == 1
    rows = store.select("PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX schema: <https://schema.org/> "
                        "SELECT ?name WHERE { ?p prov:used $r ; schema:identifier ?name }", r=URIRef(result))
    assert [str(r["name"]) for r in rows] == ["AT 2026aaa"]


def test_f11_no_reply_within_budget_stays_pending_and_is_never_resubmitted(catalog, tns):
    store, result, _ = catalog
    tns.tns_state.reply_after = 100
    with pytest.raises(OutcomeUnknown, match="nothing is resubmitted"):
        publisher(store, tns, poll_budget_s=3.0).publish(result)
    pub = publications.find(store, result, "tns")
    assert pub.progress["report_id"] == "100"
    tns.tns_state.reply_after = 0
    outcome = publisher(store, tns).publish(result)
    assert outcome.identifier == "AT 2026aaa"
    assert len(tns.requests_log(path="set/bulk-report")) == 1  # polled again, never resubmitted


def test_f12_identical_report_message_5_is_taken_as_done(catalog, tns):
    store, result, _ = catalog
    first = publisher(store, tns).publish(result)
    store.delete(URIRef(first.publication))  # the catalog lost its record: the report is sent again ...
    outcome = publisher(store, tns).publish(result)  # ... refused as identical (message 5), then found by name
    assert outcome.identifier == "AT 2026aaa" and len(tns.tns_state.objects) == 1
    assert len(tns.requests_log(path="set/bulk-report")) == 2 and len(tns.tns_state.accepted) == 1
    assert any("identical" in s for s in publications.get(store, outcome.publication).progress["steps"])


def test_f13_field_errors_are_readable_and_not_retried(catalog, tns):
    store, result, _ = catalog
    channel = publisher(store, tns)
    prepare = channel.prepare

    def late_non_detection(iri, **supplied):  # a report our checks would refuse, as if TNS alone knew better
        prepared = prepare(iri, **supplied)
        prepared.report["non_detection"]["obsdate"] = "2026-03-02 00:00:00.000"
        return prepared

    channel.prepare = late_non_detection
    with pytest.raises(UpstreamError, match=r"non_detection: The last non-detection must precede the discovery "
                                            r"\(message 1"):
        channel.publish(result)
    assert len(tns.requests_log(path="set/bulk-report")) == 1
    assert publications.find(store, result, "tns").state == "failed"


def test_a_non_detection_after_the_discovery_is_refused_before_any_request(catalog, tns):
    store, _, (spec, workflow, tmp) = catalog
    early = add_detection(store, spec, workflow, tmp, slug="d3",
                          values={**VALUES, "last_nondetection_time": "2026-03-02T00:00:00Z"})
    with pytest.raises(MissingMetadata, match=r"last_nondetection_time: 2026-03-02T00:00:00.000Z is not before "
                                              r"the discovery time .*\(TNS message 1\)"):
        publisher(store, tns).publish(early)
    assert tns.requests_log() == [] and publications.find(store, early, "tns") is None


@pytest.mark.parametrize("key, status", [("wrong-key", 401)])
def test_f19_refused_key_names_the_settings_and_is_not_retried(catalog, tns, key, status):
    store, result, _ = catalog
    with pytest.raises(UpstreamError, match="SKYWEAVE_TNS_API_KEY") as caught:
        publisher(store, tns, api_key=key).publish(result)
    assert caught.value.status == status and key not in str(caught.value)
    assert len(tns.requests_log()) == 1


def test_lost_answer_to_the_report_is_found_by_internal_name(catalog, tns):
    store, result, _ = catalog
    tns.tns_state.reply_after = 0
    tns.add_faults([{"method": "POST", "path": "^/api/set/bulk-report$", "action": "after_effect", "status": 500,
                     "times": 1}])
    # The report was queued but the answer lost; it is processed when anyone polls: let the stand-in do it.
    with pytest.raises(OutcomeUnknown):
        publisher(store, tns).publish(result)
    tns.tns_state.reports["100"]["polls"] = 1
    import requests

    requests.post(f"{tns.url}/api/get/bulk-report-reply", data={"api_key": API_KEY, "report_id": "100"},
                  headers={"User-Agent": f'tns_marker{{"tns_id": {BOT_ID}, "type": "bot", "name": "x"}}'}, timeout=5)
    outcome = publisher(store, tns).publish(result)
    assert outcome.identifier == "AT 2026aaa" and len(tns.requests_log(path="set/bulk-report")) == 1


def test_settings_build_it_and_name_what_is_missing(catalog, tns):
    from skyweave.catalog.exceptions import NotConfigured

    store = catalog[0]
    with pytest.raises(NotConfigured, match="SKYWEAVE_TNS_API_KEY"):
        make_publisher("tns", {"BASE_IRI": BASE}, store)
    config = {"BASE_IRI": BASE, "TNS_BASE_URL": tns.url, "TNS_API_KEY": API_KEY, "TNS_BOT_ID": str(BOT_ID),
              "TNS_BOT_NAME": BOT_NAME, **{f"TNS_{k.upper()}": v for k, v in IDS.items()}}
    channel = make_publisher("tns", config, store)
    assert channel.ids["filterid"] == "111" and channel.terms is not None
