"""Local stand-in of WorkflowHub (FAIRDOM-SEEK) for Workflow RO-Crate submission (test equipment).

It follows ``specs/external-apis.md`` §2.2, §2.3 and §2.7:

- ``POST /workflows/submit`` (multipart: ``ro_crate`` zip, ``workflow[project_ids][]``, optional
  ``workflow[title]``/``[description]``/``[license]`` overrides): the crate is really read with ``rocrate``;
  the source URL (root ``@id`` if it starts with ``http``, else ``isBasedOn``, else ``url``, else the main
  workflow's ``url``) and the version (root ``version``) are required; no workflow with that source URL →
  create one; one → add a version, or, when a version of that name exists, a **no-op 200 answering the
  existing workflow** (safe retry); two or more → 422 "2 workflows found matching the given ID.".
- ``POST /workflows`` (always creates), ``POST /workflows/:id/create_version`` (``ro_crate`` +
  ``revision_comments``), ``GET /workflows/:id``, ``GET /workflows/:id/ro_crate`` (zip, ``?version=n``),
  ``PUT /workflows/:id`` (JSON:API body, only ``attributes.policy``).
- Auth: ``Authorization: Token <t>`` or ``Bearer <t>``; none or an unknown token → 401 with
  ``WWW-Authenticate: Basic realm="Application"``; a read-only token → 403 on writes; a project the
  token's user is not a member of → 422 "...member of...".
- JSON:API documents (``application/vnd.api+json``); errors ``{"errors": [{"source": {"pointer": ...},
  "detail": ...}]}``; an unreadable crate metadata file → 500 ``{"title": "RO-Crate Read Error", ...}``.
- **Stand-in only** (not a WorkflowHub API): ``POST /workflows/:id/mint_doi?version=n`` answers JSON and
  mints ``10.48546/workflowhub.workflow.<id>.<n>`` if the preconditions of §2.4 hold (manager token, public
  workflow, no DOI yet, a creator with first and last name); on WorkflowHub this is an HTML UI action.

References
----------
.. [1] ``specs/external-apis.md`` §2 (WorkflowHub and Workflow RO-Crate) and §7 (rows F9, F10, F19).
"""

import io
import json
import shutil
import tempfile
import threading
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, Response, request
from rocrate.rocrate import ROCrate

from .harness import install

TOKEN = "wfh-token"
READ_TOKEN = "wfh-read-token"
DEFAULT_TOKENS = {TOKEN: {"user": "Ada Lovelace", "projects": {1}, "write": True},
                  READ_TOKEN: {"user": "Reader", "projects": {1}, "write": False}}
"""Tokens of `make_workflowhub_app` when none are given: token -> user name, project ids, write access."""

DEFAULT_PROJECTS = {1: "skyweave team", 2: "another team"}
JSONAPI = "application/vnd.api+json"

NO_SOURCE = "ro_crate source URL could not be determined."
NO_VERSION = "ro_crate version could not be determined."
NO_MAIN = "ro_crate did not specify a main workflow."
BAD_ZIP = "ro_crate could not be extracted, please check it is a valid RO-Crate."


