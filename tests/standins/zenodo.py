"""Local stand-in of the Zenodo REST API: the legacy deposition layer of Zenodo-RDM (test equipment).

It follows ``specs/external-apis.md`` §1, taking the Zenodo-RDM column of its §1.10 wherever the
developer docs and Zenodo-RDM differ:

- ``POST /api/deposit/depositions/:id/actions/newversion`` answers the **new draft** itself (201); calling it
  again while that draft exists answers the same draft. Files are copied, ``publication_date`` and ``doi``
  are dropped from the copied metadata.
- A draft that was never published has ``state: "unsubmitted"``; a published one ``done``, or
  ``inprogress`` while an edit draft is open (``actions/edit``).
- ``DELETE`` of a draft and ``actions/discard`` are the same operation (204, empty body): a never-published
  draft (first or new version) is deleted, an edit draft is dropped and the published record is kept.
- Anonymous calls, and calls with an unknown token (handled as anonymous), get 403; a token without the
  scope (``deposit:write`` for drafts and files, ``deposit:actions`` for actions) gets 403.
- Error items carry ``messages`` (a list): ``{"status": 400, "message": ..., "errors": [{"field": ...,
  "messages": [...]}]}``.
- ``metadata.prereserve_doi`` is always present and, as Zenodo-RDM does, uses the production prefix
  ``10.5281`` whatever ``doi_prefix`` is (``prereserve_doi_prefix``): treat it as a prediction only.
- ``files`` is left out of a deposition that has no files (as Zenodo-RDM's serializer does).
- Calls that need a draft on a published deposition without one (``PUT``, ``DELETE``, ``publish``, file
  uploads and deletions) get 404; file changes on an open edit draft get 403 (files of a published
  record are frozen).

Stand-in choices where the spec is silent: ``actions/edit`` and ``actions/newversion`` on a never-published
draft → 404; ``newversion`` on a published version that is not the latest → 400; the old multipart files
API refuses an existing file name (400) and, like Zenodo-RDM, passes the name through
`werkzeug.utils.secure_filename`.

References
----------
.. [1] Zenodo REST API (developers.zenodo.org): deposit, deposit-actions, deposit-files, quickstart.
.. [2] ``specs/external-apis.md`` §1 (contract) and §7 (failure-mode test matrix).
"""

import copy
import hashlib
import json
import mimetypes
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import wraps
from urllib.parse import quote

from flask import Flask, Response, redirect, request
from werkzeug.exceptions import HTTPException
from werkzeug.utils import secure_filename

from .harness import install

WRITE_TOKEN = "write-token"
ACTIONS_TOKEN = "actions-token"
DEFAULT_TOKENS = {WRITE_TOKEN: {"deposit:write"}, ACTIONS_TOKEN: {"deposit:write", "deposit:actions"}}
"""Tokens of `make_zenodo_app` when none are given: one with ``deposit:write``, one with both scopes."""

DEPOSITIONS = "/api/deposit/depositions"

UPLOAD_TYPES = ("publication", "poster", "presentation", "dataset", "image", "video", "software", "lesson",
                "physicalobject", "other")
PUBLICATION_TYPES = ("annotationcollection", "book", "section", "conferencepaper", "datamanagementplan", "article",
                     "patent", "preprint", "deliverable", "milestone", "proposal", "report",
                     "softwaredocumentation", "taxonomictreatment", "technicalnote", "thesis", "workingpaper",
                     "other")
IMAGE_TYPES = ("figure", "plot", "drawing", "diagram", "photo", "other")
ACCESS_RIGHTS = ("open", "embargoed", "restricted", "closed")
RELATIONS = ("isCitedBy", "cites", "isSupplementTo", "isSupplementedBy", "isContinuedBy", "continues",
             "isDescribedBy", "describes", "hasMetadata", "isMetadataFor", "isNewVersionOf", "isPreviousVersionOf",
             "isPartOf", "hasPart", "isReferencedBy", "references", "isDocumentedBy", "documents", "isCompiledBy",
             "compiles", "isVariantFormOf", "isOriginalFormOf", "isIdenticalTo", "isAlternateIdentifier",
             "isReviewedBy", "reviews", "isDerivedFrom", "isSourceOf", "requires", "isRequiredBy", "isObsoletedBy",
             "obsoletes", "hasVersion", "isVersionOf", "isPublishedIn")
CONTRIBUTOR_TYPES = ("ContactPerson", "DataCollector", "DataCurator", "DataManager", "Distributor", "Editor",
                     "HostingInstitution", "Producer", "ProjectLeader", "ProjectManager", "ProjectMember",
                     "RegistrationAgency", "RegistrationAuthority", "RelatedPerson", "Researcher", "ResearchGroup",
                     "RightsHolder", "Sponsor", "Supervisor", "WorkPackageLeader", "Other")
