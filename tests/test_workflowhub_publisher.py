"""The WorkflowHub publisher over real HTTP against the WorkflowHub stand-in: §2.2 submission and §7 F9/F10/F19.

Each test asserts what the stand-in recorded (method, path, ``Authorization``, multipart fields and the crate
itself), the remote state (workflows and versions), and what the catalog holds (publication record, the
WorkflowHub URL written back as ``schema:sameAs``).
"""

import io
import logging
import uuid
import zipfile

import pytest
import requests
from rdflib import Literal, URIRef
from rocrate.rocrate import ROCrate
from werkzeug.wrappers import Request

from skyweave.catalog.store import EmbeddedStore
from skyweave.catalog.vocab import SDO
from skyweave.publishers import OutcomeUnknown, UpstreamError
from skyweave.publishers.registry import PUBLISHERS
from skyweave.publishers import records as publications
from skyweave.publishers.outcomes import MissingMetadata
from skyweave.publishers.workflowhub import WorkflowHubPublisher

from .conftest import BASE
from skyweave.standins.harness import StandIn
from skyweave.standins.workflowhub import BAD_ZIP, NO_MAIN, NO_SOURCE, NO_VERSION, make_workflowhub_app
from .test_zenodo_metadata import add_workflow, edit, new_store, ring_spec

SECRET = f"wfh-secret-{uuid.uuid4().hex}"
READ_ONLY = f"wfh-read-{uuid.uuid4().hex}"
WF1, WF2, ANONYMOUS = (URIRef(f"{BASE}workflows/{s}") for s in ("ring-v1", "ring-v2", "anonymous-v1"))
DOI = "10.5281/zenodo.777"


@pytest.fixture(scope="module")
def hub():
    tokens = {SECRET: {"user": "Ada", "projects": {1}, "write": True},
              READ_ONLY: {"user": "Reader", "projects": {1}, "write": False}}
    with StandIn(make_workflowhub_app(tokens=tokens)) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(hub):
    hub.reset()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    spec = ring_spec(tmp_path_factory.mktemp("repo"))
    store = new_store()
    add_workflow(store, spec, data_dir, "ring-v1", context=False)
    add_workflow(store, spec, data_dir, "ring-v2", context=False, previous=WF1, version="1.1")
    add_workflow(store, spec, data_dir, "anonymous-v1", creators=None, context=False)
    edit(store, WF1, lambda g, i: g.set((i, SDO.identifier, Literal(DOI))))
    return store, data_dir


@pytest.fixture
def store(template):
    copy = EmbeddedStore(None)
    copy.ox.bulk_extend(template[0].ox.quads_for_pattern(None, None, None, None))
    return copy


@pytest.fixture
def sleeps():
    return []


def make_publisher(hub, store, data_dir, sleeps, token=SECRET, **options):
    options.setdefault("project_id", 1)
    return WorkflowHubPublisher(hub.url, token, store, BASE, data_dir=data_dir, sleep=sleeps.append, **options)


@pytest.fixture
def publisher(hub, store, template, sleeps):
    return make_publisher(hub, store, template[1], sleeps)


def form_of(recorded):
    """The multipart form and files of a recorded request."""
    request = Request.from_values(input_stream=io.BytesIO(recorded.body), content_length=len(recorded.body),
                                  content_type=recorded.headers["Content-Type"], method="POST")
    return request.form, request.files


def workflows(hub):
    return hub.harness.state()["service"]["workflows"]


def test_publish_sends_the_crate_to_submit_and_records_the_version_url(hub, publisher, store):
    result = publisher.publish(WF1)
    (sent,) = hub.requests_log()
    assert (sent.method, sent.path, sent.query_string, sent.status) == ("POST", "/workflows/submit", "", 200)
    assert sent.headers["Authorization"] == f"Token {SECRET}"
    assert sent.headers["Accept"] == "application/vnd.api+json"
    assert sent.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert sent.headers["User-Agent"].startswith("skyweave/")
    form, files = form_of(sent)
    assert form.getlist("workflow[project_ids][]") == ["1"]
    assert form["workflow[title]"] == "Ring around a position" and form["workflow[license]"] == "BSD-3-Clause"
    assert form["workflow[description]"] == str(store.get(WF1).value(WF1, SDO.description))
    assert list(files) == ["ro_crate"] and files["ro_crate"].filename == "ring-v1.crate.zip"
    assert files["ro_crate"].mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(files["ro_crate"].read())) as archive:
        assert sorted(archive.namelist()) == ["ring.ipynb", "ro-crate-metadata.json"]
    (remote,) = workflows(hub)
    assert remote["source"] == str(WF1) and [v["name"] for v in remote["versions"]] == ["1.0"]
    url = f"{hub.url}/workflows/{remote['id']}?version=1"
    assert (result.service, result.identifier, result.url, result.reused) == ("workflowhub", url, url, False)
    pub = publications.get(store, result.publication)
    assert pub.state == "published" and pub.identifier == url and pub.progress["workflow"] == {
        "id": str(remote["id"]), "version": 1}
    assert [c["url"] for c in pub.progress["calls"]] == [f"{hub.url}/workflows/submit"]
    graph = store.get(WF1)
    assert (WF1, SDO.sameAs, URIRef(url)) in graph
    assert graph.value(WF1, SDO.identifier) == Literal(DOI)  # the Zenodo DOI is kept


