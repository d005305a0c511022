"""Runs that no stranger controls (issues 7 and 8): abort authorization, bounded queues, a storage
quota, CSRF on the forms, aborts that always finish, and a graceful stop.

https://skyweave.org/issues/7 ("A run can be aborted by anyone who knows its URL") and
https://skyweave.org/issues/8 ("Runs that anyone controls").
"""

import threading
import time
from concurrent.futures import Future

from bs4 import BeautifulSoup
from rdflib import URIRef

from skyweave.catalog.vocab import SW

from .conftest import auth
from .workflow_repo import submit, wait_for


def _executing(client, run_url):
    deadline = time.monotonic() + 30
    while client.get(run_url, headers={"Accept": "application/json"}).json["phase"] != "EXECUTING":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_abort_needs_the_abort_key_or_an_editor_token(runner_app):
    client = runner_app.test_client()
    store = runner_app.extensions["store"]
    first = submit(client, "ring-v1", {"delay_s": "30"})
    second = submit(client, "ring-v1", {"delay_s": "31"})
    key = first.json["abort_key"]
    assert key and second.json["abort_key"] and key != second.json["abort_key"]
    url = first.headers["Location"]
    _executing(client, url)
    _executing(client, second.headers["Location"])
    before = store.dump()
    for method, path, headers in [
        ("DELETE", url, {}), ("POST", url + "/abort", {}), ("DELETE", url, auth("reader-token")),
        ("DELETE", url, {"X-Abort-Key": "guess"}), ("DELETE", url, {"X-Abort-Key": second.json["abort_key"]}),
    ]:
        response = client.open(path, method=method, headers={"Accept": "application/json", **headers})
        assert response.status_code in (401, 403), (method, headers, response.data)
    assert client.get(url, headers={"Accept": "application/json"}).json["phase"] == "EXECUTING"
    assert store.dump() == before
    assert client.delete(url, headers={"X-Abort-Key": key}).json["phase"] == "ABORTED"
    # An editor may abort any run; the key of a shared or cached request is never given.
    assert client.delete(second.headers["Location"], headers=auth()).json["phase"] == "ABORTED"
    again = submit(client, "ring-v1", {"delay_s": "30"})
    assert again.headers["Location"] != url  # the aborted run is not reused


def test_abort_key_is_not_in_the_store_or_the_run_page(runner_app):
    client = runner_app.test_client()
    response = submit(client, "ring-v1", {"n_points": "9"})
    key = response.json["abort_key"]
    wait_for(client, response.headers["Location"])
    assert not any(key in q for q in runner_app.extensions["store"].dump())
    assert key.encode() not in client.get(response.headers["Location"]).data


def test_a_browser_keeps_its_key_and_forms_need_the_page_token(runner_app):
    client = runner_app.test_client()
    store = runner_app.extensions["store"]
    page = BeautifulSoup(client.get("/workflows/ring-v1").data, "html.parser")
    token = page.select_one("#run-form input[name=_csrf]")["value"]
    before = store.dump()
    for data, headers in [({"delay_s": "30"}, {}), ({"delay_s": "30", "_csrf": "forged"}, {}),
                          ({"delay_s": "30", "_csrf": token}, {"Origin": "https://evil.example"})]:
        forged = client.post("/workflows/ring-v1/runs", data=data, headers={"Accept": "text/html", **headers})
        assert forged.status_code == 403
    other = runner_app.test_client()  # another browser: no session, so no token
    assert other.post("/workflows/ring-v1/runs", data={"delay_s": "30", "_csrf": token}).status_code == 403
    assert store.dump() == before
    response = client.post("/workflows/ring-v1/runs", data={"delay_s": "30", "_csrf": token},
                           headers={"Accept": "text/html"})
    assert response.status_code == 303
    run_url = response.headers["Location"]
    _executing(client, run_url)
    run_page = BeautifulSoup(client.get(run_url).data, "html.parser")
    abort_form = run_page.select_one(f"form[action='{run_url}/abort']")
    assert abort_form is not None and abort_form.select_one("input[name=_csrf]")["value"] == token
    assert other.get(run_url).status_code == 200
    assert BeautifulSoup(other.get(run_url).data, "html.parser").select_one("form[action$='/abort']") is None
    assert other.post(run_url + "/abort", data={"_csrf": token}).status_code == 403
    assert client.post(run_url + "/abort", data={"_csrf": token}).status_code == 303
    assert wait_for(client, run_url)["phase"] == "ABORTED"


