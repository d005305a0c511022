"""Circulars sent by e-mail get their number when they appear on ``gcn.circulars``, which the alert listener
consumes from a real Kafka-protocol broker (Tansu); nothing is ever sent again
(https://github.com/skyweave issue 11: "Reports out"; ``specs/external-apis.md`` §4.2, §4.3 (b))."""

import json

from skyweave.alerts.intake import Intake
from skyweave.alerts.listen import Listener, make_consumer
from skyweave.publishers import records as publications
from skyweave.publishers.circular_numbers import CIRCULARS_TOPIC, CircularNumbers

from .broker import tansu_broker  # noqa: F401  (fixture)
from .conftest import BASE
from .test_gcn_circulars import SUBJECT, archive, by_email, plain, smtp, spec  # noqa: F401  (fixtures)

SITE = "https://test.gcn.nasa.gov"


def listen(store, broker, tmp_path, group):
    """Consume gcn.circulars into ``store`` as ``skyweave listen`` does, until idle; return the totals."""
    config = {"GCN_KAFKA_BOOTSTRAP": broker.bootstrap, "ALERT_GROUP_ID": group}
    hook = CircularNumbers.from_settings({"GCN_API_BASE_URL": SITE}, store)
    return Listener(Intake(store, BASE, str(tmp_path / "alerts")), make_consumer(config), [CIRCULARS_TOPIC],
                    batch_size=10, on_stored=hook).run(idle_exit_s=3)


def test_an_emailed_circular_gets_its_number_from_gcn_circulars(plain, smtp, archive, tansu_broker, tmp_path):  # noqa: F811
    store, result = plain
    sent = by_email(store, smtp).publish(result, subject=SUBJECT)
    assert sent.identifier == "" and publications.get(store, sent.publication).state == "sent"
    [ours] = archive.circulars.values()  # what GCN filed from the e-mail
    others = [
        dict(ours, circularId=39990, body="Another team's text.", submitter="Bob at Nowhere <bob@example.org>"),
        dict(ours, circularId=39991, subject="GRB 250101A: Swift-XRT afterglow", submitter="Bob <bob@example.org>"),
    ]
    tansu_broker.create_topic(CIRCULARS_TOPIC)
    tansu_broker.produce(CIRCULARS_TOPIC, [json.dumps(c).encode() for c in others + [ours]])
    totals = listen(store, tansu_broker, tmp_path, "numbers-1")
    assert totals["stored"] == 3  # the listener also catalogues the circulars themselves
    pub = publications.get(store, sent.publication)
    assert (pub.state, pub.identifier, pub.url) == ("published", str(ours["circularId"]),
                                                    f"{SITE}/circulars/{ours['circularId']}")
    assert any("appeared on gcn.circulars" in step for step in pub.progress["steps"])
    assert len(archive.messages) == 1  # never sent again
    again = listen(store, tansu_broker, tmp_path, "numbers-2")  # a second reading changes nothing
    assert again["duplicates"] == 3 and publications.get(store, sent.publication) == pub


def test_a_circular_with_our_subject_but_not_our_text_or_address_is_not_taken_for_ours(plain, smtp, tansu_broker,  # noqa: F811
                                                                                         tmp_path):
    store, result = plain
    sent = by_email(store, smtp).publish(result, subject=SUBJECT)
    impostor = {"circularId": 40007, "subject": SUBJECT, "body": "Not ours.", "createdOn": 1735700000000,
                "submitter": "Bob at Nowhere <bob@example.org>"}
    tansu_broker.create_topic(CIRCULARS_TOPIC)
    tansu_broker.produce(CIRCULARS_TOPIC, [json.dumps(impostor).encode()])
    assert listen(store, tansu_broker, tmp_path, "numbers-3")["stored"] == 1
    assert publications.get(store, sent.publication).state == "sent"
