"""The application factory: settings -> store -> blueprints -> error handlers."""

import secrets
import tempfile
import tomllib
from pathlib import Path

from flask import Flask, jsonify

from .. import __version__, settings
from ..resources import bundled, user_data_dir
from ..storage import open_store
from . import csrf, handlers, headers
from .views import alerts, graphs, home, lists, ontology, publish, records, runs, search, sky, sparql, workflows

__all__ = ["create_app", "close_app", "init_runners"]


def create_app(test_config=None):
    """Create the skyweave web application.

    Parameters
    ----------
    test_config : Mapping or None
        Settings for tests: when given, neither ``skyweave.toml`` nor ``SKYWEAVE_*`` environment
        variables are read, and ``DATA_DIR`` defaults to a new temporary folder. When None, the
        defaults are overridden by ``{DATA_DIR}/skyweave.toml``, then by ``SKYWEAVE_*`` variables;
        ``DATA_DIR`` is ``SKYWEAVE_DATA_DIR`` or the per-user data folder
        (`skyweave.catalog.resources.user_data_dir`).

    Returns
    -------
    flask.Flask
        With the store opened at ``app.extensions["store"]``.

    Raises
    ------
    ValueError
        If the store settings are inconsistent (see `skyweave.catalog.storage.open_store`).
    """
    if test_config is None:
        data_dir = user_data_dir()
    else:
        data_dir = Path(test_config.get("DATA_DIR") or tempfile.mkdtemp(prefix="skyweave-test-"))
    app = Flask(
        __name__, template_folder=str(bundled("templates")), static_folder=str(bundled("static")),
        instance_path=str(data_dir.resolve()), instance_relative_config=True,
    )
    app.config.from_mapping(settings.defaults())
    app.config["DATA_DIR"] = str(data_dir)
    if test_config is None:
        app.config.from_file("skyweave.toml", load=tomllib.load, text=False, silent=True)
        app.config.from_prefixed_env("SKYWEAVE")
    else:
        app.config.update(test_config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if not app.config["BASE_IRI"].endswith("/"):
        app.config["BASE_IRI"] += "/"
    app.json.sort_keys = False
    init_store(app)
    init_runners(app)
    for module in (home, lists, search, sparql, ontology, sky, graphs, runs, workflows, publish, alerts, records):
        app.register_blueprint(module.bp)
    handlers.init_app(app)
    csrf.init_app(app)
    headers.init_app(app)
    app.jinja_env.globals.update(version=__version__)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.get("/-/settings.json")
    def settings_json():
        return jsonify(settings.redacted(app.config))

    @app.get("/-/health")
    def health():
        return jsonify({"ok": True, "version": __version__, "store": app.config["STORE"]})

    return app


def init_store(app):
    """Open the configured store, install the ontology graph, and attach it as ``app.extensions['store']``.

    Parameters
    ----------
    app : flask.Flask
    """
    store = open_store(app.config)
    store.install_ontology()
    app.extensions["store"] = store


def data_version():
    """Return the version of the bundled input data: the SHA-256 of its checksum file (or "")."""
    import hashlib

    sums = bundled("data") / "gammapy-data.sha256"
    return hashlib.sha256(sums.read_bytes()).hexdigest()[:16] if sums.exists() else ""


def init_runners(app):
    """Attach a `runners.jobs.JobManager` (with the configured executor) as ``app.extensions['jobs']``.

    Parameters
    ----------
    app : flask.Flask
    """
    from skyweave.runners.executors import make_executor
    from skyweave.runners.jobs import JobManager
    from skyweave.runners.limits import RunLimits
    from skyweave.runners.notebook import environment_defaults

    from ..sky import target_resolver

    store_ = app.extensions["store"]
    jobs = JobManager(
        store_, app.config["BASE_IRI"], app.config["DATA_DIR"], make_executor(app.config),
        timeout_s=app.config["RUN_TIMEOUT_S"], env=environment_defaults(), data_version=data_version(),
        resolve_target=target_resolver(store_),
        limits=RunLimits(app.config["RUN_QUEUE_PER_CLIENT"], app.config["RUN_QUEUE_MAX"],
                         app.config["RESULT_STORAGE_MAX_BYTES"], Path(app.config["DATA_DIR"]) / "files"),
        abort_wait_s=app.config["RUN_ABORT_WAIT_S"],
    )
    app.extensions["jobs"] = jobs
    if app.config["RUNNER_RECOVER"]:
        jobs.recover()


def close_app(app):
    """Stop the app's runners and close its store."""
    app.extensions["jobs"].close()
    app.extensions["store"].close()
