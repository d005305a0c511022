"""The Zenodo publisher over real HTTP against the Zenodo stand-in: the §1.9 recipe and the §7 failure matrix.

Each test asserts what the stand-in recorded (method, path, query, body, ``Authorization``), the remote
state it ends in (one deposition, one DOI), and what the catalog holds (publication record, DOI written
back). Waits go through an injected ``sleep`` recorder, so backoffs are checked without being slept.
"""

import hashlib
import logging
import re
import time
import uuid

import pytest
import requests
from rdflib import Graph, Literal, URIRef

from skyweave.catalog import __version__
from skyweave.catalog.store import EmbeddedStore
from skyweave.catalog.vocab import PROV, SDO, SW
from skyweave.publishers import OutcomeUnknown, PublishResult, UpstreamError
from skyweave.publishers import records as publications
from skyweave.publishers._http import make_session
from skyweave.publishers.outcomes import MissingMetadata
from skyweave.publishers.zenodo import ZenodoPublisher

from .conftest import BASE
from skyweave.standins.harness import StandIn
from skyweave.standins.zenodo import make_zenodo_app
from .test_zenodo_metadata import ORCID, add_run, add_workflow, edit, hess_records, new_store, ring_spec
from .workflow_repo import submit, wait_for

SECRET = f"zenodo-secret-{uuid.uuid4().hex}"
"""The only token the stand-in accepts (write and actions scopes); it must never leak."""

WF1, WF2, ANONYMOUS = (URIRef(f"{BASE}workflows/{s}") for s in ("ring-v1", "ring-v2", "anonymous-v1"))
TABLE = URIRef(f"{BASE}results/r1-table")
DEPOSITIONS = "/api/deposit/depositions"


@pytest.fixture(scope="module")
def zenodo():
    with StandIn(make_zenodo_app(tokens={SECRET: {"deposit:write", "deposit:actions"}})) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(zenodo):
    zenodo.reset()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """H.E.S.S. records, ring-v1, ring-v2 (a revision with a changed notebook), an anonymous workflow, one run."""
    data_dir = tmp_path_factory.mktemp("data")
    spec = ring_spec(tmp_path_factory.mktemp("repo"))
    spec2 = ring_spec(tmp_path_factory.mktemp("repo2"), extra_analysis="\nprint('version 2')\n")
    store = new_store(hess_records())
    add_workflow(store, spec, data_dir, "ring-v1")
    add_workflow(store, spec2, data_dir, "ring-v2", previous=WF1, version="1.1")
    add_workflow(store, spec, data_dir, "anonymous-v1", creators=None)
    add_run(store, spec, WF1, data_dir)
    return store, data_dir


@pytest.fixture
def store(template):
    """A fresh copy of the template store for each test."""
    copy = EmbeddedStore(None)
    copy.ox.bulk_extend(template[0].ox.quads_for_pattern(None, None, None, None))
    return copy


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def publisher(zenodo, store, template, sleeps):
    return make_publisher(zenodo, store, template[1], sleeps)


def make_publisher(zenodo, store, data_dir, sleeps, **options):
    return ZenodoPublisher(zenodo.url, SECRET, store, BASE, data_dir=data_dir, sleep=sleeps.append, **options)


def path(request):
    """A recorded request's path with bucket ids replaced by ``<bucket>``."""
    return re.sub(r"/api/files/[0-9a-f-]{36}/", "/api/files/<bucket>/", request.path)


def calls(zenodo):
    return [(r.method, path(r)) for r in zenodo.requests_log()]


def remote(zenodo):
    """The stand-in's depositions."""
    return zenodo.state()["service"]["depositions"]


def md5(data):
    return hashlib.md5(data).hexdigest()


def notebook_bytes(store, data_dir, iri):
    return (data_dir / str(store.get(iri).value(iri, SW.notebook))).read_bytes()


def assert_published_once(zenodo, result):
    published = [d for d in remote(zenodo) if d["state"] == "done"]
    assert [d["doi"] for d in published] == [result.identifier]
    assert len(remote(zenodo)) == 1


# -- happy path ---------------------------------------------------------------------------------------------

