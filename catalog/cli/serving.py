"""Serving the web app from the command line: waitress, the SPARQL query workers, a background alert listener."""

import sys

import click

from .. import __version__

__all__ = ["serve_app", "background_listener", "start_listener", "start_query_workers", "exit_despite_running_queries"]


def serve_app(app, host, port):
    """Serve ``app`` with waitress (a production WSGI server) on ``host:port`` until interrupted."""
    from waitress import serve as waitress_serve

    import signal

    def stop(signum, frame):  # SIGTERM stops like Ctrl+C: the caller closes the app gracefully
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    click.echo(f"skyweave {__version__} serving on http://{host}:{port}/  (Ctrl+C to stop)")
    try:
        waitress_serve(app, host=host, port=port, threads=8, ident="skyweave", _quiet=True)
    except KeyboardInterrupt:
        click.echo("Stopping: queued runs stay queued for the next start; executing runs are filed as stopped.",
                   err=True)
    finally:
        signal.signal(signal.SIGTERM, previous)


def background_listener(app):
    """Start an alert listener thread over the app's store and runners; return the `Listener`."""
    listener, _ = start_listener(app, app.config)
    return listener


def start_listener(app, config):
    """Start a listener of ``config["ALERT_TOPICS"]`` in a daemon thread; return it and the thread.

    The listener stores alerts with the app's store and runners, and fills in the numbers of circulars
    sent by e-mail when they appear on ``gcn.circulars``.
    """
    import threading

    from skyweave.alerts.listen import Listener, make_consumer
    from skyweave.alerts.service import make_pipeline
    from skyweave.publishers.circular_numbers import CircularNumbers

    try:
        consumer = make_consumer(config)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    listener = Listener(make_pipeline(config, app.extensions["store"], app.extensions["jobs"]), consumer,
                        config["ALERT_TOPICS"], batch_size=config["ALERT_BATCH"],
                        on_stored=CircularNumbers.from_settings(config, app.extensions["store"]))
    thread = threading.Thread(target=listener.run, name="alert-listener", daemon=True)
    thread.start()
    click.echo(f"listening to {', '.join(config['ALERT_TOPICS'])} beside the web app", err=True)
    return listener, thread


def start_query_workers(pool):
    """Start the SPARQL query worker processes, saying how many (or why not) on stderr."""
    from ..exceptions import CatalogError

    try:
        pool.start()
    except CatalogError as exc:
        click.echo(f"The SPARQL query workers did not start: {exc.detail}", err=True)
        return
    click.echo(f"SPARQL queries run in {pool.processes} worker processes.", err=True)


def exit_despite_running_queries():
    """After a graceful stop (runs filed, store flushed and closed), exit even if a SPARQL query is
    still computing one big step: its thread cannot be interrupted and would hold the process."""
    import os
    import threading

    if any(t.name.startswith("sparql") and t.is_alive() for t in threading.enumerate()):
        click.echo("A query was still running; exiting without waiting for it.", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
