"""Catalog records -> DataCite-shaped deposit metadata (Zenodo's legacy ``metadata`` object).

`deposit_metadata` reads a workflow version (``schema:ComputationalWorkflow``) or a result
(``sw:DataProduct``, with its run, workflow, instruments and targets) from the store and fills every
Zenodo field from which DataCite's mandatory properties are derived: creators ("Family, Given", ORCID),
title, publication date, resource type (``upload_type``), plus description, licence, keywords, version
and related identifiers. It is pure (no remote call) and checks everything first: a record that lacks
something mandatory raises `MissingMetadata`, listing each field and the record to fill it in.

Mapping (``specs/external-apis.md`` §6):

=====================  ==========================================  ==========================================
Zenodo field           workflow version                            result
=====================  ==========================================  ==========================================
``title``              ``schema:name``                             ``rdfs:label``
``description``        ``schema:description`` (HTML-escaped) and   a sentence on the run (workflow, version,
                       the version, commit and parameters          time, parameter values)
``creators``           ``schema:creator`` (node with ``schema:name``, IRI ``https://orcid.org/…`` → ``orcid``)
                                                                   the workflow's creators
``upload_type``        ``software``                                ``dataset``
``license``            ``schema:license`` / ``dcterms:license`` → Zenodo id (``cc-by-4.0``, ``bsd-3-clause``),
                       default ``cc-by-4.0``
``keywords``           instrument and target labels (``sw:instrument``, ``sw:target`` of the workflow), "skyweave"
``version``            ``schema:version``                          (none)
``related_identifiers``  ``cites`` each ``schema:citation`` IRI;   ``isDerivedFrom`` the workflow version's
                       ``isSupplementTo`` the code repository      DOI (its ``schema:identifier``)
                       both: ``references`` the data-release DOI of each instrument (the ``schema:identifier``
                       of the release its observations are part of) and of each target's source catalog;
                       ``isSupplementTo`` the record's catalog page when the catalog is public
``references``         each ``schema:citation`` given as text      (none)
=====================  ==========================================  ==========================================

References
----------
.. [1] DataCite Metadata Schema 4.5, https://schema.datacite.org/meta/kernel-4.5/
.. [2] Zenodo REST API, deposit metadata, https://developers.zenodo.org/#representation
.. [3] ``specs/external-apis.md`` §1.4 (Zenodo metadata) and §6 (DataCite and the Zenodo mapping).
"""

import html
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

from rdflib import BNode, Literal, URIRef

from skyweave.catalog.vocab import DCAT, DCTERMS, PROV, RDF, RDFS, SDO, SDO_INPUT, SW
from skyweave.runners.describe import COMPUTATIONAL_WORKFLOW, DEFAULT_CREATOR
from skyweave.runners.provenance import workflow_of

from .outcomes import MissingMetadata

__all__ = ["DEFAULT_LICENSE", "MissingMetadata", "deposit_metadata", "record_kind", "family_given",
           "orcid_of", "zenodo_license", "bare_doi", "is_public_base"]

DEFAULT_LICENSE = "cc-by-4.0"
"""Zenodo licence id used when a record names none."""

_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "le", "la", "ten",
                        "ter", "dos", "das", "zu", "af", "bin", "ibn"})
_ORCID = re.compile(r"^https?://orcid\.org/(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/?$")
_DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.I)


def record_kind(graph, iri):
    """Return ``"workflow"`` or ``"result"`` for a record's graph, or None if it is neither."""
    iri = URIRef(iri)
    if (iri, RDF.type, COMPUTATIONAL_WORKFLOW) in graph:
        return "workflow"
    if (iri, RDF.type, SW.DataProduct) in graph:
        return "result"
    return None


_GROUP_WORDS = frozenset({"collaboration", "consortium", "contributors", "team", "group", "project", "developers"})
"""Last words that mark a group rather than a person: such names are kept as they are."""


