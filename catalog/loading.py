"""Split RDF files into records and load them, for ``skyweave load`` and the demo.

Loading is a write like any other: each record is checked (`skyweave.catalog.content`) and
validated against the shapes, a record that exists is replaced keeping its earlier content as a
version, and a record whose content is unchanged is skipped, so a load that was interrupted is
simply run again.
"""

from dataclasses import dataclass, field

from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic

from .formats import parse_rdf
from .vocab import PROV, RDF, split_iri

__all__ = ["MEDIA_TYPES", "LoadReport", "read_file", "split_records", "load_records"]

MEDIA_TYPES = {
    ".ttl": "text/turtle", ".jsonld": "application/ld+json", ".json": "application/ld+json",
    ".nt": "application/n-triples", ".rdf": "application/rdf+xml", ".owl": "application/rdf+xml",
}
"""File suffix -> media type of the RDF files ``skyweave load`` reads."""


def read_file(path):
    """Parse an RDF file chosen by its suffix.

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    rdflib.Graph

    Raises
    ------
    skyweave.catalog.exceptions.BadRequest
        If the suffix is unknown or the file does not parse (message with the parser's line).
    """
    from .exceptions import BadRequest

    mime = MEDIA_TYPES.get(path.suffix.lower())
    if mime is None:
        raise BadRequest(f"{path.name}: unknown RDF suffix; use one of {', '.join(MEDIA_TYPES)}.")
    try:
        return parse_rdf(path.read_bytes(), mime)
    except BadRequest as exc:
        raise BadRequest(f"{path.name}: {exc.detail}") from None


def split_records(graph, base):
    """Split a graph into records: each typed subject with a record IRI, with what hangs off it.

    A record takes its subject's triples, the triples of blank nodes reachable from it, and those of
    its hash IRIs (``{iri}#...``, e.g. a workflow's parameters).

    Parameters
    ----------
    graph : rdflib.Graph
    base : str
        BASE_IRI.

    Returns
    -------
    records : list of (rdflib.URIRef, rdflib.Graph)
    leftover : int
        Number of triples that belong to no record (ignored by the loader, reported to the user).
    """
    roots = sorted({s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef) and split_iri(base, s)})
    fragments = {}  # record IRI -> its fragment subjects, found in one pass (linear in the graph)
    for s in graph.subjects(unique=True):
        if isinstance(s, URIRef) and "#" in s:
            fragments.setdefault(str(s).split("#", 1)[0], []).append(s)
    used = 0
    records = []
    for root in roots:
        if "#" in str(root):
            continue
        record = Graph()
        todo = [root] + sorted(fragments.get(str(root), []))
        seen = set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for t in graph.triples((node, None, None)):
                record.add(t)
                if isinstance(t[2], BNode):
                    todo.append(t[2])
        used += len(record)
        records.append((root, record))
    return records, max(0, len(graph) - used)


@dataclass
class LoadReport:
    """What a load did, record by record.

    Attributes
    ----------
    created, replaced, unchanged : list of str
        IRIs of the records created, replaced (the earlier content kept as a version) and skipped
        because their content was already stored.
    rejected : list of (str, catalog.validate.ValidationReport)
        IRIs refused, with the reasons.
    """

    created: list = field(default_factory=list)
    replaced: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    rejected: list = field(default_factory=list)

    @property
    def stored(self):
        """IRIs written (created or replaced)."""
        return self.created + self.replaced


def _same(new, old):
    """True if ``new`` holds what ``old`` holds, leaving out the store's version link."""
    trimmed = Graph()
    for t in old:
        if t[1] != PROV.wasRevisionOf:
            trimmed.add(t)
    old = trimmed
    if len(new) != len(old):
        return False
    if not any(isinstance(term, BNode) for t in new for term in t):
        return set(new) == set(old)
    return isomorphic(new, old)


def load_records(store, records, batch_size=400, progress=None):
    """Load records into ``store`` the way every other write goes: checked, validated, versioned.

    Each batch is validated together and written in one update (`Store.put_many`); records that
    exist are compared with what is stored first (unchanged ones are skipped) and replaced ones
    keep their earlier content as a version, exactly as `Store.put` does. Records refused in the
    first pass are tried once more at the end, since they may reference records that came later.
    Time and memory grow linearly with the number of records.

    Parameters
    ----------
    store : catalog.store.Store
    records : iterable of (rdflib.URIRef, rdflib.Graph)
    batch_size : int
    progress : callable or None
        Called with the number of records handled after each batch.

    Returns
    -------
    LoadReport
    """
    report = LoadReport()
    batch = []

    def flush():
        fresh, changed = [], []
        for iri, graph in batch:
            old = store._graph(iri)
            if old is None or not len(old):
                fresh.append((iri, graph))
            elif _same(graph, old):
                report.unchanged.append(str(iri))
            else:
                changed.append((iri, graph))
        if fresh:
            stored, rejected = store.put_many(fresh, batch_size=len(fresh))
            report.created.extend(stored)
            report.rejected.extend(rejected)
        for iri, graph in changed:  # replacing keeps a version: the same path as PUT
            try:
                store.put(iri, graph)
                report.replaced.append(str(iri))
            except Exception as exc:  # a refused record is reported, the load goes on
                from .store import _refusal
                from .exceptions import ValidationFailed

                if isinstance(exc, ValidationFailed):
                    report.rejected.append((str(iri), exc.report))
                elif hasattr(exc, "detail"):
                    report.rejected.append((str(iri), _refusal(iri, exc)))
                else:
                    raise
        if progress:
            progress(len(batch))
        batch.clear()

    records = [(URIRef(iri), graph) for iri, graph in records]
    for iri, graph in records:
        batch.append((iri, graph))
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    if report.rejected:  # once more: a record may reference one that came later in the file
        retry = {iri for iri, _ in report.rejected}
        report.rejected = []
        batch.extend((iri, graph) for iri, graph in records if str(iri) in retry)
        flush()
    return report
