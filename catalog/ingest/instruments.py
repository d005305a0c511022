"""Observatory and instrument records from ``data/instruments.ttl``.

The Turtle file states each ``sw:Observatory`` and ``sw:Instrument`` once, with IRIs relative to
the placeholder base ``http://base.invalid/`` (`PLACEHOLDER_BASE`). `records` rewrites every IRI
under the placeholder to the catalog's base and splits the file into one graph per record: the
record's own triples plus the blank nodes it reaches (its energy or frequency range).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rdflib import BNode, Graph, URIRef

from ..vocab import split_iri
from .builders import DATA_DIR, new_graph

__all__ = ["FILENAME", "PLACEHOLDER_BASE", "read_graph", "records"]

FILENAME = "instruments.ttl"
"""Name of the Turtle file inside the data folder."""
PLACEHOLDER_BASE = "http://base.invalid/"
"""The base the file's record IRIs are written against (``.invalid`` never resolves, RFC 2606)."""

_ORDER = ("observatories", "instruments")


def _rebase(term, base):
    if isinstance(term, URIRef) and str(term).startswith(PLACEHOLDER_BASE):
        return URIRef(base + str(term)[len(PLACEHOLDER_BASE):])
    return term


def read_graph(base, data_dir=None):
    """Parse ``instruments.ttl`` and rewrite its placeholder IRIs to ``base``.

    Parameters
    ----------
    base : str
        The catalog's base IRI, ending in ``/``.
    data_dir : str or pathlib.Path, optional
        The data folder; default `catalog.ingest.DATA_DIR`.

    Returns
    -------
    graph : rdflib.Graph
        All observatory and instrument triples, with IRIs under ``base``.

    Raises
    ------
    FileNotFoundError
        If the file is missing.
    ValueError
        If ``base`` does not end in ``/``.
    """
    if not str(base).endswith("/"):
        raise ValueError(f"base IRI must end in '/': {base!r}")
    path = Path(data_dir if data_dir is not None else DATA_DIR) / FILENAME
    if not path.is_file():
        raise FileNotFoundError(f"instrument file not found: {path}")
    source = Graph().parse(path, format="turtle")
    graph = new_graph()
    for s, p, o in source:
        graph.add((_rebase(s, base), _rebase(p, base), _rebase(o, base)))
    return graph


def _closure(source, subject, graph):
    """Copy the triples of ``subject`` into ``graph``, following blank-node objects."""
    for s, p, o in source.triples((subject, None, None)):
        graph.add((s, p, o))
        if isinstance(o, BNode) and (o, None, None) not in graph:
            _closure(source, o, graph)


def records(base, data_dir=None) -> Iterator[tuple[URIRef, Graph]]:
    """Yield the observatory records, then the instrument records, each sorted by slug.

    Parameters
    ----------
    base : str
        The catalog's base IRI, ending in ``/``.
    data_dir : str or pathlib.Path, optional
        The data folder; default `catalog.ingest.DATA_DIR`.

    Yields
    ------
    iri : rdflib.URIRef
        ``{base}observatories/<slug>`` or ``{base}instruments/<slug>``.
    graph : rdflib.Graph
        The record's triples and its blank-node ranges.

    Raises
    ------
    FileNotFoundError
        If the file is missing.
    ValueError
        If a subject of the file is neither a blank node nor an observatory or instrument IRI
        under the placeholder base, or a blank node is shared by two records.

    References
    ----------
    .. [1] W3C, Semantic Sensor Network Ontology (SOSA), sosa:Sensor and sosa:Platform.
       https://www.w3.org/TR/vocab-ssn/
    """
    source = read_graph(base, data_dir)
    subjects = {}
    for subject in set(source.subjects()):
        if isinstance(subject, BNode):
            continue
        parts = split_iri(base, subject)
        if parts is None or parts[0] not in _ORDER or str(subject) != f"{base}{parts[0]}/{parts[1]}":
            raise ValueError(f"{FILENAME}: subject {subject} is not an observatory or instrument IRI")
        subjects[subject] = parts
    owner = {}
    ordered = sorted(subjects, key=lambda s: (_ORDER.index(subjects[s][0]), subjects[s][1]))
    for subject in ordered:
        graph = new_graph()
        _closure(source, subject, graph)
        for node in set(graph.subjects()):
            if isinstance(node, BNode):
                if node in owner:
                    raise ValueError(f"{FILENAME}: blank node shared by {owner[node]} and {subject}")
                owner[node] = subject
        yield subject, graph
