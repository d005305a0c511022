"""Catalog records -> Zenodo deposit metadata (publishers.zenodo_metadata), field by field, on real records.

The records are made by the catalog's own code: the H.E.S.S. instrument, release, targets and observations
by `catalog.ingest`, workflow versions by `runners.describe.workflow_graph` from the test repository's
notebook, runs and results by `runners.provenance`, and one result by a real run of ``ring-v1``.
"""

import dataclasses
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from skyweave.catalog.ingest import hess_dl3, instruments
from skyweave.catalog.ingest.builders import DATA_DIR
from skyweave.catalog.store import EmbeddedStore
from skyweave.catalog.vocab import DCTERMS, SDO, SW
from skyweave.publishers.zenodo_metadata import (MissingMetadata, deposit_metadata, family_given, is_public_base, orcid_of,
                                 zenodo_license)
from skyweave.publishers.records import strip_versions
from skyweave.runners import OutputFile, RunResult
from skyweave.runners.describe import workflow_graph
from skyweave.runners.provenance import result_records, run_graph
from skyweave.runners.repository import read_repository

from .conftest import BASE
from .workflow_repo import make_repo, submit, wait_for

ORCID = "https://orcid.org/0000-0002-1825-0097"
HESS_DR1_DOI = "10.5281/zenodo.1421099"
CREATORS = ({"name": "Josiah Carberry", "iri": ORCID}, "Jane van Doe")
TABLE = b"# ra,dec\n83.6,22.5\n83.7,22.0\n"
PICTURE = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


# -- builders shared with test_zenodo_publisher ----------------------------------------------------------

def hess_records(base=BASE):
    """The real instrument, observatory, H.E.S.S. DL3 DR1 release, target and observation records."""
    return [*instruments.records(base, DATA_DIR), hess_dl3.catalog_record(base),
            *hess_dl3.records(base, DATA_DIR, candidates=[])]


def new_store(recs=()):
    """An in-memory store with the ontology and ``recs`` (validated)."""
    store = EmbeddedStore(None)
    store.install_ontology()
    stored, rejected = store.put_many(recs)
    assert not rejected, rejected
    return store


def ring_spec(folder, **kwargs):
    """The ``ring`` workflow spec read from a fresh copy of the test repository."""
    repo = make_repo(folder, git=False, **kwargs)
    return next(s for s in read_repository(repo) if s.slug == "ring")


def add_workflow(store, spec, data_dir, slug, *, creators=CREATORS, previous=None, version=None, context=True,
                 iri=None, license="https://spdx.org/licenses/BSD-3-Clause"):
    """Catalogue ``spec`` as ``workflows/{slug}`` with its notebook under ``data_dir`` (as registration does)."""
    iri = URIRef(iri or f"{BASE}workflows/{slug}")
    graph = workflow_graph(spec, iri, BASE, creators=creators, license=license,
                           code_repository="https://github.com/skyweave/notebooks")
    snapshot = Path(data_dir) / "repos" / slug
    snapshot.mkdir(parents=True, exist_ok=True)
    shutil.copy(spec.notebook, snapshot / "ring.ipynb")
    graph.set((iri, SW.notebook, Literal(f"repos/{slug}/ring.ipynb")))
    if version:
        graph.set((iri, SDO.version, Literal(version)))
    if previous:
        graph.add((iri, URIRef("http://www.w3.org/ns/prov#wasRevisionOf"), URIRef(previous)))
    if context:
        graph.add((iri, SW.instrument, URIRef(f"{BASE}instruments/hess")))
        graph.add((iri, SW.target, URIRef(f"{BASE}targets/crab-nebula")))
    store.put(iri, graph)
    return iri


