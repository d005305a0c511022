"""Publish workflow versions on WorkflowHub as Workflow RO-Crates, exactly once.

`WorkflowHubPublisher.publish` uses the idempotent submission endpoint of ``specs/external-apis.md`` §2.2:

1. A ``sw:Publication`` record (`publishers.records`) is written before the first remote call.
2. ``POST {base_url}/workflows/submit`` (multipart: ``ro_crate`` = the crate zip of
   `publishers.rocrate.workflow_crate`, ``workflow[project_ids][]``, ``workflow[title]``,
   ``workflow[description]``, ``workflow[license]``), with ``Authorization: Token <token>``. WorkflowHub
   matches the crate's source URL and version: re-submitting the same crate is a no-op answering the
   existing workflow, so after an unknown outcome (timeout, dropped connection, 5xx) the same crate is sent
   again (bounded), which is the "re-read" §2.2 allows (§7 F9). A workflow id already known from an earlier
   attempt is read back first (``GET /workflows/:id``), and nothing is sent when it holds the version.
3. The version's URL (``attributes.versions[].url``, else ``{base_url}/workflows/<id>?version=<n>``) is the
   identifier; it is recorded and written back into the workflow record as ``schema:sameAs`` (an existing
   ``schema:identifier``, such as a Zenodo DOI, is kept).

422 answers (no version, no source URL, not a member of the team) and 401/403 are reported with the
service's message and never retried (§7 F10, F19). DOIs are minted by WorkflowHub in its web UI (§2.4); a
DOI found in ``attributes.versions[].doi`` is kept in the publication's progress.

References
----------
.. [1] WorkflowHub API, https://workflowhub.eu/api; SEEK ``workflows_controller.rb#submit``.
.. [2] ``specs/external-apis.md`` §2 (WorkflowHub) and §7 (F9, F10, F19).
"""

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef

from skyweave.catalog.vocab import SDO

from skyweave.catalog.exceptions import NotConfigured

from .exactly_once import ExactlyOnce
from .terms import TermsCheck
from .outcomes import MissingMetadata, OutcomeUnknown, PublishResult, UpstreamError
from . import records
from ._http import TIMEOUT, BearerAuth, call, make_session
from .rocrate import DEFAULT_LICENSE, crate_source, spdx_id, workflow_crate

__all__ = ["SERVICE", "TokenAuth", "PreparedCrate", "WorkflowHubPublisher"]

log = logging.getLogger(__name__)

SERVICE = "workflowhub"
JSONAPI = "application/vnd.api+json"


class TokenAuth(BearerAuth):
    """``Authorization: Token <token>`` (WorkflowHub API tokens), kept out of ``repr`` and messages."""

    def __call__(self, request):
        request.headers["Authorization"] = f"Token {self._token}"
        return request

    def __repr__(self):
        return "TokenAuth(<redacted>)"


@dataclass(frozen=True)
class PreparedCrate:
    """What will be submitted for a workflow version.

    Attributes
    ----------
    iri : str
        The workflow version.
    crate : pathlib.Path
        The ``.crate.zip`` (in a temporary folder the caller may remove).
    fields : tuple of (str, str)
        The multipart form fields, in order (``workflow[project_ids][]`` may repeat).
    source : str
        The crate's source URL (root ``isBasedOn``).
    version : str
        The crate's version (root ``version``).
    """

    iri: str
    crate: Path
    fields: tuple
    source: str
    version: str