def test_publish_a_workflow_version_exact_requests_and_records(zenodo, publisher, store, template, tmp_path):
    result = publisher.publish(WF1)

    log = zenodo.requests_log()
    assert calls(zenodo) == [
        ("POST", DEPOSITIONS), ("PUT", "/api/files/<bucket>/ring.ipynb"), ("PUT", "/api/files/<bucket>/ring-v1.crate.zip"),
        ("GET", f"{DEPOSITIONS}/1002"), ("POST", f"{DEPOSITIONS}/1002/actions/publish")]
    for request in log:
        assert request.headers["Authorization"] == f"Bearer {SECRET}"
        assert request.headers["User-Agent"] == f"skyweave/{__version__}"
        assert request.query_string == ""
    pub = publications.find(store, WF1, "zenodo")
    created = log[0].json()["metadata"]
    assert log[0].headers["Content-Type"] == "application/json"
    assert created["title"] == "Ring around a position" and created["upload_type"] == "software"
    assert created["creators"][0] == {"name": "Carberry, Josiah", "orcid": "0000-0002-1825-0097"}
    assert created["keywords"] == ["H.E.S.S.", "Crab Nebula", "skyweave", pub.marker]
    assert re.fullmatch(r"skyweave-publication:[0-9a-f-]{36}", pub.marker)
    assert log[1].headers["Content-Type"] == "application/octet-stream"
    assert log[1].body == notebook_bytes(store, template[1], WF1)
    assert log[4].body == b""
    # The Workflow RO-Crate of the version goes with the notebook; it loads back with rocrate.
    from rocrate.rocrate import ROCrate

    crate_zip = tmp_path / "ring-v1.crate.zip"
    crate_zip.write_bytes(log[2].body)
    assert ROCrate(crate_zip).mainEntity["name"] == "Ring around a position"

    assert result == PublishResult("zenodo", "10.5072/zenodo.1002", f"{zenodo.url}/records/1002", result.summary,
                                   publication=pub.iri, concept_identifier="10.5072/zenodo.1001")
    assert "doi:10.5072/zenodo.1002" in result.summary
    assert_published_once(zenodo, result)
    assert remote(zenodo)[0]["files"] == [
        {"filename": "ring.ipynb", "filesize": len(log[1].body), "checksum": md5(log[1].body)},
        {"filename": "ring-v1.crate.zip", "filesize": len(log[2].body), "checksum": md5(log[2].body)}]
    record = store.get(WF1)
    assert record.value(WF1, SDO.identifier) == Literal("10.5072/zenodo.1002")
    assert (WF1, SDO.sameAs, URIRef("https://doi.org/10.5072/zenodo.1002")) in record
    graph = store.get(pub.iri)
    node = URIRef(pub.iri)
    assert (pub.state, pub.identifier, pub.target) == ("published", "10.5072/zenodo.1002", str(WF1))
    assert graph.value(node, PROV.endedAtTime) is not None
    assert (node, PROV.generated, URIRef("https://doi.org/10.5072/zenodo.1002")) in graph
    assert [s.split(" ", 1)[1] for s in pub.progress["steps"]] == [
        "draft_created id=1002", "file_uploaded ring.ipynb", "file_uploaded ring-v1.crate.zip", "files_verified 2",
        "published doi=10.5072/zenodo.1002"]
    assert pub.progress["files"] == {"ring.ipynb": {"size": len(log[1].body), "md5": md5(log[1].body)},
                                     "ring-v1.crate.zip": {"size": len(log[2].body), "md5": md5(log[2].body)}}


def test_publishing_again_returns_the_doi_without_any_request(zenodo, publisher):
    first = publisher.publish(WF1)
    zenodo.harness.clear_requests()
    again = publisher.publish(WF1)
    assert zenodo.requests_log() == []
    assert (again.identifier, again.publication, again.reused) == (first.identifier, first.publication, True)


def test_missing_metadata_is_caught_before_any_request(zenodo, publisher, store):
    with pytest.raises(MissingMetadata) as caught:
        publisher.publish(ANONYMOUS)
    assert caught.value.problems[0].startswith(f"schema:creator of <{ANONYMOUS}>: only the placeholder")
    assert zenodo.requests_log() == []
    assert publications.find(store, ANONYMOUS, "zenodo") is None