def add_run(store, spec, workflow_iri, data_dir, slug="r1", phase="COMPLETED"):
    """Store a run of ``workflow_iri`` and its results, built by the runner's own provenance code."""
    run_iri = f"{BASE}runs/{slug}"
    ended = datetime(2026, 3, 1, 12, 0, 5, tzinfo=timezone.utc)
    result = RunResult(phase, ended - timedelta(seconds=5), ended, values={"mean_ra": 83.63},
                       files=[OutputFile("ring.csv", TABLE, "table"), OutputFile("ring.png", PICTURE, "picture"),
                              OutputFile("executed.ipynb", b'{"cells": []}', None)])
    outputs = {o.name: o for o in spec.outputs}
    results, notebook_url = result_records(BASE, run_iri, result, outputs, data_dir, spec.title)
    parameters = {"ra": 83.633, "dec": 22.0145, "radius": 0.5, "n_points": 20, "shape": "circle", "delay_s": 0.0}
    store.put(run_iri, run_graph(run_iri, workflow_iri, phase, parameters, "Jane van Doe", "local pool",
                                 started=result.started_at, ended=ended, values=result.values,
                                 notebook_url=notebook_url))
    stored, rejected = store.put_many(results)
    assert not rejected, rejected
    return URIRef(run_iri), {str(iri).rsplit("-", 1)[-1]: iri for iri, _ in results}


def edit(store, iri, change):
    """Rewrite record ``iri`` after ``change(graph, iri)``, as an editor would."""
    iri = URIRef(iri)
    graph = strip_versions(store.get(iri), iri)
    change(graph, iri)
    store.put(iri, graph)


# -- fixtures -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return ring_spec(tmp_path_factory.mktemp("repo"))


@pytest.fixture
def catalog(spec, tmp_path):
    """A store with the H.E.S.S. records, ``ring-v1`` and one completed run of it with its two results."""
    store = new_store(hess_records())
    workflow = add_workflow(store, spec, tmp_path, "ring-v1")
    run, results = add_run(store, spec, workflow, tmp_path)
    return store, workflow, run, results


# -- workflow versions ----------------------------------------------------------------------------------

def test_workflow_title_version_type_date_and_access(catalog, spec):
    store, workflow, _, _ = catalog
    metadata = deposit_metadata(store, workflow, BASE)
    assert metadata["title"] == spec.title == "Ring around a position"
    assert metadata["upload_type"] == "software"
    assert metadata["version"] == "1.0"  # the notebook's oda:version
    assert metadata["publication_date"] == datetime.now(timezone.utc).date().isoformat()
    assert metadata["access_right"] == "open"
    assert deposit_metadata(store, workflow, BASE, publication_date="2025-01-31")["publication_date"] == "2025-01-31"


def test_workflow_description_is_escaped_html_with_version_and_parameters(catalog):
    store, workflow, _, _ = catalog
    edit(store, workflow, lambda g, i: g.set((i, SDO.description, Literal("Counts < 5 & index > 2 <script>x"))))
    description = deposit_metadata(store, workflow, BASE)["description"]
    assert description.startswith("<p>Counts &lt; 5 &amp; index &gt; 2 &lt;script&gt;x</p>")
    assert "<script>" not in description
    assert "<p>Version 1.0 of this workflow, a Jupyter notebook in Python.</p>" in description
    assert "<li><code>radius (Angle, default 0.5)</code></li>" in description


def test_creators_are_family_given_in_order_with_orcid(catalog):
    store, workflow, _, _ = catalog
    assert deposit_metadata(store, workflow, BASE)["creators"] == [
        {"name": "Carberry, Josiah", "orcid": "0000-0002-1825-0097"},
        {"name": "van Doe, Jane"},
    ]


def test_creator_order_keeps_a_blank_node_first(spec, tmp_path):
    store = new_store(hess_records())
    workflow = add_workflow(store, spec, tmp_path, "ring-v1", creators=("Ada Lovelace", {"name": "Josiah Carberry",
                                                                                          "iri": ORCID}))
    assert [c["name"] for c in deposit_metadata(store, workflow, BASE)["creators"]] == [
        "Lovelace, Ada", "Carberry, Josiah"]


@pytest.mark.parametrize("name, expected", [
    ("Josiah Carberry", "Carberry, Josiah"), ("Jane van Doe", "van Doe, Jane"), ("Doe, Jane", "Doe, Jane"),
    ("Plato", "Plato"), ("  Marie   Curie ", "Curie, Marie"),
])
def test_family_given(name, expected):
    assert family_given(name) == expected