def test_publishing_again_returns_the_url_without_any_request(hub, publisher):
    first = publisher.publish(WF1)
    hub.harness.clear_requests()
    again = publisher.publish(WF1)
    assert again.reused and again.identifier == first.identifier and not hub.requests_log()


def test_a_later_version_becomes_version_2_of_the_same_workflow(hub, publisher):
    first, second = publisher.publish(WF1), publisher.publish(WF2)
    (remote,) = workflows(hub)
    assert [v["name"] for v in remote["versions"]] == ["1.0", "1.1"]
    assert first.identifier.endswith("?version=1") and second.identifier.endswith("?version=2")
    assert first.identifier.split("?")[0] == second.identifier.split("?")[0]


def test_registry_knows_workflowhub():
    assert PUBLISHERS["workflowhub"] is WorkflowHubPublisher


def test_missing_metadata_and_team_are_caught_before_any_request(hub, store, template, sleeps):
    with pytest.raises(MissingMetadata, match=r"schema:creator of <.*anonymous-v1>"):
        make_publisher(hub, store, template[1], sleeps).publish(ANONYMOUS)
    with pytest.raises(MissingMetadata, match="project_id"):
        make_publisher(hub, store, template[1], sleeps, project_id=None).publish(WF1)
    assert not hub.requests_log()
    assert publications.find(store, ANONYMOUS, "workflowhub") is None
    assert publications.find(store, WF1, "workflowhub") is None


def test_prepare_makes_no_request(hub, publisher):
    prepared = publisher.prepare(WF1)
    assert ROCrate(prepared.crate).mainEntity.id == "ring.ipynb"
    assert prepared.source == str(WF1) and prepared.version == "1.0"
    assert ("workflow[project_ids][]", "1") in prepared.fields and not hub.requests_log()


@pytest.mark.parametrize("rule", [
    {"action": "after_effect", "then": "drop"},
    {"action": "after_effect", "status": 500},
    {"action": "status", "status": 503},
    {"action": "drop"},
], ids=["committed-dropped", "committed-500", "refused-503", "dropped-before"])
def test_f9_unknown_submit_outcome_resubmits_the_same_crate_once(hub, publisher, sleeps, rule):
    hub.add_faults([{"method": "POST", "path": "^/workflows/submit$", **rule}])
    result = publisher.publish(WF1)
    sent = hub.requests_log(method="POST", path="^/workflows/submit$")
    assert len(sent) == 2 and sent[1].status == 200
    assert form_of(sent[0])[1]["ro_crate"].read() == form_of(sent[1])[1]["ro_crate"].read()
    (remote,) = workflows(hub)
    assert len(remote["versions"]) == 1 and result.identifier.endswith("?version=1")
    assert len(sleeps) == 1


def test_f9_a_read_timeout_on_submit_resubmits_and_gets_the_no_op(hub, store, template, sleeps):
    from skyweave.publishers._http import make_session

    session = make_session(timeout=(5.0, 0.5))
    publisher = make_publisher(hub, store, template[1], sleeps, session=session)
    hub.add_faults([{"method": "POST", "path": "^/workflows/submit$", "action": "delay", "seconds": 1.5}])
    result = publisher.publish(WF1)
    assert len(hub.requests_log(method="POST")) == 2
    (remote,) = workflows(hub)
    assert len(remote["versions"]) == 1 and result.identifier.endswith("?version=1")