def family_given(name):
    """Return a person's name as DataCite's ``"Family, Given"``.

    A name with a comma is kept as it is; the family name is the last word with any particles before it.

    Examples
    --------
    >>> family_given("Josiah Carberry")
    'Carberry, Josiah'
    >>> family_given("Ludwig van Beethoven")
    'van Beethoven, Ludwig'
    >>> family_given("Doe, Jane")
    'Doe, Jane'
    >>> family_given("Plato")
    'Plato'
    >>> family_given("H.E.S.S. Collaboration")
    'H.E.S.S. Collaboration'
    """
    name = " ".join(str(name).split())
    parts = name.split(" ")
    if "," in name or len(parts) < 2 or parts[-1].lower() in _GROUP_WORDS:
        return name
    cut = len(parts) - 1
    while cut > 1 and parts[cut - 1].lower() in _PARTICLES:
        cut -= 1
    return f"{' '.join(parts[cut:])}, {' '.join(parts[:cut])}"


def orcid_of(graph, node):
    """Return the bare ORCID iD of a creator node (its IRI, or an ``schema:identifier``/``schema:sameAs``), or None.

    Examples
    --------
    >>> from rdflib import Graph, URIRef
    >>> orcid_of(Graph(), URIRef("https://orcid.org/0000-0002-1825-0097"))
    '0000-0002-1825-0097'
    """
    candidates = [node, *graph.objects(node, SDO.identifier), *graph.objects(node, SDO.sameAs)]
    for candidate in candidates:
        match = _ORCID.match(str(candidate)) if not isinstance(candidate, BNode) else None
        if match:
            return match.group(1)
    return None


def zenodo_license(value):
    """Map a licence (IRI or SPDX identifier) to a Zenodo licence id, or None if it cannot be mapped.

    Parameters
    ----------
    value : rdflib term or str
        ``https://spdx.org/licenses/<id>``, ``https://opensource.org/licenses/<id>``,
        ``https://creativecommons.org/licenses/<kind>/<version>/``,
        ``https://creativecommons.org/publicdomain/zero/1.0/``, or a bare SPDX id (``"MIT"``).

    Returns
    -------
    str or None
        Lower-case id (Zenodo matches ids case-insensitively; Zenodo-RDM shows ``CC-BY-4.0``).

    Examples
    --------
    >>> zenodo_license("https://spdx.org/licenses/BSD-3-Clause")
    'bsd-3-clause'
    >>> zenodo_license("https://creativecommons.org/licenses/by-sa/4.0/")
    'cc-by-sa-4.0'
    >>> zenodo_license("http://creativecommons.org/publicdomain/zero/1.0/")
    'cc0-1.0'
    >>> zenodo_license("MIT")
    'mit'
    >>> zenodo_license("https://example.org/my-licence") is None
    True
    """
    text = str(value).strip()
    if not text:
        return None
    parts = urlsplit(text)
    if not parts.scheme:
        return text.lower() if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+-]*", text) else None
    host = parts.netloc.lower().removeprefix("www.")
    path = [p for p in parts.path.split("/") if p]
    if host == "spdx.org" and len(path) == 2 and path[0] == "licenses":
        return re.sub(r"\.(html|json)$", "", path[1]).lower()
    if host == "opensource.org" and len(path) == 2 and path[0] == "licenses":
        return path[1].lower()
    if host == "creativecommons.org" and len(path) >= 3 and path[0] == "licenses":
        return f"cc-{path[1]}-{path[2]}".lower()
    if host == "creativecommons.org" and path[:2] == ["publicdomain", "zero"] and len(path) >= 3:
        return f"cc0-{path[2]}"
    return None


def bare_doi(value):
    """Return the bare DOI of a DOI, ``doi:`` or resolver IRI, else None.

    Examples
    --------
    >>> bare_doi("https://doi.org/10.5281/zenodo.1421099")
    '10.5281/zenodo.1421099'
    >>> bare_doi("https://github.com/x/y") is None
    True
    """
    match = _DOI.match(str(value).strip())
    return match.group(1) if match else None


def is_public_base(base):
    """Whether catalog IRIs under ``base`` are reachable by others (not loopback, not a reserved test name).

    Examples
    --------
    >>> is_public_base("http://127.0.0.1:5000/"), is_public_base("https://skyweave.org/")
    (False, True)
    """
    host = (urlsplit(str(base)).hostname or "").lower()
    if not host or host in ("localhost", "::1") or host.startswith("127."):
        return False
    return not host.endswith((".localhost", ".invalid", ".test", ".local", ".example"))


