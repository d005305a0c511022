"""Workflow and result pages: a workflow version with its run form, runs and results; a result
with its plot, parameters, provenance picture, files, share link and Python snippet; and
registering a repository of notebooks (editor role)."""

import json
import re

from flask import Blueprint, current_app, jsonify, redirect, request
from rdflib import URIRef

from ..auth import require_role
from ...exceptions import BadRequest, NotFound
from ..negotiate import choose_format, rdf_response, split_suffix
from ...pages import href_for, record_page
from ...queries import prologue
from skyweave.runners.provenance import workflow_of
from skyweave.runners.status import run_status

from .. import get_jobs, get_store
from ...vocab import PROV, SW
from .records import alternate_links, record_iri, render_page

bp = Blueprint("workflows", __name__)


def readable_name(name):
    """Return a parameter's name as a label: words split at ``_`` and camelCase, first one capitalised.

    Examples
    --------
    >>> readable_name("t_start_isot"), readable_name("energyMin_keV")
    ('T start isot', 'Energy min keV')
    """
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z][a-z])", " ", name).replace("_", " ").split()
    words = [w if w.isupper() or any(c.isupper() for c in w[1:]) else w.lower() for w in words]
    text = " ".join(words) or name
    return text[:1].upper() + text[1:]


_INPUTS = {"file": "file", "url": "file", "json": "json", "boolean": "boolean"}
"""Parameter kind -> the form control it gets (else a text field; allowed values give a select)."""


def form_fields(spec, values=None, errors=()):
    """Describe the run form of a workflow: one field per parameter.

    Parameters
    ----------
    spec : runners.annotations.WorkflowSpec
    values : dict or None
        Values to show (a share link's or a rejected submission's), else the defaults.
    errors : sequence of (str, str)
        Problems by parameter name.

    Returns
    -------
    list of dict
        ``{name, label, value, unit, help, choices, error, required, input}``: ``label`` is the
        ``oda:label`` or a readable name; ``input`` is ``file`` (an upload field and a URL field:
        ``oda:POSIXPath``, ``oda:FileURL``), ``json`` (``oda:StructuredParameter``), ``boolean`` or
        ``text``; ``choices`` (``oda:allowed_value``) make a select.
    """
    from skyweave.runners.oda import KNOWN_TYPES, curie

    problems = dict(errors)
    fields = []
    for p in spec.parameters:
        value = (values or {}).get(p.name, p.default)
        hints = [f"{curie(p.type_iri)} ({KNOWN_TYPES[p.type_iri].label})"]
        if p.lower is not None or p.upper is not None:
            hints.append(f"{'' if p.lower is None else p.lower} to {'' if p.upper is None else p.upper}")
        if p.format:
            hints.append(p.format.upper())
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        fields.append({
            "name": p.name, "label": p.label or readable_name(p.name),
            "value": "" if value is None else str(value),
            "unit": str(p.unit).rsplit("#", 1)[-1] if p.unit else "",
            "help": (p.description + " · " if p.description else "") + " · ".join(hints),
            "choices": [str(a) for a in p.allowed], "error": problems.get(p.name),
            "required": not p.optional and p.default is None,
            "input": _INPUTS.get(p.kind, "text"),
        })
    return fields


def markdown_html(text):
    """Render a repository's Markdown (help page, acknowledgements) as HTML, raw HTML escaped."""
    from markdown_it import MarkdownIt
    from markupsafe import Markup

    return Markup(MarkdownIt("commonmark", {"html": False}).render(text))


def workflow_page_response(slug, errors=(), values=None, status=200):
    """Render a workflow version's page with its run form."""
    from skyweave.runners.describe import spec_from_graph
    from skyweave.runners.verify import verifications

    store = get_store()
    base = current_app.config["BASE_IRI"]
    iri = record_iri("workflows", slug)
    graph = store.get(iri)
    spec = spec_from_graph(graph, iri)
    page = record_page(store, base, iri, graph, request.host_url.rstrip("/") + f"/workflows/{slug}")
    from skyweave.runners.registry import latest_version, newest_runs  # the notebook runner loads on first use

    runs = newest_runs(store, iri, limit=20)

    latest = latest_version(store, base, slug.rsplit("-v", 1)[0])
    context = {
        "page": page, "spec": spec, "fields": form_fields(spec, values or dict(request.args), errors),
        "errors": [{"path": name, "message": message} for name, message in errors], "test_status": str(graph.value(iri, SW.testStatus) or "untested"),
        "test_log": str(graph.value(iri, SW.testLog) or ""),
        "runs": [{"href": href_for(base, r["run"]), "phase": r["phase"], "start": r["start"]} for r in runs],
        "latest": href_for(base, latest) if latest and latest != str(iri) else None,
        "api": request.host_url.rstrip("/") + f"/workflows/{slug}/runs",
        "defaults": {p.name: p.default for p in spec.parameters},
        "verifications": verifications(store, base, slug.rsplit("-v", 1)[0]),
        "section": "workflows",
        "help_page": next((markdown_html(t) for n, t in spec.files if n == "mmoda_help_page.md"), None),
        "acknowledgements": next((markdown_html(t) for n, t in spec.files if n == "acknowledgements.md"), None),
        "environment": [(n, t) for n, t in spec.files if n in ("requirements.txt", "environment.yml")],
        "resources": spec.resources, "uploads": any(p.kind in ("file", "url") for p in spec.parameters),
    }
    return render_page("records/workflows.html", alternate_links(f"/workflows/{slug}"), http_status=status, **context)


