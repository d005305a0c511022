"""Running workflows over HTTP: the run request, the run (UWS job) and its results.

``POST /workflows/<slug>/runs`` (a form or JSON ``{"parameters": {...}}``) answers at once with
``303 See Other`` to the run's URL (and the same in a JSON body); bad values get 422 listing every
bad parameter, and nothing is queued. ``GET /runs/<id>`` shows phase, progress, log and results
(HTML, JSON for ``Accept: application/json``, or RDF by suffix); ``DELETE /runs/<id>`` (or the
page's Abort button) aborts it. Result files are served from ``/files/results/<sha256>/<name>``.
A file parameter takes an uploaded file (a form file field, or ``{"filename": ..., "content_base64": ...}``
in JSON), stored and served the same way, or a URL.

Reference: IVOA UWS 1.1, https://www.ivoa.net/documents/UWS/
"""

import base64
from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, redirect, request, send_file, session

from ..auth import ROLES, current_role
from ...exceptions import BadRequest, InvalidContent, NotFound, Unauthorized
from ..negotiate import choose_format, rdf_response, split_suffix
from ...pages import href_for, record_page
from skyweave.runners.status import run_status

from .. import get_jobs, get_store
from .records import alternate_links, record_iri, render_page

bp = Blueprint("runs", __name__)


def parameter_problems(errors):
    """Return an `InvalidContent` error listing each bad parameter (``path`` is the parameter name)."""
    names = ", ".join(name for name, _ in errors)
    return InvalidContent(f"{len(errors)} parameter value(s) are not valid ({names}); nothing was run.",
                          errors=[{"path": name, "message": message, "focus": None} for name, message in errors],
                          title="Invalid parameter values")


def _user():
    from ..auth import current_role

    role = current_role()
    return f"API client ({role})" if role else "anonymous"


def _wants_json():
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json" \
        or request.is_json


def _store_upload(filename, data):
    """Store an uploaded file like a result; return the URL it is served at (the parameter's value)."""
    from werkzeug.utils import secure_filename

    from skyweave.runners.files import download_url, store_bytes

    digest = store_bytes(current_app.config["DATA_DIR"], data)
    return download_url(current_app.config["BASE_IRI"], digest, secure_filename(filename) or "upload")


def _uploaded_json(name, value):
    """Return ``(filename, bytes)`` of a file given in JSON as ``{"filename": ..., "content_base64": ...}``,
    or None for any other value."""
    if not (isinstance(value, dict) and set(value) == {"filename", "content_base64"}):
        return None
    try:
        data = base64.b64decode(value["content_base64"], validate=True)
    except (ValueError, TypeError):
        raise BadRequest(f"{name}: content_base64 is not base64.") from None
    return str(value["filename"]), data


def _store_uploads(uploads):
    """Store every uploaded file once they fit in the result-storage quota together (all or none);
    return the URL of each by parameter name."""
    get_jobs().limits.reserve(sum(len(data) for _, data in uploads.values()))
    return {name: _store_upload(filename, data) for name, (filename, data) in uploads.items()}


@bp.post("/workflows/<slug>/runs")
def create(slug):
    """Request a run of a workflow version (a bare workflow name runs its newest version)."""
    from skyweave.runners.params import ParameterErrors


    iri = record_iri("workflows", slug)
    if not get_store().exists(iri):  # a bare name runs the newest version
        from skyweave.runners.registry import latest_version  # the notebook runner loads on first use

        newest = latest_version(get_store(), current_app.config["BASE_IRI"], slug)
        iri = newest or iri
        slug = newest.rsplit("/", 1)[1] if newest else slug
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest("Send a JSON object {\"parameters\": {name: value, ...}}.")
        values = body.get("parameters", body)
        if not isinstance(values, dict):
            raise BadRequest("\"parameters\" must be a JSON object {name: value, ...}.")
        uploads = {k: f for k, f in ((k, _uploaded_json(k, v)) for k, v in values.items()) if f is not None}
        values = {**values, **_store_uploads(uploads)}
    else:
        values = {k: v for k, v in request.form.items() if v != "" and not k.startswith("_")}
        uploads = {name: (f.filename, f.read()) for name, f in request.files.items() if f.filename}
        values.update(_store_uploads(uploads))
    try:
        submission = get_jobs().submit(iri, values, user=_user(), client=request.remote_addr)
    except ParameterErrors as exc:
        if _wants_json():
            raise parameter_problems(exc.errors) from None
        from .workflows import workflow_page_response

        return workflow_page_response(slug, errors=exc.errors, values=values, status=422)
    path = href_for(current_app.config["BASE_IRI"], submission.run_iri)
    body = {"run": request.host_url.rstrip("/") + path, "phase": submission.phase,
            "cached": submission.cached, "shared": submission.shared}
    if submission.abort_key:
        body["abort_key"] = submission.abort_key
        if not _wants_json():  # the browser that asked keeps the key in its signed session cookie
            keys = dict(session.get("abort_keys", {}))
            keys[path.rsplit("/", 1)[-1]] = submission.abort_key
            session["abort_keys"] = dict(list(keys.items())[-20:])
    response = jsonify(body) if _wants_json() else redirect(path, code=303)
    response.status_code = 303
    response.headers["Location"] = path
    return response


