"""Publishers: deposit workflows and results with outside services (Zenodo, WorkflowHub, GCN, TNS).

Each service has one module and one class following the `Publisher` protocol: ``prepare(iri)`` turns a
catalog record into what the service needs (pure: no remote call, raises
`~publishers.datacite.MissingMetadata` when the record lacks a mandatory field), ``publish(iri)``
deposits it exactly once and returns a `PublishResult`. Progress is kept in a ``sw:Publication``
record (`publishers.records`), written before the first remote call, so an interrupted publication
resumes instead of starting over.

This package never imports Flask: views and the CLI construct a publisher with settings and call it.

References
----------
.. [1] ``specs/external-apis.md`` §0 (rules for every publisher), §1 (Zenodo), §6 (DataCite), §7 (failure
   matrix).
"""

from .outcomes import OutcomeUnknown, Publisher, PublishResult, UpstreamError
from .workflowhub import WorkflowHubPublisher
from .zenodo import ZenodoPublisher

__all__ = ["UpstreamError", "OutcomeUnknown", "PublishResult", "Publisher", "PUBLISHERS"]

PUBLISHERS = {"zenodo": ZenodoPublisher, "workflowhub": WorkflowHubPublisher}
"""Service name -> publisher class."""