def test_orcid_from_creator_iri_only():
    from rdflib import BNode, Graph

    assert orcid_of(Graph(), URIRef(ORCID)) == "0000-0002-1825-0097"
    assert orcid_of(Graph(), URIRef("https://example.org/people/jane")) is None
    assert orcid_of(Graph(), BNode()) is None


@pytest.mark.parametrize("value, expected", [
    ("https://spdx.org/licenses/BSD-3-Clause", "bsd-3-clause"),
    ("https://spdx.org/licenses/CC-BY-4.0.html", "cc-by-4.0"),
    ("https://creativecommons.org/licenses/by/4.0/", "cc-by-4.0"),
    ("http://creativecommons.org/licenses/by-nc-sa/4.0/legalcode", "cc-by-nc-sa-4.0"),
    ("https://creativecommons.org/publicdomain/zero/1.0/", "cc0-1.0"),
    ("https://opensource.org/licenses/MIT", "mit"),
    ("Apache-2.0", "apache-2.0"),
    ("https://example.org/my-licence", None),
    ("all rights reserved", None),
])
def test_zenodo_license_ids(value, expected):
    assert zenodo_license(value) == expected


def test_license_from_record_else_default(catalog, spec, tmp_path):
    store, workflow, _, _ = catalog
    assert deposit_metadata(store, workflow, BASE)["license"] == "bsd-3-clause"
    other = add_workflow(store, spec, tmp_path, "ring-unlicensed", license=None)
    assert deposit_metadata(store, other, BASE)["license"] == "cc-by-4.0"


def test_unknown_license_is_a_problem_naming_field_and_record(catalog):
    store, workflow, _, _ = catalog
    edit(store, workflow, lambda g, i: g.set((i, SDO.license, URIRef("https://example.org/my-licence"))))
    with pytest.raises(MissingMetadata) as caught:
        deposit_metadata(store, workflow, BASE)
    assert caught.value.problems == [
        f"schema:license of <{workflow}>: https://example.org/my-licence is not a licence Zenodo knows (use an "
        "SPDX IRI such as <https://spdx.org/licenses/CC-BY-4.0> or a Creative Commons licence IRI)"]


def test_workflow_keywords_and_related_identifiers(catalog):
    store, workflow, _, _ = catalog
    metadata = deposit_metadata(store, workflow, BASE)
    assert metadata["keywords"] == ["H.E.S.S.", "Crab Nebula", "skyweave"]
    assert metadata["related_identifiers"] == [
        {"identifier": HESS_DR1_DOI, "relation": "cites"},  # the notebook's oda:reference
        {"identifier": HESS_DR1_DOI, "relation": "references", "resource_type": "dataset"},  # H.E.S.S. data release
        {"identifier": "https://github.com/skyweave/notebooks", "relation": "isSupplementTo",
         "resource_type": "software"},
    ]


def test_workflow_without_instrument_or_target_has_only_skyweave_keyword(spec, tmp_path):
    store = new_store(hess_records())
    workflow = add_workflow(store, spec, tmp_path, "ring-v1", context=False)
    metadata = deposit_metadata(store, workflow, BASE)
    assert metadata["keywords"] == ["skyweave"]
    assert [r["relation"] for r in metadata["related_identifiers"]] == ["cites", "isSupplementTo"]


def test_a_public_catalog_links_the_record_page(spec, tmp_path):
    public = "https://catalog.skyweave.org/"
    store = new_store(hess_records())
    workflow = add_workflow(store, spec, tmp_path, "ring-v1", iri=f"{public}workflows/ring-v1")
    related = deposit_metadata(store, workflow, public)["related_identifiers"]
    assert related[-1] == {"identifier": f"{public}workflows/ring-v1", "relation": "isSupplementTo"}
    assert not any("localhost" in r["identifier"] for r in deposit_metadata(
        store, add_workflow(store, spec, tmp_path, "ring-v2"), BASE)["related_identifiers"])
    assert [is_public_base(b) for b in (BASE, "http://127.0.0.1:5000/", public)] == [False, False, True]


