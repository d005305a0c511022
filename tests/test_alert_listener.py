"""The listener against a real Kafka-protocol broker (Tansu): offsets committed after storing, every
message exactly once across a kill -9 and a restart (https://github.com/skyweave issue 10)."""

import json
import os
import signal
import subprocess
import sys
import time

from confluent_kafka import Consumer, TopicPartition

from skyweave.alerts.intake import Intake
from skyweave.alerts.listen import Listener, consumer_config, make_consumer

from .alert_samples import SCHEMA_DIR, example, gcn_schemas
from .broker import kafka_broker  # noqa: F401  (the fixture)
from .conftest import BASE


def notices(n, duplicates_every=5):
    """``n`` distinct Swift-BAT notices (ids varied) and a duplicate of every ``duplicates_every``-th one."""
    base = json.loads(example("swift/bat/Guano.example.json"))
    out = []
    for i in range(n):
        payload = json.dumps(dict(base, id=[str(700000000 + i)])).encode()
        out.append(payload)
        if i % duplicates_every == 0:
            out.append(payload)
    return out


def committed(broker, group, topic):
    consumer = Consumer(dict(broker.config, **{"group.id": group}))
    try:
        [tp] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        return tp.offset
    finally:
        consumer.close()


def alert_count(store):
    return int(store.select("SELECT (COUNT(?a) AS ?n) WHERE { ?a a <https://skyweave.org/ns#Alert> }")[0]["n"])


def test_the_listener_stores_then_commits(kafka_broker, fresh_app, tmp_path):
    topic = kafka_broker.topic("gcn.notices.swift.bat.guano")
    values = notices(30)
    kafka_broker.produce(topic, values + [b"{not json"])
    config = {"GCN_KAFKA_BOOTSTRAP": kafka_broker.bootstrap, "ALERT_GROUP_ID": f"g-{topic}"}
    store = fresh_app.extensions["store"]
    intake = Intake(store, BASE, tmp_path, gcn_schemas())
    reports = []
    totals = Listener(intake, make_consumer(config), [topic], batch_size=10, on_batch=reports.append).run(idle_exit_s=3)
    assert totals == {"stored": 30, "duplicates": 6, "quarantined": 1}
    assert alert_count(store) == 30
    assert committed(kafka_broker, config["ALERT_GROUP_ID"], topic) == len(values) + 1
    rows = store.select("SELECT ?o WHERE { ?a a <https://skyweave.org/ns#Alert> ; <https://skyweave.org/ns#offset> ?o }")
    assert min(int(r["o"]) for r in rows) == 0



def test_a_batch_that_fails_to_store_is_not_committed_though_the_next_was_already_consumed(kafka_broker, fresh_app,
                                                                                          tmp_path):
    """The listener prepares batch n+1 while it stores batch n; the offsets it commits are batch n's
    own, so a batch whose store fails (and the one consumed after it) arrive again after a restart."""
    import pytest

    topic = kafka_broker.topic("gcn.notices.swift.bat.guano")
    values = notices(40, duplicates_every=10 ** 6)[1:]  # 40 distinct (the first is never doubled here)
    kafka_broker.produce(topic, values)
    config = {"GCN_KAFKA_BOOTSTRAP": kafka_broker.bootstrap, "ALERT_GROUP_ID": f"g-{topic}"}
    store = fresh_app.extensions["store"]

    class FailingSecondBatch(Intake):
        calls = 0

        def complete(self, prepared):
            FailingSecondBatch.calls += 1
            if FailingSecondBatch.calls == 2:
                raise OSError("the disk is full")
            return super().complete(prepared)

    consumed = []
    listener = Listener(FailingSecondBatch(store, BASE, tmp_path, gcn_schemas()), make_consumer(config), [topic],
                        batch_size=10)
    original = listener.intake.prepare
    listener.intake.prepare = lambda messages: consumed.append(len(messages)) or original(messages)
    with pytest.raises(OSError):
        listener.run(idle_exit_s=3)
    first = consumed[0]  # the first batch: stored and committed
    assert alert_count(store) == first
    assert committed(kafka_broker, config["ALERT_GROUP_ID"], topic) == first
    # the failing batch was consumed (and prepared) before the first was committed: a commit of the
    # consumer's position, not of the stored batch's offsets, would have skipped it
    assert len(consumed) >= 2 and consumed[1] > 0
    totals = Listener(Intake(store, BASE, tmp_path, gcn_schemas()), make_consumer(config), [topic],
                      batch_size=10).run(idle_exit_s=3)
    assert totals["stored"] == 40 - first and alert_count(store) == 40
    assert committed(kafka_broker, config["ALERT_GROUP_ID"], topic) == 40

def test_consumer_config_is_plain_for_a_local_broker_and_never_auto_commits():
    config = consumer_config({"GCN_KAFKA_BOOTSTRAP": "127.0.0.1:1", "ALERT_GROUP_ID": "skyweave-alerts"})
    assert config["security.protocol"] == "PLAINTEXT" and config["group.id"] == "skyweave-alerts"
    assert config["enable.auto.commit"] is False and config["auto.offset.reset"] == "earliest"


