"""Local stand-ins of the outside services the publishers talk to (test equipment, never product code).

Each stand-in is a small Flask app that follows a contract of ``specs/external-apis.md`` and is wrapped by
the shared harness of its §0.1 (`tests.standins.harness`): request recording, the ``/__standin__/`` control
API, injected faults and rate limiting. `StandIn` serves one on ``127.0.0.1`` and an ephemeral port.
"""

from .harness import FaultRule, Harness, RecordedRequest, StandIn, install

__all__ = ["FaultRule", "Harness", "RecordedRequest", "StandIn", "install"]