def _get(store, iri):
    """The graph of record ``iri``, or None if it is not in the store."""
    return store.get(iri) if iri is not None and store.exists(iri) else None


def _text(graph, node, predicate):
    value = graph.value(node, predicate)
    return None if value is None else str(value)


def _html(text):
    """Escape text for Zenodo's limited HTML, one ``<p>`` per paragraph."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", str(text)) if p.strip()]
    return "".join(f"<p>{html.escape(' '.join(p.split()))}</p>" for p in paragraphs)


def _ordered_creators(graph, iri):
    """Creators in priority order.

    `runners.describe.workflow_graph` numbers every creator but records ``schema:position`` only on blank
    nodes (an ORCID IRI may be shared by several records), so IRI creators fill the unused positions, by
    name.
    """
    placed, loose = {}, []
    for node in graph.objects(URIRef(iri), SDO.creator):
        try:
            placed.setdefault(int(graph.value(node, SDO.position)), []).append(node)
        except (TypeError, ValueError):
            loose.append(node)
    loose.sort(key=lambda n: (str(graph.value(n, SDO.name) or ""), str(n)))
    ordered, position = [], 1
    while placed or loose:
        if position in placed:
            ordered += placed.pop(position)
        elif loose and (not placed or position < max(placed)):
            ordered.append(loose.pop(0))
        elif placed:
            position = min(placed) - 1
        else:
            ordered += loose
            loose = []
        position += 1
    return ordered


def _creators(graph, iri, problems):
    """The ``creators`` list of a workflow record, adding a problem for each gap."""
    field = f"schema:creator of <{iri}>"
    nodes = _ordered_creators(graph, iri)
    if not nodes:
        problems.append(f"{field}: no creator is given (add a node with a schema:name, ideally its ORCID IRI)")
        return []
    names = [" ".join(str(graph.value(n, SDO.name) or "").split()) for n in nodes]
    if names == [DEFAULT_CREATOR]:
        problems.append(f"{field}: only the placeholder {DEFAULT_CREATOR!r} is given (name the real authors, "
                        "with their ORCID IRIs where they have one)")
        return []
    creators = []
    for node in nodes:
        name = _text(graph, node, SDO.name)
        if not name or not name.strip():
            problems.append(f"{field}: the creator <{node}> has no schema:name")
            continue
        family, given = _text(graph, node, SDO.familyName), _text(graph, node, SDO.givenName)
        if family and given:
            display = f"{family}, {given}"
        elif (node, RDF.type, SDO.Organization) in graph:
            display = " ".join(name.split())
        else:
            display = family_given(name)
        creator = {"name": display}
        affiliation = graph.value(node, SDO.affiliation)
        if affiliation is not None:
            creator["affiliation"] = str(graph.value(affiliation, SDO.name) or affiliation)
        orcid = orcid_of(graph, node)
        if orcid:
            creator["orcid"] = orcid
        creators.append(creator)
    return creators


def _license(graph, iri, problems):
    values = [*graph.objects(URIRef(iri), SDO.license), *graph.objects(URIRef(iri), DCTERMS.license)]
    if not values:
        return DEFAULT_LICENSE
    mapped = zenodo_license(values[0])
    if mapped is None:
        problems.append(f"schema:license of <{iri}>: {values[0]} is not a licence Zenodo knows (use an SPDX IRI "
                        "such as <https://spdx.org/licenses/CC-BY-4.0> or a Creative Commons licence IRI)")
    return mapped


def _related(identifier, relation, resource_type=None):
    item = {"identifier": identifier, "relation": relation}
    if resource_type:
        item["resource_type"] = resource_type
    return item


_CONTEXT_QUERIES = (
    (SW.instrument, "PREFIX sosa: <http://www.w3.org/ns/sosa/> PREFIX dcterms: <http://purl.org/dc/terms/> "
                    "PREFIX schema: <https://schema.org/> SELECT DISTINCT ?doi WHERE { ?obs sosa:madeBySensor $node ; "
                    "dcterms:isPartOf ?release . ?release schema:identifier ?doi } ORDER BY ?doi"),
    (SW.target, "PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX schema: <https://schema.org/> "
                "SELECT DISTINCT ?doi WHERE { $node dcterms:source ?catalog . ?catalog schema:identifier ?doi } "
                "ORDER BY ?doi"),
)
"""For instruments and targets: the DOIs of the data releases and catalogs they come with."""


def _context(store, graph, iri):
    """Keywords and ``references`` from a workflow's instruments and targets."""
    keywords, related = [], []
    for predicate, query in _CONTEXT_QUERIES:
        for node in sorted(graph.objects(URIRef(iri), predicate)):
            label = _label(store, node)
            if label:
                keywords.append(label)
            rows = store.select(query, node=node)
            related += [_related(bare_doi(r["doi"]), "references", "dataset") for r in rows if bare_doi(r["doi"])]
    return keywords, related