def listen_process(tmp_path, broker, topic):
    env = dict(os.environ, SKYWEAVE_DATA_DIR=str(tmp_path / "data"), SKYWEAVE_STORE="embedded",
               SKYWEAVE_BASE_IRI=BASE, SKYWEAVE_ALERT_BATCH="25", SKYWEAVE_STORE_MEMORY_MIRROR="false",
               SKYWEAVE_ALERT_GROUP_ID=f"kill-{topic}", SKYWEAVE_GCN_SCHEMA_DIR=SCHEMA_DIR, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "skyweave.catalog.cli", "listen", "--bootstrap", broker.bootstrap, "--topic", topic,
         "--exit-when-idle", "4"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_kill_9_mid_stream_then_restart_stores_every_message_exactly_once(kafka_broker, tmp_path):
    from skyweave.catalog.storage import open_store
    from skyweave.catalog.settings import defaults

    topic = kafka_broker.topic("gcn.notices.swift.bat.guano")
    values = notices(200)
    kafka_broker.produce(topic, values)
    first = listen_process(tmp_path, kafka_broker, topic)
    line = first.stdout.readline()  # the first stored batch
    assert line.startswith("stored "), (line, first.stderr.read() if first.poll() is not None else "")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    done_before = committed(kafka_broker, f"kill-{topic}", topic)
    assert 0 < done_before < len(values)  # killed mid-stream

    second = listen_process(tmp_path, kafka_broker, topic)
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert "done:" in out
    assert committed(kafka_broker, f"kill-{topic}", topic) == len(values)

    config = dict(defaults(), STORE="embedded", DATA_DIR=str(tmp_path / "data"), STORE_MEMORY_MIRROR=False)
    store = open_store(config)
    try:
        assert alert_count(store) == 200
        rows = store.select("SELECT ?k WHERE { ?a <https://skyweave.org/ns#contentKey> ?k }")
        assert len(rows) == len({str(r["k"]) for r in rows}) == 200
        events = store.select("SELECT (COUNT(?e) AS ?n) WHERE { ?e a <https://skyweave.org/ns#Event> }")
        assert int(events[0]["n"]) == 200
    finally:
        store.close()


def test_hopskotch_messages_written_by_hop_client_are_stored(kafka_broker, fresh_app, tmp_path):
    """igwn.gwalert as Hopskotch carries it: written with hop-client (its _id, _format and _test headers)."""
    from hop import Stream

    from .alert_samples import igwn_alert

    topic = kafka_broker.topic("igwn.gwalert")
    with Stream(auth=False).open(kafka_broker.topic_url(topic), "w") as stream:
        stream.write(json.loads(igwn_alert("S250103ef", ra=83.63, dec=22.01, nside=32)))
        stream.write(json.loads(igwn_alert("S250103gh", ra=10.0, dec=10.0, nside=32)), test=True)
    config = {"GCN_KAFKA_BOOTSTRAP": kafka_broker.bootstrap, "ALERT_GROUP_ID": f"g-{topic}"}
    store = fresh_app.extensions["store"]
    reports = []
    Listener(Intake(store, BASE, tmp_path, gcn_schemas()), make_consumer(config), [topic],
             on_batch=reports.append).run(idle_exit_s=3)
    stored = {a.parsed.event_name: a for r in reports for a in r.stored}
    assert set(stored) == {"S250103ef", "S250103gh"}
    assert stored["S250103ef"].parsed.tense == "current" and stored["S250103gh"].parsed.tense == "test"
    assert any(m.label == "Crab Nebula" for m in stored["S250103ef"].matches)


def test_serve_listen_consumes_beside_the_web_app(kafka_broker, tmp_path):
    """``skyweave serve --listen``: the page shows an alert that arrived on the stream while serving."""
    import requests

    from .conftest import free_port, wait_for_port

    topic = kafka_broker.topic("gcn.notices.swift.bat.guano")
    kafka_broker.produce(topic, notices(3))
    port = free_port()
    env = dict(os.environ, SKYWEAVE_DATA_DIR=str(tmp_path / "data"), SKYWEAVE_STORE="memory",
               SKYWEAVE_GCN_KAFKA_BOOTSTRAP=kafka_broker.bootstrap, SKYWEAVE_ALERT_TOPICS=json.dumps([topic]),
               SKYWEAVE_ALERT_GROUP_ID=f"serve-{topic}", SKYWEAVE_GCN_SCHEMA_DIR=SCHEMA_DIR)
    server = subprocess.Popen([sys.executable, "-m", "skyweave.catalog.cli", "serve", "--port", str(port), "--listen"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, timeout_s=60)
        deadline, alerts = time.monotonic() + 60, []
        while time.monotonic() < deadline and len(alerts) < 3:
            alerts = requests.get(f"http://127.0.0.1:{port}/alerts/feed.json", timeout=10).json()["alerts"]
            time.sleep(0.5)
        assert len(alerts) == 3
    finally:
        server.terminate()
        server.wait(timeout=30)
