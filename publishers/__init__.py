"""Publishers: send catalog records to outside services (Zenodo, WorkflowHub, GCN, TNS, Hopskotch).

Each service has one module with one channel class built on the exactly-once template
(`publishers.exactly_once`): ``prepare(iri)`` turns a catalog record into what the service needs (pure:
no remote call, raises `~publishers.outcomes.MissingMetadata` when the record lacks a mandatory field),
``publish(iri)`` sends it exactly once and returns a `~publishers.outcomes.PublishResult`. Progress is
kept in a ``sw:Publication`` record (`publishers.records`), written before the first remote call, so an
interrupted publication resumes instead of starting over. `publishers.registry.PUBLISHERS` is the one
list of channels the views and the CLI use.

This package never imports Flask, and this file imports only the shared types (no channel module), so
no module of the package imports it back.

References
----------
.. [1] ``specs/external-apis.md`` §0 (rules for every publisher), §1 (Zenodo), §6 (DataCite), §7 (failure
   matrix).
"""

from .outcomes import MissingMetadata, OutcomeUnknown, Publisher, PublishResult, UpstreamError

__all__ = ["UpstreamError", "OutcomeUnknown", "MissingMetadata", "PublishResult", "Publisher"]
