"""Running workflows over HTTP: the run request, the run (UWS job) and its results.

``POST /workflows/<slug>/runs`` (a form or JSON ``{"parameters": {...}}``) answers at once with
``303 See Other`` to the run's URL (and the same in a JSON body); bad values get 422 listing every
bad parameter, and nothing is queued. ``GET /runs/<id>`` shows phase, progress, log and results
(HTML, JSON for ``Accept: application/json``, or RDF by suffix); ``DELETE /runs/<id>`` (or the
page's Abort button) aborts it. Result files are served from ``/files/results/<sha256>/<name>``.

Reference: IVOA UWS 1.1, https://www.ivoa.net/documents/UWS/
"""

from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, redirect, request, send_file

from ..errors import BadRequest, CatalogError, NotFound
from ..negotiate import choose_format, rdf_response, split_suffix
from ..pages import href_for, record_page
from ..store import get_store
from .records import alternate_links, record_iri, render_page

bp = Blueprint("runs", __name__)


class ParameterProblems(CatalogError):
    """Some parameter values are bad (422); ``errors`` lists each with its message."""

    status = 422
    title = "Invalid parameter values"

    def __init__(self, errors):
        names = ", ".join(name for name, _ in errors)
        super().__init__(f"{len(errors)} parameter value(s) are not valid ({names}); nothing was run.")
        self.errors = errors

    def problem(self):
        """Problem details with one entry per bad parameter (``path`` is the parameter name)."""
        out = super().problem()
        out["errors"] = [{"path": name, "message": message, "focus": None} for name, message in self.errors]
        return out


def get_jobs():
    """Return the app's `runners.jobs.JobManager`."""
    return current_app.extensions["jobs"]


def _user():
    from ..auth import current_role

    role = current_role()
    return f"API client ({role})" if role else "anonymous"


def _wants_json():
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json" \
        or request.is_json


@bp.post("/workflows/<slug>/runs")
def create(slug):
    """Request a run of a workflow version (a bare workflow name runs its newest version)."""
    from runners.params import ParameterErrors

    from .workflows import latest_version

    iri = record_iri("workflows", slug)
    if not get_store().exists(iri):  # a bare name runs the newest version
        newest = latest_version(get_store(), current_app.config["BASE_IRI"], slug)
        iri = newest or iri
        slug = newest.rsplit("/", 1)[1] if newest else slug
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest("Send a JSON object {\"parameters\": {name: value, ...}}.")
        values = body.get("parameters", body)
    else:
        values = {k: v for k, v in request.form.items() if v != "" and not k.startswith("_")}
    try:
        submission = get_jobs().submit(iri, values, user=_user())
    except ParameterErrors as exc:
        if _wants_json():
            raise ParameterProblems(exc.errors) from None
        from .workflows import workflow_page_response

        return workflow_page_response(slug, errors=exc.errors, values=values, status=422)
    path = href_for(current_app.config["BASE_IRI"], submission.run_iri)
    body = {"run": request.host_url.rstrip("/") + path, "phase": submission.phase,
            "cached": submission.cached, "shared": submission.shared}
    response = jsonify(body) if _wants_json() else redirect(path, code=303)
    response.status_code = 303
    response.headers["Location"] = path
    return response


def run_status(run_iri):
    """Return the status of a run as a dict (phase, progress, times, values, results, log, error).

    Raises
    ------
    NotFound
        If there is no such run.
    """
    from ..vocab import DCAT, PROV, RDFS, SDO, SW

    store = get_store()
    base = current_app.config["BASE_IRI"]
    graph = store.get(run_iri)
    jobs = get_jobs()
    phase = jobs.phase(run_iri)
    progress = jobs.progress(run_iri)
    rows = store.select(
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX sw: <https://skyweave.org/ns#> "
        "SELECT ?r ?label ?url ?type ?out WHERE { ?r prov:wasGeneratedBy $run ; rdfs:label ?label ; "
        "sw:outputName ?out ; dcat:distribution/dcat:downloadURL ?url ; dcat:distribution/dcat:mediaType ?type } "
        "ORDER BY ?out", run=run_iri)
    run = run_iri
    notebook = next((graph.value(n, DCAT.downloadURL) for n in graph.objects(run, PROV.generated)), None)
    return {
        "run": request.host_url.rstrip("/") + href_for(base, run_iri),
        "phase": phase,
        "progress": {"cells_done": progress[0], "cells_total": progress[1]} if progress else None,
        "workflow": href_for(base, graph.value(run, PROV.used)),
        "parameters": {str(graph.value(pv, SW.parameter)).rsplit("#param-", 1)[-1]: graph.value(pv, SDO.value).toPython()
                       for pv in graph.objects(run, SW.parameterValue)},
        "started": str(graph.value(run, PROV.startedAtTime) or "") or None,
        "ended": str(graph.value(run, PROV.endedAtTime) or "") or None,
        "values": {str(graph.value(n, SDO.name)): graph.value(n, SDO.value).toPython() for n in graph.objects(run, SDO.result)},
        "results": [{"href": href_for(base, r["r"]), "label": str(r["label"]), "output": str(r["out"]),
                     "file": href_for(base, r["url"]), "media_type": str(r["type"])} for r in rows],
        "notebook": href_for(base, notebook) if notebook else None,
        "error": str(graph.value(run, SW.error) or "") or None,
        "log": str(graph.value(run, SW.log) or ""),
        "label": str(graph.value(run, RDFS.label) or ""),
    }


@bp.get("/runs/<name>")
def show(name):
    """A run: HTML page, JSON status, or its record in RDF."""
    slug, suffix = split_suffix(name)
    iri = record_iri("runs", slug)
    fmt = choose_format(suffix, offered=("html", "jsonld", "ttl", "nt", "rdf"))
    if fmt != "html" and not (fmt == "jsonld" and suffix is None and request.accept_mimetypes.best == "application/json"):
        return rdf_response(get_store().get(iri), fmt)
    status = run_status(iri)
    if fmt != "html":
        return jsonify(status)
    store = get_store()
    page = record_page(store, current_app.config["BASE_IRI"], iri, store.get(iri),
                       request.host_url.rstrip("/") + f"/runs/{slug}")
    share = None
    if status["workflow"]:
        share = request.host_url.rstrip("/") + status["workflow"] + "?" + urlencode(status["parameters"])
    return render_page("records/runs.html", alternate_links(f"/runs/{slug}"), page=page, status=status,
                       share=share, section="workflows")


@bp.route("/runs/<slug>", methods=["DELETE"])
@bp.post("/runs/<slug>/abort")
def abort(slug):
    """Abort a queued or executing run (DELETE, or the page's Abort button)."""
    iri = record_iri("runs", slug)
    get_store().get(iri)  # 404 for unknown runs
    phase = get_jobs().abort(iri)
    if request.method == "POST" and not _wants_json():
        return redirect(f"/runs/{slug}", code=303)
    return jsonify({"run": f"/runs/{slug}", "phase": phase})


@bp.get("/files/results/<digest>/<name>")
def result_file(digest, name):
    """Serve a stored result file by its SHA-256 (the name sets the download name and type)."""
    from runners.files import media_type, path_of

    try:
        path = path_of(current_app.config["DATA_DIR"], digest)
    except ValueError:
        raise NotFound("No such file.") from None
    if not path.is_file():
        raise NotFound(f"No stored file {digest}.")
    return send_file(path, mimetype=media_type(name), download_name=name, max_age=31536000,
                     as_attachment=not media_type(name).startswith("image/"))
