"""Publish workflow versions and results on Zenodo, exactly once, through its legacy deposition API.

`ZenodoPublisher.publish` follows the client recipe of ``specs/external-apis.md`` §1.9:

1. A ``sw:Publication`` record (`publishers.records`) is written before the first remote call, with a
   client marker ``skyweave-publication:<uuid>`` that is also sent as a keyword of the deposition.
2. Find or create the draft: a known deposition is read back (``links.self``); a resumed attempt without
   one first searches ``?q="<marker>"&status=draft``; a create that ends with an unknown outcome (timeout,
   dropped connection, 5xx) is followed by that search before any new create. A newer workflow version
   whose previous version (``prov:wasRevisionOf``) was published becomes a new version of that deposition
   (``actions/newversion``, then ``links.latest_draft``), so all versions share one concept DOI.
3. Upload each file with ``PUT {links.bucket}/{quoted name}``, checking the returned size and md5
   (a mismatch is uploaded again); files already there with the right checksum are skipped, files not in
   the manifest are deleted.
4. Read the deposition back and compare its ``files[]`` with the local manifest; refuse to publish on a
   mismatch.
5. ``POST links.publish``; after an unknown outcome, or a 4xx, read the deposition: ``submitted`` with a
   ``doi`` is success, anything else is retried (bounded) or reported.
6. Record the DOI in the publication record and write it back into the published record
   (``schema:identifier`` and ``schema:sameAs <https://doi.org/…>``).

Each step is recorded, so calling `publish` again resumes where the last attempt stopped; once a record is
published, `publish` returns its DOI without any remote call. Tokens are sent only in the
``Authorization`` header and never reach the store, the logs or error messages.

References
----------
.. [1] Zenodo REST API, https://developers.zenodo.org/ (deposit, deposit files, deposit actions).
.. [2] ``specs/external-apis.md`` §1 (Zenodo contract, §1.9 client recipe, §1.10 Zenodo-RDM behaviour), §7
   (failure matrix F1-F8).
"""

import hashlib
import shutil
import io
import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

from rdflib import Graph, Literal, URIRef

from skyweave.catalog.vocab import DCAT, PREFIXES, PROV, SDO, SW
from skyweave.runners.files import path_of

from skyweave.catalog.exceptions import NotConfigured

from .exactly_once import ExactlyOnce
from .terms import TermsCheck
from .outcomes import MissingMetadata, OutcomeUnknown, PublishResult, UpstreamError
from . import records
from ._http import TIMEOUT, BearerAuth, call, make_session
from .rocrate import run_crate, workflow_crate
from .zenodo_metadata import deposit_metadata, record_kind

__all__ = ["SERVICE", "PreparedFile", "Prepared", "ZenodoPublisher"]

log = logging.getLogger(__name__)

SERVICE = "zenodo"

PROVENANCE_FILE = "provenance.ttl"
"""Name of the PROV-O file (run and result graphs, Turtle) deposited with a result."""

_DOWNLOAD = re.compile(r"/files/results/([0-9a-f]{64})/([^/]+)$")


@dataclass(frozen=True)
class PreparedFile:
    """One file of a deposit: its name, size and md5, and where its bytes are.

    Attributes
    ----------
    name : str
        File name in the deposition.
    size : int
        Bytes.
    md5 : str
        Hexadecimal MD5 (what Zenodo reports as ``checksum``).
    path : pathlib.Path or None
        The file on disk, or None when ``data`` holds the bytes.
    data : bytes or None
    """

    name: str
    size: int
    md5: str
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def from_bytes(cls, name, data):
        """Build one from bytes in memory."""
        return cls(name, len(data), hashlib.md5(data).hexdigest(), data=data)

    @classmethod
    def from_path(cls, name, path):
        """Build one from a file on disk (read once for its md5; sent from disk)."""
        digest, size = hashlib.md5(), 0
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
        return cls(name, size, digest.hexdigest(), path=Path(path))

    def open(self):
        """Return a fresh binary stream of the content."""
        return io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")


@dataclass(frozen=True)
class Prepared:
    """What will be deposited for a record.

    Attributes
    ----------
    metadata : dict
        Zenodo ``metadata`` (without the run marker, which `ZenodoPublisher.publish` adds).
    files : tuple of PreparedFile
    iri : str or None
        The record.
    kind : str or None
        ``"workflow"`` or ``"result"``.
    """

    metadata: dict
    files: tuple
    iri: str | None = None
    kind: str | None = None


