"""The ``skyweave`` command: thin commands over the library (see ``skyweave --help``)."""

import json
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import click

from .. import __version__
from .demo import register_workflows, replay_alerts, report_standins, zenodo_standin
from .serving import background_listener, exit_despite_running_queries, serve_app, start_query_workers

__all__ = ["cli"]


@contextmanager
def opened_app():
    """Create the app from the configuration (files, environment) and close its store on exit.

    Raises
    ------
    click.ClickException
        If the store cannot be opened (for example, another process holds the on-disk store).
    """
    from ..web.app import create_app

    try:
        app = create_app()
    except OSError as exc:
        raise click.ClickException(
            f"Cannot open the store ({exc}). Is another skyweave process using it?"
        ) from None
    try:
        yield app
    finally:
        from ..web.app import close_app

        close_app(app)


@click.group()
@click.version_option(__version__, prog_name="skyweave")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of the store, result files and skyweave.toml (default: SKYWEAVE_DATA_DIR, else the "
                   "per-user data folder)")
def cli(data_dir):
    """skyweave: a linked-data catalog of multi-messenger astronomy workflows, targets and observations."""
    if data_dir is not None:
        import os

        os.environ["SKYWEAVE_DATA_DIR"] = str(data_dir.resolve())


@cli.command()
def info():
    """Print the version and where the data, settings, store and bundled files are."""
    import platform

    from ..resources import bundled, user_data_dir
    from ..settings import defaults

    data_dir = user_data_dir()
    config = defaults()
    settings_file = data_dir / "skyweave.toml"
    store = os.environ.get("SKYWEAVE_STORE", config["STORE"])
    if settings_file.is_file():
        import tomllib

        store = os.environ.get("SKYWEAVE_STORE", tomllib.loads(settings_file.read_text()).get("STORE", store))
    where = {"embedded": str(data_dir / "store"), "memory": "(in memory, gone on exit)"}.get(
        store, os.environ.get("SKYWEAVE_REMOTE_QUERY_URL", "(REMOTE_QUERY_URL)"))
    rows = [
        ("skyweave", __version__),
        ("python", platform.python_version()),
        ("data folder", str(data_dir)),
        ("settings file", f"{settings_file}" + ("" if settings_file.is_file() else " (absent: defaults and SKYWEAVE_* apply)")),
        ("store", f"{store}: {where}"),
        ("result files", str(data_dir / "files")),
        ("bundled files", str(bundled("ontology").parent)),
    ]
    for name, value in rows:
        click.echo(f"{name:14} {value}")


@cli.command()
def init():
    """Create the store (if needed) and install the ontology."""
    with opened_app() as app:
        click.echo(f"Store ready ({app.config['STORE']}) in {app.config['DATA_DIR']}")


def load_records(store, records, label="Loading records"):
    """Load ``(iri, graph)`` records with a progress bar on stderr.

    Parameters
    ----------
    store : catalog.store.Store
    records : iterable of (rdflib.URIRef, rdflib.Graph)
    label : str
        Text beside the progress bar.

    Returns
    -------
    catalog.loading.LoadReport
        Created, replaced (versions kept), unchanged (skipped) and rejected records.
    """
    from ..loading import load_records as load_into

    records = list(records)
    with click.progressbar(length=len(records), label=label, file=sys.stderr) as bar:
        report = load_into(store, records, progress=bar.update)
    return report


def _report_rejected(rejected):
    for iri, report in rejected:
        click.echo(f"rejected <{iri}>:", err=True)
        for r in report.results:
            click.echo(f"  {r.path or ''}: {r.message}", err=True)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(files):
    """Load records from Turtle, JSON-LD or N-Triples FILES (validated; rejected records are reported)."""
    from ..exceptions import BadRequest
    from ..loading import read_file, split_records

    failed = False
    with opened_app() as app:
        store = app.extensions["store"]
        for path in files:
            try:
                graph = read_file(path)
            except BadRequest as exc:
                click.echo(f"error: {exc.detail}", err=True)
                failed = True
                continue
            records, leftover = split_records(graph, app.config["BASE_IRI"])
            report = load_records(store, records, label=path.name)
            click.echo(f"{path.name}: {len(report.stored)} records stored, {len(report.rejected)} rejected: "
                       f"{len(report.created)} created, {len(report.replaced)} replaced (earlier content kept as "
                       f"versions), {len(report.unchanged)} unchanged"
                       + (f"; {leftover} triples outside any record ignored" if leftover else ""))
            _report_rejected(report.rejected)
            failed = failed or bool(report.rejected)
    if failed:
        sys.exit(1)


