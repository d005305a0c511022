"""Publication records: a ``sw:Publication`` (a ``prov:Activity``) per attempt to publish a record.

A publication is written *before* the first remote call and updated after each step, so a crash or an
outside failure leaves a visible, resumable record (``specs/external-apis.md`` §0 rule 4). Its triples,
all from vocabularies the catalog already uses (``ontology/shapes/publication.ttl``)::

    <{base}publications/{uuid}> a sw:Publication, prov:Activity ;
        rdfs:label "Publication of <record> on zenodo" ;
        sw:service "zenodo" ;
        sw:state "pending" | "draft" | "uploaded" | "sent" | "published" | "failed" ;
        prov:used <record> ;
        prov:startedAtTime "...Z"^^xsd:dateTime ;
        prov:endedAtTime "...Z"^^xsd:dateTime ;             # once published or failed
        schema:alternateName "skyweave-publication:{uuid}" ; # the client marker sent to the service
        schema:identifier "10.5281/zenodo.123" ;             # the DOI, once published
        schema:url <https://zenodo.org/records/123> ;        # the remote record, once known
        prov:generated <https://doi.org/10.5281/zenodo.123> ;
        rdfs:comment "{...}" .                               # JSON progress: ids, links, files, steps

The JSON progress holds what a resumed publication needs (the remote deposition's id and links, the files
uploaded with their md5), a short log of the calls made (method, URL, status: never a header or token),
and the last error.
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from rdflib import Graph, Literal, URIRef

from skyweave.catalog.vocab import PROV, RDF, RDFS, SDO, SW, XSD, iri_for

__all__ = ["STATES", "MARKER_PREFIX", "Publication", "start", "update", "get", "find", "of_record", "strip_versions"]

STATES = ("pending", "draft", "uploaded", "sent", "published", "failed")
"""The values of ``sw:state`` (``ontology/shapes/publication.ttl``)."""

MARKER_PREFIX = "skyweave-publication:"
"""Prefix of the client marker: ``skyweave-publication:<uuid>``."""

MAX_CALLS = 60
"""Calls kept in a publication's log (the oldest are dropped)."""

MAX_STEPS = 200
"""Steps kept in a publication's step log (the oldest are dropped)."""


@dataclass
class Publication:
    """A publication record as read from the store.

    Attributes
    ----------
    iri, service, target, state : str
    started : datetime.datetime
    marker : str
        ``skyweave-publication:<uuid>``.
    identifier : str or None
        The DOI (or other identifier) once published.
    url : str or None
        The remote record's page.
    progress : dict
        The JSON progress (see the module docstring).
    """

    iri: str
    service: str
    target: str
    state: str
    started: datetime
    marker: str
    identifier: str | None = None
    url: str | None = None
    progress: dict = field(default_factory=dict)


def _time(value=None):
    """A UTC ``xsd:dateTime`` literal with microseconds (orders two attempts started in one second)."""
    value = value or datetime.now(timezone.utc)
    text = value.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
    return Literal(text, datatype=XSD.dateTime)


def strip_versions(graph, iri):
    """Drop the store's ``prov:wasRevisionOf <{iri}/versions/n>`` link from a record read back for rewriting.

    `catalog.store.Store.put` adds that link to the content it stores, and adds the right one again on the
    next write; kept, it would break shapes such as the workflow's "at most one ``prov:wasRevisionOf``".

    Returns
    -------
    rdflib.Graph
        ``graph`` itself, changed in place.
    """
    iri = URIRef(iri)
    for version in list(graph.objects(iri, PROV.wasRevisionOf)):
        if str(version).startswith(f"{iri}/versions/"):
            graph.remove((iri, PROV.wasRevisionOf, version))
    return graph


def _read(store, iri):
    iri = URIRef(iri)
    graph = store.get(iri)
    try:
        progress = json.loads(str(graph.value(iri, RDFS.comment) or "{}"))
    except ValueError:
        progress = {}
    text = lambda p: None if graph.value(iri, p) is None else str(graph.value(iri, p))  # noqa: E731
    return graph, Publication(
        iri=str(iri), service=text(SW.service), target=text(PROV.used), state=text(SW.state),
        started=graph.value(iri, PROV.startedAtTime).toPython(), marker=text(SDO.alternateName),
        identifier=text(SDO.identifier), url=text(SDO.url), progress=progress)


def get(store, iri):
    """Return the publication record ``iri``.

    Raises
    ------
    skyweave.catalog.exceptions.NotFound
        If there is no such record.
    """
    return _read(store, iri)[1]


