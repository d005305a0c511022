"""kill -9 of the process sending a GCN Circular (API) or a TNS report at each remote step, then a second attempt:
exactly one circular, one TNS object.

The catalog lives in an on-disk (embedded) store shared by this process and a child process, which sends
the report; the stand-in holds the chosen request open (after or before it took effect) and the child is
killed with SIGKILL while it waits. The second attempt, in this process, resumes from the publication
record the child wrote before its first remote call.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from skyweave.catalog.store import EmbeddedStore
from skyweave.publishers import records as publications
from skyweave.standins.gcn import CircularsArchive, make_circulars_app
from skyweave.standins.harness import StandIn
from skyweave.standins.tns import API_KEY, BOT_ID, BOT_NAME, TnsState, make_tns_app

from .conftest import BASE
from .test_gcn_circulars import SUBJECT, by_api
from .test_tns import IDS, add_detection, publisher as tns_publisher, spec  # noqa: F401  (fixture)
from .test_zenodo_metadata import add_workflow, edit, hess_records

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent("""
    import sys
    from skyweave.catalog.store import EmbeddedStore
    from skyweave.publishers.gcn_circulars import GcnCircularPublisher
    from skyweave.publishers.tns import TnsPublisher
    kind, location, url, result = sys.argv[1:5]
    store = EmbeddedStore(location)
    if kind == "circular":
        GcnCircularPublisher(store, {base!r}, via="api", api_base_url=url, api_token="submitter-token",
                             sleep=lambda s: None).publish(result, subject={subject!r})
    else:
        TnsPublisher(url, {key!r}, {bot_id!r}, {bot_name!r}, store, {base!r}, ids={ids!r}, poll_s=0.1,
                     poll_budget_s=60).publish(result)
""").format(base=BASE, subject=SUBJECT, key=API_KEY, bot_id=BOT_ID, bot_name=BOT_NAME, ids=IDS)


@pytest.fixture
def disk_catalog(spec, tmp_path):  # noqa: F811
    from rdflib import URIRef

    from skyweave.catalog.vocab import SW

    location = tmp_path / "store"
    store = EmbeddedStore(str(location))
    store.install_ontology()
    store.put_many(hess_records())
    workflow = add_workflow(store, spec, tmp_path, "ring-v1", context=False)
    edit(store, workflow, lambda g, iri: g.add((iri, SW.target, URIRef(f"{BASE}targets/crab-nebula"))))
    result = add_detection(store, spec, workflow, tmp_path)
    store.close()
    return location, result


def kill_while_waiting(kind, location, url, result, standin, path):
    child = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(location), url, result], cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not standin.requests_log(path=path):
        assert child.poll() is None, child.stdout.read().decode()
        assert time.monotonic() < deadline, f"the child never called {path}"
        time.sleep(0.05)
    time.sleep(0.3)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def test_kill_while_the_circular_post_hangs_after_it_took_effect(disk_catalog):
    location, result = disk_catalog
    archive = CircularsArchive()
    with StandIn(make_circulars_app(archive)) as api:
        api.add_faults([{"method": "POST", "path": "^/api/circulars$", "times": 1, "action": "delay", "seconds": 30,
                         "effect_first": True}])
        kill_while_waiting("circular", location, api.url, result, api, "^/api/circulars$")
        assert len(archive.circulars) == 1
        store = EmbeddedStore(str(location))
        try:
            assert publications.find(store, result, "gcn-circulars").state == "pending"
            outcome = by_api(store, api).publish(result, subject=SUBJECT)
        finally:
            store.close()
    assert outcome.identifier == "40000" and len(archive.circulars) == 1
    assert len(api.requests_log(method="POST")) == 1


@pytest.mark.parametrize("path, queued", [("^/api/set/bulk-report$", False), ("^/api/get/bulk-report-reply$", True)])
def test_kill_at_each_tns_step_then_report_again(disk_catalog, path, queued):
    location, result = disk_catalog
    state = TnsState(reply_after=0)
    with StandIn(make_tns_app(state)) as tns:
        tns.add_faults([{"method": "POST", "path": path, "times": 1, "action": "delay", "seconds": 30,
                         "effect_first": True}])
        kill_while_waiting("tns", location, tns.url, result, tns, path)
        store = EmbeddedStore(str(location))
        try:
            pub = publications.find(store, result, "tns")
            assert ("report_id" in pub.progress) is queued
            outcome = tns_publisher(store, tns).publish(result)
        finally:
            store.close()
    assert outcome.identifier == "AT 2026aaa" and len(state.objects) == 1 and len(state.accepted) == 1
    sent = len(tns.requests_log(path="^/api/set/bulk-report$"))
    assert sent == (1 if queued else 2)  # a report whose id was recorded is polled, never sent again