@cli.command()
def reindex():
    """Rebuild the side indexes (list order, facets, sky pixels, full text) from the store.

    Writes made through skyweave keep them in step; run this after changing the store folder with
    another tool (an ``oxigraph load``, a restored backup).
    """
    with opened_app() as app:
        store = app.extensions["store"]
        if getattr(store, "index", None) is None:
            raise click.ClickException("This store keeps no side index (remote mode queries the server directly).")
        with click.progressbar(length=0, label="indexing records", file=sys.stderr, show_pos=True) as bar:
            n = store.index.rebuild(store, progress=lambda done: bar.update(done - bar.pos))
        click.echo(f"indexed {n} records (every named graph describing its own name)")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file):
    """Validate the records in FILE against the shapes; print the SHACL report (exit 1 on violation)."""
    from ..exceptions import BadRequest
    from ..loading import read_file
    from ..validate import referenced_iris
    from ..validate import validate as shacl_validate

    try:
        graph = read_file(file)
    except BadRequest as exc:
        raise click.ClickException(exc.detail) from None
    with opened_app() as app:
        context = app.extensions["store"].types_of(referenced_iris(graph))
    report = shacl_validate(graph, context=context)
    if report.conforms:
        click.echo(f"{file.name}: conforms ({len(graph)} triples)")
        return
    click.echo(report.text())
    click.echo(f"{file.name}: {len(report.results)} problems", err=True)
    sys.exit(1)


@cli.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "tsv", "xml", "ttl", "nt", "jsonld"]),
              default="table", show_default=True, help="Output format")
def query(query, fmt):
    """Run a SPARQL QUERY (text, or the path of a .rq file) over the catalog."""
    from ..exceptions import CatalogError
    from ..results import AskResult, GraphResult, serialize_result

    text = _query_source(query)
    with opened_app() as app:
        try:
            result = app.extensions["store"].query(text)
        except CatalogError as exc:
            raise click.ClickException(exc.detail) from None
    if isinstance(result, GraphResult):
        rdf = {"ttl": "skyweave-turtle", "nt": "nt", "jsonld": "json-ld"}.get(fmt, "skyweave-turtle")
        click.echo(result.graph.serialize(format=rdf))
    elif isinstance(result, AskResult):
        click.echo(json.dumps(result.value) if fmt in ("table", "json") else serialize_result(result, fmt).decode())
    elif fmt == "table":
        _echo_table(result)
    else:
        click.echo(serialize_result(result, fmt if fmt in ("json", "csv", "tsv", "xml") else "json").decode(), nl=False)


def _query_source(argument):
    """Return the query text of ``argument``: the content of the file it names, else the argument itself."""
    try:
        is_file = Path(argument).is_file()
    except (OSError, ValueError):  # too long or otherwise impossible as a file name: it is the query
        is_file = False
    return Path(argument).read_text(encoding="utf-8") if is_file else argument


def _echo_table(result):
    rows = [["" if t is None else str(t) for t in row] for row in result.rows]
    widths = [min(60, max([len(v)] + [len(r[i]) for r in rows])) for i, v in enumerate(result.vars)]
    click.echo("  ".join(v.ljust(w) for v, w in zip(result.vars, widths)))
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo("  ".join(c[:w].ljust(w) for c, w in zip(row, widths)))
    click.echo(f"({len(rows)} rows)", err=True)


