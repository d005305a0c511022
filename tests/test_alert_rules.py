"""Follow-up rules: a matching alert starts the bundled cone search once, with provenance back to the
alert and the rule; test alerts and duplicates start nothing (https://github.com/skyweave issue 10)."""

import json

import pytest

from skyweave.alerts import Message
from skyweave.alerts.demo import demo_rule
from skyweave.alerts.intake import Intake
from skyweave.alerts.rules import RuleEngine, load_rules
from skyweave.alerts.service import Pipeline
from skyweave.runners.registry import latest_version, register

from .alert_samples import example, gcn_schemas
from .conftest import BASE, make_app
from .test_bundled_workflows import WORKFLOWS

P = "PREFIX sw: <https://skyweave.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#> "


@pytest.fixture(scope="module")
def rules_app(records, tmp_path_factory):
    from skyweave.catalog.web.app import close_app

    keep = ("/instruments/", "/observatories/", "/catalogs/", "/targets/crab-nebula", "/targets/3fhl-j0534-5-2201")
    app = make_app([(i, g) for i, g in records if any(k in str(i) for k in keep)],
                   DATA_DIR=str(tmp_path_factory.mktemp("rules") / "data"), RUN_TIMEOUT_S=120)
    store, jobs = app.extensions["store"], app.extensions["jobs"]
    register(str(WORKFLOWS), store, BASE, app.config["DATA_DIR"], jobs.executor.kernels, jobs.env)
    store.put(*demo_rule(BASE, latest_version(store, BASE, "catalog-cone-search")))
    yield app
    close_app(app)


@pytest.fixture
def pipeline(rules_app):
    store = rules_app.extensions["store"]
    intake = Intake(store, BASE, rules_app.config["DATA_DIR"], gcn_schemas())
    return Pipeline(intake, RuleEngine(store, rules_app.extensions["jobs"]))


def track(name, ra=83.7, dec=22.0, radius=0.5, tense="current"):
    data = json.loads(example("icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json"))
    data.update(event_name=[name], ra=ra, dec=dec, ra_dec_error=radius, alert_tense=tense)
    return Message(json.dumps(data).encode(), "gcn.notices.icecube.lvk_nu_track_search")


def runs_informed_by(store, alert):
    return [str(r["run"]) for r in store.select(P + "SELECT ?run WHERE { ?run prov:wasInformedBy $a }",
                                                a=__import__("rdflib").URIRef(alert))]


def test_the_demo_rule_is_a_valid_record(rules_app):
    [rule] = load_rules(rules_app.extensions["store"])
    assert rule.enabled and rule.tenses == {"current"} and len(rule.mappings) == 4


def test_a_matching_alert_runs_the_workflow_once_with_provenance(rules_app, pipeline):
    store, jobs = rules_app.extensions["store"], rules_app.extensions["jobs"]
    report = pipeline.process([track("IceCube-250102A")])
    [(rule, alert, submission)] = report.fired
    assert submission.phase == "QUEUED"
    assert jobs.wait(submission.run_iri, timeout_s=120) == "COMPLETED"
    again = pipeline.process([track("IceCube-250102A")])  # the same message, delivered again
    assert again.fired == [] and again.duplicates == 1
    assert runs_informed_by(store, alert) == [submission.run_iri]
    rows = store.select(P + """SELECT ?rule ?run ?result ?n WHERE {
        ?alert sw:about ?event . ?run prov:wasInformedBy ?alert ; prov:wasInfluencedBy ?rule ;
        <https://schema.org/result> [ <https://schema.org/name> "n_sources" ; <https://schema.org/value> ?n ] .
        ?result prov:wasGeneratedBy ?run }""")
    assert {str(r["rule"]) for r in rows} == {rule} and {str(r["run"]) for r in rows} == {submission.run_iri}
    assert {int(r["n"]) for r in rows} == {1}  # the Crab Nebula (3FHL J0534.5+2201) within 0.5 deg
    # the event page's summary: the run once, with every file of every result it generated
    from rdflib import URIRef

    from skyweave.alerts.queries import event_summary

    [run] = event_summary(store, report.stored[0].event)["runs"]
    assert (run["run"], run["alert"], run["phase"]) == (submission.run_iri, alert, "COMPLETED")
    files = store.select(P + "SELECT ?res ?url WHERE { ?res prov:wasGeneratedBy $run ; "
                         "<http://www.w3.org/ns/dcat#distribution>/<http://www.w3.org/ns/dcat#downloadURL> ?url }",
                         run=URIRef(submission.run_iri))
    assert files and sorted((r["result"], r["url"]) for r in run["results"]) == sorted(
        (str(f["res"]), str(f["url"])) for f in files)


def test_test_alerts_never_start_runs(pipeline):
    report = pipeline.process([track("IceCube-250103A", tense="test")])
    assert len(report.stored) == 1 and report.fired == []