def test_an_outcome_unknown_every_time_is_bounded_then_resumed(hub, store, template, sleeps):
    publisher = make_publisher(hub, store, template[1], sleeps, submit_attempts=2)
    hub.add_faults([{"method": "POST", "path": "^/workflows/submit$", "action": "after_effect", "times": 2}])
    with pytest.raises(OutcomeUnknown):
        publisher.publish(WF1)
    pub = publications.find(store, WF1, "workflowhub")
    assert pub.state == "failed" and len(hub.requests_log()) == 2
    hub.harness.clear_requests()
    result = publisher.publish(WF1)  # resubmits: the stand-in answers the existing workflow
    assert [r.path for r in hub.requests_log()] == ["/workflows/submit"]
    assert len(workflows(hub)) == 1 and result.publication == pub.iri


def test_a_known_workflow_is_read_back_before_submitting(hub, publisher, store):
    publisher.publish(WF1)
    pub = publications.find(store, WF1, "workflowhub")
    publications.update(store, pub.iri, "uploaded", ended=False)  # as if we crashed after the submit
    hub.harness.clear_requests()
    result = publisher.publish(WF1)
    assert [(r.method, r.path) for r in hub.requests_log()] == [("GET", f"/workflows/{workflows(hub)[0]['id']}")]
    assert result.identifier.endswith("?version=1") and not result.reused


def test_f10_not_a_member_is_a_clear_error_and_not_retried(hub, store, template, sleeps):
    publisher = make_publisher(hub, store, template[1], sleeps, project_id=2)
    with pytest.raises(UpstreamError) as info:
        publisher.publish(WF1)
    assert info.value.status == 422 and "not a member of another team" in str(info.value)
    assert "/data/relationships/projects" in str(info.value)
    assert len(hub.requests_log()) == 1 and not sleeps and not workflows(hub)
    pub = publications.find(store, WF1, "workflowhub")
    assert pub.state == "failed" and "member" in pub.progress["error"]


@pytest.mark.parametrize("detail", [NO_VERSION, NO_SOURCE])
def test_f10_a_422_on_the_crate_names_the_property(hub, publisher, sleeps, detail):
    hub.add_faults([{"method": "POST", "path": "^/workflows/submit$", "action": "status", "status": 422,
                     "body": {"errors": [{"source": {"pointer": "/data/attributes/ro_crate"}, "detail": detail}]}}])
    with pytest.raises(UpstreamError) as info:
        publisher.publish(WF1)
    assert detail in str(info.value) and "version '1.0'" in str(info.value)
    assert len(hub.requests_log()) == 1 and not sleeps


@pytest.mark.parametrize("token, status", [("not-a-token", 401), (READ_ONLY, 403)])
def test_f19_auth_failures_are_not_retried_and_name_the_token(hub, store, template, sleeps, token, status):
    with pytest.raises(UpstreamError) as info:
        make_publisher(hub, store, template[1], sleeps, token=token).publish(WF1)
    assert info.value.status == status and "WorkflowHub API token" in str(info.value)
    assert token not in str(info.value)
    assert len(hub.requests_log()) == 1 and not sleeps


def test_the_token_never_reaches_the_store_logs_or_errors(hub, publisher, store, caplog):
    caplog.set_level(logging.DEBUG)
    hub.add_faults([{"method": "POST", "path": "^/workflows/submit$", "action": "status", "status": 500,
                     "body": {"title": "boom", "detail": f"echo {SECRET}"}}])
    publisher.publish(WF1)
    pub = publications.find(store, WF1, "workflowhub")
    dump = store.get(URIRef(pub.iri)).serialize(format="nt") + store.get(WF1).serialize(format="nt")
    assert SECRET not in dump and SECRET not in caplog.text and SECRET not in repr(publisher)
    assert hub.requests_log()[0].to_dict()["headers"]["Authorization"] == "Token <redacted>"


# -- the stand-in's own contract (§2.2, §2.3) --------------------------------------------------------------