@cli.command()
@click.argument("path")
@click.option("--accept", default="text/html", show_default=True, help="Accept header to send")
def get(path, accept):
    """Make one in-process GET request for PATH and print the body (exit 1 unless 2xx)."""
    with opened_app() as app, app.test_client() as client:
        response = client.get(path, headers={"Accept": accept})
        body = response.get_data(as_text=True)
    click.echo(body, nl=False)
    if not 200 <= response.status_code < 300:
        click.echo(f"\n{response.status}", err=True)
        sys.exit(1)


@cli.command()
@click.argument("source")
def add(source):
    """Register every workflow notebook of SOURCE: a folder, or a git repository GIT_URL[@REV].

    Test notebooks (test_*.ipynb) run first; a version whose tests fail is catalogued as failing
    and not offered for runs. Re-adding after a new commit adds a new version. A notebook whose
    annotations are wrong is refused (with notebook, cell and line) without refusing the others.
    Exit status 1 if any notebook was refused or any test failed.
    """
    from skyweave.runners.annotations import AnnotationError
    from skyweave.runners.registry import register

    from ..exceptions import CatalogError

    with opened_app() as app:
        jobs = app.extensions["jobs"]
        kernels = getattr(jobs.executor, "kernels", None)
        try:
            added = register(source, app.extensions["store"], app.config["BASE_IRI"], app.config["DATA_DIR"],
                             kernels, env=jobs.env, progress=lambda message: click.echo(f"  {message}", err=True))
        except (AnnotationError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        except CatalogError as exc:
            raise click.ClickException(exc.detail) from None
    for r in added:
        state = "added" if r.added else "already catalogued"
        click.echo(f"{r.iri}  version {r.version}  {state}  tests: {r.test_status}")
    for error in added.refused:
        click.echo(f"refused  {error}")
    if added.refused:
        click.echo(f"{len(added.refused)} notebook(s) refused; see {added.repository}", err=True)
    if added.refused or any(r.test_status == "failed" for r in added):
        sys.exit(1)


@cli.command()
@click.argument("workflow", required=False)
@click.option("--sample", type=int, default=0, show_default=True,
              help="Also re-compute this many recent cached runs and flag outputs that changed")
def verify(workflow, sample):
    """Re-run workflows with published references in fresh kernels: reproduced or drift.

    WORKFLOW (a name such as hess-spectrum) limits it to one workflow. Each outcome is stored as a
    sw:Verification record; the exit status is 1 if any reference drifted, failed, or a cached
    run's outputs changed.
    """
    from skyweave.runners.verify import verify as verify_references

    with opened_app() as app:
        report = verify_references(app.extensions["store"], app.extensions["jobs"], app.config["BASE_IRI"],
                                   workflow=workflow, sample=sample, timeout_s=app.config["RUN_TIMEOUT_S"],
                                   progress=lambda message: click.echo(f"  {message}", err=True))
    if not report.checks and not report.cache:
        raise click.ClickException(f"No reference for {workflow or 'any workflow'}.")
    for c in report.checks:
        published = (f"{c.published['min']:g}-{c.published['max']:g}" if "min" in c.published
                     else f"{c.published['value']:g} ± {c.published['uncertainty']:g}")
        measured = "-" if c.measured is None else f"{c.measured:.4g}" + (
            "" if c.measured_uncertainty is None else f" ± {c.measured_uncertainty:.2g}")
        click.echo(f"{c.outcome:10}  {c.workflow.rsplit('/', 1)[-1]}  {c.output}: {measured}  published "
                   f"{published}  ({c.citation.split(':')[0]})")
    for c in report.cache:
        click.echo(f"{'same' if c.same else 'CHANGED':10}  cached {c.run}: {', '.join(c.changed) or 'outputs match'}")
    if any(c.outcome != "reproduced" for c in report.checks) or any(not c.same for c in report.cache):
        sys.exit(1)


def _parse_parameters(pairs):
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r}: write parameters as name=value", param_hint="-p")
        values[name.strip()] = value
    return values