LICENSES = frozenset({
    "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-sa-4.0", "cc-by-nc-nd-4.0",
    "cc-by-3.0", "cc-by-sa-3.0", "cc-by-2.0", "cc0-1.0", "cc-zero", "cc-by", "cc-by-sa", "cc-by-nc",
    "mit", "apache-2.0", "bsd-2-clause", "bsd-3-clause", "isc", "mpl-2.0", "unlicense", "zlib",
    "gpl-2.0", "gpl-2.0-only", "gpl-2.0-or-later", "gpl-3.0", "gpl-3.0-only", "gpl-3.0-or-later",
    "lgpl-2.1", "lgpl-2.1-only", "lgpl-2.1-or-later", "lgpl-3.0", "lgpl-3.0-only", "lgpl-3.0-or-later",
    "agpl-3.0", "agpl-3.0-only", "agpl-3.0-or-later", "eupl-1.2", "odc-by-1.0", "odbl-1.0", "pddl-1.0",
    "other-open", "other-at", "other-nc", "other-pd", "other-closed",
})
"""License ids accepted (case-insensitively): common SPDX ids and legacy Zenodo aliases."""

MAX_FILES = 100
OLD_API_MAX_FILE_SIZE = 100 * 1000 * 1000
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10
SORTS = ("bestmatch", "mostrecent", "-mostrecent", "newest", "oldest", "updated-desc", "updated-asc")

VALIDATION_ERROR = "A validation error occurred."
MISSING = "Missing data for required field."
NO_FILES = "Minimum one file must be provided."
FORBIDDEN = ("You don't have the permission to access the requested resource. It is either read-protected or "
             "not readable by the server.")
