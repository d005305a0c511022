"""The Zenodo stand-in over real HTTP: the deposition state machine, errors, auth and every injected fault.

The stand-in is test equipment for the publishers; these tests hold it to ``specs/external-apis.md`` §0.1
(harness) and §1 (Zenodo-RDM legacy API), so that publisher tests against it mean something.
"""

import hashlib
import time

import pytest
import requests

from skyweave.standins.harness import StandIn
from skyweave.standins.zenodo import NO_FILES, make_zenodo_app

DEPOSITIONS = "/api/deposit/depositions"
WRITE = {"Authorization": "Bearer write-token"}
ACTIONS = {"Authorization": "Bearer actions-token"}
TIMEOUT = 5
METADATA = {
    "title": "Crab Nebula spectrum, H.E.S.S. DR1",
    "upload_type": "dataset",
    "description": "<p>Spectral points of the Crab Nebula.</p>",
    "creators": [{"name": "Doe, Jane", "affiliation": "Somewhere", "orcid": "0000-0002-1825-0097"}],
    "publication_date": "2025-01-31",
    "access_right": "open",
    "license": "cc-by-4.0",
    "keywords": ["gamma rays", "skyweave-run:7d0c"],
    "related_identifiers": [{"identifier": "10.1234/workflow", "relation": "isDerivedFrom"}],
    "version": "1.0.0",
}


@pytest.fixture(scope="module")
def zenodo():
    with StandIn(make_zenodo_app()) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(zenodo):
    """Each test starts from an empty stand-in (state, faults, rate limit, request log)."""
    assert requests.post(f"{zenodo.url}/__standin__/reset", timeout=TIMEOUT).status_code == 204
    yield


def depositions(zenodo, suffix=""):
    return f"{zenodo.url}/api/deposit/depositions{suffix}"