@cli.command()
@click.argument("workflow")
@click.option("-p", "--parameter", "pairs", multiple=True, help="A parameter value, name=value (repeatable)")
@click.option("--server", default=None, help="Submit to a running skyweave at this URL instead of running here")
@click.option("--wait/--no-wait", default=True, show_default=True, help="With --server: wait for the run to end")
def run(workflow, pairs, server, wait):
    """Run WORKFLOW (a slug such as hess-spectrum, or hess-spectrum-v2) with -p name=value values.

    Without --server the run executes in this process, with a progress bar, and the command ends
    with it (exit 1 unless it COMPLETED).
    """
    values = _parse_parameters(pairs)
    if server:
        return _run_remote(server.rstrip("/"), workflow, values, wait)
    from skyweave.runners.params import ParameterErrors

    from skyweave.runners.status import run_status
    from skyweave.runners.registry import latest_version

    from ..exceptions import CatalogError

    with opened_app() as app:
        store, jobs, base = app.extensions["store"], app.extensions["jobs"], app.config["BASE_IRI"]
        iri = f"{base}workflows/{workflow}"
        if not store.exists(iri):
            iri = latest_version(store, base, workflow) or iri
        try:
            submission = jobs.submit(iri, values, user="command line")
        except ParameterErrors as exc:
            for name, message in exc.errors:
                click.echo(f"  {name}: {message}", err=True)
            raise click.BadParameter("some values are not valid; nothing was run", param_hint="-p") from None
        except CatalogError as exc:
            raise click.ClickException(exc.detail) from None
        click.echo(f"run {submission.run_iri}" + (" (cached result)" if submission.cached else ""), err=True)
        _wait_with_progress(lambda: (jobs.phase(submission.run_iri), jobs.progress(submission.run_iri)))
        status = run_status(store, jobs, base, submission.run_iri)
        status["run"] = submission.run_iri
    _print_status(status)


def _wait_with_progress(poll):
    import time

    phase, progress = poll()
    with click.progressbar(length=1000, label="running", file=sys.stderr, show_eta=False) as bar:
        shown = 0
        while phase not in ("COMPLETED", "ERROR", "ABORTED"):
            if progress and progress[1]:
                target = int(1000 * progress[0] / progress[1])
                bar.update(max(0, target - shown))
                shown = max(shown, target)
            time.sleep(0.2)
            phase, progress = poll()
        bar.update(1000 - shown)
    return phase


def _print_status(status):
    click.echo(f"{status['phase']}  {status['run']}")
    texts = status.get("value_text", {})  # with units and errors (a remote server may predate them)
    for name, value in status["values"].items():
        click.echo(f"  {name} = {texts.get(name, value)}")
    for result in status["results"]:
        click.echo(f"  {result['output']}: {result['file']}")
    if status.get("error"):
        click.echo(f"error: {status['error']}", err=True)
    if status["phase"] != "COMPLETED":
        sys.exit(1)


def _run_remote(server, workflow, values, wait):
    import requests

    response = requests.post(f"{server}/workflows/{workflow}/runs", json={"parameters": values},
                             headers={"Accept": "application/json"}, allow_redirects=False, timeout=60)
    if response.status_code == 422:
        for error in response.json().get("errors", []):
            click.echo(f"  {error['path']}: {error['message']}", err=True)
        raise click.BadParameter("some values are not valid; nothing was run", param_hint="-p")
    if response.status_code != 303:
        raise click.ClickException(f"{server} answered {response.status_code}: {response.text[:300]}")
    run_url = response.json()["run"]
    click.echo(f"run {run_url}", err=True)
    if not wait:
        return

    def poll():
        status = requests.get(run_url, headers={"Accept": "application/json"}, timeout=30).json()
        progress = status.get("progress") or {}
        return status["phase"], (progress.get("cells_done", 0), progress.get("cells_total", 0))

    _wait_with_progress(poll)
    _print_status(requests.get(run_url, headers={"Accept": "application/json"}, timeout=30).json())


@cli.command()
@click.argument("record")
@click.option("--to", "service", default="zenodo", show_default=True,
              help="The publishing channel (a name of skyweave.publishers.registry.PUBLISHERS)")
