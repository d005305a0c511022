"""Split RDF files into records and load them, for ``skyweave load`` and the demo."""

from rdflib import BNode, Graph, URIRef

from .formats import parse_rdf
from .vocab import RDF, split_iri

__all__ = ["MEDIA_TYPES", "read_file", "split_records"]

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
    used = set()
    records = []
    for root in roots:
        if "#" in str(root):
            continue
        record = Graph()
        todo = [root] + sorted({s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(f"{root}#")})
        seen = set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for t in graph.triples((node, None, None)):
                record.add(t)
                used.add(t)
                if isinstance(t[2], BNode):
                    todo.append(t[2])
        records.append((root, record))
    return records, len(graph) - len(used)
