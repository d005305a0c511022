"""Kafka for the publishers: produce one message and confirm its delivery, and find a message by its id.

Kafka has no idempotency key a client can rely on across restarts, so the channels that write to it (GCN
notices, Hopskotch) give each message an id recorded *before* it is produced, confirm delivery with the
delivery callback and ``flush()``, and before any retry read the topic back for a message with that id
(``specs/external-apis.md`` §4.3 (c), §7 F16).

Both functions take confluent-kafka style objects, so they serve `gcn_kafka.Producer` and hop-client's
producer alike.

References
----------
.. [1] confluent-kafka-python, ``Producer.produce(on_delivery=...)``, ``Producer.flush`` (returns the number
   of messages still queued), ``Consumer.get_watermark_offsets``; librdkafka error codes.
"""

import uuid

from .outcomes import OutcomeUnknown, UpstreamError

__all__ = ["deliver", "find_message"]


def deliver(producer, topic, value, *, service, key=None, headers=None, timeout_s=10.0):
    """Produce one message and wait until the broker confirms it.

    Parameters
    ----------
    producer : confluent_kafka.Producer
    topic : str
    value : bytes
    service : str
        Name used in errors.
    key : bytes or None
    headers : list of (str, bytes) or None
    timeout_s : float
        Longest wait for the confirmation, in seconds.

    Returns
    -------
    tuple of (int, int)
        The partition and offset the broker gave the message.

    Raises
    ------
    publishers.outcomes.UpstreamError
        The delivery callback reported a failure after which the message was not written (e.g. message
        too large, unknown topic, authorization failed): safe to retry once the cause is fixed.
    publishers.outcomes.OutcomeUnknown
        ``flush()`` left the message unconfirmed, or it timed out: it may or may not be on the topic.
    """
    from confluent_kafka import KafkaError, KafkaException

    results = []
    try:
        producer.produce(topic, value, key=key, headers=headers or [],
                         on_delivery=lambda err, msg: results.append((err, msg)))
    except (KafkaException, BufferError) as exc:  # refused locally (too large, queue full): nothing was sent
        raise UpstreamError(service, None, f"producing to {topic} was refused: {exc}") from None
    remaining = producer.flush(timeout_s)
    if remaining or not results:
        raise OutcomeUnknown(service, None, f"{remaining or 1} message(s) to {topic} not confirmed within "
                                            f"{timeout_s:g} s (flush)")
    err, msg = results[0]
    if err is not None:
        if err.code() in (KafkaError._MSG_TIMED_OUT, KafkaError._TIMED_OUT, KafkaError.REQUEST_TIMED_OUT):
            raise OutcomeUnknown(service, None, f"delivery to {topic} timed out: {err.str()}")
        raise UpstreamError(service, None, f"delivery to {topic} failed: {err.str()} ({err.name()})")
    return msg.partition(), msg.offset()


def find_message(consumer, topic, match, timeout_s=10.0):
    """Read ``topic`` from its start to its current end; return the first message for which ``match`` is true.

    Parameters
    ----------
    consumer : confluent_kafka.Consumer
        A consumer that has not subscribed; it is assigned every partition and closed afterwards.
    topic : str
    match : callable
        ``match(message) -> bool``.
    timeout_s : float
        Longest wait for each broker call, in seconds.

    Returns
    -------
    confluent_kafka.Message or None
    """
    from confluent_kafka import TopicPartition

    try:
        metadata = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
        if metadata is None or metadata.error is not None:
            return None
        ends = {}
        for partition in metadata.partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout_s)
            if high > low:
                ends[partition] = (low, high)
        if not ends:
            return None
        consumer.assign([TopicPartition(topic, p, low) for p, (low, _) in ends.items()])
        done = set()
        while len(done) < len(ends):
            msg = consumer.poll(timeout_s)
            if msg is None:
                raise OutcomeUnknown("kafka", None, f"reading {topic} back stopped before its end")
            if msg.error() is not None:
                continue
            if match(msg):
                return msg
            if msg.offset() >= ends[msg.partition()][1] - 1:
                done.add(msg.partition())
        return None
    finally:
        consumer.close()


def new_group_id():
    """A fresh consumer group id for a one-off read-back (nothing is committed)."""
    return f"skyweave-check-{uuid.uuid4()}"