@click.option("--dry-run", is_flag=True, help="Print the metadata and files that would be sent, and stop")
def publish(record, service, dry_run):
    """Publish RECORD (an IRI, or a path such as /results/<id> or workflows/<name>-v1) and print its DOI.

    The service's host is the ZENODO_BASE_URL setting (the sandbox unless configured otherwise);
    the token comes from SKYWEAVE_ZENODO_TOKEN. Publishing is done exactly once.
    """
    from skyweave.publishers.registry import make_publisher

    from ..exceptions import CatalogError

    with opened_app() as app:
        base = app.config["BASE_IRI"]
        iri = record if record.startswith(("http://", "https://")) else base + record.lstrip("/")
        try:
            publisher = make_publisher(service, app.config, app.extensions["store"])
            if dry_run:
                _print_preview(publisher, iri)
                return
            result = publisher.publish(iri)
        except CatalogError as exc:
            raise click.ClickException(str(exc)) from None
    where = f"https://doi.org/{result.identifier}" if result.identifier.startswith("10.") else result.url
    click.echo(f"{result.identifier}  {where}" + ("  (already published)" if result.reused else ""))


@cli.command()
@click.argument("kind")
@click.argument("record")
@click.option("--via", type=click.Choice(["email", "api"]), default=None,
              help="circular: send by e-mail (default, GCN_CIRCULARS_VIA) or by the GCN API")
@click.option("--topic", default=None, help="hop: the Hopskotch topic (default: the HOP_TOPIC setting)")
@click.option("--subject", default=None, help="circular: the subject to send instead of the draft's")
@click.option("--body-file", type=click.File("r", encoding="utf-8"), default=None,
              help="circular: a file with the edited body (start from --dry-run's output)")
@click.option("--set", "facts", multiple=True, metavar="NAME=VALUE",
              help="tns: a fact of the AT report you measured (repeatable), e.g. --set discovery_mag=18.2 "
                   "--set filterid=111; it wins over the record's and is recorded as supplied by you. "
                   "Names: ra, dec (deg), position_error_arcsec, discovery_time, last_nondetection_time (UTC), "
                   "discovery_mag, discovery_mag_err, limiting_mag (mag), filterid, instrumentid, flux_unitid, "
                   "at_type, reporting_groupid, data_source_groupid")
@click.option("--dry-run", is_flag=True, help="Print exactly what would be sent, and where, and stop")
def report(kind, record, via, topic, subject, body_file, facts, dry_run):
    """Report RECORD (a result or event IRI or path) as KIND: circular (a GCN Circular), notice (a GCN Kafka
    notice), tns (a TNS AT report) or hop (a Hopskotch message).

    The text is drafted from the record's RDF; it is sent exactly once (sending again prints the earlier
    outcome). Hosts and credentials are settings (GCN_*; secrets from the environment only).
    """
    from skyweave.publishers.registry import PUBLISHERS, REPORTS, make_publisher

    from ..exceptions import CatalogError

    if kind not in REPORTS:
        raise click.BadParameter(f"{kind!r}; use one of {', '.join(REPORTS)}", param_hint="KIND")
    options = {k: v for k, v in (("via", via), ("topic", topic)) if v}
    for name in options:
        if name not in PUBLISHERS[REPORTS[kind]].options:
            raise click.BadParameter(f"--{name} does not apply to {kind}", param_hint=f"--{name}")
    edits = {k: v for k, v in (("subject", subject), ("body", body_file.read() if body_file else None)) if v}
    if facts and not getattr(PUBLISHERS[REPORTS[kind]], "fields", None):
        raise click.BadParameter(f"does not apply to {kind}", param_hint="--set")
    for fact in facts:
        name, sep, value = fact.partition("=")
        if not sep or name.strip() not in PUBLISHERS[REPORTS[kind]].editable:
            raise click.BadParameter(f"{fact!r}: expected NAME=VALUE with NAME one of "
                                     f"{', '.join(PUBLISHERS[REPORTS[kind]].editable)}", param_hint="--set")
        edits[name.strip()] = value.strip()
    with opened_app() as app:
        base = app.config["BASE_IRI"]
        iri = record if record.startswith(("http://", "https://")) else base + record.lstrip("/")
        try:
            publisher = make_publisher(REPORTS[kind], app.config, app.extensions["store"], **options)
            if facts:
                import getpass

                publisher.agent = f"a person on the command line (user {getpass.getuser()})"
            if dry_run:
                click.echo(f"to {publisher.base_url}", err=True)
                _print_preview(publisher, iri, **edits)
                return
            result = publisher.publish(iri, **edits)
        except CatalogError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{result.identifier or '-'}  {result.url or ''}  {result.summary}".replace("   ", " "))


