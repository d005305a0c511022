"""A retraction marks the results its event's alerts led to, and stops the event's queued runs, in
either order of arrival (https://github.com/skyweave issue 10)."""

import json
from concurrent.futures import Future

import pytest
from rdflib import URIRef

from skyweave.alerts import Message
from skyweave.alerts.intake import Intake
from skyweave.alerts.rules import RuleEngine
from skyweave.alerts.service import Pipeline
from skyweave.catalog.vocab import SW

from .alert_samples import example, gcn_schemas
from .conftest import BASE
from .test_alert_rules import pipeline, rules_app, runs_informed_by  # noqa: F401 (fixtures)

P = "PREFIX sw: <https://skyweave.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#> "
TOPIC = "gcn.notices.icecube.lvk_nu_track_search"


def notice(name, alert_type="initial", ra=83.7, dec=22.0):
    """An IceCube track notice (GCN's example) for event ``name``, inside the Crab's neighbourhood."""
    data = json.loads(example("icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json"))
    data.update(event_name=[name], ra=ra, dec=dec, ra_dec_error=0.5, alert_type=alert_type)
    return Message(json.dumps(data).encode(), TOPIC)


def results_of(store, run):
    rows = store.select(P + "SELECT ?r WHERE { ?r prov:wasGeneratedBy $run ; a sw:DataProduct }", run=URIRef(run))
    return sorted(str(r["r"]) for r in rows)


def marks(store, event):
    rows = store.select(P + "SELECT ?r ?a WHERE { ?r sw:basedOnRetractedAlert ?a . ?a sw:about $event }",
                        event=URIRef(event))
    return sorted((str(r["r"]), str(r["a"])) for r in rows)


def test_a_retraction_after_the_event_marks_its_results(rules_app, pipeline):
    store, jobs = rules_app.extensions["store"], rules_app.extensions["jobs"]
    event = f"{BASE}events/icecube-250301a"
    [(_rule, alert, submission)] = pipeline.process([notice("IceCube-250301A")]).fired
    assert jobs.wait(submission.run_iri, timeout_s=120) == "COMPLETED"
    results = results_of(store, submission.run_iri)
    assert results and marks(store, event) == []

    report = pipeline.process([notice("IceCube-250301A", alert_type="retraction")])
    assert report.fired == [] and sorted(report.marked) == results
    assert marks(store, event) == [(r, alert) for r in results]  # queryable by SPARQL
    for result in results:
        graph = store.get(result)
        assert store.check(result, graph).conforms
        assert [v.number for v in store.versions(result)] == [1]  # the unmarked result is kept as version 1
        assert (URIRef(result), SW.basedOnRetractedAlert, URIRef(alert)) not in store.version(result, 1)

    page = rules_app.test_client().get("/results/" + results[0].rsplit("/", 1)[1])
    assert page.status_code == 200
    assert b'id="retracted-warning"' in page.data and b"Based on a retracted alert" in page.data
    other = store.select(P + "SELECT ?r WHERE { ?r a sw:DataProduct FILTER NOT EXISTS { ?r sw:basedOnRetractedAlert ?a } } LIMIT 1")
    if other:
        assert b'id="retracted-warning"' not in rules_app.test_client().get(
            "/results/" + str(other[0]["r"]).rsplit("/", 1)[1]).data

    again = pipeline.process([notice("IceCube-250301A", alert_type="retraction")])  # delivered twice
    assert again.marked == [] and again.duplicates == 1
    assert [v.number for v in store.versions(results[0])] == [1]


def test_a_retraction_before_the_event_is_applied_when_the_event_appears(rules_app, pipeline):
    store = rules_app.extensions["store"]
    event = URIRef(f"{BASE}events/icecube-250302a")
    first = pipeline.process([notice("IceCube-250302A", alert_type="retraction")])
    assert first.fired == [] and store.get(event).value(event, SW.retracted).toPython() is True
    late = pipeline.process([notice("IceCube-250302A")])  # the event's own notice arrives afterwards
    [stored] = late.stored
    assert late.fired == [] and runs_informed_by(store, stored.iri) == []
    assert store.get(event).value(event, SW.retracted).toPython() is True
    assert late.marked == [] and marks(store, str(event)) == []


class NeverExecutor:
    """Accepts runs and never starts them: they stay QUEUED until aborted."""

    name = "never"

    def submit(self, request, progress=None, abort=None):
        return Future()

    def close(self):
        pass


@pytest.fixture
def queue_only(rules_app, tmp_path):
    from skyweave.runners.jobs import JobManager

    store = rules_app.extensions["store"]
    jobs = JobManager(store, BASE, tmp_path, NeverExecutor(), abort_wait_s=5)
    yield Pipeline(Intake(store, BASE, rules_app.config["DATA_DIR"], gcn_schemas()), RuleEngine(store, jobs)), jobs
    jobs.close()


def test_a_retraction_stops_the_queued_runs_of_its_event(rules_app, queue_only):
    pipeline, jobs = queue_only
    store = rules_app.extensions["store"]
    [(_rule, _alert, submission)] = pipeline.process([notice("IceCube-250303A", ra=84.0)]).fired
    assert jobs.phase(submission.run_iri) == "QUEUED"
    pipeline.process([notice("IceCube-250303A", alert_type="retraction", ra=84.0)])
    assert jobs.phase(submission.run_iri) == "ABORTED"
    run = URIRef(submission.run_iri)
    assert str(store.get(run).value(run, SW.phase)) == "ABORTED"


@pytest.mark.browser
def test_in_chromium_a_result_of_a_retracted_event_shows_the_warning(browser, rules_app, pipeline):
    from .conftest import LiveServer

    store, jobs = rules_app.extensions["store"], rules_app.extensions["jobs"]
    [(_rule, alert, submission)] = pipeline.process([notice("IceCube-250304A", ra=83.6)]).fired
    assert jobs.wait(submission.run_iri, timeout_s=120) == "COMPLETED"
    result = results_of(store, submission.run_iri)[0]
    with LiveServer(rules_app) as server:
        context = browser.new_context(base_url=server.url)
        page = context.new_page()
        page.goto("/results/" + result.rsplit("/", 1)[1])
        assert page.locator("#retracted-warning").count() == 0
        pipeline.process([notice("IceCube-250304A", alert_type="retraction", ra=83.6)])
        page.reload()
        warning = page.locator("#retracted-warning")
        assert warning.is_visible() and "Based on a retracted alert" in warning.inner_text()
        warning.locator("a").first.click()
        page.wait_for_url("**/alerts/*")
        assert page.url.endswith(alert.rsplit("/", 1)[1])
        context.close()