def _zip(metadata=None, files=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if metadata is not None:
            import json

            archive.writestr("ro-crate-metadata.json", json.dumps(metadata) if not isinstance(metadata, str) else metadata)
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _crate(root_extra=(), main=True):
    root = {"@id": "./", "@type": "Dataset", "name": "x", "license": "MIT", **dict(root_extra)}
    graph = [{"@id": "ro-crate-metadata.json", "@type": "CreativeWork", "about": {"@id": "./"},
              "conformsTo": {"@id": "https://w3id.org/ro/crate/1.1"}}, root]
    if main:
        root["mainEntity"] = {"@id": "wf.ipynb"}
        root["hasPart"] = [{"@id": "wf.ipynb"}]
        graph.append({"@id": "wf.ipynb", "@type": ["File", "SoftwareSourceCode", "ComputationalWorkflow"]})
    return _zip({"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": graph}, {"wf.ipynb": "{}"})


@pytest.mark.parametrize("body, status, detail", [
    (_crate({"isBasedOn": "https://example.org/wf"}), 422, NO_VERSION),
    (_crate({"version": "1"}), 422, NO_SOURCE),
    (_crate({"version": "1", "isBasedOn": "https://example.org/wf"}, main=False), 422, NO_MAIN),
    (b"not a zip", 422, BAD_ZIP),
    (_zip("{not json", {}), 500, None),
], ids=["no-version", "no-source", "no-main", "bad-zip", "unreadable"])
def test_standin_submit_errors(hub, body, status, detail):
    answer = requests.post(f"{hub.url}/workflows/submit", headers={"Authorization": f"Bearer {SECRET}"},
                           data={"workflow[project_ids][]": "1"}, files={"ro_crate": ("x.crate.zip", body)},
                           timeout=10)
    assert answer.status_code == status
    if detail:
        assert answer.json() == {"errors": [{"source": {"pointer": "/data/attributes/ro_crate"}, "detail": detail}]}
    else:
        assert answer.json()["title"] == "RO-Crate Read Error"


def test_standin_auth_read_back_and_policy(hub):
    body = _crate({"version": "1", "isBasedOn": "https://example.org/wf"})
    anonymous = requests.post(f"{hub.url}/workflows/submit", files={"ro_crate": ("x.crate.zip", body)}, timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Basic")
    auth = {"Authorization": f"Token {SECRET}"}
    made = requests.post(f"{hub.url}/workflows/submit", headers=auth, data={"workflow[project_ids][]": "1"},
                         files={"ro_crate": ("x.crate.zip", body)}, timeout=10).json()
    again = requests.post(f"{hub.url}/workflows/submit", headers=auth, data={"workflow[project_ids][]": "1"},
                          files={"ro_crate": ("x.crate.zip", body)}, timeout=10).json()
    assert made["data"]["id"] == again["data"]["id"] and again["data"]["attributes"]["latest_version"] == 1
    path = made["data"]["links"]["self"]
    assert requests.get(hub.url + path, timeout=10).status_code == 403  # private until made public
    public = requests.put(hub.url + path, headers=auth, timeout=10,
                          json={"data": {"type": "workflows", "attributes": {"policy": {"access": "download"}}}})
    assert public.status_code == 200
    read = requests.get(hub.url + path, headers={"Accept": "application/vnd.api+json"}, timeout=10)
    assert read.status_code == 200 and read.json()["jsonapi"] == {"version": "1.0"}
    assert requests.get(f"{hub.url}{path}/ro_crate", timeout=10).content == body


def test_publish_a_registered_workflow_version_from_the_app(hub, runner_app, tmp_path):
    """A version registered from a git repository (with its commit and author) goes to WorkflowHub as is."""
    from .test_publish_web import register_authored_ring

    slug = register_authored_ring(runner_app, tmp_path / "authored")
    store, iri = runner_app.extensions["store"], URIRef(f"{BASE}workflows/{slug}")
    publisher = WorkflowHubPublisher(hub.url, SECRET, store, BASE, data_dir=runner_app.config["DATA_DIR"],
                                     project_id=1, sleep=lambda s: None)
    result = publisher.publish(iri)
    (sent,) = hub.requests_log()
    folder = tmp_path / "sent.crate.zip"
    folder.write_bytes(form_of(sent)[1]["ro_crate"].read())
    crate = ROCrate(folder)
    graph = store.get(iri)
    assert crate.mainEntity.id == str(graph.value(iri, URIRef("https://skyweave.org/ns#notebook"))).rsplit("/", 1)[1]
    assert crate.mainEntity["identifier"]["value"] == str(graph.value(iri, URIRef("https://skyweave.org/ns#commit")))
    assert [a["name"] for a in crate.root_dataset["author"]] == [str(graph.value(c, SDO.name))
                                                               for c in graph.objects(iri, SDO.creator)]
    assert (iri, SDO.sameAs, URIRef(result.identifier)) in graph