def test_a_rule_whose_firing_was_lost_fires_when_the_message_comes_again(rules_app, pipeline):
    store = rules_app.extensions["store"]
    message = track("IceCube-250104A", ra=120.0, dec=-40.0)
    pipeline.intake.process([message])  # stored, then the process "crashed" before firing
    report = pipeline.process([message])
    assert len(report.fired) == 1 and report.duplicates == 1
    assert len(runs_informed_by(store, report.fired[0][1])) == 1
    rules_app.extensions["jobs"].wait(report.fired[0][2].run_iri, timeout_s=120)


def test_an_update_retracted_in_the_same_batch_starts_nothing(pipeline):
    topic = "gcn.notices.swift.bat.guano"
    located = json.loads(example("swift/bat/guano.loc_arc_min.example.json"))
    retraction = json.loads(example("swift/bat/Guano.Retraction.example.json"))
    for data in (located, retraction):
        data["id"] = ["694299999"]
    report = pipeline.process([Message(json.dumps(d).encode(), topic) for d in (located, retraction)])
    assert len(report.stored) == 2 and report.fired == []
    alone = pipeline.process([Message(json.dumps(dict(located, id=["694288888"])).encode(), topic)])
    assert len(alone.fired) == 1  # the same update without its retraction does start a run
    pipeline.rules.jobs.wait(alone.fired[0][2].run_iri, timeout_s=120)


def test_a_retraction_starts_nothing_and_marks_the_event(rules_app, pipeline):
    from rdflib import URIRef

    from skyweave.catalog.vocab import SW

    report = pipeline.process([Message(example("swift/bat/Guano.Retraction.example.json"), "gcn.notices.swift.bat.guano")])
    assert report.fired == []
    event = URIRef(f"{BASE}events/swift-bat-guano-694215995")
    assert rules_app.extensions["store"].get(event).value(event, SW.retracted).toPython() is True


@pytest.mark.browser
def test_in_chromium_a_replayed_alert_appears_live_and_leads_to_its_result(browser, rules_app, pipeline):
    from .conftest import LiveServer

    with LiveServer(rules_app) as server:
        context = browser.new_context(base_url=server.url)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/alerts/")
        assert page.locator("h1").inner_text() == "Alerts"
        url = page.url
        report = pipeline.process([track("IceCube-250109A", ra=83.5, dec=22.1)])  # arrives while the page is open
        row = page.locator("#alerts-table tbody tr", has_text="IceCube-250109A")
        row.wait_for(timeout=15_000)
        assert page.url == url  # no reload
        rules_app.extensions["jobs"].wait(report.fired[0][2].run_iri, timeout_s=120)
        row.locator("a", has_text="IceCube-250109A").first.click()
        page.wait_for_url("**/events/icecube-250109a")
        assert "Crab Nebula" in page.locator("#matches").inner_text()
        assert page.evaluate("img => img.complete && img.naturalWidth > 100", page.locator("figure.sky img").element_handle())
        page.locator("a.result-link").first.click()
        page.wait_for_url("**/results/*")
        assert page.locator("h1").inner_text()
        context.close()
        assert not errors, errors


BOUNDED = (
    "ASK { $alert <https://skyweave.org/ns#localization>/<https://skyweave.org/ns#errorRadius> ?r }",
    "ASK { $alert <https://skyweave.org/ns#localization> ?l . ?l <https://skyweave.org/ns#errorRadius> ?r FILTER(?r < 1) }",
    "ASK { $alert <https://skyweave.org/ns#crossMatch> [ <https://skyweave.org/ns#target> ?t ] }",
    "ASK { $alert <https://skyweave.org/ns#alertType> \"initial\" ; <https://skyweave.org/ns#topic> ?t }",
)


def test_bounded_asks_get_the_catalogs_answer_from_the_alerts_own_record(rules_app):
    """The rules' ASKs that stay inside the alert's record are answered there, in this process, and
    agree with the same ASK over the whole catalog (the query workers' answer)."""
    from skyweave.alerts.askscope import bounded_to_alert

    store = rules_app.extensions["store"]
    intake = Intake(store, BASE, rules_app.config["DATA_DIR"], gcn_schemas())
    report = intake.process([track("IceCube-BOUNDED1"), track("IceCube-BOUNDED2", ra=10.0, dec=-80.0, radius=2.0),
                             Message(example("swift/bat/Guano.example.json"), "gcn.notices.swift")])
    answers = set()
    for text in BOUNDED:
        assert bounded_to_alert(text)
        for alert in report.stored:
            query = text.replace("$alert", f"<{alert.iri}>")
            local = store.ask(query, graphs=[alert.iri])
            assert local == bool(store.query(query).value) == store.ask(query)
            answers.add(local)
    assert answers == {True, False}  # the comparison saw both answers
    unbounded = "ASK { $alert <https://skyweave.org/ns#about> ?e . ?e <https://skyweave.org/ns#retracted> false }"
    assert not bounded_to_alert(unbounded)
    query = unbounded.replace("$alert", f"<{report.stored[0].iri}>")
    assert store.ask(query) and not store.ask(query, graphs=[report.stored[0].iri])  # why it stays global
