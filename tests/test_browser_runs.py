"""In headless Chromium: fill a workflow's form, run it, wait for COMPLETED, see the plot of its result."""

import pytest

from .conftest import LiveServer

pytestmark = pytest.mark.browser


def test_run_a_workflow_from_its_page_and_see_the_plot(browser, runner_app):
    with LiveServer(runner_app) as server:
        context = browser.new_context(base_url=server.url)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/workflows/ring")  # the bare name leads to the newest version
        assert page.url.endswith("/workflows/ring-v1")
        assert page.locator("h1").inner_text() == "Ring around a position"
        page.fill("#p-radius", "45 arcmin")
        page.fill("#p-n_points", "16")
        page.select_option("#p-shape", "square")
        page.click("#run-form button[type=submit]")
        page.wait_for_url("**/runs/*")
        page.wait_for_selector("#run-status[data-phase=COMPLETED]", timeout=60_000)
        page.click("text=picture")
        page.wait_for_url("**/results/*")
        image = page.locator("figure.result-plot img")
        image.wait_for()
        assert page.evaluate("img => img.complete && img.naturalWidth > 100", image.element_handle())
        share = page.input_value("#share-link")
        assert "radius=0.75" in share and "shape=square" in share
        assert "requests.post" in page.locator("#api-snippet").inner_text()
        # The share link re-creates the request: the form comes back filled in.
        page.goto(share)
        assert page.input_value("#p-radius") == "0.75"
        context.close()
        assert not errors, errors
