"""The Kafka listener: consume alert topics, store each batch, then commit its offsets.

Offsets are committed only after the intake has stored the batch (its own offsets, one past the
last message of each partition), with a stable consumer group id, so a listener killed at any point
(even ``kill -9``) resumes where it stopped: messages stored but not yet committed arrive again and
are recognised as duplicates, so each is stored once. While a batch is stored, the next one is
already consumed and prepared in a thread (`Intake.prepare`: parsing, schemas, sky maps,
cross-match, building records), since the store's writes release the interpreter lock.

References
----------
.. [1] gcn-kafka, https://github.com/nasa-gcn/gcn-kafka-python
.. [2] confluent-kafka Consumer, https://docs.confluent.io/platform/current/clients/confluent-kafka-python/
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import Message

__all__ = ["consumer_config", "make_consumer", "Listener"]

log = logging.getLogger(__name__)


def consumer_config(config):
    """Return the consumer settings for the configured source.

    Parameters
    ----------
    config : Mapping
        Settings (``GCN_KAFKA_BOOTSTRAP``, ``ALERT_GROUP_ID``).

    Returns
    -------
    dict
        confluent-kafka settings: manual commits, from the earliest offset for a new group.

    Examples
    --------
    >>> consumer_config({"GCN_KAFKA_BOOTSTRAP": "127.0.0.1:9092", "ALERT_GROUP_ID": "g"})["enable.auto.commit"]
    False
    """
    settings = {"group.id": config["ALERT_GROUP_ID"], "enable.auto.commit": False,
                "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
                "fetch.message.max.bytes": int(config.get("ALERT_MAX_BYTES", 4 << 20)) + 1024}
    if config.get("GCN_KAFKA_BOOTSTRAP"):
        settings.update({"bootstrap.servers": config["GCN_KAFKA_BOOTSTRAP"], "security.protocol": "PLAINTEXT"})
    return settings


def make_consumer(config):
    """Create the consumer: ``gcn_kafka.Consumer`` for GCN (credentials from the settings), or for a plain broker.

    Raises
    ------
    ValueError
        If neither a plain broker nor GCN credentials are configured.
    """
    import gcn_kafka

    settings = consumer_config(config)
    if config.get("GCN_KAFKA_BOOTSTRAP"):
        return gcn_kafka.Consumer(config=settings)
    if not (config.get("GCN_KAFKA_CLIENT_ID") and config.get("GCN_KAFKA_CLIENT_SECRET")):
        raise ValueError("Set SKYWEAVE_GCN_KAFKA_CLIENT_ID and SKYWEAVE_GCN_KAFKA_CLIENT_SECRET (from gcn.nasa.gov), or "
                         "SKYWEAVE_GCN_KAFKA_BOOTSTRAP for a plain Kafka broker.")
    return gcn_kafka.Consumer(config=settings, client_id=config["GCN_KAFKA_CLIENT_ID"],
                              client_secret=config["GCN_KAFKA_CLIENT_SECRET"], domain=config["GCN_KAFKA_DOMAIN"])


def _next_offsets(messages):
    """Return the offsets to commit once ``messages`` are stored: one past the last of each partition.

    Parameters
    ----------
    messages : list of skyweave.alerts.Message

    Returns
    -------
    list of confluent_kafka.TopicPartition
    """
    from confluent_kafka import TopicPartition

    last = {}
    for m in messages:
        key = (m.topic, m.partition)
        last[key] = max(last.get(key, -1), m.offset)
    return [TopicPartition(topic, partition, offset + 1) for (topic, partition), offset in last.items()]


class Listener:
    """Consumes topics into an intake, committing after each stored batch.

    Parameters
    ----------
    intake : skyweave.alerts.intake.Intake or skyweave.alerts.service.Pipeline
        What stores the batches (its ``prepare`` and ``complete``).
    consumer : confluent_kafka.Consumer
    topics : list of str
    batch_size : int
    on_batch : callable or None
        Called with each `IntakeReport` after its offsets are committed.
    on_stored : callable or None
        Called with each batch's messages once they are stored, before their offsets are committed (so
        a listener killed in between calls it again for them): e.g.
        `skyweave.publishers.circular_numbers.CircularNumbers`.

    Attributes
    ----------
    assigned_at : float or None
        `time.perf_counter` when the consumer group first assigned partitions to this listener (the
        group join takes half the session timeout, 3 s here; benchmarks time the intake from it).
    """

    def __init__(self, intake, consumer, topics, batch_size=500, on_batch=None, on_stored=None):
        self.intake, self.consumer, self.topics = intake, consumer, list(topics)
        self.batch_size, self.on_batch, self.on_stored = int(batch_size), on_batch, on_stored
        self.stop = threading.Event()
        self.assigned_at = None

    def run(self, idle_exit_s=None):
        """Consume until `stop` is set (or nothing arrived for ``idle_exit_s`` seconds); return the totals.

        Returns
        -------
        dict
            ``stored``, ``duplicates``, ``quarantined``: counts over the whole run.

        Raises
        ------
        Exception
            Whatever the store raises; the batch's offsets are then not committed.
        """
        totals = {"stored": 0, "duplicates": 0, "quarantined": 0}
        assigned = []

        def on_assign(consumer, partitions):
            assigned.append(time.monotonic())
            if self.assigned_at is None:
                self.assigned_at = time.perf_counter()

        def finish(messages, prepared):
            report = self.intake.complete(prepared.result())
            if self.on_stored:
                self.on_stored(messages)
            # only now, and only this batch's: the next one may be consumed (and prepared) already
            self.consumer.commit(offsets=_next_offsets(messages), asynchronous=False)
            totals["stored"] += len(report.stored)
            totals["duplicates"] += report.duplicates
            totals["quarantined"] += len(report.quarantined)
            if self.on_batch:
                self.on_batch(report)

        self.consumer.subscribe(self.topics, on_assign=on_assign)
        last = None  # the idle time counts from the group join
        pending = None  # the batch consumed last: (messages, future of its prepared form)
        preparer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-prepare")
        try:
            while not self.stop.is_set():
                # with a batch waiting to be stored, take only what has arrived already (no wait)
                batch = self.consumer.consume(num_messages=self.batch_size, timeout=0 if pending else 0.1)
                messages = []
                for m in batch:
                    if m.error():
                        log.warning("Kafka: %s", m.error())
                        continue
                    messages.append(Message(m.value() or b"", m.topic(), m.partition(), m.offset(),
                                            headers=dict(m.headers() or [])))
                current = (messages, preparer.submit(self.intake.prepare, messages)) if messages else None
                if pending is not None:
                    # stored while the batch just consumed is prepared beside it (the store's
                    # writes release the interpreter lock)
                    finish(*pending)
                    last = time.monotonic()
                pending = current
                if not messages:
                    last = last or (assigned[0] if assigned else None)
                    if idle_exit_s is not None and last is not None and time.monotonic() - last > idle_exit_s:
                        break
            if pending is not None:  # stopped with a batch consumed: store it before leaving
                finish(*pending)
        finally:
            preparer.shutdown(wait=True, cancel_futures=True)
            self.consumer.close()
        return totals
