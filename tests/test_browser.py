"""The website in headless Chromium: search for the Crab, open its page, run an example query."""

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def test_search_for_the_crab_and_open_its_page(page):
    page.goto("/")
    assert page.locator("h1").inner_text().startswith("Multi-messenger")
    page.fill("#home-q", "Crab")
    page.press("#home-q", "Enter")
    page.wait_for_url("**/search?q=Crab")
    first = page.locator("table.data tbody tr").first.locator("a")
    assert first.inner_text() == "Crab Nebula"
    first.click()
    page.wait_for_url("**/targets/crab-nebula")
    assert page.locator("h1").inner_text() == "Crab Nebula"
    # The sky picture loaded (an SVG with a non-zero size).
    image = page.locator("figure.sky img")
    image.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
    assert page.locator("text=H.E.S.S. run 23523 (Crab Nebula)").count() == 1


def test_run_an_example_query_from_the_query_page(page):
    page.goto("/sparql")
    page.click("a.example[data-name='crab-observations']")
    assert "Crab Nebula" in page.input_value("#query")
    page.click("#query-form button[type=submit]")
    page.wait_for_selector("#result-count")
    assert page.locator("#result-count").inner_text() == "4 rows"
    cells = page.locator("table.data tbody tr td:nth-child(2)").all_inner_texts()
    assert cells == ["23523", "23526", "23559", "23592"]


def test_copy_button_copies_the_snippet(page):
    page.goto("/targets/crab-nebula")
    page.click("button.copy")
    page.wait_for_selector("button.copy.copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("import requests") and "/targets/crab-nebula" in copied


def test_a_broad_search_pages_fifty_matches_at_a_time(page):
    """Issue 13: a text search shows its best 50 matches and links to the next ones, never repeating one."""
    def shown():
        return page.locator("table.data tbody tr a").evaluate_all("links => links.map(a => a.getAttribute('href'))")

    page.goto("/search?q=fhl")
    first = shown()
    assert len(first) == 50
    page.click("a[rel=next]")
    page.wait_for_url("**/search?q=fhl&page=2")
    second = shown()
    assert second and not set(first) & set(second)
    assert page.locator("h2", has_text="Matches 51").count() == 1
    page.click("a[rel=prev]")
    page.wait_for_url("**/search?q=fhl&page=1")
    assert shown() == first