def test_placeholder_creator_and_missing_description_are_listed_with_their_records(spec, tmp_path):
    store = new_store(hess_records())
    workflow = add_workflow(store, spec, tmp_path, "ring-v1", creators=None)  # the placeholder "skyweave user"
    edit(store, workflow, lambda g, i: g.remove((i, SDO.description, None)))
    with pytest.raises(MissingMetadata) as caught:
        deposit_metadata(store, workflow, BASE)
    problems = caught.value.problems
    assert [p.split(": ", 1)[0] for p in problems] == [
        f"schema:description of <{workflow}>", f"schema:creator of <{workflow}>"]
    assert "only the placeholder 'skyweave user' is given" in problems[1]
    assert isinstance(caught.value, ValueError) and str(workflow) in str(caught.value)


def test_neither_workflow_nor_result_is_refused(catalog):
    store = catalog[0]
    with pytest.raises(ValueError, match="neither a workflow version"):
        deposit_metadata(store, f"{BASE}instruments/hess", BASE)


# -- results --------------------------------------------------------------------------------------------

def test_result_title_type_creators_description_and_keywords(catalog):
    store, workflow, run, results = catalog
    metadata = deposit_metadata(store, results["table"], BASE, publication_date="2026-03-02")
    assert metadata["title"] == "table — Ring around a position"
    assert metadata["upload_type"] == "dataset"
    assert metadata["creators"] == deposit_metadata(store, workflow, BASE)["creators"]
    assert metadata["license"] == "cc-by-4.0"  # data, not the workflow's software licence
    assert "version" not in metadata
    assert metadata["keywords"] == ["H.E.S.S.", "Crab Nebula", "skyweave"]
    description = metadata["description"]
    assert description.startswith("<p>table — Ring around a position: a result of the workflow “Ring around a "
                                  "position” version 1.0, computed by a skyweave run that ended at "
                                  "2026-03-01T12:00:05")
    assert "<li><code>radius = 0.5</code></li>" in description and "<li><code>shape = circle</code></li>" in description


def test_result_derives_from_the_workflow_doi_once_it_has_one(catalog):
    store, workflow, _, results = catalog
    related = deposit_metadata(store, results["table"], BASE)["related_identifiers"]
    assert related == [{"identifier": HESS_DR1_DOI, "relation": "references", "resource_type": "dataset"}]
    edit(store, workflow, lambda g, i: g.set((i, SDO.identifier, Literal("10.5072/zenodo.1002"))))
    related = deposit_metadata(store, results["table"], BASE)["related_identifiers"]
    assert related[0] == {"identifier": "10.5072/zenodo.1002", "relation": "isDerivedFrom", "resource_type": "software"}
    assert related[1:] == [{"identifier": HESS_DR1_DOI, "relation": "references", "resource_type": "dataset"}]


def test_result_license_from_its_record(catalog):
    store, _, _, results = catalog
    cc0 = URIRef("https://creativecommons.org/publicdomain/zero/1.0/")
    edit(store, results["picture"], lambda g, i: g.add((i, DCTERMS.license, cc0)))
    assert deposit_metadata(store, results["picture"], BASE)["license"] == "cc0-1.0"


def test_result_of_a_failed_run_names_the_run(catalog, spec, tmp_path):
    store, workflow, _, _ = catalog
    run, results = add_run(store, spec, workflow, tmp_path, slug="r2", phase="ERROR")
    with pytest.raises(MissingMetadata) as caught:
        deposit_metadata(store, results["table"], BASE)
    assert caught.value.problems == [
        f"sw:phase of <{run}>: the run that made <{results['table']}> ended ERROR; only results of COMPLETED "
        "runs are published"]