def _label(store, iri):
    rows = store.select("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                        "SELECT ?l WHERE { $s rdfs:label ?l } LIMIT 1", s=URIRef(iri))
    return str(rows[0]["l"]) if rows else None


def _parameters_html(graph, wf):
    items = []
    for node in graph.objects(URIRef(wf), SDO_INPUT):
        name = _text(graph, node, SDO.name)
        kind = str(graph.value(node, SDO.additionalType) or "").rsplit("#", 1)[-1]
        default = _text(graph, node, SDO.defaultValue)
        text = f"{name} ({kind}" + (f", default {default})" if default is not None else ")")
        items.append((name or "", f"<li><code>{html.escape(text)}</code></li>"))
    return "<ul>" + "".join(i for _, i in sorted(items)) + "</ul>" if items else ""


def _dedupe(related):
    seen, out = set(), []
    for item in related:
        key = (item["identifier"].lower(), item["relation"])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _workflow_metadata(store, graph, iri, base, problems):
    name = _text(graph, iri, SDO.name)
    if not name:
        problems.append(f"schema:name of <{iri}>: the workflow has no title")
    description = _text(graph, iri, SDO.description)
    if not description or not description.strip():
        problems.append(f"schema:description of <{iri}>: Zenodo needs a description (what the workflow does, "
                        "on which data)")
        description = ""
    version = _text(graph, iri, SDO.version)
    commit = _text(graph, iri, SW.commit)
    language = _text(graph, iri, SDO.programmingLanguage) or "Python"
    about = f"Version {version} of this workflow, a Jupyter notebook in {language}"
    about += f" (commit {commit[:12]})." if commit else "."
    parameters = _parameters_html(graph, iri)
    body = _html(description) + _html(about) + (f"<p>Parameters:</p>{parameters}" if parameters else "")
    keywords, related = _context(store, graph, iri)
    texts = []
    for citation in sorted(graph.objects(iri, SDO.citation)):
        if isinstance(citation, Literal):  # a citation given as text, not an identifier
            texts.append(str(citation))
        else:
            related.insert(0, _related(bare_doi(citation) or str(citation), "cites"))
    repository = graph.value(iri, SDO.codeRepository)
    if repository is not None and str(repository).startswith(("https://", "http://")):
        related.append(_related(str(repository), "isSupplementTo", "software"))
    metadata = {"title": name, "description": body, "upload_type": "software", "version": version,
                "creators": _creators(graph, iri, problems), "license": _license(graph, iri, problems),
                "keywords": keywords, "related_identifiers": related}
    if texts:
        metadata["references"] = texts
    return metadata


def _result_metadata(store, graph, iri, base, problems):
    label = _text(graph, iri, RDFS.label)
    if not label:
        problems.append(f"rdfs:label of <{iri}>: the result has no title")
    if not list(graph.objects(iri, DCAT.distribution)):
        problems.append(f"dcat:distribution of <{iri}>: the result has no file to deposit")
    run = graph.value(iri, PROV.wasGeneratedBy)
    run_graph = _get(store, run)
    if run_graph is None:
        problems.append(f"prov:wasGeneratedBy of <{iri}>: the run <{run}> is not in the catalog")
        return {"title": label}
    phase = _text(run_graph, run, SW.phase)
    if phase != "COMPLETED":
        problems.append(f"sw:phase of <{run}>: the run that made <{iri}> ended {phase}; only results of "
                        "COMPLETED runs are published")
    wf = workflow_of(run_graph, run)
    wf_graph = _get(store, wf)
    if wf_graph is None:
        problems.append(f"prov:used of <{run}>: the workflow version <{wf}> is not in the catalog")
        return {"title": label}
    wf_name = _text(wf_graph, wf, SDO.name) or str(wf)
    version = _text(wf_graph, wf, SDO.version)
    ended = _text(run_graph, run, PROV.endedAtTime) or _text(graph, iri, PROV.generatedAtTime)
    values = []
    for node in run_graph.objects(run, SW.parameterValue):
        parameter = str(run_graph.value(node, SW.parameter) or "").rsplit("#param-", 1)[-1]
        values.append((parameter, f"{parameter} = {run_graph.value(node, SDO.value)}"))
    sentence = f"{label}: a result of the workflow “{wf_name}”"
    sentence += f" version {version}" if version else ""
    sentence += f", computed by a skyweave run that ended at {ended}." if ended else ", computed by a skyweave run."
    body = _html(sentence)
    if values:
        body += "<p>Parameter values:</p><ul>" + "".join(
            f"<li><code>{html.escape(text)}</code></li>" for _, text in sorted(values)) + "</ul>"
    body += _html("The file provenance.ttl holds the run and this result as PROV-O (Turtle).")
    keywords, related = _context(store, wf_graph, wf)
    wf_doi = bare_doi(wf_graph.value(wf, SDO.identifier) or "")
    if wf_doi:
        related.insert(0, _related(wf_doi, "isDerivedFrom", "software"))
    return {"title": label, "description": body, "upload_type": "dataset",
            "creators": _creators(wf_graph, wf, problems), "license": _license(graph, iri, problems),
            "keywords": keywords, "related_identifiers": related}


def deposit_metadata(store, iri, base, *, publication_date=None):
    """Build Zenodo deposit metadata for a workflow version or a result.

    Parameters
    ----------
    store : catalog.store.Store
    iri : str
        A ``schema:ComputationalWorkflow`` or ``sw:DataProduct`` record.
    base : str
        The catalog's base IRI: when it is public, the record's catalog page is linked
        (``isSupplementTo``).
    publication_date : str or datetime.date or None
        ``YYYY-MM-DD``; default today (UTC).

    Returns
    -------
    dict
        Zenodo's ``metadata`` object: ``title``, ``description`` (escaped HTML), ``creators``,
        ``upload_type``, ``publication_date``, ``access_right`` (``open``), ``license``, ``keywords``
        (ending with ``"skyweave"``), ``related_identifiers``, and ``version`` for a workflow. The caller
        adds its run marker keyword (``skyweave-publication:<uuid>``).

    Raises
    ------
    MissingMetadata
        If a mandatory field is missing or unusable (no real creator, no description, an unknown licence,
        a result of a run that did not complete, ...); each problem names the field and the record.
    skyweave.catalog.exceptions.NotFound
        If there is no record ``iri``.
    ValueError
        If the record is neither a workflow version nor a result.

    References
    ----------
    .. [1] ``specs/external-apis.md`` §1.4 and §6; DataCite Metadata Schema 4.5.
    """
    iri = URIRef(iri)
    graph = store.get(iri)
    kind = record_kind(graph, iri)
    problems = []
    if kind == "workflow":
        metadata = _workflow_metadata(store, graph, iri, base, problems)
    elif kind == "result":
        metadata = _result_metadata(store, graph, iri, base, problems)
    else:
        raise ValueError(f"<{iri}> is neither a workflow version (schema:ComputationalWorkflow) nor a result "
                         "(sw:DataProduct); only those can be deposited")
    if problems:
        raise MissingMetadata(problems, str(iri))
    if is_public_base(base) and str(iri).startswith(str(base)):
        metadata["related_identifiers"].append(_related(str(iri), "isSupplementTo"))
    metadata["related_identifiers"] = _dedupe(metadata["related_identifiers"])
    metadata["keywords"] = list(dict.fromkeys([*metadata["keywords"], "skyweave"]))
    if publication_date is None:
        publication_date = datetime.now(timezone.utc).date()
    metadata["publication_date"] = str(publication_date)
    metadata["access_right"] = "open"
    return {k: v for k, v in metadata.items() if v not in (None, [], "")}