def start(store, base, service, target_iri):
    """Write a new publication record in state ``pending``; return its IRI.

    Parameters
    ----------
    store : catalog.store.Store
    base : str
        The catalog's base IRI.
    service : str
        Lower-case service name (``"zenodo"``).
    target_iri : str
        The record being published (``prov:used``).

    Returns
    -------
    rdflib.URIRef
        ``{base}publications/{uuid}``; its marker is ``skyweave-publication:{uuid}``.

    Raises
    ------
    skyweave.catalog.exceptions.ValidationFailed
        If the record breaks the publication shape (e.g. a service name that is not lower case).
    """
    key = str(uuid.uuid4())
    iri = iri_for(base, "publications", key)
    g = Graph()
    g.add((iri, RDF.type, SW.Publication))
    g.add((iri, RDF.type, PROV.Activity))
    g.add((iri, RDFS.label, Literal(f"Publication of <{target_iri}> on {service}")))
    g.add((iri, SW.service, Literal(service)))
    g.add((iri, SW.state, Literal("pending")))
    g.add((iri, PROV.used, URIRef(target_iri)))
    g.add((iri, PROV.startedAtTime, _time()))
    g.add((iri, SDO.alternateName, Literal(MARKER_PREFIX + key)))
    g.add((iri, RDFS.comment, Literal(json.dumps({"steps": [], "calls": []}))))
    store.put(iri, g)
    return iri


def update(store, iri, state=None, *, identifier=None, url=None, generated=None, ended=None, calls=(),
           step=None, **progress):
    """Change a publication record: its state, identifier, URL, and JSON progress.

    Parameters
    ----------
    store : catalog.store.Store
    iri : str
    state : str or None
        New ``sw:state`` (one of `STATES`); None keeps it. ``published`` and ``failed`` also set
        ``prov:endedAtTime`` unless ``ended`` is False; other states remove it (a resumed attempt).
    identifier : str or None
        ``schema:identifier`` (the DOI).
    url : str or None
        ``schema:url``, the remote record's page.
    generated : str or None
        ``prov:generated``, e.g. the DOI's resolver IRI.
    ended : bool or None
        Force (True) or prevent (False) ``prov:endedAtTime``.
    calls : sequence of dict
        Remote calls made since the last update, appended to the log (``{"method", "url", "status"}``;
        never headers or bodies that could hold a credential).
    step : str or None
        A line for the step log (``draft_created id=123``).
    **progress
        Keys to set in the JSON progress; a value of None removes the key.

    Returns
    -------
    Publication
        The record as written.

    Raises
    ------
    skyweave.catalog.exceptions.ValidationFailed
        If the result breaks the publication shape (an unknown state, ``published`` without identifier).
    """
    iri = URIRef(iri)
    graph, current = _read(store, iri)
    strip_versions(graph, iri)
    data = current.progress
    for key, value in progress.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    if step:
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        data["steps"] = (data.get("steps", []) + [f"{now} {step}"])[-MAX_STEPS:]
    if calls:
        data["calls"] = (data.get("calls", []) + list(calls))[-MAX_CALLS:]
    graph.set((iri, RDFS.comment, Literal(json.dumps(data, sort_keys=True))))
    if state is not None:
        if state not in STATES:
            raise ValueError(f"unknown publication state {state!r}; expected one of {', '.join(STATES)}")
        graph.set((iri, SW.state, Literal(state)))
        if ended is None:
            ended = state in ("published", "failed")
    if ended is True and graph.value(iri, PROV.endedAtTime) is None:
        graph.set((iri, PROV.endedAtTime, _time()))
    elif ended is False:
        graph.remove((iri, PROV.endedAtTime, None))
    if identifier is not None:
        graph.set((iri, SDO.identifier, Literal(identifier)))
    if url is not None:
        graph.set((iri, SDO.url, URIRef(url)))
    if generated is not None:
        graph.set((iri, PROV.generated, URIRef(generated)))
    store.put(iri, graph)
    return _read(store, iri)[1]


def find(store, target_iri, service):
    """Return the latest publication of record ``target_iri`` on ``service``, or None.

    Parameters
    ----------
    store : catalog.store.Store
    target_iri : str
    service : str

    Returns
    -------
    Publication or None
        The one with the latest ``prov:startedAtTime``.
    """
    rows = store.select(
        "PREFIX sw: <https://skyweave.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#> "
        "SELECT ?p ?t WHERE { ?p a sw:Publication ; prov:used $target ; sw:service ?s ; prov:startedAtTime ?t "
        "FILTER(STR(?s) = $service) } ORDER BY DESC(?t) DESC(STR(?p)) LIMIT 1",
        target=URIRef(target_iri), service=Literal(service))
    return get(store, rows[0]["p"]) if rows else None


def of_record(store, target_iri):
    """Return the latest publication of record ``target_iri`` on each service, ordered by service.

    Parameters
    ----------
    store : catalog.store.Store
    target_iri : str

    Returns
    -------
    list of Publication
    """
    rows = store.select(
        "PREFIX sw: <https://skyweave.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#> "
        "SELECT ?p ?s ?t WHERE { ?p a sw:Publication ; prov:used $target ; sw:service ?s ; prov:startedAtTime ?t } "
        "ORDER BY STR(?s) DESC(?t)", target=URIRef(target_iri))
    latest = {}
    for row in rows:
        latest.setdefault(str(row["s"]), row["p"])
    return [get(store, iri) for iri in latest.values()]
