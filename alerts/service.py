"""Build the alert pipeline from the settings (shared by the CLI, the web app and the demo)."""

import logging

from .intake import Intake
from .retraction import mark_results
from .rules import RuleEngine
from .schemas import load, schema_dir

__all__ = ["Pipeline", "make_intake", "make_pipeline"]

log = logging.getLogger(__name__)


class Pipeline:
    """The intake followed by the follow-up rules: what a listener or a replay feeds.

    Parameters
    ----------
    intake : skyweave.alerts.intake.Intake
    rules : skyweave.alerts.rules.RuleEngine or None
    """

    def __init__(self, intake, rules=None):
        self.intake, self.rules = intake, rules

    def process(self, messages):
        """Store a batch (see `Intake.process`), fire the rules for it, then mark the results of
        retracted events (`skyweave.alerts.retraction.mark_results`); return the `IntakeReport`."""
        return self.complete(self.prepare(messages))

    def prepare(self, messages):
        """The part of `process` that reads nothing the pipeline writes (`Intake.prepare`)."""
        return self.intake.prepare(messages)

    def complete(self, prepared):
        """The rest of `process`, for a batch made by `prepare`; return the `IntakeReport`."""
        report = self.intake.complete(prepared)
        if self.rules is not None:
            report.fired = self.rules.fire(report, self.intake.instruments_of)
        events = set(report.events) | {a.event for a in report.redelivered}
        report.marked = mark_results(self.intake.store, events)
        return report


def make_intake(config, store):
    """Return an `Intake` configured by the settings.

    Parameters
    ----------
    config : Mapping
        Settings (``BASE_IRI``, ``DATA_DIR``, ``GCN_SCHEMA_DIR``, ``ALERT_MAX_BYTES``, ``ALERT_VALIDATE_SHAPES``).
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
                  max_bytes=config.get("ALERT_MAX_BYTES", 4 << 20),
                  validate_shapes=config.get("ALERT_VALIDATE_SHAPES", True))


def make_pipeline(config, store, jobs=None):
    """Return the `Pipeline` of the settings: the intake, and the rules when ``jobs`` (a JobManager) is given."""
    return Pipeline(make_intake(config, store), RuleEngine(store, jobs) if jobs is not None else None)