NOT_FOUND = "The persistent identifier does not exist."

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ORCID = re.compile(r"^(https://orcid\.org/)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
_SCHEMES = (  # (scheme, pattern), first match wins; identifiers with no match are invalid
    ("doi", re.compile(r"^(doi:|https?://(dx\.)?doi\.org/)?10\.\d{4,9}/\S+$", re.I)),
    ("arxiv", re.compile(r"^(arxiv:)?(\d{4}\.\d{4,5}|[a-z-]+(\.[a-z]{2})?/\d{7})(v\d+)?$", re.I)),
    ("ads", re.compile(r"^\d{4}[A-Za-z&.]{1,5}[\w.&]{9,10}[A-Z.]$")),
    ("orcid", re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")),
    ("swh", re.compile(r"^swh:1:(cnt|dir|rev|rel|snp):[0-9a-f]{40}", re.I)),
    ("urn", re.compile(r"^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$", re.I)),
    ("ark", re.compile(r"^ark:/?\d+/\S+$", re.I)),
    ("handle", re.compile(r"^(hdl:)?\d+(\.\d+)*/\S+$", re.I)),
    ("isbn", re.compile(r"^(97[89][- ]?)?(\d[- ]?){9}[\dX]$", re.I)),
    ("issn", re.compile(r"^\d{4}-\d{3}[\dX]$", re.I)),
    ("pmid", re.compile(r"^(pmid:)?\d{1,9}$", re.I)),
    ("url", re.compile(r"^(https?|ftp)://[^\s/$.?#][^\s]*$", re.I)),
)


class ZenodoError(Exception):
    """An error answer of the stand-in, in Zenodo-RDM's JSON shape."""

    def __init__(self, status, message, errors=None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors

    def response(self):
        body = {"status": self.status, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return Response(json.dumps(body), self.status, content_type="application/json")


def _now():
    return datetime.now(timezone.utc).isoformat()


def _scheme(identifier):
    for name, pattern in _SCHEMES:
        if pattern.match(identifier.strip()):
            return name
    return None


@dataclass
class _File:
    key: str
    data: bytes
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    version_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: str = field(default_factory=_now)

    @property
    def md5(self):
        return hashlib.md5(self.data).hexdigest()

    @property
    def mimetype(self):
        return mimetypes.guess_type(self.key)[0] or "application/octet-stream"

    def copy(self):
        return _File(self.key, self.data)


@dataclass
class _Draft:
    metadata: dict
    files: dict
    bucket: str
    modified: str = field(default_factory=_now)


@dataclass
class _Record:
    metadata: dict
    files: dict
    doi: str
    modified: str = field(default_factory=_now)


@dataclass
class _Deposition:
    id: int
    conceptrecid: int
    owner: int
    created: str = field(default_factory=_now)
    draft: _Draft | None = None
    record: _Record | None = None


@dataclass
class _Concept:
    id: int
    doi: str | None = None
    versions: list = field(default_factory=list)  # deposition ids, creation order
    published: list = field(default_factory=list)  # deposition ids, publication order


def metadata_errors(metadata, licenses=LICENSES):
    """Check the structure of a deposition's ``metadata`` (required fields are checked at publish).

    Parameters
    ----------
    metadata : object
        The ``metadata`` member of a create or update request.
    licenses : set of str
        Accepted license ids, lower case.

    Returns
    -------
    errors : list of dict
        Zenodo-RDM error items ``{"field": "metadata.<path>", "messages": [str]}``; empty if valid.

    Examples
    --------
    >>> metadata_errors({"upload_type": "dataset", "communities": ["skyweave"]})
    [{'field': 'communities', 'messages': ["Invalid communities: send a list of objects with an 'identifier'."]}]
    """
    errors = []

    def error(path, message):
        errors.append({"field": path if path == "communities" else f"metadata.{path}", "messages": [message]})

    if not isinstance(metadata, dict):
        return [{"field": "metadata", "messages": ["Invalid input type."]}]
    for key in ("title", "description", "publication_date", "version", "language", "notes", "method",
                "access_conditions", "embargo_date", "license", "upload_type", "publication_type", "image_type",
                "doi"):
        if key in metadata and not isinstance(metadata[key], str):
            error(key, "Not a valid string.")
    for key, allowed in (("upload_type", UPLOAD_TYPES), ("publication_type", PUBLICATION_TYPES),
                         ("image_type", IMAGE_TYPES), ("access_right", ACCESS_RIGHTS)):
        if key in metadata and metadata[key] not in allowed:
            error(key, f"Must be one of: {', '.join(allowed)}.")
    for key in ("publication_date", "embargo_date"):
        value = metadata.get(key)
        if isinstance(value, str):
            try:
                date.fromisoformat(value)
                assert _DATE.match(value)
            except (ValueError, AssertionError):
                error(key, "Not a valid date (YYYY-MM-DD).")
    if isinstance(metadata.get("license"), str) and metadata["license"].lower() not in licenses:
        error("license", "Invalid license value provided")
    for key in ("creators", "contributors"):
        if key not in metadata:
            continue
        people = metadata[key]
        if not isinstance(people, list):
            error(key, "Not a valid list.")
            continue
        for i, person in enumerate(people):
            if not isinstance(person, dict):
                error(f"{key}.{i}", "Invalid input type.")
                continue
            if not isinstance(person.get("name"), str) or not person["name"].strip():
                error(f"{key}.{i}.name", MISSING)
            if "orcid" in person and not (isinstance(person["orcid"], str) and _ORCID.match(person["orcid"])):
                error(f"{key}.{i}.orcid", "Invalid ORCID identifier.")
            if key == "contributors" and person.get("type") not in CONTRIBUTOR_TYPES:
                error(f"{key}.{i}.type", f"Must be one of: {', '.join(CONTRIBUTOR_TYPES)}.")
    for key in ("keywords", "references", "subjects", "dates", "locations", "grants"):
        if key in metadata and not isinstance(metadata[key], list):
            error(key, "Not a valid list.")
    for key in ("keywords", "references"):
        if isinstance(metadata.get(key), list) and not all(isinstance(v, str) for v in metadata[key]):
            error(key, "Not a valid string.")
    if isinstance(metadata.get("grants"), list):
        for i, grant in enumerate(metadata["grants"]):
            if not isinstance(grant, dict) or not isinstance(grant.get("id"), str):
                error(f"grants.{i}.id", MISSING)
    if "communities" in metadata:
        communities = metadata["communities"]
        if not isinstance(communities, list) or not all(
                isinstance(c, dict) and isinstance(c.get("identifier"), str) and c["identifier"] for c in communities):
            error("communities", "Invalid communities: send a list of objects with an 'identifier'.")
    if "related_identifiers" in metadata:
        related = metadata["related_identifiers"]
        if not isinstance(related, list):
            error("related_identifiers", "Not a valid list.")
            related = []
        relations = {r.lower(): r for r in RELATIONS}
        for i, item in enumerate(related):
            if not isinstance(item, dict):
                error(f"related_identifiers.{i}", "Invalid input type.")
                continue
            identifier = item.get("identifier")
            if not isinstance(identifier, str) or not identifier.strip():
                error(f"related_identifiers.{i}.identifier", MISSING)
            elif "scheme" not in item and _scheme(identifier) is None:
                error(f"related_identifiers.{i}.identifier", f"Invalid identifier {identifier!r}: unknown scheme.")
            relation = item.get("relation")
            if not isinstance(relation, str) or relation.lower() not in relations:
                error(f"related_identifiers.{i}.relation", "Invalid relation type.")
    return errors


def publish_errors(metadata, files):
    """What keeps a draft from being published (§1.4 required metadata, §1.6 at least one file).

    Returns
    -------
    errors : list of dict
        Zenodo-RDM error items; empty if the draft can be published.
    """
    errors = []
    for key in ("upload_type", "publication_date", "title", "description"):
        if not metadata.get(key):
            errors.append({"field": f"metadata.{key}", "messages": [MISSING]})
    if not metadata.get("creators"):
        errors.append({"field": "metadata.creators", "messages": [MISSING]})
    conditional = {("upload_type", "publication"): "publication_type", ("upload_type", "image"): "image_type",
                   ("access_right", "embargoed"): "embargo_date", ("access_right", "restricted"): "access_conditions"}
    for (key, value), needed in conditional.items():
        if metadata.get(key) == value and not metadata.get(needed):
            errors.append({"field": f"metadata.{needed}", "messages": [MISSING]})
    if not files:
        errors.append({"field": "files", "messages": [NO_FILES]})
    return errors


class ZenodoState:
    """In-memory state of the Zenodo stand-in: depositions, concepts (all-versions records) and buckets.

    Every public method must be called with ``lock`` held; the Flask views do so.
    """

    def __init__(self, doi_prefix="10.5072", prereserve_doi_prefix="10.5281", licenses=LICENSES, first_id=1000):
        self.doi_prefix = doi_prefix
        self.prereserve_doi_prefix = prereserve_doi_prefix
        self.licenses = frozenset(lic.lower() for lic in licenses)
        self.first_id = first_id
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        """Forget everything."""
        with self.lock:
            self.depositions = {}
            self.concepts = {}
            self.buckets = {}
            self._next_id = self.first_id

    def _new_id(self):
        self._next_id += 1
        return self._next_id

    def _new_bucket(self, deposition_id):
        bucket = str(uuid.uuid4())
        self.buckets[bucket] = deposition_id
        return bucket

    # Lookups ---------------------------------------------------------------------------------------------

    def deposition(self, deposition_id, owner):
        """The deposition ``deposition_id`` of ``owner`` (404 if unknown, 403 if someone else's)."""
        deposition = self.depositions.get(deposition_id)
        if deposition is None:
            raise ZenodoError(404, NOT_FOUND)
        if deposition.owner != owner:
            raise ZenodoError(403, FORBIDDEN)
        return deposition

    def by_bucket(self, bucket):
        deposition_id = self.buckets.get(bucket)
        if deposition_id is None or deposition_id not in self.depositions:
            raise ZenodoError(404, "Bucket does not exist.")
        return self.depositions[deposition_id]

    def pending(self, concept):
        """Id of the concept's never-published draft (first version or new version), or None."""
        for deposition_id in concept.versions:
            if self.depositions[deposition_id].record is None:
                return deposition_id
        return None

    @staticmethod
    def _editable_draft(deposition):
        if deposition.draft is None:
            raise ZenodoError(404, NOT_FOUND)
        return deposition.draft

    @staticmethod
    def _files_draft(deposition):
        """The draft whose files may change (404 if none, 403 on a published record's edit draft)."""
        if deposition.draft is None:
            raise ZenodoError(404, NOT_FOUND)
        if deposition.record is not None:
            raise ZenodoError(403, "The files of a published record cannot be changed.")
        return deposition.draft

    def _checked(self, metadata):
        errors = metadata_errors(metadata, self.licenses)
        if errors:
            raise ZenodoError(400, VALIDATION_ERROR, errors)
        metadata = copy.deepcopy(metadata)
        for item in metadata.get("related_identifiers", []):
            item.setdefault("scheme", _scheme(item["identifier"]))
        return metadata

    # Depositions -----------------------------------------------------------------------------------------

    def create(self, owner, metadata):
        """Create a draft (and its concept); return the deposition."""
        metadata = self._checked(metadata)
        concept = _Concept(self._new_id())
        deposition = _Deposition(self._new_id(), concept.id, owner)
        deposition.draft = _Draft(metadata, {}, self._new_bucket(deposition.id))
        concept.versions.append(deposition.id)
        self.concepts[concept.id] = concept
        self.depositions[deposition.id] = deposition
        return deposition

    def search(self, owner, q="", status=None, sort=None, all_versions=False):
        """The owner's depositions matching ``q`` (substring of title, notes or a keyword) and ``status``."""
        found = []
        needle = q.strip().strip('"').lower()
        for deposition in self.depositions.values():
            if deposition.owner != owner:
                continue
            published = deposition.record is not None
            if status == "draft" and published or status == "published" and not published:
                continue
            concept = self.concepts[deposition.conceptrecid]
            if published and not all_versions and concept.published[-1] != deposition.id:
                continue
            metadata = (deposition.draft or deposition.record).metadata
            haystack = [metadata.get("title"), metadata.get("notes"), *(metadata.get("keywords") or [])]
            if needle and not any(isinstance(h, str) and needle in h.lower() for h in haystack):
                continue
            found.append(deposition)
        if sort in ("updated-desc", "updated-asc"):
            found.sort(key=lambda d: (d.draft or d.record).modified, reverse=sort == "updated-desc")
        else:
            found.sort(key=lambda d: (d.created, d.id), reverse=sort not in ("-mostrecent", "oldest"))
        return found

    def update(self, deposition, metadata):
        """Replace the draft's metadata."""
        draft = self._editable_draft(deposition)
        draft.metadata = self._checked(metadata)
        draft.modified = _now()

    def delete_draft(self, deposition):
        """Delete a never-published draft, or drop the edit draft of a published record."""
        self._editable_draft(deposition)
        if deposition.record is not None:
            deposition.draft = None
            return
        concept = self.concepts[deposition.conceptrecid]
        concept.versions.remove(deposition.id)
        if not concept.versions:
            del self.concepts[concept.id]
        self.buckets = {b: d for b, d in self.buckets.items() if d != deposition.id}
        del self.depositions[deposition.id]

    def publish(self, deposition):
        """Publish the draft: validate, mint the DOIs on first publication, freeze the files."""
        draft = self._editable_draft(deposition)
        files = deposition.record.files if deposition.record else draft.files
        errors = publish_errors(draft.metadata, files)
        if errors:
            raise ZenodoError(400, VALIDATION_ERROR, errors)
        metadata = copy.deepcopy(draft.metadata)
        metadata.setdefault("access_right", "open")
        if metadata["access_right"] in ("open", "embargoed") and not metadata.get("license"):
            metadata["license"] = "cc0-1.0" if metadata.get("upload_type") == "dataset" else "cc-by-4.0"
        concept = self.concepts[deposition.conceptrecid]
        if deposition.record is None:
            doi = metadata.get("doi") or f"{self.doi_prefix}/zenodo.{deposition.id}"
            deposition.record = _Record(metadata, draft.files, doi)
            concept.published.append(deposition.id)
            if concept.doi is None:
                concept.doi = f"{self.doi_prefix}/zenodo.{concept.id}"
        else:
            metadata.pop("doi", None)
            deposition.record.metadata = metadata
            deposition.record.modified = _now()
        deposition.draft = None

    def edit(self, deposition):
        """Open (or return the open) edit draft of a published deposition."""
        if deposition.record is None:
            raise ZenodoError(404, NOT_FOUND)
        if deposition.draft is None:
            bucket = next(b for b, d in self.buckets.items() if d == deposition.id)
            metadata = copy.deepcopy(deposition.record.metadata)
            deposition.draft = _Draft(metadata, deposition.record.files, bucket)

    def new_version(self, deposition):
        """Return the concept's new-version draft, creating it from the latest published version."""
        if deposition.record is None:
            raise ZenodoError(404, NOT_FOUND)
        concept = self.concepts[deposition.conceptrecid]
        latest = concept.published[-1]
        if deposition.id != latest:
            raise ZenodoError(400, f"A new version can only be created from the latest published version ({latest}).")
        pending = self.pending(concept)
        if pending is not None:
            return self.depositions[pending]
        metadata = copy.deepcopy(deposition.record.metadata)
        metadata.pop("publication_date", None)
        metadata.pop("doi", None)
        new = _Deposition(self._new_id(), concept.id, deposition.owner)
        files = {key: f.copy() for key, f in deposition.record.files.items()}
        new.draft = _Draft(metadata, files, self._new_bucket(new.id))
        concept.versions.append(new.id)
        self.depositions[new.id] = new
        return new

    # Files -----------------------------------------------------------------------------------------------

    def put_file(self, deposition, key, data):
        """Create or replace the file ``key`` of the draft (a replaced key gets a new file id)."""
        draft = self._files_draft(deposition)
        if key not in draft.files and len(draft.files) >= MAX_FILES:
            raise ZenodoError(400, f"A record can hold at most {MAX_FILES} files.")
        draft.files.pop(key, None)
        draft.files[key] = _File(key, data)
        draft.modified = _now()
        return draft.files[key]

    def add_file(self, deposition, key, data):
        """Add a file through the old multipart API (an existing name is refused)."""
        draft = self._files_draft(deposition)
        if key in draft.files:
            raise ZenodoError(400, f"File with key {key} already exists.")
        if len(data) > OLD_API_MAX_FILE_SIZE:
            raise ZenodoError(400, "Files over 100 MB must be uploaded to the bucket (links.bucket).")
        return self.put_file(deposition, key, data)

    def delete_file(self, deposition, file_id):
        draft = self._files_draft(deposition)
        key = next((k for k, f in draft.files.items() if f.id == file_id), None)
        if key is None:
            raise ZenodoError(404, "File does not exist.")
        del draft.files[key]
        draft.modified = _now()

    @staticmethod
    def files(deposition):
        return (deposition.draft or deposition.record).files

    # Serialization ---------------------------------------------------------------------------------------

    def links(self, deposition, base):
        """The ``links`` object of a deposition, as absolute URLs under ``base`` (ends with a slash)."""
        api = f"{base}api/deposit/depositions/{deposition.id}"
        concept = self.concepts[deposition.conceptrecid]
        latest = concept.published[-1] if concept.published else None
        latest_draft = self.pending(concept) or latest or deposition.id
        links = {"self": api, "html": f"{base}deposit/{deposition.id}", "files": f"{api}/files",
                 "publish": f"{api}/actions/publish", "edit": f"{api}/actions/edit",
                 "discard": f"{api}/actions/discard", "newversion": f"{api}/actions/newversion",
                 "latest_draft": f"{base}api/deposit/depositions/{latest_draft}",
                 "latest_draft_html": f"{base}deposit/{latest_draft}"}
        if deposition.draft is not None:
            links["bucket"] = f"{base}api/files/{deposition.draft.bucket}"
        if deposition.record is not None:
            links.update({
                "doi": f"https://doi.org/{deposition.record.doi}", "parent_doi": f"https://doi.org/{concept.doi}",
                "badge": f"{base}badge/doi/{deposition.record.doi}.svg",
                "conceptbadge": f"{base}badge/doi/{concept.doi}.svg",
                "record": f"{base}api/records/{deposition.id}", "record_html": f"{base}records/{deposition.id}",
                "latest": f"{base}api/records/{latest}", "latest_html": f"{base}records/{latest}"})
        return links

    def file_json(self, deposition, f, base):
        """A deposition-file object (``files[]`` item): bare md5 hex ``checksum``."""
        links = {"self": f"{base}api/deposit/depositions/{deposition.id}/files/{f.id}"}
        if deposition.draft is not None:
            links["download"] = f"{base}api/files/{deposition.draft.bucket}/{quote(f.key)}"
        return {"id": f.id, "filename": f.key, "filesize": len(f.data), "checksum": f.md5, "links": links}

    @staticmethod
    def bucket_file_json(bucket, f, base):
        """A bucket object (answer of a bucket upload): ``checksum`` is ``md5:<hex>``."""
        url = f"{base}api/files/{bucket}/{quote(f.key)}"
        return {"key": f.key, "mimetype": f.mimetype, "checksum": f"md5:{f.md5}", "version_id": f.version_id,
                "size": len(f.data), "created": f.created, "updated": f.created,
                "links": {"self": url, "version": f"{url}?versionId={f.version_id}", "uploads": f"{url}?uploads"},
                "is_head": True, "delete_marker": False}

    def to_json(self, deposition, base):
        """The deposition resource of §1.3."""
        source = deposition.draft or deposition.record
        record = deposition.record
        concept = self.concepts[deposition.conceptrecid]
        metadata = copy.deepcopy(source.metadata)
        metadata.setdefault("access_right", "open")
        if record is not None:
            metadata["doi"] = record.doi
        metadata["prereserve_doi"] = {"doi": f"{self.prereserve_doi_prefix}/zenodo.{deposition.id}",
                                      "recid": deposition.id}
        state = "unsubmitted" if record is None else "inprogress" if deposition.draft else "done"
        body = {"id": deposition.id, "record_id": deposition.id, "conceptrecid": str(deposition.conceptrecid),
                "created": deposition.created, "modified": source.modified, "owner": deposition.owner,
                "title": metadata.get("title") or "", "state": state, "submitted": record is not None,
                "metadata": metadata, "links": self.links(deposition, base)}
        if record is not None:
            body["doi"] = record.doi
            body["doi_url"] = f"https://doi.org/{record.doi}"
        if concept.doi:
            body["conceptdoi"] = concept.doi
        files = [self.file_json(deposition, f, base) for f in source.files.values()]
        if files:
            body["files"] = files
        return body

    def record_json(self, deposition, base):
        """The published record of ``GET /api/records/:id``."""
        record = deposition.record
        concept = self.concepts[deposition.conceptrecid]
        metadata = copy.deepcopy(record.metadata)
        metadata["doi"] = record.doi
        index = concept.published.index(deposition.id)
        metadata["relations"] = {"version": [{
            "index": index, "is_last": index == len(concept.published) - 1, "count": len(concept.published),
            "parent": {"pid_type": "recid", "pid_value": str(concept.id)},
            "last_child": {"pid_type": "recid", "pid_value": str(concept.published[-1])}}]}
        links = {key: value for key, value in self.links(deposition, base).items()
                 if key in ("doi", "parent_doi", "badge", "conceptbadge", "latest", "latest_html")}
        links.update({"self": f"{base}api/records/{deposition.id}", "html": f"{base}records/{deposition.id}",
                      "files": f"{base}api/records/{deposition.id}/files"})
        files = [{"id": f.id, "key": f.key, "size": len(f.data), "checksum": f"md5:{f.md5}",
                  "links": {"self": f"{base}api/records/{deposition.id}/files/{quote(f.key)}/content"}}
                 for f in record.files.values()]
        return {"id": deposition.id, "recid": str(deposition.id), "conceptrecid": str(concept.id),
                "doi": record.doi, "conceptdoi": concept.doi, "doi_url": f"https://doi.org/{record.doi}",
                "created": deposition.created, "modified": record.modified, "updated": record.modified,
                "title": metadata.get("title") or "", "metadata": metadata, "files": files, "links": links,
                "owners": [{"id": deposition.owner}], "state": "done", "submitted": True, "status": "published"}

    def snapshot(self):
        """JSON-able dump for ``GET /__standin__/state``."""
        with self.lock:
            depositions = []
            for d in self.depositions.values():
                source = d.draft or d.record
                depositions.append({
                    "id": d.id, "conceptrecid": d.conceptrecid, "owner": d.owner,
                    "state": "unsubmitted" if d.record is None else "inprogress" if d.draft else "done",
                    "doi": d.record.doi if d.record else None, "metadata": source.metadata,
                    "files": [{"filename": f.key, "filesize": len(f.data), "checksum": f.md5}
                              for f in source.files.values()]})
            concepts = [{"id": c.id, "doi": c.doi, "versions": list(c.versions), "published": list(c.published)}
                        for c in self.concepts.values()]
            return {"depositions": depositions, "concepts": concepts}


def make_zenodo_app(tokens=None, doi_prefix="10.5072", *, prereserve_doi_prefix="10.5281", licenses=LICENSES,
                    first_id=1000):
    """Build the Zenodo stand-in: a Flask app with the stand-in harness installed.

    Parameters
    ----------
    tokens : dict, optional
        Access token → its scopes (an iterable of ``deposit:write``, ``deposit:actions``), or → a dict
        ``{"scopes": [...], "owner": <user id>}``; owners default to user 1. Default `DEFAULT_TOKENS`.
    doi_prefix : str
        Prefix of the DOIs minted at publish (``10.5072`` like the sandbox, ``10.5281`` like production).
    prereserve_doi_prefix : str
        Prefix of ``metadata.prereserve_doi.doi`` (Zenodo-RDM always uses the production one).
    licenses : iterable of str
        Accepted ``metadata.license`` ids (case-insensitive).
    first_id : int
        Record ids start after this number.

    Returns
    -------
    app : `~flask.Flask`
        ``app.extensions["zenodo"]`` is its `ZenodoState`, ``app.extensions["standin"]`` its harness; serve
        it with `tests.standins.harness.StandIn`.

    Examples
    --------
    >>> import requests
    >>> from tests.standins.harness import StandIn
    >>> with StandIn(make_zenodo_app()) as zenodo:
    ...     draft = requests.post(f"{zenodo.url}/api/deposit/depositions", json={},
    ...                           headers={"Authorization": "Bearer write-token"}, timeout=5)
    >>> draft.status_code, draft.json()["state"], draft.json()["links"]["self"].startswith(zenodo.url)
    (201, 'unsubmitted', True)
    """
    state = ZenodoState(doi_prefix, prereserve_doi_prefix, licenses, first_id)
    users = {}
    for token, grant in (DEFAULT_TOKENS if tokens is None else tokens).items():
        if isinstance(grant, dict):
            users[token] = (int(grant.get("owner", 1)), frozenset(grant.get("scopes", ())))
        else:
            users[token] = (1, frozenset(grant))

    app = Flask(__name__)
    app.extensions["zenodo"] = state

    def caller(scope=None):
        """The owner id of the request's token; 403 when anonymous (or unknown token) or lacking ``scope``."""
        token = None
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
        elif "access_token" in request.args:
            token = request.args["access_token"]
        if token not in users:
            raise ZenodoError(403, FORBIDDEN)
        owner, scopes = users[token]
        if scope is not None and scope not in scopes:
            raise ZenodoError(403, FORBIDDEN)
        return owner

    def json_body():
        if request.mimetype != "application/json":
            raise ZenodoError(415, "Invalid 'Content-Type' header. Expected one of: application/json.")
        raw = request.get_data()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise ZenodoError(400, "Unable to decode JSON data in request body.") from None
        if not isinstance(body, dict):
            raise ZenodoError(400, VALIDATION_ERROR, [{"field": "_schema", "messages": ["Invalid input type."]}])
        return body

    def base():
        return request.host_url

    def answer(data, status=200):
        return Response(json.dumps(data), status, content_type="application/json")

    def locked(view):
        @wraps(view)
        def inner(*args, **kwargs):
            with state.lock:
                return view(*args, **kwargs)
        return inner

    @app.errorhandler(ZenodoError)
    def zenodo_error(error):
        return error.response()

    @app.errorhandler(HTTPException)
    def http_error(error):
        return ZenodoError(error.code, error.description).response()

    @app.get(DEPOSITIONS)
    @locked
    def list_depositions():
        owner = caller()
        args = request.args
        errors = []
        status = args.get("status") or None
        if status not in (None, "draft", "published"):
            errors.append({"field": "status", "messages": ["Must be one of: draft, published."]})
        sort = args.get("sort") or None
        if sort is not None and sort not in SORTS:
            errors.append({"field": "sort", "messages": [f"Must be one of: {', '.join(SORTS)}."]})
        page = size = None
        try:
            page = int(args.get("page", 1))
            assert page >= 1
        except (ValueError, AssertionError):
            errors.append({"field": "page", "messages": ["Must be an integer greater than or equal to 1."]})
        try:
            size = int(args.get("size", DEFAULT_PAGE_SIZE))
            assert 1 <= size <= MAX_PAGE_SIZE
        except (ValueError, AssertionError):
            errors.append({"field": "size", "messages": [f"Must be an integer from 1 to {MAX_PAGE_SIZE}."]})
        if errors:
            raise ZenodoError(400, VALIDATION_ERROR, errors)
        all_versions = args.get("all_versions", "").lower() in ("1", "true", "yes", "on")
        found = state.search(owner, args.get("q", ""), status, sort, all_versions)
        return answer([state.to_json(d, base()) for d in found[(page - 1) * size:page * size]])

    @app.post(DEPOSITIONS)
    @locked
    def create_deposition():
        owner = caller("deposit:write")
        body = json_body()
        deposition = state.create(owner, body.get("metadata", {}))
        return answer(state.to_json(deposition, base()), 201)

    @app.get(f"{DEPOSITIONS}/<int:deposition_id>")
    @locked
    def read_deposition(deposition_id):
        deposition = state.deposition(deposition_id, caller())
        return answer(state.to_json(deposition, base()))

    @app.put(f"{DEPOSITIONS}/<int:deposition_id>")
    @locked
    def update_deposition(deposition_id):
        owner = caller("deposit:write")
        body = json_body()
        deposition = state.deposition(deposition_id, owner)
        state.update(deposition, body.get("metadata", {}))
        return answer(state.to_json(deposition, base()))

    @app.delete(f"{DEPOSITIONS}/<int:deposition_id>")
    @locked
    def delete_deposition(deposition_id):
        state.delete_draft(state.deposition(deposition_id, caller("deposit:write")))
        return Response(status=204)

    @app.post(f"{DEPOSITIONS}/<int:deposition_id>/actions/<action>")
    @locked
    def deposition_action(deposition_id, action):
        if action not in ("publish", "edit", "discard", "newversion"):
            raise ZenodoError(404, "The requested URL was not found on the server.")
        deposition = state.deposition(deposition_id, caller("deposit:actions"))
        if action == "publish":
            state.publish(deposition)
            return answer(state.to_json(deposition, base()), 202)
        if action == "edit":
            state.edit(deposition)
            return answer(state.to_json(deposition, base()), 201)
        if action == "discard":
            state.delete_draft(deposition)
            return Response(status=204)
        return answer(state.to_json(state.new_version(deposition), base()), 201)

    @app.get(f"{DEPOSITIONS}/<int:deposition_id>/files")
    @locked
    def list_files(deposition_id):
        deposition = state.deposition(deposition_id, caller())
        return answer([state.file_json(deposition, f, base()) for f in state.files(deposition).values()])

    @app.post(f"{DEPOSITIONS}/<int:deposition_id>/files")
    @locked
    def add_file(deposition_id):
        owner = caller("deposit:write")
        deposition = state.deposition(deposition_id, owner)
        upload = request.files.get("file")
        if upload is None:
            raise ZenodoError(400, VALIDATION_ERROR,
                              [{"field": "file", "messages": ["Send the file as multipart/form-data field 'file'."]}])
        key = secure_filename(request.form.get("name") or upload.filename or "")
        if not key:
            raise ZenodoError(400, VALIDATION_ERROR, [{"field": "name", "messages": [MISSING]}])
        f = state.add_file(deposition, key, upload.read())
        return answer(state.file_json(deposition, f, base()), 201)

    @app.get(f"{DEPOSITIONS}/<int:deposition_id>/files/<file_id>")
    @locked
    def read_file(deposition_id, file_id):
        deposition = state.deposition(deposition_id, caller())
        for f in state.files(deposition).values():
            if f.id == file_id:
                return answer(state.file_json(deposition, f, base()))
        raise ZenodoError(404, "File does not exist.")

    @app.delete(f"{DEPOSITIONS}/<int:deposition_id>/files/<file_id>")
    @locked
    def delete_file(deposition_id, file_id):
        state.delete_file(state.deposition(deposition_id, caller("deposit:write")), file_id)
        return Response(status=204)

    @app.put("/api/files/<bucket>/<path:key>")
    @locked
    def put_bucket_file(bucket, key):
        owner = caller("deposit:write")
        deposition = state.by_bucket(bucket)
        if deposition.owner != owner:
            raise ZenodoError(403, FORBIDDEN)
        f = state.put_file(deposition, key, request.get_data())
        return answer(state.bucket_file_json(bucket, f, base()), 201)

    @app.get("/api/files/<bucket>/<path:key>")
    @locked
    def get_bucket_file(bucket, key):
        deposition = state.by_bucket(bucket)
        if deposition.record is None and deposition.owner != caller():
            raise ZenodoError(403, FORBIDDEN)
        f = state.files(deposition).get(key)
        if f is None:
            raise ZenodoError(404, "Object does not exist.")
        return Response(f.data, 200, content_type=f.mimetype)

    @app.get("/api/records/<int:record_id>")
    @locked
    def read_record(record_id):
        concept = state.concepts.get(record_id)
        if concept is not None and concept.published:
            return redirect(f"{base()}api/records/{concept.published[-1]}", 302)
        deposition = state.depositions.get(record_id)
        if deposition is None or deposition.record is None:
            raise ZenodoError(404, NOT_FOUND)
        return answer(state.record_json(deposition, base()))

    @app.get("/api/records/<int:record_id>/files/<path:key>/content")
    @locked
    def read_record_file(record_id, key):
        deposition = state.depositions.get(record_id)
        if deposition is None or deposition.record is None:
            raise ZenodoError(404, NOT_FOUND)
        f = deposition.record.files.get(key)
        if f is None:
            raise ZenodoError(404, "File does not exist.")
        return Response(f.data, 200, content_type=f.mimetype)

    install(app, reset=state.reset, state=state.snapshot, name="zenodo")
    return app