class WorkflowHubPublisher(ExactlyOnce):
    """Submit catalogued workflow versions to WorkflowHub (or its dev instance, or the local stand-in).

    Parameters
    ----------
    base_url : str
        The instance root, e.g. ``https://dev.workflowhub.eu``.
    token : str
        API token of a member of the team ``project_id`` (sent as ``Authorization: Token <token>``).
    store : catalog.store.Store
    base : str
        The catalog's base IRI (publication records are ``{base}publications/<uuid>``).
    data_dir : str or pathlib.Path
        ``DATA_DIR``, under which the workflow's ``sw:notebook`` lies.
    project_id : int or str or sequence or None
        The WorkflowHub team(s) (``/projects/<id>``); required to publish.
    session : requests.Session or None
        Default: `publishers._http.make_session`.
    sleep : callable
        ``sleep(seconds)`` for every wait (tests pass a recorder).
    retries, backoff_s : int, float
        Retry budget and first backoff of idempotent calls (`publishers._http.call`).
    submit_attempts : int
        Most submissions of one crate when the outcome stays unknown.

    Attributes
    ----------
    service : str
        ``"workflowhub"``.
    """

    service = SERVICE
    title = "WorkflowHub"
    collections = ("workflows",)
    action = "Register on WorkflowHub"
    button = "Register on WorkflowHub"

    @classmethod
    def from_settings(cls, config, store, **kwargs):
        """Build the publisher from the settings (``WORKFLOWHUB_BASE_URL``, ``_TOKEN``, ``_PROJECT_ID``).

        Raises
        ------
        skyweave.catalog.exceptions.NotConfigured
            If ``WORKFLOWHUB_TOKEN`` is not set.
        """
        if not config.get("WORKFLOWHUB_TOKEN"):
            raise NotConfigured("Registering on WorkflowHub is not configured: set SKYWEAVE_WORKFLOWHUB_TOKEN and "
                                "SKYWEAVE_WORKFLOWHUB_PROJECT_ID.", title="Publishing not configured")
        publisher = cls(config["WORKFLOWHUB_BASE_URL"], config["WORKFLOWHUB_TOKEN"], store, config["BASE_IRI"],
                         data_dir=config["DATA_DIR"], project_id=config.get("WORKFLOWHUB_PROJECT_ID") or None, **kwargs)
        publisher.terms = TermsCheck.from_settings(config, store)
        return publisher

    def preview(self, prepared):
        """The form fields, the crate's source and version, and the crate file (name, size, md5)."""
        import hashlib

        data = prepared.crate.read_bytes()
        return {"metadata": {"fields": [list(f) for f in prepared.fields], "source": prepared.source,
                             "version": prepared.version}, "text": None,
                "files": [{"name": prepared.crate.name, "size": len(data), "md5": hashlib.md5(data).hexdigest()}]}

    def __init__(self, base_url, token, store, base, *, data_dir, project_id=None, session=None, sleep=time.sleep,
                 retries=5, backoff_s=0.5, submit_attempts=3):
        self.root = self.base_url = str(base_url).rstrip("/")
        self.store, self.base, self.data_dir = store, base, Path(data_dir)
        if project_id is None:
            self.project_ids = ()
        elif isinstance(project_id, (list, tuple, set, frozenset)):
            self.project_ids = tuple(str(p) for p in project_id)
        else:
            self.project_ids = (str(project_id),)
        self.session = session if session is not None else make_session(timeout=TIMEOUT)
        self.sleep = sleep
        self.retries, self.backoff_s, self.submit_attempts = retries, backoff_s, submit_attempts
        self._auth = TokenAuth(token)

    def __repr__(self):
        return f"WorkflowHubPublisher({self.root!r})"

    # -- prepare --------------------------------------------------------------------------------

    def prepare(self, iri):
        """Build the crate and form fields for workflow version ``iri`` without any remote call.

        Returns
        -------
        PreparedCrate

        Raises
        ------
        publishers.zenodo_metadata.MissingMetadata
            If the record lacks what the crate needs (see `publishers.rocrate.workflow_crate`), or no team
            (``project_id``) is configured.
        ValueError
            If ``iri`` is not a workflow version.
        """
        problems = []
        if not self.project_ids:
            problems.append("project_id of the WorkflowHub publisher: no team is configured (the id in the team's "
                            "URL /projects/<id>; the token's user must be a member)")
        try:
            path = workflow_crate(self.store, iri, self.data_dir, self.base)
        except MissingMetadata as exc:
            raise MissingMetadata(exc.problems + problems, str(iri)) from None
        if problems:
            shutil.rmtree(path.parent, ignore_errors=True)
            raise MissingMetadata(problems, str(iri))
        graph = self.store.get(URIRef(iri))
        licence = graph.value(URIRef(iri), SDO.license)
        fields = [("workflow[project_ids][]", p) for p in self.project_ids]
        fields += [("workflow[title]", str(graph.value(URIRef(iri), SDO.name))),
                   ("workflow[description]", str(graph.value(URIRef(iri), SDO.description))),
                   ("workflow[license]", spdx_id(licence if licence is not None else DEFAULT_LICENSE))]
        return PreparedCrate(str(iri), path, tuple(fields), crate_source(self.store, iri),
                             str(graph.value(URIRef(iri), SDO.version)))

    # -- publish --------------------------------------------------------------------------------

    def recover(self, attempt):
        """Read back the workflow an earlier attempt created; its document if it holds this version, else None."""
        return self._known(attempt.pub_iri, attempt.prepared, attempt.calls)

    def send(self, attempt, document):
        """Submit the crate (unless `recover` found it); return ``(workflow id, version URL, number, DOI)``."""
        if document is None:
            document = self._submit(attempt.pub_iri, attempt.prepared, attempt.calls)
        url, number, doi = self._version_of(document, attempt.prepared)
        return document["data"]["id"], url, number, doi

    def finish(self, attempt, outcome):
        """Record the version's URL as the identifier (and a DOI WorkflowHub minted, if any)."""
        workflow_id, url, number, doi = outcome
        return attempt.step("published", identifier=url, url=url, generated=url,
                            workflow={"id": workflow_id, "version": number}, doi=doi, error=None,
                            step=f"published workflow={workflow_id} version={number}")

    def write_back(self, iri, pub):
        """Add ``schema:sameAs <version URL>`` to the workflow record."""
        self._write_back(iri, pub.identifier)

    def cleanup(self, prepared):
        """Remove the crate's temporary folder."""
        shutil.rmtree(prepared.crate.parent, ignore_errors=True)

    def result(self, pub, reused=False):
        """The version's WorkflowHub URL as a `PublishResult`."""
        verb = "was published" if reused else "is published"
        return PublishResult(self.service, pub.identifier, pub.url or pub.identifier,
                             f"<{pub.target}> {verb} on WorkflowHub as {pub.identifier}.",
                             publication=pub.iri, reused=reused)

    def _call(self, calls, method, url, *, idempotent, **kwargs):
        kwargs.setdefault("timeout", getattr(self.session, "timeout", TIMEOUT))
        headers = {"Accept": JSONAPI, **kwargs.pop("headers", {})}
        try:
            response = call(self.session, method, url, idempotent=idempotent, retries=self.retries,
                            backoff_s=self.backoff_s, sleep=self.sleep, service=self.service, auth=self._auth,
                            headers=headers, **kwargs)
        except UpstreamError as exc:
            calls.append({"method": method, "url": url, "status": exc.status, "error": exc.detail[:300]})
            if exc.status in (401, 403):
                raise UpstreamError(self.service, exc.status,
                                    f"{exc.detail} (check the WorkflowHub API token: it must belong to a member "
                                    "of the team and allow writing)") from None
            raise
        calls.append({"method": method, "url": url, "status": response.status_code})
        try:
            return response.json()
        except ValueError:
            raise UpstreamError(self.service, response.status_code,
                                f"{method} {url} answered {response.headers.get('Content-Type')}, not JSON") from None

    def _known(self, pub_iri, prepared, calls):
        """Read back a workflow an earlier attempt created; return its document if it has this version."""
        known = (records.get(self.store, pub_iri).progress.get("workflow") or {}).get("id")
        if not known:
            return None
        try:
            document = self._call(calls, "GET", f"{self.root}/workflows/{known}", idempotent=True)
        except UpstreamError as exc:
            if exc.status in (403, 404):
                return None
            raise
        versions = document.get("data", {}).get("attributes", {}).get("versions") or []
        return document if any(str(v.get("name")) == prepared.version for v in versions) else None

    def _submit(self, pub_iri, prepared, calls):
        url = f"{self.root}/workflows/submit"
        data = prepared.crate.read_bytes()
        connect, read = getattr(self.session, "timeout", TIMEOUT)
        for attempt in range(self.submit_attempts):
            try:
                document = self._call(calls, "POST", url, idempotent=False, data=list(prepared.fields),
                                      files={"ro_crate": (prepared.crate.name, data, "application/zip")},
                                      timeout=(connect, read + len(data) / 1e6))  # +1 s per MB
            except OutcomeUnknown as exc:
                log.warning("submitting %s to WorkflowHub: %s; submitting the same crate again", prepared.iri, exc)
                records.update(self.store, pub_iri, calls=list(calls), step=f"submit outcome unknown ({exc.status}); "
                               f"resubmitting source={prepared.source} version={prepared.version}")
                calls.clear()
                if attempt == self.submit_attempts - 1:
                    raise
                self.sleep(self.backoff_s * 2 ** attempt)
                continue
            except UpstreamError as exc:
                if exc.status == 422:
                    raise UpstreamError(self.service, 422, f"{exc.detail} (crate of <{prepared.iri}>: source URL "
                                        f"{prepared.source!r}, version {prepared.version!r}, teams "
                                        f"{list(self.project_ids)})") from None
                raise
            workflow = document.get("data", {}).get("id")
            records.update(self.store, pub_iri, "uploaded", calls=list(calls), workflow={"id": workflow},
                           step=f"submitted workflow={workflow}")
            calls.clear()
            return document
        raise AssertionError("unreachable")

    def _version_of(self, document, prepared):
        data = document.get("data") or {}
        versions = (data.get("attributes") or {}).get("versions") or []
        mine = [v for v in versions if str(v.get("name")) == prepared.version]
        if not data.get("id") or not mine:
            raise UpstreamError(self.service, None, f"WorkflowHub's answer has no version {prepared.version!r} of "
                                                    f"workflow {data.get('id')!r}")
        number = mine[-1]["version"]
        url = mine[-1].get("url") or f"{self.root}{data.get('links', {}).get('self')}?version={number}"
        return url, number, mine[-1].get("doi")

    def _write_back(self, iri, url):
        """Add ``schema:sameAs <url>`` to the workflow record (keeping any DOI in ``schema:identifier``)."""
        iri, target = URIRef(iri), URIRef(url)
        graph = self.store.get(iri)
        if (iri, SDO.sameAs, target) in graph:
            return
        records.strip_versions(graph, iri)
        graph.add((iri, SDO.sameAs, target))
        self.store.put(iri, graph)