def _published(deposition):
    """Whether a deposition JSON is a published record with its DOI."""
    return bool(deposition.get("submitted")) and deposition.get("state") in ("done", "inprogress") and \
        bool(deposition.get("doi"))


def _previous_of(graph, iri):
    """The previous workflow version (``prov:wasRevisionOf``, not the store's ``/versions/`` link), or None."""
    for value in graph.objects(URIRef(iri), PROV.wasRevisionOf):
        if not str(value).startswith(f"{iri}/versions/"):
            return value
    return None


class ZenodoPublisher(ExactlyOnce):
    """Deposit catalog records on Zenodo (or its sandbox, or the local stand-in).

    Parameters
    ----------
    base_url : str
        The service root, e.g. ``https://sandbox.zenodo.org`` (``/api`` is added unless present).
    token : str
        Personal access token with ``deposit:write`` (and ``deposit:actions`` unless ``actions_token``).
    store : catalog.store.Store
    base : str
        The catalog's base IRI (publication records are ``{base}publications/<uuid>``).
    data_dir : str or pathlib.Path
        ``DATA_DIR``: result files (``files/``) and workflow snapshots (``sw:notebook`` paths).
    session : requests.Session or None
        Default: `publishers._http.make_session`.
    sleep : callable
        ``sleep(seconds)``, used for every wait (tests pass a recorder).
    actions_token : str or None
        A second token for publish and newversion (``deposit:actions``), if the write token lacks it.
    retries, backoff_s : int, float
        Retry budget and first backoff of idempotent calls (see `publishers._http.call`).
    search_waits_s : sequence of float
        Waits before searching again for a draft by its marker when a search finds nothing (search
        indexes lag behind writes).

    Attributes
    ----------
    service : str
        ``"zenodo"``.
    """

    service = SERVICE
    title = "Zenodo"
    collections = ("workflows", "results")
    action = "Publish and get a DOI"
    button = "Publish to Zenodo"
    mints_doi = True

    @classmethod
    def from_settings(cls, config, store, **kwargs):
        """Build the publisher from the settings (``ZENODO_BASE_URL``, ``ZENODO_TOKEN``, ``ZENODO_ACTIONS_TOKEN``).

        Raises
        ------
        skyweave.catalog.exceptions.NotConfigured
            If ``ZENODO_TOKEN`` is not set.
        """
        if not config.get("ZENODO_TOKEN"):
            raise NotConfigured("Publishing to Zenodo is not configured: set SKYWEAVE_ZENODO_TOKEN (and "
                                "ZENODO_BASE_URL).", title="Publishing not configured")
        publisher = cls(config["ZENODO_BASE_URL"], config["ZENODO_TOKEN"], store, config["BASE_IRI"],
                         data_dir=config["DATA_DIR"], actions_token=config.get("ZENODO_ACTIONS_TOKEN") or None, **kwargs)
        publisher.terms = TermsCheck.from_settings(config, store)
        return publisher

    def preview(self, prepared):
        """The deposit's metadata and its files (name, size, md5), as the page and ``--dry-run`` show them."""
        return {"metadata": prepared.metadata, "text": None,
                "files": [{"name": f.name, "size": f.size, "md5": f.md5} for f in prepared.files]}

    def __init__(self, base_url, token, store, base, *, data_dir, session=None, sleep=time.sleep,
                 actions_token=None, retries=5, backoff_s=0.5, search_waits_s=(1.0, 2.0)):
        root = str(base_url).rstrip("/")
        self.api = root if root.endswith("/api") else f"{root}/api"
        self.depositions = f"{self.api}/deposit/depositions"
        self.base_url = root
        self.store, self.base, self.data_dir = store, base, Path(data_dir)
        self.session = session if session is not None else make_session(timeout=TIMEOUT)
        self.sleep = sleep
        self.retries, self.backoff_s = retries, backoff_s
        self.search_waits_s = tuple(search_waits_s)
        self._auth = BearerAuth(token)
        self._actions_auth = BearerAuth(actions_token) if actions_token else self._auth
        self._local = threading.local()  # the calls made by this thread's publication, not yet recorded

    def __repr__(self):
        return f"ZenodoPublisher({self.api!r})"

    # -- prepare --------------------------------------------------------------------------------

    def prepare(self, iri):
        """Build the deposit for record ``iri`` without any remote call.

        Parameters
        ----------
        iri : str
            A workflow version or a result.

        Returns
        -------
        Prepared
            Metadata from `publishers.zenodo_metadata.deposit_metadata`; files: for a result, each distribution's
            stored bytes, the executed notebook when kept, ``run.crate.zip`` (its Workflow Run Crate) and
            ``provenance.ttl`` (the run and result
            graphs); for a workflow version, its notebook (``DATA_DIR/<sw:notebook>``) and its Workflow
            RO-Crate (``<slug>.crate.zip``).

        Raises
        ------
        publishers.zenodo_metadata.MissingMetadata
            If metadata or files are missing; each problem names the field and the record.
        ValueError
            If the record is neither a workflow version nor a result.
        """
        iri = URIRef(iri)
        graph = self.store.get(iri)
        kind = record_kind(graph, iri)
        problems, metadata = [], None
        try:
            metadata = deposit_metadata(self.store, iri, self.base)
        except MissingMetadata as exc:
            problems += exc.problems
        files = self._result_files(graph, iri, problems) if kind == "result" else \
            self._workflow_files(graph, iri, problems)
        if problems:
            raise MissingMetadata(problems, str(iri))
        return Prepared(metadata, tuple(files), str(iri), kind)

    def _stored_file(self, url):
        match = _DOWNLOAD.search(str(url))
        if not match:
            return None, None
        return unquote(match.group(2)), path_of(self.data_dir, match.group(1))

    def _result_files(self, graph, iri, problems):
        files = []
        for dist in graph.objects(iri, DCAT.distribution):
            url = graph.value(dist, DCAT.downloadURL)
            name, path = self._stored_file(url)
            if path is None or not path.is_file():
                problems.append(f"dcat:distribution of <{iri}>: the file <{url}> is not stored under "
                                f"DATA_DIR/files")
                continue
            files.append(PreparedFile.from_path(name, path))
        files.sort(key=lambda f: f.name)
        run = graph.value(iri, PROV.wasGeneratedBy)
        provenance = Graph()
        for prefix in ("sw", "prov", "schema", "dcat", "rdfs", "xsd"):
            provenance.bind(prefix, PREFIXES[prefix])
        provenance += records.strip_versions(graph, iri)
        if run is not None and self.store.exists(run):
            run_graph = records.strip_versions(self.store.get(run), run)
            provenance += run_graph
            for node in run_graph.objects(run, PROV.generated):
                name, path = self._stored_file(run_graph.value(node, DCAT.downloadURL))
                if path is not None and path.is_file():
                    files.append(PreparedFile.from_path(name, path))
        files.append(PreparedFile.from_bytes(PROVENANCE_FILE, provenance.serialize(format="turtle").encode()))
        if run is not None and not problems:  # the Workflow Run Crate of the run, with the result's files
            crate = self._crate(lambda: run_crate(self.store, iri, self.data_dir, self.base,
                                                  [(f.name, f.path) for f in files if f.path is not None]), problems)
            files += [crate] if crate is not None else []
        return _unique(files)

    def _workflow_files(self, graph, iri, problems):
        notebook = graph.value(iri, SW.notebook)
        if notebook is None:
            problems.append(f"sw:notebook of <{iri}>: the workflow version names no notebook file")
            return []
        path = self.data_dir / str(notebook)
        if not path.is_file():
            problems.append(f"sw:notebook of <{iri}>: {notebook} is not under DATA_DIR ({self.data_dir})")
            return []
        crate = self._crate(lambda: workflow_crate(self.store, iri, self.data_dir, self.base), problems)
        return [PreparedFile.from_path(path.name, path)] + ([crate] if crate is not None else [])

    @staticmethod
    def _crate(build, problems):
        """Build an RO-Crate zip and return it as a file to deposit (None, with problems noted, if it cannot)."""
        try:
            path = build()
        except MissingMetadata as exc:
            problems.extend(p for p in exc.problems if p not in problems)
            return None
        try:
            return PreparedFile.from_bytes(path.name, path.read_bytes())
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)

    # -- publish --------------------------------------------------------------------------------

    def _result(self, pub, reused=False):
        concept = pub.progress.get("conceptdoi")
        verb = "was published" if reused else "is published"
        return PublishResult(
            self.service, pub.identifier, pub.url or f"https://doi.org/{pub.identifier}",
            f"<{pub.target}> {verb} on Zenodo as doi:{pub.identifier}"
            + (f" (all versions: doi:{concept})" if concept else "") + ".",
            publication=pub.iri, concept_identifier=concept, reused=reused)

    # -- remote calls ---------------------------------------------------------------------------

    @property
    def _calls(self):
        if not hasattr(self._local, "calls"):
            self._local.calls = []
        return self._local.calls

    def _call(self, method, url, *, idempotent, actions=False, **kwargs):
        kwargs.setdefault("timeout", getattr(self.session, "timeout", TIMEOUT))
        shown = f"{url}?{urlencode(kwargs['params'])}" if kwargs.get("params") else url
        try:
            response = call(self.session, method, url, idempotent=idempotent, retries=self.retries,
                            backoff_s=self.backoff_s, sleep=self.sleep, service=self.service,
                            auth=self._actions_auth if actions else self._auth, **kwargs)
        except UpstreamError as exc:
            self._calls.append({"method": method, "url": shown, "status": exc.status, "error": exc.detail[:300]})
            raise
        self._calls.append({"method": method, "url": shown, "status": response.status_code})
        return response

    def take_calls(self):
        """Return and forget the calls this thread made since the last recorded step."""
        calls, self._local.calls = self._calls, []
        return calls

    def _json(self, method, url, **kwargs):
        response = self._call(method, url, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise UpstreamError(self.service, response.status_code,
                                f"{method} {url} answered {response.headers.get('Content-Type')}, not JSON") from None

    def _step(self, pub_iri, state=None, **kwargs):
        return records.update(self.store, pub_iri, state, calls=self.take_calls(), **kwargs)

    def _remember(self, pub_iri, deposition, step):
        links = deposition.get("links", {})
        self._step(pub_iri, "draft", step=step, ended=False, error=None,
                   deposition={"id": deposition.get("id"), "self": links.get("self"), "html": links.get("html")})

    # -- step 1: find or create the draft ---------------------------------------------------------

    def recover(self, attempt):
        """Find the draft an earlier attempt made: by its recorded link, else by the marker keyword.

        Returns
        -------
        dict or None
            The deposition JSON, or None when there is none (or a new version of a published earlier
            version will be opened, which `_new_version` finds through ``links.latest_draft``).
        """
        pub = attempt.publication
        known = (pub.progress.get("deposition") or {}).get("self")
        if known:
            try:
                return self._json("GET", known, idempotent=True)
            except UpstreamError as exc:
                if exc.status not in (404, 410):
                    raise
                attempt.step(step=f"deposition gone ({exc.status}); starting again", deposition=None)
        if self._previous_publication(attempt.prepared) is not None:
            return None
        found = self._search(pub.marker)
        if found is not None:
            self._remember(attempt.pub_iri, found, f"draft_found id={found['id']}")
        return found

    def send(self, attempt, deposition):
        """Create (or reuse) the draft, upload and verify the files, publish; return the published deposition."""
        pub_iri, prepared = attempt.pub_iri, attempt.prepared
        marker = attempt.publication.marker
        metadata = dict(prepared.metadata)
        metadata["keywords"] = [*metadata.get("keywords", []), marker]
        if deposition is not None:
            if _published(deposition):
                return deposition
            deposition = self._put_metadata(pub_iri, deposition, metadata)
        else:
            previous = self._previous_publication(prepared)
            deposition = self._new_version(pub_iri, previous, metadata) if previous is not None else \
                self._create(pub_iri, marker, metadata)
        if not _published(deposition):
            deposition = self._upload(pub_iri, deposition, prepared.files)
            deposition = self._verify(pub_iri, deposition, prepared.files)
            deposition = self._publish(pub_iri, deposition)
        return deposition

    def _put_metadata(self, pub_iri, deposition, metadata):
        """Replace a draft's metadata with the full current set (``PUT links.self``; idempotent)."""
        return self._json("PUT", deposition["links"]["self"], idempotent=True, json={"metadata": metadata})

    def _create(self, pub_iri, marker, metadata):
        for attempt in range(3):
            try:
                deposition = self._json("POST", self.depositions, idempotent=False, json={"metadata": metadata})
            except OutcomeUnknown as exc:
                log.warning("creating the Zenodo draft of %s: %s; searching for it by marker", pub_iri, exc)
                self._step(pub_iri, step=f"create outcome unknown ({exc.status}); searching {marker}")
                deposition = self._search(marker)
                if deposition is None:
                    if attempt == 2:
                        raise
                    continue
                self._remember(pub_iri, deposition, f"draft_found id={deposition['id']}")
                return deposition
            self._remember(pub_iri, deposition, f"draft_created id={deposition['id']}")
            return deposition
        raise AssertionError("unreachable")

    def _search(self, marker):
        """Find this publication's draft by its marker keyword; None if there is none (after waits)."""
        for wait in (0.0, *self.search_waits_s):
            if wait:
                self.sleep(wait)
            found = self._json("GET", self.depositions, idempotent=True,
                               params={"q": f'"{marker}"', "status": "draft", "size": 20})
            mine = [d for d in found if marker in (d.get("metadata", {}).get("keywords") or [])]
            if mine:
                if len(mine) > 1:
                    log.warning("%d Zenodo drafts carry %s; using the oldest (%s)", len(mine), marker, mine[-1]["id"])
                return min(mine, key=lambda d: d["id"])
        return None

    def _previous_publication(self, prepared):
        """The publication of the nearest earlier version of a workflow that is published, or None."""
        if prepared.kind != "workflow":
            return None
        seen = set()
        current = URIRef(prepared.iri)
        previous = _previous_of(self.store.get(current), current)
        while previous is not None and previous not in seen:
            seen.add(previous)
            pub = records.find(self.store, previous, self.service)
            if pub is not None and pub.state == "published" and (pub.progress.get("deposition") or {}).get("self"):
                return pub
            if not self.store.exists(previous):
                return None
            previous = _previous_of(self.store.get(previous), previous)
        return None

    def _new_version(self, pub_iri, previous, metadata):
        """Open (or reuse) the new-version draft of the previous version's deposition (§1.5, §1.10)."""
        origin = previous.progress["deposition"]["self"]
        self._step(pub_iri, step=f"new version of {previous.identifier}", previous=previous.identifier)
        for attempt in range(4):
            published = self._json("GET", origin, idempotent=True)
            draft_url = published.get("links", {}).get("latest_draft")
            if draft_url and draft_url != published["links"].get("self"):
                draft = self._json("GET", draft_url, idempotent=True)
                if not draft.get("submitted") and str(draft.get("conceptrecid")) == str(published.get("conceptrecid")):
                    self._remember(pub_iri, draft, f"newversion_draft id={draft['id']}")
                    return self._put_metadata(pub_iri, draft, metadata)
            if attempt == 3:
                break
            try:
                self._call("POST", published["links"]["newversion"], idempotent=False, actions=True)
            except OutcomeUnknown as exc:
                log.warning("newversion of %s: %s; reading links.latest_draft", origin, exc)
        raise OutcomeUnknown(self.service, None, f"no new-version draft of {origin} appeared")

    # -- steps 2-3: files -------------------------------------------------------------------------

    def _upload(self, pub_iri, deposition, files):
        remote = {f.get("filename"): f for f in deposition.get("files", []) or []}
        wanted = {f.name for f in files}
        for name, item in remote.items():
            if name not in wanted:
                url = item.get("links", {}).get("self")
                try:
                    self._call("DELETE", url, idempotent=True)
                except UpstreamError as exc:
                    if exc.status != 404:
                        raise
                self._step(pub_iri, step=f"file_deleted {name}")
        bucket = deposition["links"]["bucket"]
        uploaded = dict(records.get(self.store, pub_iri).progress.get("files") or {})
        for f in files:
            have = remote.get(f.name)
            if have and have.get("filesize") == f.size and str(have.get("checksum", "")).removeprefix("md5:") == f.md5:
                continue
            self._put_file(bucket, f)
            uploaded[f.name] = {"size": f.size, "md5": f.md5}
            self._step(pub_iri, step=f"file_uploaded {f.name}", files=uploaded)
        return deposition

    def _put_file(self, bucket, f, attempts=3):
        """Upload one file (replace by key) until the service reports the right size and md5.

        The call layer already retries connection errors and 502/503/504; a 500 or a give-up mid-upload is
        tried again here too, as a PUT by key is idempotent and the service keeps no partial file.
        """
        url = f"{bucket}/{quote(f.name)}"
        timeout = (TIMEOUT[0], TIMEOUT[1] + f.size / 1e6)  # read timeout grows by 1 s per MB
        answer, md5 = {}, None
        for attempt in range(attempts):
            try:
                answer = self._json("PUT", url, idempotent=True, data=f.open, timeout=timeout,
                                    headers={"Content-Type": "application/octet-stream"})
            except UpstreamError as exc:
                if (exc.status is not None and exc.status < 500) or attempt == attempts - 1:
                    raise
                log.warning("upload of %s failed (%s); uploading again", f.name, exc)
                continue
            md5 = str(answer.get("checksum", "")).removeprefix("md5:")
            if md5 == f.md5 and answer.get("size") == f.size:
                return answer
            log.warning("upload of %s stored %s bytes with md5 %s, not %d bytes with md5 %s; uploading again",
                        f.name, answer.get("size"), md5, f.size, f.md5)
        raise UpstreamError(self.service, None, f"the upload of {f.name} kept arriving damaged (size "
                                                f"{answer.get('size')} md5 {md5}, expected {f.size} md5 {f.md5}) "
                                                f"after {attempts} uploads")

    def _verify(self, pub_iri, deposition, files):
        """Compare the draft's files with the manifest (one repair pass); refuse to go on on a mismatch."""
        local = {f.name: (f.size, f.md5) for f in files}
        for attempt in range(2):
            deposition = self._json("GET", deposition["links"]["self"], idempotent=True)
            remote = {f.get("filename"): (f.get("filesize"), str(f.get("checksum", "")).removeprefix("md5:"))
                      for f in deposition.get("files", []) or []}
            if remote == local:
                self._step(pub_iri, "uploaded", step=f"files_verified {len(local)}")
                return deposition
            if attempt == 0:
                deposition = self._upload(pub_iri, deposition, files)
        differences = sorted(set(remote.items()) ^ set(local.items()))
        raise UpstreamError(self.service, None, f"refusing to publish {deposition['links']['self']}: its files differ "
                                                f"from the manifest {differences}")

    # -- steps 4-5: publish ---------------------------------------------------------------------

    def _publish(self, pub_iri, deposition):
        url, self_url = deposition["links"]["publish"], deposition["links"]["self"]
        for attempt in range(3):
            failure = None
            try:
                answer = self._json("POST", url, idempotent=False, actions=True)
                if _published(answer):
                    return answer
            except OutcomeUnknown as exc:
                failure = exc
            except UpstreamError as exc:
                if exc.status not in (400, 403, 404, 409):
                    raise
                failure = exc
            self._step(pub_iri, step=f"publish outcome {'unknown' if failure is None else failure.status}; "
                                     "reading the deposition")
            current = self._json("GET", self_url, idempotent=True)
            if _published(current):
                return current
            if failure is not None and not isinstance(failure, OutcomeUnknown) and failure.status != 409:
                raise failure
            if attempt < 2:
                self.sleep(self.backoff_s * 2 ** attempt)
        raise failure or OutcomeUnknown(self.service, None, f"{url} never confirmed the publication")

    def finish(self, attempt, deposition):
        """Record the DOI, the concept DOI and the record's page in the publication record."""
        pub_iri = attempt.pub_iri
        doi = deposition["doi"]
        links = deposition.get("links", {})
        url = links.get("record_html") or links.get("html") or f"https://doi.org/{doi}"
        pub = self._step(pub_iri, "published", identifier=doi, url=url, generated=f"https://doi.org/{doi}",
                         conceptdoi=deposition.get("conceptdoi"), record_id=deposition.get("id"), error=None,
                         step=f"published doi={doi}")
        return pub

    def write_back(self, iri, pub):
        """Add the DOI to the published record (see `_write_back`)."""
        self._write_back(iri, pub.identifier)

    def result(self, pub, reused=False):
        """The DOI, concept DOI and page of a finished publication as a `PublishResult`."""
        return self._result(pub, reused)

    def _write_back(self, iri, doi):
        """Add ``schema:identifier`` (the DOI) and ``schema:sameAs <https://doi.org/…>`` to the published record."""
        iri = URIRef(iri)
        graph = self.store.get(iri)
        doi_iri = URIRef(f"https://doi.org/{doi}")
        if graph.value(iri, SDO.identifier) == Literal(doi) and (iri, SDO.sameAs, doi_iri) in graph:
            return
        records.strip_versions(graph, iri)
        graph.set((iri, SDO.identifier, Literal(doi)))
        graph.add((iri, SDO.sameAs, doi_iri))
        self.store.put(iri, graph)


def _unique(files):
    """Make file names unique (``name``, ``2-name``, ...), keeping the order."""
    seen, out = set(), []
    for f in files:
        name, n = f.name, 1
        while name in seen:
            n += 1
            name = f"{n}-{f.name}"
        seen.add(name)
        out.append(f if name == f.name else PreparedFile(name, f.size, f.md5, f.path, f.data))
    return out