class WorkflowHubError(Exception):
    def __init__(self, status, detail, pointer=None, title=None, headers=None):
        super().__init__(detail)
        self.status, self.detail, self.pointer, self.title, self.headers = status, detail, pointer, title, headers

    def response(self):
        if self.title == "RO-Crate Read Error":
            body = {"title": self.title, "detail": self.detail}
        else:
            item = {"detail": self.detail}
            if self.title:
                item["title"] = self.title
            if self.pointer:
                item["source"] = {"pointer": self.pointer}
            body = {"errors": [item]}
        return Response(json.dumps(body), self.status, content_type=JSONAPI, headers=self.headers or {})


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _read_crate(data):
    """Return (metadata summary, zip bytes) of an uploaded crate, or raise `WorkflowHubError`."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise WorkflowHubError(422, BAD_ZIP, "/data/attributes/ro_crate")
    folder = Path(tempfile.mkdtemp(prefix="wfh-standin-"))
    try:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                archive.extractall(folder)
        except (zipfile.BadZipFile, OSError, ValueError):
            raise WorkflowHubError(422, BAD_ZIP, "/data/attributes/ro_crate") from None
        try:
            crate = ROCrate(folder)
        except Exception as exc:  # noqa: BLE001  (SEEK's rescue handler answers any read error with 500)
            raise WorkflowHubError(500, f"{type(exc).__name__}: {exc}"[:300], title="RO-Crate Read Error") from None
        root = crate.root_dataset
        main = crate.mainEntity
        if main is None:
            raise WorkflowHubError(422, NO_MAIN, "/data/attributes/ro_crate")

        def value(entity, key):
            got = entity.get(key) if entity is not None else None
            if isinstance(got, list):
                got = got[0] if got else None
            if hasattr(got, "id"):
                got = got.id
            if isinstance(got, dict):
                got = got.get("@id")
            return None if got in (None, "") else str(got)

        source = root.id if root.id.startswith("http") else (
            value(root, "isBasedOn") or value(root, "url") or value(main, "url"))
        version = value(root, "version")
        if not source:
            raise WorkflowHubError(422, NO_SOURCE, "/data/attributes/ro_crate")
        if not version:
            raise WorkflowHubError(422, NO_VERSION, "/data/attributes/ro_crate")
        creators = []
        authors = root.get("author") or []
        for person in authors if isinstance(authors, list) else [authors]:
            if hasattr(person, "get"):
                creators.append({"name": person.get("name"), "given_name": person.get("givenName"),
                                 "family_name": person.get("familyName"),
                                 "orcid": person.id if str(person.id).startswith("https://orcid.org/") else None})
        language = main.get("programmingLanguage")
        return {"source": source, "version": version, "title": value(root, "name"),
                "description": value(root, "description"), "license": value(root, "license"),
                "main": main.id, "language": getattr(language, "id", None), "creators": creators}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class WorkflowHubState:
    """In-memory workflows of the stand-in."""

    def __init__(self, tokens, projects, first_id=1):
        self.tokens, self.projects, self.first_id = tokens, projects, first_id
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.workflows, self.next_id = {}, self.first_id

    def dump(self):
        with self.lock:
            return {"workflows": [{k: v for k, v in w.items() if k != "versions"} | {
                "versions": [{k: v for k, v in ver.items() if k != "zip"} for ver in w["versions"]]}
                for w in self.workflows.values()]}

    def create(self, user, projects, crate, data, overrides):
        workflow = {"id": self.next_id, "source": crate["source"], "projects": sorted(projects),
                    "submitter": user, "policy": {"access": "no_access"}, "created_at": _now(), "versions": []}
        self.next_id += 1
        self.workflows[workflow["id"]] = workflow
        self.add_version(workflow, crate, data, overrides)
        return workflow

    def add_version(self, workflow, crate, data, overrides, comment=None):
        for key in ("title", "description", "license"):
            workflow[key] = overrides.get(key) or crate.get(key) or workflow.get(key)
        workflow["creators"] = crate["creators"]
        workflow["versions"].append({"version": len(workflow["versions"]) + 1, "name": crate["version"],
                                     "doi": None, "zip": data, "main": crate["main"], "comment": comment,
                                     "created_at": _now()})
        workflow["updated_at"] = _now()

    def matching(self, source):
        return [w for w in self.workflows.values() if w["source"] == source]


def make_workflowhub_app(tokens=None, projects=None, first_id=1):
    """Build the WorkflowHub stand-in (a Flask app with the §0.1 harness installed).

    Parameters
    ----------
    tokens : dict or None
        ``{token: {"user": name, "projects": {ids}, "write": bool}}``; default `DEFAULT_TOKENS`.
    projects : dict or None
        ``{id: title}`` of the teams that exist; default `DEFAULT_PROJECTS`.
    first_id : int
        Id of the first workflow created.

    Returns
    -------
    flask.Flask
        With ``app.extensions["standin"]`` (the harness) and ``app.extensions["workflowhub"]`` (the state).
    """
    state = WorkflowHubState(dict(tokens or DEFAULT_TOKENS), dict(projects or DEFAULT_PROJECTS), first_id)
    app = Flask("workflowhub_standin")
    app.extensions["workflowhub"] = state

    def root():
        return request.host_url.rstrip("/")

    def auth(write):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        account = state.tokens.get(token.strip()) if scheme in ("Token", "Bearer") else None
        if account is None:
            raise WorkflowHubError(401, "You need to be logged in (an API token: Authorization: Token <token>).",
                                   title="Unauthorized", headers={"WWW-Authenticate": 'Basic realm="Application"'})
        if write and not account.get("write"):
            raise WorkflowHubError(403, "You are not authorized to perform this action (read-only API token).",
                                   title="Forbidden")
        return account

    def document(workflow):
        base = root()
        versions = workflow["versions"]
        return {"data": {
            "id": str(workflow["id"]), "type": "workflows",
            "attributes": {
                "title": workflow.get("title"), "description": workflow.get("description"),
                "license": workflow.get("license"), "latest_version": len(versions), "version": len(versions),
                "doi": versions[-1]["doi"], "policy": workflow["policy"],
                "versions": [{"version": v["version"], "name": v["name"], "doi": v["doi"],
                              "url": f"{base}/workflows/{workflow['id']}?version={v['version']}"} for v in versions],
                "workflow_class": {"title": "Jupyter Notebook", "key": "jupyter"},
                "creators": workflow.get("creators", []), "tags": [], "source_link_url": workflow["source"],
                "created_at": workflow["created_at"], "updated_at": workflow["updated_at"]},
            "relationships": {"projects": {"data": [{"id": str(p), "type": "projects"} for p in workflow["projects"]]},
                              "submitter": {"data": [{"id": "1", "type": "people"}]}},
            "links": {"self": f"/workflows/{workflow['id']}"},
            "meta": {"created": workflow["created_at"], "modified": workflow["updated_at"], "api_version": "0.3",
                     "base_url": base}},
            "jsonapi": {"version": "1.0"}}

    def answer(workflow, status=200):
        return Response(json.dumps(document(workflow)), status, content_type=JSONAPI)

    def uploaded():
        if not request.mimetype.startswith("multipart/form-data"):
            raise WorkflowHubError(422, "ro_crate must be sent as multipart/form-data", "/data/attributes/ro_crate")
        upload = request.files.get("ro_crate")
        if upload is None:
            raise WorkflowHubError(422, "ro_crate can't be blank", "/data/attributes/ro_crate")
        data = upload.read()
        return data, _read_crate(data)

    def projects_of(account):
        raw = request.form.getlist("workflow[project_ids][]")
        if not raw:
            raise WorkflowHubError(422, "Projects can't be blank", "/data/relationships/projects")
        ids = set()
        for item in raw:
            try:
                pid = int(item)
            except ValueError:
                raise WorkflowHubError(422, f"Project {item!r} not found", "/data/relationships/projects") from None
            if pid not in state.projects:
                raise WorkflowHubError(422, f"Project {pid} not found", "/data/relationships/projects")
            if pid not in account["projects"]:
                raise WorkflowHubError(422, f"You are not a member of {state.projects[pid]} (project {pid}).",
                                       "/data/relationships/projects")
            ids.add(pid)
        return ids

    def overrides():
        return {k: request.form.get(f"workflow[{k}]") for k in ("title", "description", "license")}

    def get_workflow(workflow_id, account=None):
        workflow = state.workflows.get(workflow_id)
        if workflow is None:
            raise WorkflowHubError(404, f"Couldn't find Workflow with 'id'={workflow_id}", title="Not found")
        return workflow

    def can_manage(account, workflow):
        return account is not None and set(workflow["projects"]) & set(account["projects"])

    @app.errorhandler(WorkflowHubError)
    def on_error(exc):
        return exc.response()

    @app.post("/workflows/submit")
    def submit():
        account = auth(True)
        with state.lock:
            projects = projects_of(account)
            data, crate = uploaded()
            found = state.matching(crate["source"])
            if len(found) > 1:
                raise WorkflowHubError(422, f"{len(found)} workflows found matching the given ID.",
                                       "/data/attributes/ro_crate")
            if not found:
                return answer(state.create(account["user"], projects, crate, data, overrides()))
            workflow = found[0]
            if not can_manage(account, workflow):
                raise WorkflowHubError(403, "You are not authorized to add a version to this workflow.")
            if not any(v["name"] == crate["version"] for v in workflow["versions"]):
                state.add_version(workflow, crate, data, overrides())
            return answer(workflow)

    @app.post("/workflows")
    def create():
        account = auth(True)
        with state.lock:
            projects = projects_of(account)
            data, crate = uploaded()
            return answer(state.create(account["user"], projects, crate, data, overrides()))

    @app.post("/workflows/<int:workflow_id>/create_version")
    def create_version(workflow_id):
        account = auth(True)
        with state.lock:
            workflow = get_workflow(workflow_id)
            if not can_manage(account, workflow):
                raise WorkflowHubError(403, "You are not authorized to add a version to this workflow.")
            data, crate = uploaded()
            state.add_version(workflow, crate, data, overrides(), request.form.get("revision_comments"))
            return answer(workflow)

    def readable(workflow_id):
        account = auth(False) if request.headers.get("Authorization") else None
        workflow = get_workflow(workflow_id)
        if workflow["policy"].get("access") == "no_access" and not can_manage(account, workflow):
            raise WorkflowHubError(403, "You are not authorized to view this workflow.", title="Forbidden")
        return workflow

    @app.get("/workflows/<int:workflow_id>")
    def show(workflow_id):
        with state.lock:
            return answer(readable(workflow_id))

    @app.get("/workflows/<int:workflow_id>/ro_crate")
    def ro_crate(workflow_id):
        with state.lock:
            workflow = readable(workflow_id)
            number = request.args.get("version", type=int) or len(workflow["versions"])
            if not 1 <= number <= len(workflow["versions"]):
                raise WorkflowHubError(404, f"Couldn't find version {number}", title="Not found")
            return Response(workflow["versions"][number - 1]["zip"], 200, content_type="application/zip",
                            headers={"Content-Disposition": f'attachment; filename="workflow-{workflow_id}-'
                                                            f'{number}.crate.zip"'})

    @app.put("/workflows/<int:workflow_id>")
    def update(workflow_id):
        account = auth(True)
        with state.lock:
            workflow = get_workflow(workflow_id)
            if not can_manage(account, workflow):
                raise WorkflowHubError(403, "You are not authorized to edit this workflow.", title="Forbidden")
            body = request.get_json(silent=True) or {}
            attributes = (body.get("data") or {}).get("attributes") or {}
            policy = attributes.get("policy")
            if not isinstance(policy, dict) or policy.get("access") not in ("no_access", "view", "download"):
                raise WorkflowHubError(422, "policy access must be one of no_access, view, download",
                                       "/data/attributes/policy")
            workflow["policy"] = {"access": policy["access"]}
            return answer(workflow)

    @app.post("/workflows/<int:workflow_id>/mint_doi")
    def mint_doi(workflow_id):  # stand-in only: a JSON mirror of an HTML UI action (§2.4)
        account = auth(True)
        with state.lock:
            workflow = get_workflow(workflow_id)
            number = request.args.get("version", type=int) or len(workflow["versions"])
            problems = []
            if not can_manage(account, workflow):
                raise WorkflowHubError(403, "You are not authorized to mint a DOI for this workflow.")
            if workflow["policy"].get("access") == "no_access":
                problems.append("the workflow must be public")
            if not 1 <= number <= len(workflow["versions"]):
                raise WorkflowHubError(404, f"Couldn't find version {number}", title="Not found")
            version = workflow["versions"][number - 1]
            if version["doi"]:
                problems.append("this version already has a DOI")
            if not any((c.get("given_name") and c.get("family_name")) or len(str(c.get("name") or "").split()) > 1
                       for c in workflow.get("creators", [])):
                problems.append("at least one creator needs a first and a last name")
            if problems:
                raise WorkflowHubError(422, "; ".join(problems), "/data/attributes/doi")
            version["doi"] = f"10.48546/workflowhub.workflow.{workflow_id}.{number}"
            return answer(workflow)

    install(app, reset=state.reset, state=state.dump, name="workflowhub")
    return app
