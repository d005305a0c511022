"""Workflow RO-Crates of catalogued workflow versions (publishers.rocrate), read back with ``rocrate`` and rdflib."""

import dataclasses
import json
import zipfile

import pytest
from rdflib import Literal, URIRef
from rocrate.rocrate import ROCrate

from skyweave.catalog.vocab import SDO, SW
from skyweave.publishers.outcomes import MissingMetadata
from skyweave.publishers.rocrate import LANGUAGE_ID, WROC_PROFILE, crate_graph, normalise_schema, workflow_crate

from .conftest import BASE
from .test_zenodo_metadata import ORCID, add_workflow, edit, new_store, ring_spec

COMMIT = "3f2a9c1d5e7b" * 3 + "abcd"
WF1, WF2 = URIRef(f"{BASE}workflows/ring-v1"), URIRef(f"{BASE}workflows/ring-v2")


def _id(value):
    """The ``@id`` of a reference ``rocrate`` resolved to an entity, or left as a string (an outside IRI)."""
    return getattr(value, "id", value)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    spec = ring_spec(tmp_path_factory.mktemp("repo"))
    store = new_store()
    add_workflow(store, spec, data_dir, "ring-v1", context=False)
    edit(store, WF1, lambda g, i: g.set((i, SW.commit, Literal(COMMIT))))
    add_workflow(store, spec, data_dir, "ring-v2", context=False, previous=WF1, version="1.1")
    return store, data_dir, spec


@pytest.fixture(scope="module")
def crate_path(catalog, tmp_path_factory):
    store, data_dir, _ = catalog
    return workflow_crate(store, WF1, data_dir, BASE, dest=tmp_path_factory.mktemp("out") / "ring.crate.zip")


def test_crate_is_a_workflow_ro_crate_1_0_with_the_notebook_as_main_entity(crate_path, catalog):
    store, data_dir, _ = catalog
    assert zipfile.is_zipfile(crate_path) and crate_path.name.endswith(".crate.zip")
    crate = ROCrate(crate_path)
    profiles = {e["@id"] for e in crate.metadata.as_jsonld()["conformsTo"]}
    assert profiles == {"https://w3id.org/ro/crate/1.1", WROC_PROFILE}
    main = crate.mainEntity
    assert main.id == "ring.ipynb" and main.type == ["File", "SoftwareSourceCode", "ComputationalWorkflow"]
    language = main["programmingLanguage"]
    assert language.id == LANGUAGE_ID and "#" in language.id and language.type == "ComputerLanguage"
    assert (crate.source / "ring.ipynb").read_bytes() == (data_dir / "repos/ring-v1/ring.ipynb").read_bytes()
    root = crate.root_dataset
    assert root["name"] == "Ring around a position" and root["version"] == "1.0"
    assert root["license"].id == "https://spdx.org/licenses/BSD-3-Clause"
    assert root["isBasedOn"] == str(WF1) and root["url"] == str(WF1)
    authors = root["author"]
    assert [a.id for a in authors][0] == ORCID and [a["name"] for a in authors] == ["Josiah Carberry", "Jane van Doe"]
    assert all(a.type == "Person" for a in authors)
    commit = main["identifier"]
    assert commit["propertyID"] == "git-commit" and commit["value"] == COMMIT
    assert [c.id for c in main["citation"]] == sorted(str(c) for c in store.get(WF1).objects(WF1, SDO.citation))


def test_inputs_and_outputs_are_formal_parameters_from_the_record(crate_path, catalog):
    _, _, spec = catalog
    main = ROCrate(crate_path).mainEntity
    inputs, outputs = main["input"], main["output"]
    assert [p["name"] for p in inputs] == [p.name for p in spec.parameters]
    assert [o["name"] for o in outputs] == [o.name for o in spec.outputs]
    for entity, param in zip(inputs, spec.parameters):
        assert entity.type == "FormalParameter" and entity.id == f"#param-{param.name}"
        assert _id(entity["additionalType"]) == str(param.type_iri)  # the oda IRI
        assert entity["valueRequired"] is (not param.optional)
        assert entity.get("defaultValue") == (None if param.default is None else str(param.default))
    assert all(_id(o["additionalType"]) == str(s.type_iri) for o, s in zip(outputs, spec.outputs))