def test_prepare_lists_files_with_size_and_md5_without_any_request(zenodo, publisher, store, template):
    prepared = publisher.prepare(TABLE)
    assert (prepared.iri, prepared.kind, prepared.metadata["upload_type"]) == (str(TABLE), "result", "dataset")
    files = {f.name: f for f in prepared.files}
    assert list(files) == ["ring.csv", "executed.ipynb", "provenance.ttl", "run.crate.zip"]
    assert (files["ring.csv"].size, files["ring.csv"].md5) == (len(b"# ra,dec\n83.6,22.5\n83.7,22.0\n"),
                                                              md5(b"# ra,dec\n83.6,22.5\n83.7,22.0\n"))
    provenance = Graph().parse(data=files["provenance.ttl"].open().read().decode(), format="turtle")
    assert provenance.value(TABLE, PROV.wasGeneratedBy) == URIRef(f"{BASE}runs/r1")
    assert not any("/versions/" in str(o) for o in provenance.objects())
    edit(store, WF1, lambda g, i: g.set((i, SW.notebook, Literal("repos/gone/ring.ipynb"))))
    with pytest.raises(MissingMetadata, match=rf"sw:notebook of <{WF1}>: repos/gone/ring.ipynb is not under DATA_DIR"):
        publisher.prepare(WF1)
    assert zenodo.requests_log() == []


# -- F1, F2: retries of idempotent calls, rate limits -----------------------------------------------------

def test_5xx_on_get_is_retried_with_backoff(zenodo, publisher, sleeps):
    zenodo.add_faults([{"action": "status", "method": "GET", "path": rf"^{DEPOSITIONS}/\d+$", "status": 503,
                        "times": 2}])
    result = publisher.publish(WF1)
    assert [r.status for r in zenodo.requests_log(method="GET")] == [503, 503, 200]
    assert len(sleeps) == 2 and 0.25 <= sleeps[0] < 0.75 and 0.5 <= sleeps[1] < 1.5  # 0.5 s x 2^n x [0.5, 1.5)
    assert_published_once(zenodo, result)


def test_5xx_past_the_budget_fails_visibly_then_resumes(zenodo, store, template, sleeps):
    publisher = make_publisher(zenodo, store, template[1], sleeps, retries=2)
    zenodo.add_faults([{"action": "status", "method": "GET", "path": rf"^{DEPOSITIONS}/\d+$", "status": 503,
                        "times": None, "body": {"status": 503, "message": "Zenodo is under maintenance."}}])
    with pytest.raises(UpstreamError) as caught:
        publisher.publish(WF1)
    assert (caught.value.status, caught.value.detail) == (503, "Zenodo is under maintenance. (gave up after 3 tries)")
    pub = publications.find(store, WF1, "zenodo")
    assert pub.state == "failed" and "maintenance" in pub.progress["error"]
    assert pub.progress["calls"][-1] == {"method": "GET", "url": f"{zenodo.url}{DEPOSITIONS}/1002", "status": 503,
                                         "error": "Zenodo is under maintenance. (gave up after 3 tries)"}
    zenodo.clear_faults()
    result = publisher.publish(WF1)
    assert len(zenodo.requests_log(method="POST", path=f"^{DEPOSITIONS}$")) == 1
    assert len(zenodo.requests_log(method="PUT", path="/api/files/")) == 2  # the files were verified, not re-sent
    assert result.publication == pub.iri
    assert_published_once(zenodo, result)


def test_429_waits_as_the_headers_say(zenodo, publisher, sleeps):
    reset = int(time.time()) + 30
    zenodo.add_faults([
        {"action": "status", "method": "POST", "path": f"^{DEPOSITIONS}$", "status": 429,
         "headers": {"Retry-After": "3"}},
        {"action": "status", "method": "PUT", "path": "^/api/files/", "status": 429,
         "headers": {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}},
    ])
    result = publisher.publish(WF1)
    assert sleeps[0] == 3.0 and 25 < sleeps[1] <= 30
    assert [r.status for r in zenodo.requests_log(method="POST", path=f"^{DEPOSITIONS}$")] == [429, 201]
    assert_published_once(zenodo, result)


