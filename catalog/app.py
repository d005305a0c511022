"""The application factory: settings -> store -> blueprints -> error handlers."""

import secrets
import tomllib
from pathlib import Path

from flask import Flask, jsonify

from . import __version__, errors, settings, store
from .views import graphs, home, lists, ontology, publish, records, runs, search, sky, sparql, workflows

__all__ = ["create_app", "close_app", "init_runners", "PROJECT_DIR", "TEMPLATES_DIR", "STATIC_DIR"]

PROJECT_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_DIR / "templates"
STATIC_DIR = PROJECT_DIR / "static"


def create_app(test_config=None):
    """Create the skyweave web application.

    Parameters
    ----------
    test_config : Mapping or None
        Settings that replace the configuration files and environment (for tests and the CLI);
        when None, ``instance/skyweave.toml`` and ``SKYWEAVE_*`` environment variables are read.

    Returns
    -------
    flask.Flask
        With the store opened at ``app.extensions["store"]``.

    Raises
    ------
    ValueError
        If the store settings are inconsistent (see `catalog.store.open_store`).
    """
    app = Flask(
        __name__, template_folder=str(TEMPLATES_DIR), static_folder=str(STATIC_DIR),
        instance_path=str(PROJECT_DIR / "instance"), instance_relative_config=True,
    )
    app.config.from_mapping(settings.defaults())
    app.config.from_file("skyweave.toml", load=tomllib.load, text=False, silent=True)
    app.config.from_prefixed_env("SKYWEAVE")
    if test_config is not None:
        app.config.update(test_config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if not app.config["BASE_IRI"].endswith("/"):
        app.config["BASE_IRI"] += "/"
    app.json.sort_keys = False
    store.init_app(app)
    init_runners(app)
    for module in (home, lists, search, sparql, ontology, sky, graphs, runs, workflows, publish, records):
        app.register_blueprint(module.bp)
    errors.init_app(app)
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


def data_version():
    """Return the version of the bundled input data: the SHA-256 of its checksum file (or "")."""
    import hashlib

    sums = PROJECT_DIR / "data" / "gammapy-data.sha256"
    return hashlib.sha256(sums.read_bytes()).hexdigest()[:16] if sums.exists() else ""


def init_runners(app):
    """Attach a `runners.jobs.JobManager` (with the configured executor) as ``app.extensions['jobs']``.

    Parameters
    ----------
    app : flask.Flask
    """
    from runners.executors import make_executor
    from runners.jobs import JobManager
    from runners.notebook import environment_defaults

    from .sky import target_resolver

    store_ = app.extensions["store"]
    jobs = JobManager(
        store_, app.config["BASE_IRI"], app.config["DATA_DIR"], make_executor(app.config),
        timeout_s=app.config["RUN_TIMEOUT_S"], env=environment_defaults(), data_version=data_version(),
        resolve_target=target_resolver(store_),
    )
    app.extensions["jobs"] = jobs
    if app.config["RUNNER_RECOVER"]:
        jobs.recover()


def close_app(app):
    """Stop the app's runners and close its store."""
    app.extensions["jobs"].close()
    app.extensions["store"].close()