def test_crate_reads_back_as_https_schema_org_rdf(crate_path, catalog):
    """RO-Crate's context says http://schema.org/ (and bioschemas for input/output); we store https://schema.org/."""
    _, _, spec = catalog
    text = zipfile.ZipFile(crate_path).read("ro-crate-metadata.json").decode()
    assert json.loads(text)["@context"] == "https://w3id.org/ro/crate/1.1/context"
    graph = crate_graph(crate_path)
    assert not [t for t in graph for term in t if str(term).startswith(("http://schema.org/", "https://bioschemas.org/terms/"))]
    main = URIRef("arcp://crate/ring.ipynb")
    assert (main, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            URIRef("https://schema.org/ComputationalWorkflow")) in graph
    ra = URIRef("arcp://crate/#param-ra")
    assert (main, URIRef("https://schema.org/input"), ra) in graph
    assert graph.value(ra, SDO.name) == Literal("ra")
    assert graph.value(ra, SDO.additionalType) == spec.parameters[0].type_iri


def test_normalise_schema_rewrites_http_schema_org():
    from rdflib import Graph

    g = Graph()
    g.add((URIRef("urn:x"), URIRef("http://schema.org/name"), Literal("x")))
    g.add((URIRef("urn:x"), URIRef("https://bioschemas.org/terms/input"), URIRef("http://schema.org/Thing")))
    assert set(normalise_schema(g)) == {
        (URIRef("urn:x"), SDO.name, Literal("x")),
        (URIRef("urn:x"), URIRef("https://schema.org/input"), URIRef("https://schema.org/Thing"))}


def test_a_later_version_keeps_the_first_versions_source_url(catalog, tmp_path):
    store, data_dir, _ = catalog
    crate = ROCrate(workflow_crate(store, WF2, data_dir, BASE, dest=tmp_path / "v2.crate.zip"))
    assert crate.root_dataset["isBasedOn"] == str(WF1) and crate.root_dataset["version"] == "1.1"
    assert crate.root_dataset["url"] == str(WF2)


def test_missing_metadata_names_fields_and_record(catalog, tmp_path):
    store, data_dir, spec = catalog
    iri = add_workflow(store, spec, data_dir, "anon-v1", creators=None, context=False)
    edit(store, iri, lambda g, i: g.remove((i, SDO.description, None)))
    with pytest.raises(MissingMetadata) as info:
        workflow_crate(store, iri, data_dir, BASE, dest=tmp_path / "x.crate.zip")
    text = str(info.value)
    assert f"schema:description of <{iri}>" in text and f"schema:creator of <{iri}>" in text
    assert not (tmp_path / "x.crate.zip").exists()


def test_run_crate_of_a_real_result(runner_app, tmp_path):
    """A result's Workflow Run Crate: the workflow, a CreateAction with the parameter values and the files."""
    from rocrate.rocrate import ROCrate

    from skyweave.publishers.rocrate import PROCESS_RUN_PROFILE, WORKFLOW_RUN_PROFILE, run_crate
    from skyweave.runners.files import path_of

    from .test_publish_web import register_authored_ring
    from .workflow_repo import submit, wait_for

    client = runner_app.test_client()
    slug = register_authored_ring(runner_app, tmp_path / "authored")
    status = wait_for(client, submit(client, slug, {"n_points": "9"}).headers["Location"])
    result = next(r for r in status["results"] if r["output"] == "table")
    digest, name = result["file"].split("/")[-2:]
    store, base = runner_app.extensions["store"], runner_app.config["BASE_IRI"]
    path = run_crate(store, base + result["href"].lstrip("/"), runner_app.config["DATA_DIR"], base,
                     [(name, path_of(runner_app.config["DATA_DIR"], digest))], dest=tmp_path / "run.crate.zip")
    crate = ROCrate(path)
    conforms = {c["@id"] if isinstance(c, dict) else c.id for c in crate.root_dataset["conformsTo"]}
    assert {PROCESS_RUN_PROFILE, WORKFLOW_RUN_PROFILE} <= conforms
    action = next(e for e in crate.get_entities() if e.type == "CreateAction")
    assert action["instrument"].id == crate.mainEntity.id
    values = {v["name"]: v["value"] for v in action["object"]}
    assert values["n_points"] == "9"
    assert [f.id for f in action["result"]] == [name]
    assert "CompletedActionStatus" in str(action["actionStatus"])


def test_a_citation_given_as_text_is_a_named_creative_work(tmp_path):
    data_dir = tmp_path / "data"
    spec = ring_spec(tmp_path / "repo")
    spec = dataclasses.replace(spec, references=spec.references + ("Yerin et al., in preparation",))
    store = new_store()
    add_workflow(store, spec, data_dir, "ring-v1", context=False)
    main = ROCrate(workflow_crate(store, WF1, data_dir, BASE, dest=tmp_path / "ring.crate.zip")).mainEntity
    texts = [c for c in main["citation"] if c.id.startswith("#citation-")]
    assert [(c.type, c["name"]) for c in texts] == [("CreativeWork", "Yerin et al., in preparation")]
    assert {c.id for c in main["citation"]} - {c.id for c in texts} == set(spec.references[:-1])