def test_a_rate_limit_that_stays_is_bounded(zenodo, store, template, sleeps):
    publisher = make_publisher(zenodo, store, template[1], sleeps, retries=2)
    zenodo.set_ratelimit(2, window_s=60)
    with pytest.raises(UpstreamError) as caught:
        publisher.publish(WF1)
    assert caught.value.status == 429 and "rate limit exceeded" in caught.value.detail
    assert len(sleeps) == 2 and all(50 < s <= 60 for s in sleeps)  # Retry-After: the window's end
    assert publications.find(store, WF1, "zenodo").state == "failed"
    zenodo.set_ratelimit(None)
    result = publisher.publish(WF1)
    assert len(zenodo.requests_log(method="POST", path=f"^{DEPOSITIONS}$")) == 1
    assert_published_once(zenodo, result)


# -- F3: create with an unknown outcome -------------------------------------------------------------------

@pytest.mark.parametrize("rule", [
    {"action": "after_effect", "status": 500},
    {"action": "after_effect", "then": "drop"},
    {"action": "delay", "seconds": 1.5},
], ids=["committed-then-500", "committed-then-dropped", "read-timeout"])
def test_create_committed_then_failed_gives_one_deposition(zenodo, store, template, sleeps, rule):
    session = make_session(timeout=(5.0, 0.7))
    publisher = make_publisher(zenodo, store, template[1], sleeps, session=session)
    zenodo.add_faults([{**rule, "method": "POST", "path": f"^{DEPOSITIONS}$"}])
    result = publisher.publish(WF1)
    marker = publications.find(store, WF1, "zenodo").marker
    assert calls(zenodo)[:3] == [("POST", DEPOSITIONS), ("GET", DEPOSITIONS), ("PUT", "/api/files/<bucket>/ring.ipynb")]
    assert zenodo.requests_log()[1].query == {"q": [f'"{marker}"'], "status": ["draft"], "size": ["20"]}
    assert sleeps == []
    assert_published_once(zenodo, result)


def test_create_that_never_arrived_is_sent_again_after_searching(zenodo, publisher, sleeps):
    zenodo.add_faults([{"action": "drop", "method": "POST", "path": f"^{DEPOSITIONS}$"}])
    result = publisher.publish(WF1)
    assert calls(zenodo)[:5] == [("POST", DEPOSITIONS), ("GET", DEPOSITIONS), ("GET", DEPOSITIONS),
                                 ("GET", DEPOSITIONS), ("POST", DEPOSITIONS)]
    assert sleeps == [1.0, 2.0]  # search indexes may lag: two more looks before creating again
    assert_published_once(zenodo, result)


# -- F4, F5: uploads ------------------------------------------------------------------------------------------

def test_dropped_upload_fails_then_resumes_without_resending_done_files(zenodo, store, template, sleeps):
    publisher = make_publisher(zenodo, store, template[1], sleeps, retries=2)
    zenodo.add_faults([{"action": "drop", "method": "PUT", "path": "/executed.ipynb$", "times": None}])
    with pytest.raises(UpstreamError) as caught:
        publisher.publish(TABLE)
    assert caught.value.status is None and "lost its connection" in caught.value.detail
    pub = publications.find(store, TABLE, "zenodo")
    assert pub.state == "failed" and list(pub.progress["files"]) == ["ring.csv"]
    assert pub.progress["deposition"]["id"] == 1002
    zenodo.clear_faults()
    zenodo.harness.clear_requests()

    result = publisher.publish(TABLE)
    assert calls(zenodo) == [
        ("GET", f"{DEPOSITIONS}/1002"), ("PUT", f"{DEPOSITIONS}/1002"), ("PUT", "/api/files/<bucket>/executed.ipynb"),
        ("PUT", "/api/files/<bucket>/provenance.ttl"), ("PUT", "/api/files/<bucket>/run.crate.zip"),
        ("GET", f"{DEPOSITIONS}/1002"), ("POST", f"{DEPOSITIONS}/1002/actions/publish")]
    assert_published_once(zenodo, result)
    assert sorted(f["filename"] for f in remote(zenodo)[0]["files"]) == [
        "executed.ipynb", "provenance.ttl", "ring.csv", "run.crate.zip"]
    assert publications.find(store, TABLE, "zenodo").state == "published"


def _damaged_answer(name):
    return {"action": "status", "method": "PUT", "path": f"/{name}$", "status": 201,
            "body": {"key": name, "checksum": "md5:" + "0" * 32, "size": 3, "mimetype": "text/csv"}}