def test_the_queue_is_bounded_per_client_and_in_total(runner_app):
    client = runner_app.test_client()
    store = runner_app.extensions["store"]
    jobs = runner_app.extensions["jobs"]
    jobs.limits.per_client, jobs.limits.total = 2, 3
    urls = [submit(client, "ring-v1", {"delay_s": str(20 + n)}) for n in range(2)]
    assert all(r.status_code == 303 for r in urls)
    for response in urls:  # both execute (two workers), so no phase change races the comparison
        _executing(client, response.headers["Location"])
    before = store.dump()
    refused = submit(client, "ring-v1", {"delay_s": "40"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "RUN_QUEUE_PER_CLIENT" in refused.json["detail"]
    assert store.dump() == before
    # Another client still gets a place, until the whole queue is full.
    other = runner_app.test_client()
    ok = other.post("/workflows/ring-v1/runs", json={"parameters": {"delay_s": "41"}},
                    environ_base={"REMOTE_ADDR": "10.0.0.2"}, headers={"Accept": "application/json"})
    assert ok.status_code == 303
    full = other.post("/workflows/ring-v1/runs", json={"parameters": {"delay_s": "42"}},
                      environ_base={"REMOTE_ADDR": "10.0.0.3"}, headers={"Accept": "application/json"})
    assert full.status_code == 429 and "RUN_QUEUE_MAX" in full.json["detail"]
    # A request identical to a run under way shares it, whatever the bounds.
    shared = submit(client, "ring-v1", {"delay_s": "20"})
    assert shared.status_code == 303 and shared.json["shared"] and "abort_key" not in shared.json
    for response in urls + [ok]:
        client.delete(response.headers["Location"], headers=auth())


def test_result_storage_quota(runner_app):
    client = runner_app.test_client()
    jobs = runner_app.extensions["jobs"]
    first = submit(client, "ring-v1", {"n_points": "10"})
    wait_for(client, first.headers["Location"])
    jobs.limits.storage_bytes, jobs.limits._measured = 1, -1e9
    before = runner_app.extensions["store"].dump()
    response = submit(client, "ring-v1", {"n_points": "11"})
    assert response.status_code == 507 and "RESULT_STORAGE_MAX_BYTES" in response.json["detail"]
    assert runner_app.extensions["store"].dump() == before


class _StuckExecutor:
    """Test equipment: an executor whose runs never end and ignore abort requests."""

    name = "stuck"

    def __init__(self):
        self.started = threading.Event()

    def submit(self, request, progress=None, abort=None):
        future = Future()
        future.set_running_or_notify_cancel()  # executing: cannot be cancelled
        progress(0, 1)
        self.started.set()
        return future

    def close(self):
        pass


def test_an_abort_always_finishes(runner_app):
    jobs = runner_app.extensions["jobs"]
    real, jobs.executor, jobs.abort_wait_s = jobs.executor, _StuckExecutor(), 0.5
    try:
        client = runner_app.test_client()
        response = submit(client, "ring-v1", {"delay_s": "33"})
        url = response.headers["Location"]
        started = time.monotonic()
        answer = client.delete(url, headers={"X-Abort-Key": response.json["abort_key"]})
        assert answer.json["phase"] == "ABORTED" and time.monotonic() - started < 5
        status = client.get(url, headers={"Accept": "application/json"}).json
        assert status["phase"] == "ABORTED" and status["ended"] and "abandoned" in status["error"]
        iri = URIRef("http://localhost" + url)
        assert str(runner_app.extensions["store"].get(iri).value(iri, SW.phase)) == "ABORTED"
    finally:
        jobs.executor = real


def test_stopping_leaves_queued_runs_queued_and_files_executing_ones(runner_app):
    jobs = runner_app.extensions["jobs"]
    store = runner_app.extensions["store"]
    client = runner_app.test_client()
    jobs.limits.per_client = 10
    runs = [submit(client, "ring-v1", {"delay_s": str(30 + n)}).headers["Location"] for n in range(4)]
    _executing(client, runs[0])
    _executing(client, runs[1])  # two workers: two execute, two wait in the queue
    queued, executing = jobs.close()
    assert (queued, executing) == (2, 2)
    phases = [str(store.get(URIRef("http://localhost" + u)).value(URIRef("http://localhost" + u), SW.phase))
              for u in runs]
    assert phases == ["ERROR", "ERROR", "QUEUED", "QUEUED"]
    assert "service stopped" in str(store.get(URIRef("http://localhost" + runs[0])).value(
        URIRef("http://localhost" + runs[0]), SW.error))


def test_abort_keys_survive_a_restart(runner_app):
    """Only the key's SHA-256 is kept with the run, and it still lets the submitter abort after a restart."""
    import hashlib

    from skyweave.catalog.web.app import init_runners

    jobs = runner_app.extensions["jobs"]
    store = runner_app.extensions["store"]
    client = runner_app.test_client()
    jobs.limits.per_client = 10
    answers = [submit(client, "ring-v1", {"delay_s": str(40 + n)}) for n in range(3)]
    keys = [a.json["abort_key"] for a in answers]
    _executing(client, answers[0].headers["Location"])
    _executing(client, answers[1].headers["Location"])
    assert jobs.close() == (1, 2)  # the third stays QUEUED in the store
    dump = "\n".join(store.dump())
    assert not any(key in dump for key in keys)
    assert all(hashlib.sha256(key.encode()).hexdigest() in dump for key in keys)
    init_runners(runner_app)  # a restart: a new job manager that knows the runs only from the store
    url = answers[2].headers["Location"]
    for headers in ({"X-Abort-Key": "guess"}, {"X-Abort-Key": keys[0]}, {}):
        response = client.delete(url, headers={"Accept": "application/json", **headers})
        assert response.status_code in (401, 403), headers
    assert client.delete(url, headers={"X-Abort-Key": keys[2]}).json["phase"] == "ABORTED"
    # A run that ended before the restart answers its phase to its own key, and 403 to another.
    ended = answers[0].headers["Location"]
    assert client.delete(ended, headers={"X-Abort-Key": keys[0]}).json["phase"] == "ERROR"
    assert client.delete(ended, headers={"X-Abort-Key": keys[1]}).status_code == 403