def create(zenodo, metadata=METADATA):
    response = requests.post(depositions(zenodo), json={"metadata": metadata}, headers=WRITE, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    return response.json()


def upload(deposition, name, data, timeout=TIMEOUT):
    url = f"{deposition['links']['bucket']}/{requests.utils.quote(name)}"
    return requests.put(url, data=data, headers={**WRITE, "Content-Type": "application/octet-stream"},
                        timeout=timeout)


def action(deposition, name, headers=ACTIONS, timeout=TIMEOUT):
    return requests.post(deposition["links"][name], headers=headers, timeout=timeout)


def get(deposition):
    response = requests.get(deposition["links"]["self"], headers=WRITE, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def published(zenodo, files=(("spectrum.csv", b"e,flux\n1,2\n"),), metadata=METADATA):
    deposition = create(zenodo, metadata)
    for name, data in files:
        assert upload(deposition, name, data).status_code == 201
    response = action(deposition, "publish")
    assert response.status_code == 202, response.text
    return response.json()


def faults(zenodo, *rules):
    response = requests.post(f"{zenodo.url}/__standin__/faults", json=list(rules), timeout=TIMEOUT)
    assert response.status_code == 201, response.text


def assert_rdm_error(response, status):
    """The Zenodo-RDM error shape of spec §1.7."""
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == status and isinstance(body["message"], str)
    for item in body.get("errors", []):
        assert isinstance(item["field"], str) and isinstance(item["messages"], list)
    return body


# State machine -------------------------------------------------------------------------------------------


def test_create_upload_publish_mints_the_dois(zenodo):
    draft = create(zenodo)
    assert (draft["state"], draft["submitted"], draft["title"]) == ("unsubmitted", False, METADATA["title"])
    assert "doi" not in draft and "conceptdoi" not in draft and "files" not in draft
    assert draft["metadata"]["prereserve_doi"] == {"doi": f"10.5281/zenodo.{draft['id']}", "recid": draft["id"]}
    assert draft["metadata"]["related_identifiers"][0]["scheme"] == "doi"
    assert draft["record_id"] == draft["id"] and isinstance(draft["conceptrecid"], str)
    links = draft["links"]
    assert links["self"] == depositions(zenodo, f"/{draft['id']}")
    assert links["bucket"].startswith(f"{zenodo.url}/api/files/")
    assert links["latest_draft"] == links["self"]
    assert not {"doi", "record", "latest"} & set(links)

    first = upload(draft, "spectrum points.csv", b"e,flux\n1,2\n")
    assert first.status_code == 201
    body = first.json()
    assert body["checksum"] == "md5:" + hashlib.md5(b"e,flux\n1,2\n").hexdigest()
    assert (body["key"], body["size"], body["mimetype"], body["is_head"]) == ("spectrum points.csv", 11, "text/csv",
                                                                              True)
    replaced = upload(draft, "spectrum points.csv", b"e,flux\n1,3\n4,5\n").json()
    files = get(draft)["files"]
    assert [(f["filename"], f["filesize"], f["checksum"]) for f in files] == [
        ("spectrum points.csv", 15, hashlib.md5(b"e,flux\n1,3\n4,5\n").hexdigest())]
    assert "md5:" + files[0]["checksum"] == replaced["checksum"]
    assert requests.get(files[0]["links"]["download"], headers=WRITE, timeout=TIMEOUT).content == b"e,flux\n1,3\n4,5\n"

    response = action(draft, "publish")
    assert response.status_code == 202
    record = response.json()
    assert (record["state"], record["submitted"]) == ("done", True)
    assert record["doi"] == f"10.5072/zenodo.{draft['id']}" == record["metadata"]["doi"]
    assert record["conceptdoi"] == f"10.5072/zenodo.{draft['conceptrecid']}"
    assert record["doi_url"] == f"https://doi.org/{record['doi']}" == record["links"]["doi"]
    assert record["links"]["parent_doi"] == f"https://doi.org/{record['conceptdoi']}"
    assert record["links"]["record"] == f"{zenodo.url}/api/records/{draft['id']}"
    assert record["links"]["latest"] == record["links"]["record"]
    assert {"badge", "record_html", "latest_html"} <= set(record["links"]) and "bucket" not in record["links"]

    landing = requests.get(record["links"]["record"], timeout=TIMEOUT).json()
    assert (landing["doi"], landing["conceptdoi"], landing["status"]) == (record["doi"], record["conceptdoi"],
                                                                          "published")
    assert requests.get(landing["files"][0]["links"]["self"], timeout=TIMEOUT).content == b"e,flux\n1,3\n4,5\n"
    via_concept = requests.get(f"{zenodo.url}/api/records/{draft['conceptrecid']}", timeout=TIMEOUT)
    assert via_concept.json()["id"] == draft["id"] and via_concept.history[0].status_code == 302


def test_published_files_are_frozen_and_edits_go_through_an_edit_draft(zenodo):
    draft = create(zenodo)
    upload(draft, "spectrum.csv", b"e,flux\n1,2\n")
    record = action(draft, "publish").json()
    assert_rdm_error(requests.put(record["links"]["self"], json={"metadata": METADATA}, headers=WRITE,
                                  timeout=TIMEOUT), 404)
    assert_rdm_error(requests.delete(record["links"]["self"], headers=WRITE, timeout=TIMEOUT), 404)
    assert_rdm_error(action(record, "publish"), 404)
    assert_rdm_error(upload(draft, "more.csv", b"x"), 404)  # the draft's bucket is gone with the draft
    assert_rdm_error(requests.delete(record["files"][0]["links"]["self"], headers=WRITE, timeout=TIMEOUT), 404)

    editing = action(record, "edit")
    assert editing.status_code == 201
    editing = editing.json()
    assert (editing["state"], editing["submitted"], editing["doi"]) == ("inprogress", True, record["doi"])
    assert_rdm_error(upload(editing, "more.csv", b"x"), 403)
    file_id = editing["files"][0]["id"]
    assert_rdm_error(requests.delete(f"{editing['links']['files']}/{file_id}", headers=WRITE, timeout=TIMEOUT), 403)
    changed = dict(METADATA, title="Crab Nebula spectrum (corrected)")
    assert requests.put(editing["links"]["self"], json={"metadata": changed}, headers=WRITE,
                        timeout=TIMEOUT).status_code == 200
    discarded = action(editing, "discard")
    assert (discarded.status_code, discarded.content) == (204, b"")
    after = get(record)
    assert (after["state"], after["title"]) == ("done", METADATA["title"])

    editing = action(record, "edit").json()
    requests.put(editing["links"]["self"], json={"metadata": changed}, headers=WRITE, timeout=TIMEOUT)
    republished = action(editing, "publish")
    assert republished.status_code == 202
    assert (republished.json()["title"], republished.json()["doi"]) == (changed["title"], record["doi"])


def test_newversion_returns_the_new_draft_sharing_the_concept_doi(zenodo):
    v1 = published(zenodo)
    response = action(v1, "newversion")
    assert response.status_code == 201
    v2 = response.json()
    assert v2["id"] != v1["id"] and v2["conceptrecid"] == v1["conceptrecid"]
    assert (v2["state"], v2["submitted"], v2["conceptdoi"]) == ("unsubmitted", False, v1["conceptdoi"])
    assert "doi" not in v2 and "publication_date" not in v2["metadata"]
    assert v2["links"]["latest_draft"] == v2["links"]["self"]
    assert [(f["filename"], f["checksum"]) for f in v2["files"]] == [
        (f["filename"], f["checksum"]) for f in v1["files"]]
    assert action(v1, "newversion").json()["id"] == v2["id"], "a repeated newversion returns the same draft"
    assert get(v1)["links"]["latest_draft"] == v2["links"]["self"]

    body = assert_rdm_error(action(v2, "publish"), 400)
    assert {"field": "metadata.publication_date", "messages": ["Missing data for required field."]} in body["errors"]
    metadata = dict(METADATA, version="1.1.0", publication_date="2025-03-01")
    assert requests.put(v2["links"]["self"], json={"metadata": metadata}, headers=WRITE,
                        timeout=TIMEOUT).status_code == 200
    assert upload(v2, "spectrum.csv", b"e,flux\n1,2.5\n").status_code == 201
    response = action(v2, "publish")
    assert response.status_code == 202
    v2 = response.json()
    assert v2["doi"] == f"10.5072/zenodo.{v2['id']}" != v1["doi"]
    assert v2["conceptdoi"] == v1["conceptdoi"]
    assert get(v1)["links"]["latest"] == f"{zenodo.url}/api/records/{v2['id']}"
    record = requests.get(v1["links"]["record"], timeout=TIMEOUT).json()
    assert record["metadata"]["relations"]["version"][0]["is_last"] is False

    body = assert_rdm_error(action(v1, "newversion"), 400)
    assert str(v2["id"]) in body["message"]


def test_delete_and_discard_remove_never_published_drafts(zenodo):
    draft = create(zenodo)
    deleted = requests.delete(draft["links"]["self"], headers=WRITE, timeout=TIMEOUT)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert_rdm_error(requests.get(draft["links"]["self"], headers=WRITE, timeout=TIMEOUT), 404)

    draft = create(zenodo)
    assert action(draft, "discard").status_code == 204
    assert_rdm_error(requests.get(draft["links"]["self"], headers=WRITE, timeout=TIMEOUT), 404)

    v1 = published(zenodo)
    v2 = action(v1, "newversion").json()
    assert action(v2, "discard").status_code == 204
    assert get(v1)["links"]["latest_draft"] == v1["links"]["self"]
    assert action(v1, "newversion").json()["id"] != v2["id"]


# Validation ----------------------------------------------------------------------------------------------


def test_publish_validation_uses_the_rdm_error_shape(zenodo):
    empty = create(zenodo, {})
    body = assert_rdm_error(action(empty, "publish"), 400)
    assert body["message"] == "A validation error occurred."
    fields = {item["field"]: item["messages"] for item in body["errors"]}
    assert fields["files"] == [NO_FILES]
    assert {"metadata.title", "metadata.upload_type", "metadata.publication_date", "metadata.creators",
            "metadata.description"} <= set(fields)
    assert get(empty)["state"] == "unsubmitted"

    paper = create(zenodo, dict(METADATA, upload_type="publication"))
    upload(paper, "paper.pdf", b"%PDF-1.7")
    body = assert_rdm_error(action(paper, "publish"), 400)
    assert [item["field"] for item in body["errors"]] == ["metadata.publication_type"]


@pytest.mark.parametrize(("change", "field"), [
    ({"communities": ["skyweave"]}, "communities"),
    ({"communities": {"identifier": "skyweave"}}, "communities"),
    ({"license": "not-a-license"}, "metadata.license"),
    ({"upload_type": "spreadsheet"}, "metadata.upload_type"),
    ({"publication_date": "31/01/2025"}, "metadata.publication_date"),
    ({"creators": [{"affiliation": "nobody"}]}, "metadata.creators.0.name"),
    ({"related_identifiers": [{"identifier": "not an id", "relation": "cites"}]},
     "metadata.related_identifiers.0.identifier"),
    ({"related_identifiers": [{"identifier": "10.1/x", "relation": "likes"}]},
     "metadata.related_identifiers.0.relation"),
])
def test_malformed_metadata_is_refused_on_create_and_update(zenodo, change, field):
    response = requests.post(depositions(zenodo), json={"metadata": dict(METADATA, **change)}, headers=WRITE,
                             timeout=TIMEOUT)
    assert field in [item["field"] for item in assert_rdm_error(response, 400)["errors"]]
    draft = create(zenodo)
    response = requests.put(draft["links"]["self"], json={"metadata": dict(METADATA, **change)}, headers=WRITE,
                            timeout=TIMEOUT)
    assert field in [item["field"] for item in assert_rdm_error(response, 400)["errors"]]


def test_json_bodies_need_the_json_content_type(zenodo):
    response = requests.post(depositions(zenodo), data='{"metadata": {}}', timeout=TIMEOUT,
                             headers={**WRITE, "Content-Type": "text/plain"})
    assert_rdm_error(response, 415)
    draft = create(zenodo)
    response = requests.put(draft["links"]["self"], data=b"{}", headers=WRITE, timeout=TIMEOUT)
    assert_rdm_error(response, 415)
    response = requests.post(depositions(zenodo), data="{not json", timeout=TIMEOUT,
                             headers={**WRITE, "Content-Type": "application/json"})
    assert_rdm_error(response, 400)


# Auth, listing, old files API ----------------------------------------------------------------------------


def test_auth_is_checked_per_token_and_scope(zenodo):
    assert_rdm_error(requests.get(depositions(zenodo), timeout=TIMEOUT), 403)
    assert_rdm_error(requests.post(depositions(zenodo), json={}, timeout=TIMEOUT), 403)
    assert_rdm_error(requests.post(depositions(zenodo), json={}, headers={"Authorization": "Bearer nope"},
                                   timeout=TIMEOUT), 403)
    by_query = requests.post(depositions(zenodo), params={"access_token": "write-token"}, json={"metadata": METADATA},
                             timeout=TIMEOUT)
    assert by_query.status_code == 201
    draft = by_query.json()
    upload(draft, "a.csv", b"1")
    assert_rdm_error(action(draft, "publish", headers=WRITE), 403)
    assert get(draft)["state"] == "unsubmitted"
    assert action(draft, "publish", headers=ACTIONS).status_code == 202

    sent = zenodo.requests_log(method="POST", path=r"/actions/publish$")
    assert [r.headers["Authorization"] for r in sent] == ["Bearer write-token", "Bearer actions-token"]
    assert [r.status for r in sent] == [403, 202]
    first = zenodo.requests_log(method="POST", path=r"^/api/deposit/depositions$")[-1]
    assert first.query == {"access_token": ["write-token"]} and "Authorization" not in first.headers
    assert first.json() == {"metadata": METADATA}
    dumped = requests.get(f"{zenodo.url}/__standin__/requests", timeout=TIMEOUT).json()["requests"]
    assert "write-token" not in str(dumped) and "actions-token" not in str(dumped)


def test_depositions_of_other_users_are_forbidden():
    app = make_zenodo_app({"alice": {"scopes": ["deposit:write", "deposit:actions"], "owner": 1},
                           "bob": {"scopes": ["deposit:write"], "owner": 2}})
    client = app.test_client()
    draft = client.post(DEPOSITIONS, json={}, headers={"Authorization": "Bearer alice"}).get_json()
    assert client.get(f"{DEPOSITIONS}/{draft['id']}", headers={"Authorization": "Bearer bob"}).status_code == 403
    assert client.get(DEPOSITIONS, headers={"Authorization": "Bearer bob"}).get_json() == []
    assert app.extensions["standin"].requests_log()[0].headers["Authorization"] == "Bearer alice"


def test_list_searches_the_run_marker_and_pages(zenodo):
    for i in range(11):
        create(zenodo, dict(METADATA, keywords=[f"skyweave-run:{i:04d}"]))
    record = published(zenodo, metadata=dict(METADATA, title="Published one", keywords=["skyweave-run:done"]))
    listing = requests.get(depositions(zenodo), headers=WRITE, timeout=TIMEOUT).json()
    assert len(listing) == 10, "the default page size is 10"
    assert listing[0]["id"] == record["id"], "newest first"
    found = requests.get(depositions(zenodo), params={"q": '"skyweave-run:0007"', "status": "draft"},
                         headers=WRITE, timeout=TIMEOUT).json()
    assert [d["metadata"]["keywords"] for d in found] == [["skyweave-run:0007"]]
    assert requests.get(depositions(zenodo), params={"q": "skyweave-run:done", "status": "draft"},
                        headers=WRITE, timeout=TIMEOUT).json() == []
    done = requests.get(depositions(zenodo), params={"status": "published"}, headers=WRITE, timeout=TIMEOUT).json()
    assert [d["id"] for d in done] == [record["id"]]
    page2 = requests.get(depositions(zenodo), params={"page": 2, "size": 10}, headers=WRITE, timeout=TIMEOUT).json()
    assert len(page2) == 2
    for params in ({"size": 101}, {"status": "open"}, {"page": 0}, {"sort": "random"}):
        assert_rdm_error(requests.get(depositions(zenodo), params=params, headers=WRITE, timeout=TIMEOUT), 400)


def test_old_multipart_files_api(zenodo):
    draft = create(zenodo)
    files_url = draft["links"]["files"]
    response = requests.post(files_url, files={"file": ("x.bin", b"abc")}, data={"name": "my data.csv"},
                             headers=WRITE, timeout=TIMEOUT)
    assert response.status_code == 201
    added = response.json()
    assert (added["filename"], added["filesize"], added["checksum"]) == ("my_data.csv", 3,
                                                                         hashlib.md5(b"abc").hexdigest())
    again = requests.post(files_url, files={"file": ("x.bin", b"abcd")}, data={"name": "my data.csv"},
                          headers=WRITE, timeout=TIMEOUT)
    assert_rdm_error(again, 400)
    listed = requests.get(files_url, headers=WRITE, timeout=TIMEOUT).json()
    assert [f["id"] for f in listed] == [added["id"]]
    deleted = requests.delete(added["links"]["self"], headers=WRITE, timeout=TIMEOUT)
    assert deleted.status_code == 204
    assert requests.get(files_url, headers=WRITE, timeout=TIMEOUT).json() == []
    assert_rdm_error(requests.delete(added["links"]["self"], headers=WRITE, timeout=TIMEOUT), 404)


# Rate limit ----------------------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_headers(zenodo):
    response = requests.post(f"{zenodo.url}/__standin__/ratelimit", json={"limit": 2, "window_s": 1.0},
                             timeout=TIMEOUT)
    assert response.json()["ratelimit"]["limit"] == 2
    ok = [requests.get(depositions(zenodo), headers=WRITE, timeout=TIMEOUT) for _ in range(2)]
    assert [r.status_code for r in ok] == [200, 200]
    assert [r.headers["X-RateLimit-Remaining"] for r in ok] == ["1", "0"]
    refused = requests.get(depositions(zenodo), headers=WRITE, timeout=TIMEOUT)
    assert refused.status_code == 429
    assert refused.json() == {"status": 429, "message": refused.json()["message"]}
    assert refused.headers["X-RateLimit-Limit"] == "2" and refused.headers["X-RateLimit-Remaining"] == "0"
    reset = int(refused.headers["X-RateLimit-Reset"])
    assert time.time() - 1 <= reset <= time.time() + 2
    assert refused.headers["Retry-After"] == "1"
    assert requests.get(f"{zenodo.url}/__standin__/state", timeout=TIMEOUT).status_code == 200, "control API is free"
    time.sleep(max(0.0, zenodo.harness.ratelimit()["reset"] - time.time()) + 0.02)  # the window ends
    assert requests.get(depositions(zenodo), headers=WRITE, timeout=TIMEOUT).status_code == 200
    assert [r.status for r in zenodo.requests_log()] == [200, 200, 429, 200]
    assert requests.delete(f"{zenodo.url}/__standin__/ratelimit", timeout=TIMEOUT).status_code == 204
    assert "X-RateLimit-Limit" not in requests.get(depositions(zenodo), headers=WRITE, timeout=TIMEOUT).headers


# Faults --------------------------------------------------------------------------------------------------


def test_status_fault_answers_the_given_status_then_disarms(zenodo):
    draft = create(zenodo)
    upload(draft, "a.csv", b"1")
    faults(zenodo, {"method": "POST", "path": r"^/api/deposit/depositions/\d+/actions/publish$", "action": "status",
                    "status": 503},
           {"method": "GET", "path": r"^/api/deposit/depositions/\d+$", "action": "status", "status": 502,
            "body": "<html>Bad gateway</html>", "content_type": "text/html", "times": 2})
    refused = action(draft, "publish")
    assert (refused.status_code, refused.json()) == (503, {"status": 503, "message": "Service Unavailable"})
    for _ in range(2):
        gateway = requests.get(draft["links"]["self"], headers=WRITE, timeout=TIMEOUT)
        assert (gateway.status_code, gateway.headers["Content-Type"], gateway.text) == (
            502, "text/html", "<html>Bad gateway</html>")
    assert get(draft)["state"] == "unsubmitted", "the service never saw the publish"
    assert action(draft, "publish").status_code == 202
    assert requests.get(f"{zenodo.url}/__standin__/faults", timeout=TIMEOUT).json() == {"faults": []}


def test_delay_fault_makes_the_client_time_out_after_the_effect(zenodo):
    faults(zenodo, {"method": "POST", "path": "^/api/deposit/depositions$", "action": "delay", "seconds": 0.4})
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(depositions(zenodo), json={"metadata": METADATA}, headers=WRITE, timeout=(2, 0.1))
    assert time.monotonic() - started < 0.35
    drafts = requests.get(depositions(zenodo), params={"q": "skyweave-run:7d0c", "status": "draft"}, headers=WRITE,
                          timeout=TIMEOUT).json()
    assert len(drafts) == 1, "the create was committed although the client never heard (spec §7 F3)"
    entry = zenodo.requests_log(method="POST")[0]
    deadline = time.monotonic() + 2
    while entry.status is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (entry.fault, entry.status) == ("delay", 201)

    faults(zenodo, {"method": "GET", "action": "delay", "seconds": 0.2, "effect_first": False})
    slow = requests.get(depositions(zenodo), headers=WRITE, timeout=TIMEOUT)
    assert slow.status_code == 200 and slow.elapsed.total_seconds() >= 0.2


def test_drop_fault_closes_the_connection_without_an_answer(zenodo):
    draft = create(zenodo)
    faults(zenodo, {"path": r"^/api/deposit/depositions/\d+$", "action": "drop"})
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(draft["links"]["self"], headers=WRITE, timeout=TIMEOUT)
    assert get(draft)["id"] == draft["id"]
    dropped = zenodo.requests_log(method="GET")[0]
    assert (dropped.fault, dropped.status) == ("drop", None)


def test_truncate_fault_stores_no_partial_file(zenodo):
    draft = create(zenodo)
    data = bytes(range(256)) * 16
    faults(zenodo, {"method": "PUT", "path": "^/api/files/", "action": "truncate", "bytes": 1000})
    failed = upload(draft, "big.bin", data)
    assert failed.status_code == 500
    entry = zenodo.requests_log(method="PUT")[0]
    assert (entry.fault, entry.status, len(entry.body)) == ("truncate", 500, 1000)
    assert "files" not in get(draft), "nothing partial remains (spec §7 F4)"

    faults(zenodo, {"method": "PUT", "path": "^/api/files/", "action": "truncate", "then": "drop"})
    with pytest.raises(requests.exceptions.ConnectionError):
        upload(draft, "big.bin", data)
    assert "files" not in get(draft)
    assert len(zenodo.requests_log(method="PUT")[1].body) == len(data) // 2

    again = upload(draft, "big.bin", data)
    assert again.json()["checksum"] == "md5:" + hashlib.md5(data).hexdigest()


def test_after_effect_fault_commits_then_fails(zenodo):
    draft = create(zenodo)
    upload(draft, "a.csv", b"1")
    faults(zenodo, {"method": "POST", "path": r"/actions/publish$", "action": "after_effect"})
    failed = action(draft, "publish")
    assert failed.status_code == 500
    now = get(draft)
    assert (now["state"], now["doi"]) == ("done", f"10.5072/zenodo.{draft['id']}"), "spec §7 F6"
    assert_rdm_error(action(draft, "publish"), 404)  # a repeated publish is "check state" (F7)

    faults(zenodo, {"method": "POST", "path": "^/api/deposit/depositions$", "action": "after_effect",
                    "then": "drop"})
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(depositions(zenodo), json={"metadata": METADATA}, headers=WRITE, timeout=TIMEOUT)
    listing = requests.get(depositions(zenodo), params={"status": "draft"}, headers=WRITE, timeout=TIMEOUT).json()
    assert len(listing) == 1


def test_fault_rules_fire_every_time_until_cleared_and_are_validated(zenodo):
    faults(zenodo, {"method": "GET", "action": "status", "status": 504, "times": None})
    assert [requests.get(depositions(zenodo), headers=WRITE, timeout=TIMEOUT).status_code
            for _ in range(3)] == [504] * 3
    assert requests.delete(f"{zenodo.url}/__standin__/faults", timeout=TIMEOUT).status_code == 204
    assert requests.get(depositions(zenodo), headers=WRITE, timeout=TIMEOUT).status_code == 200
    for bad in ({"action": "explode"}, {"action": "delay"}, {"action": "status", "path": "("},
                {"action": "status", "stauts": 500}):
        response = requests.post(f"{zenodo.url}/__standin__/faults", json=[bad], timeout=TIMEOUT)
        assert response.status_code == 400 and response.json()["status"] == 400
    assert requests.get(f"{zenodo.url}/__standin__/faults", timeout=TIMEOUT).json() == {"faults": []}
    assert requests.get(f"{zenodo.url}/__standin__/nothing", timeout=TIMEOUT).status_code == 404


def test_reset_and_state_dump(zenodo):
    record = published(zenodo)
    state = requests.get(f"{zenodo.url}/__standin__/state", timeout=TIMEOUT).json()
    assert state["name"] == "zenodo" and state["requests"] == 3
    (deposition,) = state["service"]["depositions"]
    assert (deposition["doi"], deposition["state"], deposition["files"][0]["filename"]) == (
        record["doi"], "done", "spectrum.csv")
    assert requests.post(f"{zenodo.url}/__standin__/reset", timeout=TIMEOUT).status_code == 204
    state = requests.get(f"{zenodo.url}/__standin__/state", timeout=TIMEOUT).json()
    assert state["service"] == {"depositions": [], "concepts": []} and state["requests"] == 0
    assert_rdm_error(requests.get(record["links"]["self"], headers=WRITE, timeout=TIMEOUT), 404)