@pytest.mark.parametrize("rule", [
    _damaged_answer("ring.csv"),
    {"action": "truncate", "method": "PUT", "path": "/ring.csv$", "then": "drop"},
    {"action": "truncate", "method": "PUT", "path": "/ring.csv$", "status": 500},
], ids=["stored-damaged", "cut-then-dropped", "cut-then-500"])
def test_damaged_upload_is_detected_and_sent_again(zenodo, publisher, rule):
    zenodo.add_faults([rule])
    result = publisher.publish(TABLE)
    puts = zenodo.requests_log(method="PUT", path="/ring.csv$")
    assert len(puts) == 2 and puts[0].fault and puts[1].status == 201
    assert puts[1].body == (b"# ra,dec\n83.6,22.5\n83.7,22.0\n")
    stored = {f["filename"]: f for f in remote(zenodo)[0]["files"]}
    assert stored["ring.csv"]["checksum"] == md5(puts[1].body)
    assert_published_once(zenodo, result)


def test_refuses_to_publish_a_draft_missing_a_file(zenodo, publisher, store, template):
    data = notebook_bytes(store, template[1], WF1)
    claimed = {"action": "status", "method": "PUT", "path": "/ring.ipynb$", "status": 201, "times": 2,
               "body": {"key": "ring.ipynb", "checksum": f"md5:{md5(data)}", "size": len(data)}}
    zenodo.add_faults([claimed])  # the service says "stored" but keeps nothing, twice
    with pytest.raises(UpstreamError, match="refusing to publish .*/api/deposit/depositions/1002: its files differ"):
        publisher.publish(WF1)
    assert zenodo.requests_log(path="/actions/publish$") == []
    assert publications.find(store, WF1, "zenodo").state == "failed"
    result = publisher.publish(WF1)
    assert_published_once(zenodo, result)


# -- F6, F7: publish with an unknown outcome --------------------------------------------------------------

@pytest.mark.parametrize("rule", [
    {"action": "after_effect", "status": 500},
    {"action": "after_effect", "then": "drop"},
    {"action": "after_effect", "status": 404,
     "body": {"status": 404, "message": "The persistent identifier does not exist."}},
], ids=["committed-then-500", "committed-then-dropped", "repeated-publish-404"])
def test_publish_committed_then_failed_reads_the_state(zenodo, publisher, store, rule):
    zenodo.add_faults([{**rule, "method": "POST", "path": "/actions/publish$"}])
    result = publisher.publish(WF1)
    assert calls(zenodo)[-2:] == [("POST", f"{DEPOSITIONS}/1002/actions/publish"), ("GET", f"{DEPOSITIONS}/1002")]
    assert len(zenodo.requests_log(path="/actions/publish$")) == 1
    assert result.identifier == "10.5072/zenodo.1002"
    assert_published_once(zenodo, result)
    assert zenodo.state()["service"]["concepts"][0]["published"] == [1002]
    assert store.get(WF1).value(WF1, SDO.identifier) == Literal(result.identifier)


def test_a_publish_committed_before_a_crash_is_finished_by_reading_the_deposition(zenodo, publisher, store):
    """The process died right after the publish call committed: the records still say "uploaded"."""
    first = publisher.publish(WF1)
    pub = URIRef(first.publication)

    def crash_before_recording(graph, iri):
        graph.set((iri, SW.state, Literal("uploaded")))
        for predicate in (SDO.identifier, SDO.url, PROV.generated, PROV.endedAtTime):
            graph.remove((iri, predicate, None))

    edit(store, pub, crash_before_recording)
    edit(store, WF1, lambda g, i: [g.remove((i, p, None)) for p in (SDO.identifier, SDO.sameAs)])
    zenodo.harness.clear_requests()
    again = publisher.publish(WF1)
    assert calls(zenodo) == [("GET", f"{DEPOSITIONS}/1002")]  # published already: nothing is sent again
    assert (again.identifier, again.publication, again.reused) == (first.identifier, first.publication, False)
    assert_published_once(zenodo, again)
    assert publications.get(store, pub).state == "published"
    assert store.get(WF1).value(WF1, SDO.identifier) == Literal(first.identifier)


