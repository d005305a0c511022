"""Publishing from the pages and the CLI: preview, one click, DOI badge, Cite box, SPARQL, against the Zenodo stand-in."""

import json

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from skyweave.standins.harness import StandIn
from skyweave.standins.zenodo import make_zenodo_app
from .workflow_repo import submit, wait_for


@pytest.fixture
def zenodo():
    with StandIn(make_zenodo_app()) as standin:
        yield standin


def register_authored_ring(app, folder):
    """Register a version of the ring workflow whose notebook names its author; return its slug."""
    from skyweave.runners.registry import register

    from .conftest import BASE
    from .workflow_repo import make_repo

    jobs = app.extensions["jobs"]
    added = register(str(make_repo(folder, authors=("Lovelace, Ada",))), app.extensions["store"], BASE,
                     app.config["DATA_DIR"], jobs.executor.kernels, jobs.env)
    return next(r.iri for r in added if r.slug == "ring").rsplit("/", 1)[1]


@pytest.fixture
def published_setup(runner_app, zenodo, tmp_path):
    runner_app.config.update(ZENODO_BASE_URL=zenodo.url + "/api/", ZENODO_TOKEN="actions-token")
    client = runner_app.test_client()
    slug = register_authored_ring(runner_app, tmp_path / "authored")
    status = wait_for(client, submit(client, slug, {"n_points": "11"}).headers["Location"])
    result = next(r["href"] for r in status["results"] if r["output"] == "picture")
    return runner_app, client, result


def test_preview_then_one_click_publish_gives_a_doi_badge_and_cite_box(published_setup, zenodo):
    app, client, result = published_setup
    page = BeautifulSoup(client.get(result).data, "html.parser")
    link = page.select_one('a[href$="/publish/zenodo"]')
    assert link is not None and link.text == "Publish to Zenodo"
    preview = BeautifulSoup(client.get(link["href"]).data, "html.parser")
    metadata = json.loads(preview.select_one("#publish-metadata").text)
    assert metadata["upload_type"] == "dataset" and metadata["creators"][0]["name"] == "Lovelace, Ada"
    assert "ring.png" in preview.text and not zenodo.requests_log()  # nothing sent yet
    denied = client.post(link["href"], data={"api_token": "editor-token"})
    assert denied.status_code == 403 and not zenodo.requests_log()
    response = client.post(link["href"], data={"api_token": "publisher-token"})
    assert response.status_code == 303 and response.headers["Location"] == result
    page = BeautifulSoup(client.get(result).data, "html.parser")
    badge = page.select_one("a.badge-doi")
    assert badge.text.startswith("DOI 10.5072/zenodo.") and badge["href"].startswith("https://doi.org/10.5072/")
    bibtex = page.select_one("#cite-bibtex").text
    assert bibtex.startswith("@misc{") and "Lovelace, Ada" in bibtex and badge.text[4:] in bibtex
    # SPARQL lists what is published with its DOI.
    rows = client.get("/sparql", query_string={"query": "PREFIX schema: <https://schema.org/> PREFIX sw: <https://skyweave.org/ns#> "
                      "SELECT ?r ?doi WHERE { ?r a sw:DataProduct ; schema:identifier ?doi }"},
                      headers={"Accept": "application/sparql-results+json"}).json["results"]["bindings"]
    assert [b["doi"]["value"] for b in rows] == [badge.text[4:]]
    # Publishing again is not done twice.
    before = len(zenodo.requests_log())
    again = client.post(link["href"], data={"api_token": "publisher-token"}, headers={"Accept": "application/json"})
    assert again.json["identifier"] == badge.text[4:] and again.json["reused"]
    assert len(zenodo.requests_log()) == before


def test_service_errors_show_the_services_words(published_setup, zenodo):
    app, client, result = published_setup
    zenodo.add_faults([{"method": "POST", "path": "/actions/publish$", "times": None, "action": "status", "status": 400,
                        "body": {"status": 400, "message": "A validation error occurred.",
                                 "errors": [{"field": "metadata.license", "messages": ["Invalid license value provided"]}]}}])
    response = client.post(result + "/publish/zenodo", data={"api_token": "publisher-token"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 502
    assert "Invalid license value provided" in response.json["detail"]
    assert "actions-token" not in response.get_data(as_text=True)


def test_cli_add_run_and_publish_dry_run_then_live(zenodo, monkeypatch, tmp_path):
    from skyweave.catalog.cli import cli

    from .conftest import BASE
    from .workflow_repo import make_repo

    for name, value in {"DATA_DIR": str(tmp_path / "data"), "BASE_IRI": BASE, "ZENODO_BASE_URL": zenodo.url + "/api/",
                        "ZENODO_TOKEN": "actions-token"}.items():
        monkeypatch.setenv(f"SKYWEAVE_{name}", value)
    runner = CliRunner()
    repo = make_repo(tmp_path / "repo", authors=("Lovelace, Ada",))
    assert runner.invoke(cli, ["add", str(repo)], catch_exceptions=False).exit_code == 0
    dry = runner.invoke(cli, ["publish", "workflows/ring-v1", "--dry-run"], catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout[:dry.stdout.index("\nfile ")])["upload_type"] == "software"
    assert "file ring.ipynb" in dry.stdout and not zenodo.requests_log()
    live = runner.invoke(cli, ["publish", "workflows/ring-v1"], catch_exceptions=False)
    assert live.exit_code == 0, live.output
    doi = live.stdout.split()[0]
    assert doi.startswith("10.5072/zenodo.")
    again = runner.invoke(cli, ["publish", f"{BASE}workflows/ring-v1"], catch_exceptions=False)
    assert again.stdout.split()[0] == doi and "already published" in again.stdout


def test_register_a_workflow_version_on_workflowhub_from_its_page(runner_app, tmp_path):
    from skyweave.standins.workflowhub import TOKEN, make_workflowhub_app

    with StandIn(make_workflowhub_app()) as hub:
        runner_app.config.update(WORKFLOWHUB_BASE_URL=hub.url + "/", WORKFLOWHUB_TOKEN=TOKEN, WORKFLOWHUB_PROJECT_ID="1")
        client = runner_app.test_client()
        slug = register_authored_ring(runner_app, tmp_path / "authored")
        page = BeautifulSoup(client.get(f"/workflows/{slug}").data, "html.parser")
        link = page.select_one('a[href$="/publish/workflowhub"]')
        assert link.text == "Register on WorkflowHub"
        preview = BeautifulSoup(client.get(link["href"]).data, "html.parser")
        assert ["workflow[project_ids][]", "1"] in json.loads(preview.select_one("#publish-metadata").text)["fields"]
        assert preview.select_one("table.data td").text.endswith(".crate.zip") and not hub.requests_log()
        response = client.post(link["href"], data={"api_token": "publisher-token"}, headers={"Accept": "application/json"})
        assert response.status_code == 200, response.data
        url = response.json["url"]
        assert url.startswith(hub.url + "/workflows/") and len(hub.requests_log(method="POST")) == 1
        record = client.get(f"/workflows/{slug}.ttl").get_data(as_text=True)
        assert url.split("?")[0] in record
