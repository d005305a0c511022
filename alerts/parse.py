"""Tell a message's format from its bytes and read it: GCN notice, circular, VOEvent or IGWN alert.

References
----------
.. [1] GCN Kafka topics and formats, https://gcn.nasa.gov/docs/notices
"""

import json

from .gcn import parse_circular, parse_notice
from .igwn import decode_avro, looks_like_igwn, parse_igwn
from .model import Unusable
from .voevent import parse_voevent

__all__ = ["parse_message", "MAX_BYTES"]

MAX_BYTES = 4 * 1024 * 1024
"""Largest payload read (GCN's Kafka limit is about 4 MiB)."""


def parse_message(payload, schemas=None, max_bytes=MAX_BYTES):
    """Read one message.

    Parameters
    ----------
    payload : bytes
    schemas : skyweave.alerts.schemas.SchemaSet or None
        GCN schemas to validate unified notices against.
    max_bytes : int
        Larger payloads are refused.

    Returns
    -------
    skyweave.alerts.model.ParsedAlert

    Raises
    ------
    skyweave.alerts.model.Unusable
        With a readable reason, for anything that cannot become an alert.

    Examples
    --------
    >>> parse_message(b'{"superevent_id": "S250101ab", "alert_type": "RETRACTION", "event": null}').event_name
    'S250101ab'
    >>> try:
    ...     parse_message(b'{"ra": 1')
    ... except Unusable as exc:
    ...     print(exc)
    The message is not valid JSON: Expecting ',' delimiter: line 1 column 9 (char 8)
    """
    if len(payload) > max_bytes:
        raise Unusable(f"The message has {len(payload)} bytes, over the limit of {max_bytes}.")
    if payload[:4] == b"Obj\x01":
        data = decode_avro(payload)
        if looks_like_igwn(data):
            return parse_igwn(data)
        raise Unusable("An Avro message that is not an IGWN alert.")
    if payload.lstrip()[:1] == b"<":
        return parse_voevent(payload)
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Unusable(f"The message is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Unusable(f"The message is JSON but not an object ({type(data).__name__}).")
    schema = str(data.get("$schema") or "")
    if "/gcn/notices/" in schema:
        return parse_notice(data, schemas)
    if "circularId" in data:
        return parse_circular(data)
    if looks_like_igwn(data):
        return parse_igwn(data)
    if schema:
        raise Unusable(f"Unknown $schema {schema!r}: not a GCN notice, circular or IGWN alert.")
    raise Unusable("Unknown message: not a GCN notice ($schema), circular (circularId), "
                   "IGWN alert (superevent_id) or VOEvent.")
