"""Build the alert intake from the settings (shared by the CLI, the web app and the demo)."""

import logging

from .intake import Intake
from .schemas import load, schema_dir

__all__ = ["make_intake"]

log = logging.getLogger(__name__)


def make_intake(config, store):
    """Return an `Intake` configured by the settings.

    Parameters
    ----------
    config : Mapping
        Settings (``BASE_IRI``, ``DATA_DIR``, ``GCN_SCHEMA_DIR``, ``ALERT_MAX_BYTES``).
    store : skyweave.catalog.store.Store

    Returns
    -------
    skyweave.alerts.intake.Intake
        GCN notices are checked against their schema when ``@nasa-gcn/schema`` is found (a
        warning is logged when it is not).
    """
    folder = schema_dir(config.get("GCN_SCHEMA_DIR", ""))
    if folder is None:
        log.warning("@nasa-gcn/schema not found: GCN notices are not checked against their schema "
                    "(python3 .ci/dev.py fetches it; or set GCN_SCHEMA_DIR)")
    return Intake(store, config["BASE_IRI"], config["DATA_DIR"], schemas=load(str(folder)) if folder else None,
                  max_bytes=config.get("ALERT_MAX_BYTES", 4 << 20))
