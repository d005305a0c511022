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


def test_publish_a_result_from_its_page_and_see_the_doi_badge(browser, runner_app, tmp_path):
    from skyweave.standins.harness import StandIn
    from .test_publish_web import register_authored_ring
    from skyweave.standins.zenodo import make_zenodo_app
    from .workflow_repo import submit, wait_for

    with StandIn(make_zenodo_app()) as zenodo, LiveServer(runner_app) as server:
        runner_app.config.update(ZENODO_BASE_URL=zenodo.url + "/api/", ZENODO_TOKEN="actions-token")
        client = runner_app.test_client()
        slug = register_authored_ring(runner_app, tmp_path / "authored")
        status = wait_for(client, submit(client, slug, {"n_points": "13"}).headers["Location"])
        result = next(r["href"] for r in status["results"] if r["output"] == "picture")
        context = browser.new_context(base_url=server.url)
        page = context.new_page()
        page.goto(result)
        page.click("text=Publish to Zenodo")
        page.wait_for_selector("#publish-metadata")
        page.fill("#api_token", "publisher-token")
        page.click("#publish-form button[type=submit]")
        page.wait_for_url(f"**{result}")
        badge = page.locator("a.badge-doi")
        assert badge.inner_text().startswith("DOI 10.5072/zenodo.")
        assert page.locator("#cite-bibtex").inner_text().startswith("@misc{")
        context.close()
