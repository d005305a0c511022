"""In headless Chromium: draft a GCN Circular from a result's page, see the refusal and the data terms, edit, send."""

import pytest

from .conftest import BASE, LiveServer
from .test_gcn_circulars import SUBJECT, api, archive, spec, web  # noqa: F401  (fixtures)

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
