"""The one registry of publishing channels, used by the web views and the CLI alike.

`PUBLISHERS` maps a service name to its channel class (an `~publishers.exactly_once.ExactlyOnce`
subclass); `make_publisher` builds one from the settings. Neither the views nor the CLI know anything
service-specific: each class says what it publishes (``collections``), how it is named (``title``,
``action``), how it is configured (``from_settings``) and what a preview shows (``preview``).
"""

from skyweave.catalog.exceptions import NotFound

from .gcn_circulars import GcnCircularPublisher
from .gcn_notices import GcnNoticePublisher
from .hopskotch import HopskotchPublisher
from .tns import TnsPublisher
from .workflowhub import WorkflowHubPublisher
from .zenodo import ZenodoPublisher

__all__ = ["PUBLISHERS", "REPORTS", "make_publisher", "channels_for"]

PUBLISHERS = {"zenodo": ZenodoPublisher, "workflowhub": WorkflowHubPublisher,
              "gcn-circulars": GcnCircularPublisher, "tns": TnsPublisher, "gcn-notices": GcnNoticePublisher,
              "hopskotch": HopskotchPublisher}
"""Service name (the ``sw:service`` of its publication records) -> channel class."""

REPORTS = {"circular": "gcn-circulars", "tns": "tns", "notice": "gcn-notices", "hop": "hopskotch"}
"""``skyweave report <kind>`` -> service name."""


def make_publisher(service, config, store, **options):
    """Build the channel for ``service`` from the settings.

    Parameters
    ----------
    service : str
        A key of `PUBLISHERS`.
    config : Mapping
        The settings (``BASE_IRI``, ``DATA_DIR`` and the service's own, e.g. ``ZENODO_TOKEN``).
    store : skyweave.catalog.store.Store
    **options
        Passed to the channel's ``from_settings`` (e.g. a circular's ``via="api"``).

    Returns
    -------
    publishers.exactly_once.ExactlyOnce

    Raises
    ------
    skyweave.catalog.exceptions.NotFound
        If the service is unknown.
    skyweave.catalog.exceptions.NotConfigured
        If its credentials are not configured.
    """
    try:
        channel = PUBLISHERS[service]
    except KeyError:
        raise NotFound(f"No publishing service {service!r}; use one of {', '.join(PUBLISHERS)}.") from None
    return channel.from_settings(config, store, **options)


def channels_for(collection):
    """Return ``[(service, channel class)]`` of the channels that publish records of ``collection``.

    Examples
    --------
    >>> [service for service, _ in channels_for("workflows")][:2]
    ['zenodo', 'workflowhub']
    """
    return [(name, cls) for name, cls in PUBLISHERS.items() if collection in cls.collections]