@bp.get("/workflows/<name>")
def show(name):
    """A workflow version: page with run form, or RDF; a bare name redirects to its newest version."""
    slug, suffix = split_suffix(name)
    store = get_store()
    iri = record_iri("workflows", slug)
    if not store.exists(iri):
        from skyweave.runners.registry import latest_version  # the notebook runner loads on first use

        latest = latest_version(store, current_app.config["BASE_IRI"], slug)
        if latest is None:
            raise NotFound(f"No workflow {slug} in the catalog.")
        target = href_for(current_app.config["BASE_IRI"], latest) + (f".{suffix}" if suffix else "")
        query = request.query_string.decode()
        return redirect(target + (f"?{query}" if query else ""), code=302)
    fmt = choose_format(suffix)
    if fmt != "html":
        return rdf_response(store.get(iri), fmt)
    return workflow_page_response(slug)


@bp.get("/results/<name>")
def result(name):
    """A result: its plot, the run's parameters, a provenance picture, files, share link, snippet."""
    slug, suffix = split_suffix(name)
    store = get_store()
    base = current_app.config["BASE_IRI"]
    iri = record_iri("results", slug)
    graph = store.get(iri)
    fmt = choose_format(suffix)
    if fmt != "html":
        return rdf_response(graph, fmt)
    run_iri = graph.value(iri, PROV.wasGeneratedBy)
    status = run_status(store, get_jobs(), base, run_iri)
    workflow_iri = workflow_of(store.get(run_iri), run_iri)
    page = record_page(store, base, iri, graph, request.host_url.rstrip("/") + f"/results/{slug}")
    from urllib.parse import urlencode

    share = request.host_url.rstrip("/") + href_for(base, workflow_iri) + "?" + urlencode(status["parameters"])
    api = request.host_url.rstrip("/") + href_for(base, workflow_iri) + "/runs"
    snippet = (
        "import requests\n\n"
        f"response = requests.post(\n    {api!r},\n    json={{\"parameters\": {json.dumps(status['parameters'])}}},\n"
        "    headers={\"Accept\": \"application/json\"},\n)\n"
        "run = response.json()  # followed the 303 to the run: its phase, values and results\n"
        "print(run[\"phase\"], run[\"values\"])\n"
        "for result in run[\"results\"]:\n    print(result[\"label\"], result[\"file\"])"
    )
    workflow_label = get_store().select(
        prologue(["schema"]) + "SELECT ?n WHERE { $w schema:name ?n }", w=URIRef(workflow_iri))
    return render_page("records/results.html", alternate_links(f"/results/{slug}"), page=page, status=status,
                       share=share, snippet=snippet, workflow={"href": href_for(base, workflow_iri),
                       "text": str(workflow_label[0]["n"]) if workflow_label else str(workflow_iri)},
                       section="workflows")


@bp.post("/workflows/")
@require_role("editor")
def register():
    """Register the workflows of a folder or git repository (``source``: PATH or GIT_URL[@REV])."""
    from skyweave.runners.annotations import AnnotationError
    from skyweave.runners.registry import register as register_source

    source = (request.get_json(silent=True) or {}).get("source") if request.is_json else request.form.get("source")
    if not source:
        raise BadRequest("Give the repository to register as 'source' (a folder path or GIT_URL[@REV]).")
    jobs = get_jobs()
    try:
        added = register_source(source, get_store(), current_app.config["BASE_IRI"], current_app.config["DATA_DIR"],
                                jobs.executor.kernels if hasattr(jobs.executor, "kernels") else None, env=jobs.env,
                                roots=list(current_app.config["WORKFLOW_SOURCE_ROOTS"]),
                                schemes=tuple(current_app.config["WORKFLOW_GIT_SCHEMES"]))
    except (AnnotationError, ValueError) as exc:
        raise BadRequest(str(exc)) from None
    body = [{"workflow": href_for(current_app.config["BASE_IRI"], r.iri), "version": r.version,
             "added": r.added, "tests": r.test_status} for r in added]
    repository = href_for(current_app.config["BASE_IRI"], added.repository)
    if not request.is_json and request.accept_mimetypes.best_match(["text/html", "application/json"]) == "text/html":
        target = body[0]["workflow"] if len(body) == 1 and not added.refused else repository
        return redirect(target, code=303)
    # The refusals (notebook, cell, line) are on the repository's record, linked here.
    return jsonify(body), 201, {"Link": f'<{repository}>; rel="related"'}