def test_a_validation_error_surfaces_the_services_message(zenodo, publisher, store):
    edit(store, WF1, lambda g, i: g.set((i, SDO.license, Literal("Proprietary-1.0"))))
    with pytest.raises(UpstreamError) as caught:
        publisher.publish(WF1)
    assert (caught.value.service, caught.value.status) == ("zenodo", 400)
    assert caught.value.detail == "A validation error occurred. metadata.license: Invalid license value provided"
    assert str(caught.value) == f"zenodo answered 400: {caught.value.detail}"
    assert calls(zenodo) == [("POST", DEPOSITIONS)] and remote(zenodo) == []
    pub = publications.find(store, WF1, "zenodo")
    assert pub.state == "failed" and "Invalid license value provided" in pub.progress["error"]


# -- F8: new versions -------------------------------------------------------------------------------------

def test_a_new_workflow_version_shares_the_concept_doi(zenodo, publisher, store, template):
    first = publisher.publish(WF1)
    zenodo.harness.clear_requests()
    second = publisher.publish(WF2)
    got = calls(zenodo)
    assert got[:5] == [
        ("GET", f"{DEPOSITIONS}/1002"), ("POST", f"{DEPOSITIONS}/1002/actions/newversion"),
        ("GET", f"{DEPOSITIONS}/1002"), ("GET", f"{DEPOSITIONS}/1003"), ("PUT", f"{DEPOSITIONS}/1003")]
    # The copied crate of version 1 is removed; the notebook and version 2's crate are uploaded.
    assert got[5][0] == "DELETE" and got[5][1].startswith(f"{DEPOSITIONS}/1003/files/")
    assert got[6:] == [
        ("PUT", "/api/files/<bucket>/ring.ipynb"), ("PUT", "/api/files/<bucket>/ring-v2.crate.zip"),
        ("GET", f"{DEPOSITIONS}/1003"), ("POST", f"{DEPOSITIONS}/1003/actions/publish")]
    metadata = zenodo.requests_log(method="PUT", path=f"^{DEPOSITIONS}/1003$")[0].json()["metadata"]
    assert metadata["version"] == "1.1" and metadata["publication_date"]
    assert publications.find(store, WF2, "zenodo").marker in metadata["keywords"]
    assert second.concept_identifier == first.concept_identifier == "10.5072/zenodo.1001"
    assert (first.identifier, second.identifier) == ("10.5072/zenodo.1002", "10.5072/zenodo.1003")
    versions = {d["id"]: d for d in remote(zenodo)}
    v2 = notebook_bytes(store, template[1], WF2)
    assert versions[1003]["files"][0] == {"filename": "ring.ipynb", "filesize": len(v2), "checksum": md5(v2)}
    assert [f["filename"] for f in versions[1003]["files"]] == ["ring.ipynb", "ring-v2.crate.zip"]
    assert versions[1002]["files"][0]["checksum"] == md5(notebook_bytes(store, template[1], WF1))
    assert store.get(WF2).value(WF2, SDO.identifier) == Literal("10.5072/zenodo.1003")


def test_a_leftover_new_version_draft_is_reused_and_cleaned(zenodo, publisher):
    publisher.publish(WF1)
    auth = {"Authorization": f"Bearer {SECRET}"}
    draft = requests.post(f"{zenodo.url}{DEPOSITIONS}/1002/actions/newversion", headers=auth, timeout=5).json()
    requests.put(f"{draft['links']['bucket']}/stale.txt", data=b"old", timeout=5,
                 headers={**auth, "Content-Type": "application/octet-stream"}).raise_for_status()
    zenodo.harness.clear_requests()
    result = publisher.publish(WF2)
    assert zenodo.requests_log(path="/actions/newversion$") == []
    deletes = [p for m, p in calls(zenodo) if m == "DELETE"]
    # The stale file and version 1's copied crate are deleted.
    assert len(deletes) == 2 and all(d.startswith(f"{DEPOSITIONS}/{draft['id']}/files/") for d in deletes)
    assert result.identifier == f"10.5072/zenodo.{draft['id']}" and result.concept_identifier == "10.5072/zenodo.1001"
    assert sorted(f["filename"] for f in {d["id"]: d for d in remote(zenodo)}[draft["id"]]["files"]) == [
        "ring-v2.crate.zip", "ring.ipynb"]


# -- secrets ---------------------------------------------------------------------------------------------

