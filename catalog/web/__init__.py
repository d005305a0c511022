"""The web app: the Flask application factory, views, content negotiation and error handlers.

Nothing outside this package (and the CLI) imports Flask: the core, the runners and the publishers
stay usable from scripts, workers and notebooks.
"""

from flask import current_app

__all__ = ["get_store", "get_jobs"]


def get_store():
    """Return the store of the current Flask app (`skyweave.catalog.store.Store`)."""
    return current_app.extensions["store"]


def get_jobs():
    """Return the runs of the current Flask app (`skyweave.runners.jobs.JobManager`)."""
    return current_app.extensions["jobs"]