def test_result_names_the_workflow_to_fix_for_creators(catalog, spec, tmp_path):
    store, _, _, _ = catalog
    anonymous = add_workflow(store, spec, tmp_path, "ring-anonymous", creators=None)
    _, results = add_run(store, spec, anonymous, tmp_path, slug="r3")
    with pytest.raises(MissingMetadata, match=rf"schema:creator of <{anonymous}>: only the placeholder"):
        deposit_metadata(store, results["table"], BASE)


def test_result_of_a_real_run(runner_app):
    """ring-v1 registered from a git repository and run for real; its creator must be named first."""
    client = runner_app.test_client()
    status = wait_for(client, submit(client, "ring-v1", {"n_points": "12"}).headers["Location"])
    assert status["phase"] == "COMPLETED", status
    store = runner_app.extensions["store"]
    table = next(URIRef(BASE + r["href"].lstrip("/")) for r in status["results"] if r["output"] == "table")
    workflow = URIRef(BASE + "workflows/ring-v1")
    with pytest.raises(MissingMetadata, match=rf"schema:creator of <{workflow}>"):
        deposit_metadata(store, table, BASE)

    def name_creator(graph, iri):
        graph.remove((iri, SDO.creator, None))
        graph.add((iri, SDO.creator, URIRef(ORCID)))
        graph.add((URIRef(ORCID), SDO.name, Literal("Josiah Carberry")))

    edit(store, workflow, name_creator)
    metadata = deposit_metadata(store, table, BASE)
    assert metadata["creators"] == [{"name": "Carberry, Josiah", "orcid": "0000-0002-1825-0097"}]
    assert metadata["title"] == "table — Ring around a position" and metadata["upload_type"] == "dataset"
    assert "<li><code>n_points = 12</code></li>" in metadata["description"]
    workflow_metadata = deposit_metadata(store, workflow, BASE)
    assert workflow_metadata["related_identifiers"][0] == {"identifier": HESS_DR1_DOI, "relation": "cites"}
    assert workflow_metadata["keywords"] == ["skyweave"]


def test_bundled_crab_spectrum_workflow_maps_field_by_field(records, tmp_path):
    """The mapping on a bundled workflow: the H.E.S.S. Crab spectrum notebook as registered by the demo."""
    from pathlib import Path

    from skyweave.catalog.web.app import close_app
    from skyweave.runners.registry import register

    from .conftest import make_app

    app = make_app(records, DATA_DIR=str(tmp_path / "data"))
    try:
        jobs = app.extensions["jobs"]
        workflows = Path(__file__).resolve().parent.parent / "workflows"
        added = register(str(workflows), app.extensions["store"], BASE, app.config["DATA_DIR"], jobs.executor.kernels,
                         jobs.env)
        iri = next(r.iri for r in added if r.slug == "hess-spectrum")
        metadata = deposit_metadata(app.extensions["store"], URIRef(iri), BASE, publication_date="2026-11-21")
    finally:
        close_app(app)
    assert metadata["title"] == "H.E.S.S. 1D spectrum with reflected-regions background"
    assert metadata["upload_type"] == "software" and metadata["version"] == "1.1"  # the notebook's oda:version
    assert metadata["creators"] == [{"name": "skyweave contributors"}]
    assert metadata["publication_date"] == "2026-11-21" and metadata["license"]
    assert "reflected-regions" in metadata["description"]
    cited = {(r["identifier"], r["relation"]) for r in metadata["related_identifiers"]}
    assert {("10.5281/zenodo.1421099", "cites"), ("10.1051/0004-6361/202346488", "cites")} <= cited
    assert "skyweave" in metadata["keywords"]


def test_a_citation_given_as_text_goes_to_references_and_an_iri_to_cites(spec, tmp_path):
    text = "Yerin et al., in preparation"
    store = new_store(hess_records())
    cited = dataclasses.replace(spec, references=spec.references + (text,))
    workflow = add_workflow(store, cited, tmp_path, "ring-v1", context=False)
    metadata = deposit_metadata(store, workflow, BASE)
    assert metadata["references"] == [text]
    assert {"identifier": HESS_DR1_DOI, "relation": "cites"} in metadata["related_identifiers"]
    assert all(text not in r["identifier"] for r in metadata["related_identifiers"])