def test_the_token_never_reaches_the_store_logs_or_errors(zenodo, publisher, store, caplog):
    caplog.set_level(logging.DEBUG)
    errors = []
    zenodo.add_faults([{"action": "status", "method": "POST", "path": f"^{DEPOSITIONS}$", "status": 401,
                        "body": {"status": 401, "message": f"The token {SECRET} has expired."}}])
    with pytest.raises(UpstreamError) as caught:
        publisher.publish(WF1)
    errors.append(caught.value)
    assert caught.value.detail == "The token <redacted> has expired."
    zenodo.add_faults([{"action": "drop", "method": "PUT", "path": "/api/files/", "times": None}])
    with pytest.raises(UpstreamError) as caught:
        make_publisher(zenodo, store, publisher.data_dir, [], retries=1).publish(WF1)
    errors.append(caught.value)
    zenodo.clear_faults()
    result = publisher.publish(WF1)
    assert result.identifier

    assert all(r.headers["Authorization"] == f"Bearer {SECRET}" for r in zenodo.requests_log())  # sent, only there
    assert not any(SECRET in r.query_string for r in zenodo.requests_log())
    assert SECRET not in "\n".join(store.dump())
    assert SECRET not in caplog.text
    for error in errors:
        assert SECRET not in str(error) and SECRET not in repr(error.args) and SECRET not in str(error.problem())
    assert SECRET not in repr(publisher) and SECRET not in repr(publisher.session.auth) + repr(publisher._auth)


# -- a real run ------------------------------------------------------------------------------------------

def test_publish_a_real_runs_result_derived_from_the_published_workflow(zenodo, runner_app):
    client = runner_app.test_client()
    status = wait_for(client, submit(client, "ring-v1", {"n_points": "12"}).headers["Location"])
    assert status["phase"] == "COMPLETED", status
    store = runner_app.extensions["store"]
    workflow = URIRef(BASE + "workflows/ring-v1")

    def name_creator(graph, iri):
        graph.remove((iri, SDO.creator, None))
        graph.add((iri, SDO.creator, URIRef(ORCID)))
        graph.add((URIRef(ORCID), SDO.name, Literal("Josiah Carberry")))

    edit(store, workflow, name_creator)
    publisher = ZenodoPublisher(zenodo.url, SECRET, store, BASE, data_dir=runner_app.config["DATA_DIR"])
    workflow_doi = publisher.publish(workflow).identifier
    table = next(URIRef(BASE + r["href"].lstrip("/")) for r in status["results"] if r["output"] == "table")
    zenodo.harness.clear_requests()
    result = publisher.publish(table)

    created = zenodo.requests_log(method="POST", path=f"^{DEPOSITIONS}$")[0].json()["metadata"]
    assert created["upload_type"] == "dataset"
    assert created["related_identifiers"][0] == {"identifier": workflow_doi, "relation": "isDerivedFrom",
                                                 "resource_type": "software"}
    uploads = {path(r).rsplit("/", 1)[1]: r.body for r in zenodo.requests_log(method="PUT", path="/api/files/")}
    assert sorted(uploads) == ["executed.ipynb", "provenance.ttl", "ring.csv", "run.crate.zip"]
    assert uploads["ring.csv"].startswith(b"# ra,dec")
    provenance = Graph().parse(data=uploads["provenance.ttl"].decode(), format="turtle")
    run = provenance.value(table, PROV.wasGeneratedBy)
    assert (run, PROV.used, workflow) in provenance and provenance.value(run, SW.phase) == Literal("COMPLETED")
    assert not any("/versions/" in str(o) for o in provenance.objects())  # the run was stored in three phases
    assert store.get(table).value(table, SDO.identifier) == Literal(result.identifier)
    assert isinstance(result, PublishResult) and result.identifier != workflow_doi


def test_outcome_unknown_is_an_upstream_error():
    assert issubclass(OutcomeUnknown, UpstreamError)
    error = OutcomeUnknown("zenodo", None, "POST https://zenodo.org/api/deposit/depositions timed out (ReadTimeout)")
    assert str(error) == "zenodo: POST https://zenodo.org/api/deposit/depositions timed out (ReadTimeout)"
    from skyweave.catalog.web.handlers import status_of

    assert status_of(error) == 502 and error.problem()["service"] == "zenodo"  # mapped in the web layer
    assert status_of(MissingMetadata(["schema:creator of <x>: none"], "x")) == 422
