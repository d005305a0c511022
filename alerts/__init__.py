"""Alerts in: GCN, IGWN and Hopskotch messages become alert and event records of the catalog.

The intake runs one way: a `Message` (raw bytes and where they came from) is parsed
(`skyweave.alerts.parse`) into an `~skyweave.alerts.model.ParsedAlert`, turned into records
(`skyweave.alerts.records`), cross-matched with the catalogued targets
(`skyweave.alerts.crossmatch`) and stored in batches (`skyweave.alerts.intake`). Messages that
cannot become alerts are kept as quarantined records. The Kafka listener
(`skyweave.alerts.listen`) commits a message's offset only after its record is stored; replay
(`skyweave.alerts.intake.replay_paths`) feeds files through the same pipeline.

This package uses the catalog core and the runners, never the web framework.
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone

__all__ = ["Message"]


@dataclass(frozen=True)
class Message:
    """One message as it arrived, before anything is read from it.

    Attributes
    ----------
    payload : bytes
        The raw message value.
    topic : str
        The Kafka topic, or ``replay:<file name>`` for a replayed file.
    partition, offset : int or None
        Kafka partition and offset (None for replayed files).
    received : datetime.datetime
        When it was received (UTC).
    headers : dict of str to bytes
        Kafka headers (hop-client's ``_id``, ``_format``, ``_test``, ...).
    """

    payload: bytes
    topic: str
    partition: int | None = None
    offset: int | None = None
    received: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    headers: dict = field(default_factory=dict)