@bp.get("/runs/<name>")
def show(name):
    """A run: HTML page, JSON status, or its record in RDF."""
    slug, suffix = split_suffix(name)
    iri = record_iri("runs", slug)
    fmt = choose_format(suffix, offered=("html", "jsonld", "ttl", "nt", "rdf"))
    if fmt != "html" and not (fmt == "jsonld" and suffix is None and request.accept_mimetypes.best == "application/json"):
        return rdf_response(get_store().get(iri), fmt)
    status = run_status(get_store(), get_jobs(), current_app.config["BASE_IRI"], iri)
    status["run"] = request.host_url.rstrip("/") + status["run"]
    if fmt != "html":
        return jsonify(status)
    store = get_store()
    page = record_page(store, current_app.config["BASE_IRI"], iri, store.get(iri),
                       request.host_url.rstrip("/") + f"/runs/{slug}")
    share = None
    if status["workflow"]:
        share = request.host_url.rstrip("/") + status["workflow"] + "?" + urlencode(status["parameters"])
    can_abort = _is_editor() or get_jobs().may_abort(iri, session.get("abort_keys", {}).get(slug))
    return render_page("records/runs.html", alternate_links(f"/runs/{slug}"), page=page, status=status,
                       share=share, section="workflows", can_abort=can_abort)


def _is_editor():
    role = current_role()
    return role in ROLES and ROLES.index(role) >= ROLES.index("editor")


@bp.route("/runs/<slug>", methods=["DELETE"])
@bp.post("/runs/<slug>/abort")
def abort(slug):
    """Abort a queued or executing run (DELETE, or the page's Abort button).

    Needs an editor token, or the run's abort key (``X-Abort-Key`` header or ``abort_key`` field; a
    browser that submitted the run has it in its session).
    """
    iri = record_iri("runs", slug)
    get_store().get(iri)  # 404 for unknown runs
    key = (request.headers.get("X-Abort-Key") or request.args.get("abort_key")
           or (request.form.get("abort_key") if request.mimetype == "application/x-www-form-urlencoded" else None)
           or session.get("abort_keys", {}).get(slug))
    privileged = _is_editor()
    if not privileged and not key:
        raise Unauthorized("Aborting a run needs an editor token ('Authorization: Bearer <token>') or the run's "
                           "abort key (header X-Abort-Key), which its submitter received.")
    phase = get_jobs().abort(iri, key=key, privileged=privileged)
    if request.method == "POST" and not _wants_json():
        return redirect(f"/runs/{slug}", code=303)
    return jsonify({"run": f"/runs/{slug}", "phase": phase})


@bp.get("/files/results/<digest>/<name>")
def result_file(digest, name):
    """Serve a stored result file by its SHA-256 (the name sets the download name and type)."""
    from skyweave.runners.files import media_type, path_of

    try:
        path = path_of(current_app.config["DATA_DIR"], digest)
    except ValueError:
        path = None
    if path is None or not path.is_file():  # a bad digest and a missing file are answered alike
        raise NotFound("No such file.")
    return send_file(path, mimetype=media_type(name), download_name=name, max_age=31536000,
                     as_attachment=not media_type(name).startswith("image/"))