def _print_preview(publisher, iri, **edits):
    """Print exactly what publishing ``iri`` would send: message text, JSON metadata, files; and on
    standard error the terms of the data it derives from (`skyweave.publishers.terms`)."""
    for item in (publisher.terms.describe(iri) if publisher.terms is not None else []):
        click.echo(f"Terms of the data: {item['message']}", err=True)
    prepared = publisher.prepare(iri, **edits)
    try:
        shown = publisher.preview(prepared)
    finally:
        publisher.cleanup(prepared)
    if shown.get("text"):
        click.echo(shown["text"])
    if shown.get("metadata") is not None:
        click.echo(json.dumps(shown["metadata"], indent=2, ensure_ascii=False))
    for f in shown.get("files", []):
        click.echo(f"file {f['name']}  {f['size']} bytes  md5 {f['md5']}")


def _help_settings(ctx, param, value):
    if not value or ctx.resilient_parsing:
        return
    from ..settings import SETTINGS

    for s in SETTINGS:
        click.echo(f"{s.name:20} {s.default!r:32} {s.help}")
    ctx.exit()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--help-settings", is_flag=True, expose_value=False, is_eager=True, callback=_help_settings,
              help="List the settings and exit")
@click.option("--listen", "with_listener", is_flag=True,
              help="Also consume the alert streams (ALERT_TOPICS), as skyweave listen does, in a background thread")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="SPARQL query worker processes over the on-disk store, killed at the time limit "
                   "(default: setting SPARQL_PROCESSES, auto = one per CPU core; 0 = threads of this process)")
def serve(host, port, with_listener, workers):
    """Serve the catalog website, SPARQL endpoint and API."""
    if workers is not None:  # the environment overrides skyweave.toml, as for every setting
        os.environ["SKYWEAVE_SPARQL_PROCESSES"] = str(workers)
    with opened_app() as app:
        pool = app.extensions["store"].query_workers
        if pool is not None:  # started beside the server: pages answer at once, queries when a worker is up
            threading.Thread(target=start_query_workers, args=(pool,), name="sparql-start", daemon=True).start()
        listener = background_listener(app) if with_listener else None
        try:
            serve_app(app, host, port)
        finally:
            if listener is not None:
                listener.stop.set()
    exit_despite_running_queries()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Build the demo catalog, run the Crab spectrum, and exit without serving")
def demo(host, port, no_serve):
    """Load the real demo catalog (instruments, HGPS, 3FHL, H.E.S.S. DL3 DR1), register the bundled
    workflows, run the Crab Nebula spectrum, and serve it all."""
    from ..ingest import load_all

    with opened_app() as app:
        store = app.extensions["store"]
        have = int(store.select("SELECT (COUNT(?s) AS ?n) WHERE { ?s a <https://skyweave.org/ns#Target> }")[0]["n"])
        if have == 0:
            click.echo("Building the catalog from the bundled real data ...", err=True)
            report = load_records(store, load_all(app.config["BASE_IRI"]), label="Loading records")
            click.echo(f"{len(report.stored)} records stored, {len(report.rejected)} rejected", err=True)
            _report_rejected(report.rejected)
        else:
            click.echo(f"The catalog already holds {have} targets.", err=True)
        register_workflows(app)
        replay_alerts(app)
        if not no_serve:
            with zenodo_standin(app), report_standins(app):
                serve_app(app, host, port)
        else:
            jobs = app.extensions["jobs"]
            for run_iri in jobs.running():
                click.echo(f"waiting for {run_iri} ...", err=True)
                click.echo(f"{run_iri}: {jobs.wait(run_iri)}")


