"""In headless Chromium: draft a GCN Circular from a result's page, see the refusal and the data terms, edit, send."""

import pytest

from .conftest import BASE, LiveServer
from .test_gcn_circulars import SUBJECT, api, archive, spec, web  # noqa: F401  (fixtures)
from .test_tns_form import tns  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_draft_edit_and_send_a_circular_from_the_result_page(browser, web, api, archive):  # noqa: F811
    app, path = web
    app.config["DATA_TERMS_ALLOW"] = ["hess-dl3-dr1"]
    with LiveServer(app) as server:
        context = browser.new_context(base_url=server.url)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(path)
        page.click("text=Draft GCN Circular")
        page.wait_for_selector("#edit-body")
        assert "names no event" in page.content()  # the draft's subject would be refused: edit it
        assert "no scientific publications may be derived" in page.content()  # the data terms, always shown
        assert page.input_value("#edit-body").rstrip().endswith(BASE.rstrip("/") + path)
        page.fill("#edit-subject", SUBJECT)
        page.fill("#api_token", "publisher-token")
        page.click("#publish-form button[type=submit]")
        page.wait_for_url(f"**{path}")
        link = page.locator("#publication-outcomes a")
        assert link.inner_text() == "40000" and link.get_attribute("href").endswith("/circulars/40000")
        assert page.locator("text=Draft GCN Circular").count() == 0
        context.close()
    assert archive.circulars[40000]["subject"] == SUBJECT and not errors, errors


def test_draft_and_send_a_circular_from_a_replayed_alerts_event_page(browser, small_records, tmp_path, api, archive):  # noqa: F811
    from .conftest import make_app
    from .test_event_reports import replay_icecube
    from skyweave.catalog.web.app import close_app

    app = make_app(small_records, DATA_DIR=str(tmp_path / "data"), GCN_CIRCULARS_VIA="api", GCN_API_BASE_URL=api.url,
                   GCN_API_TOKEN="submitter-token")
    try:
        path = replay_icecube(app)
        with LiveServer(app) as server:
            context = browser.new_context(base_url=server.url)
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(path)
            event = page.locator("h1").inner_text().strip()
            page.click("text=Draft GCN Circular")
            page.wait_for_selector("#edit-body")
            assert page.input_value("#edit-subject").startswith(f"{event}: IceCube follow-up")
            assert f"{api.url}/api/circulars" in page.locator(".lede").inner_text()  # where it goes
            assert "triggered IceCube" in page.input_value("#edit-body")
            page.fill("#api_token", "publisher-token")
            page.click("#publish-form button[type=submit]")
            page.wait_for_url(f"**{path}")
            link = page.locator("#publication-outcomes a")
            assert link.inner_text() == "40000" and link.get_attribute("href") == f"{api.url}/circulars/40000"
            assert page.locator("text=Draft GCN Circular").count() == 0
            context.close()
    finally:
        close_app(app)
    [circular] = archive.circulars.values()
    assert circular["subject"].startswith(event) and circular["body"].rstrip().endswith(BASE.rstrip("/") + path)
    assert not errors, errors


def _tns_event_app(small_records, tmp_path, tns):
    from .conftest import make_app
    from .test_event_reports import replay_icecube
    from .test_tns_form import tns_settings

    app = make_app(small_records, DATA_DIR=str(tmp_path / "data"), **tns_settings(tns))
    return app, replay_icecube(app)


def _fill(page, facts):
    for name, value in facts.items():
        if page.locator(f"select#fact-{name}").count():
            page.select_option(f"#fact-{name}", value)
        else:
            page.fill(f"#fact-{name}", value)


def test_report_a_counterpart_to_tns_from_a_replayed_alerts_event_page(browser, small_records, tmp_path, tns):  # noqa: F811
    from skyweave.catalog.web.app import close_app

    from .test_tns_form import PHOTOMETRY

    app, path = _tns_event_app(small_records, tmp_path, tns)
    try:
        with LiveServer(app) as server:
            context = browser.new_context(base_url=server.url)
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(path)
            page.click("text=Report to TNS")
            page.wait_for_selector("#report-facts")
            assert "discovery_mag: missing" in page.locator(".problem").inner_text()
            assert float(page.input_value("#fact-ra")) > 0  # the event's position, prefilled
            _fill(page, PHOTOMETRY)
            page.click("#check-facts")
            page.wait_for_selector("#publish-metadata")
            shown = page.locator("#publish-metadata").inner_text()
            assert '"flux": "18.2"' in shown and '"discovery_datetime": "2026-03-01 04:12:33.120"' in shown
            assert page.input_value("#fact-discovery_mag") == "18.2" and tns.requests_log() == []
            page.fill("#api_token", "publisher-token")
            page.click("#publish-form button[type=submit]:not(#check-facts)")
            page.wait_for_url(f"**{path}")
            outcome = page.locator('#publication-outcomes li[data-service="tns"]')
            assert "AT 2026aaa" in outcome.inner_text()
            assert page.locator("text=Report to TNS").count() == 0
            context.close()
        iri = BASE.rstrip("/") + path
        rows = app.test_client().get("/sparql", query_string={"query": (
            "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX schema: <https://schema.org/> "
            "SELECT ?id WHERE { ?p a prov:Activity ; prov:used <%s> ; schema:identifier ?id ; "
            "prov:endedAtTime ?t }" % iri)}, headers={"Accept": "application/sparql-results+json"}).json
        assert [r["id"]["value"] for r in rows["results"]["bindings"]] == ["AT 2026aaa"]
    finally:
        close_app(app)
    [report] = tns.tns_state.accepted
    assert report["photometry"]["photometry_group"]["0"]["filterid"] == "110" and not errors, errors


@pytest.mark.parametrize("bad, named", [({"dec": "95"}, "dec: '95' is not a declination"),
                                        ({"discovery_time": "2999-01-01T00:00:00Z"}, "is in the future")])
def test_a_bad_tns_fact_is_refused_in_the_browser_and_nothing_is_sent(browser, small_records, tmp_path, tns,
                                                                      bad, named):  # noqa: F811
    from skyweave.catalog.web.app import close_app

    from .test_tns_form import PHOTOMETRY

    app, path = _tns_event_app(small_records, tmp_path, tns)
    try:
        with LiveServer(app) as server:
            context = browser.new_context(base_url=server.url)
            page = context.new_page()
            page.goto(f"{path}/publish/tns")
            _fill(page, {**PHOTOMETRY, **bad})
            page.fill("#api_token", "publisher-token")
            with page.expect_navigation() as sent:
                page.click("#publish-form button[type=submit]:not(#check-facts)")
            assert sent.value.status == 422
            problems = page.locator(".problem").inner_text()
            field = next(iter(bad))
            assert named in problems and problems.count(f"{field}:") == 1
            assert page.input_value(f"#fact-{field}") == bad[field]  # kept as typed, to correct
            context.close()
    finally:
        close_app(app)
    assert tns.requests_log() == [] and tns.tns_state.accepted == []
