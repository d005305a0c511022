"""The real Kafka-protocol broker fixture (`tests/broker.py`) works with every client we use."""

import json

from .broker import kafka_broker  # noqa: F401  (the fixture)


def test_produce_and_consume_in_order(kafka_broker):
    topic = kafka_broker.topic("gcn.notices.test")
    values = [json.dumps({"n": i}).encode() for i in range(5)]
    kafka_broker.produce(topic, values)
    got = kafka_broker.consume(topic, 5)
    assert [m.value() for m in got] == values
    assert [m.offset() for m in got] == [0, 1, 2, 3, 4]


def test_gcn_kafka_consumer_reads_from_the_broker(kafka_broker):
    import gcn_kafka

    topic = kafka_broker.topic("gcn.notices.icecube.lvk_nu_track_search")
    kafka_broker.produce(topic, [b'{"$schema": "x"}'])
    consumer = gcn_kafka.Consumer(config=dict(kafka_broker.config, **{
        "group.id": "broker-fixture-test", "auto.offset.reset": "earliest", "session.timeout.ms": 6000}))
    consumer.subscribe([topic])
    try:
        got = []
        for _ in range(60):
            got += [m for m in consumer.consume(timeout=0.5) if not m.error()]
            if got:
                break
    finally:
        consumer.close()
    assert [m.value() for m in got] == [b'{"$schema": "x"}']


def test_hop_client_writes_with_its_headers(kafka_broker):
    from hop import Stream

    topic = kafka_broker.topic("igwn.gwalert")
    with Stream(auth=False).open(kafka_broker.topic_url(topic), "w") as s:
        s.write({"superevent_id": "S250101ab"})
    [message] = kafka_broker.consume(topic, 1)
    headers = dict(message.headers())
    assert json.loads(message.value()) == {"superevent_id": "S250101ab"}
    assert headers["_format"] == b"json" and len(headers["_id"]) == 16