@cli.command()
@click.option("--topic", "topics", multiple=True, help="A topic to consume (repeatable; default: setting ALERT_TOPICS)")
@click.option("--bootstrap", default=None, help="A plain Kafka broker host:port instead of GCN (setting GCN_KAFKA_BOOTSTRAP)")
@click.option("--exit-when-idle", type=float, default=None, help="Stop after this many seconds without messages")
def listen(topics, bootstrap, exit_when_idle):
    """Consume alert streams (GCN Kafka or a plain broker) into the catalog; offsets are committed once stored."""
    from skyweave.alerts.listen import Listener, make_consumer
    from skyweave.alerts.service import make_pipeline
    from skyweave.publishers.circular_numbers import CircularNumbers

    with opened_app() as app:
        config = dict(app.config)
        if bootstrap:
            config["GCN_KAFKA_BOOTSTRAP"] = bootstrap
        try:
            consumer = make_consumer(config)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        topics = list(topics) or list(config["ALERT_TOPICS"])
        intake = make_pipeline(config, app.extensions["store"], app.extensions["jobs"])

        def said(report):
            click.echo(f"stored {len(report.stored)} alerts, {report.duplicates} duplicates, "
                       f"{len(report.quarantined)} quarantined, {len(report.fired)} runs requested; "
                       "offsets committed", err=False)

        click.echo(f"listening to {', '.join(topics)} (group {config['ALERT_GROUP_ID']}); Ctrl+C to stop", err=True)
        listener = Listener(intake, consumer, topics, batch_size=config["ALERT_BATCH"], on_batch=said,
                            on_stored=CircularNumbers.from_settings(config, app.extensions["store"]))
        try:
            totals = listener.run(idle_exit_s=exit_when_idle)
        except KeyboardInterrupt:
            listener.stop.set()
            return
        click.echo(f"done: {totals['stored']} alerts stored, {totals['duplicates']} duplicates, "
                   f"{totals['quarantined']} quarantined")


@cli.group()
def alerts():
    """Alerts: replay files through the intake, list what arrived."""


@alerts.command("replay")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--batch", default=200, show_default=True, help="Messages stored per write")
def alerts_replay(paths, batch):
    """Replay alert files or folders (JSON, VOEvent XML, Avro; a JSON list is one message per item)."""
    from skyweave.alerts.intake import replay_messages
    from skyweave.alerts.service import make_pipeline

    with opened_app() as app:
        intake = make_pipeline(app.config, app.extensions["store"], app.extensions["jobs"])
        messages = list(replay_messages(paths))
        stored = duplicates = fired = 0
        quarantined = []
        with click.progressbar(length=len(messages), label="Replaying alerts", file=sys.stderr) as bar:
            for start in range(0, len(messages), batch):
                report = intake.process(messages[start:start + batch])
                stored, duplicates = stored + len(report.stored), duplicates + report.duplicates
                quarantined, fired = quarantined + report.quarantined, fired + len(report.fired)
                bar.update(len(messages[start:start + batch]))
        click.echo(f"{stored} alerts stored, {duplicates} duplicates, {len(quarantined)} quarantined, "
                   f"{fired} follow-up runs requested")
        jobs = app.extensions["jobs"]
        for run_iri in jobs.running():
            click.echo(f"waiting for {run_iri} ...", err=True)
            click.echo(f"{run_iri}: {jobs.wait(run_iri)}")
        for iri, reason in quarantined:
            click.echo(f"quarantined <{iri}>: {reason}", err=True)


@alerts.command("list")
@click.option("--limit", default=20, show_default=True, help="How many, newest first")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def alerts_list(limit, fmt):
    """List the newest alerts: received time, type, tense, event and title."""
    from skyweave.alerts.queries import newest_alerts

    with opened_app() as app:
        rows = newest_alerts(app.extensions["store"], limit=limit)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['received']}  {r['type']:10} {r['tense']:9} {r['event']:28} {r['title']}")
