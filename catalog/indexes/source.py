"""Read what the side index needs from an Oxigraph store: each record's own properties, as plain values.

A record's triples are those whose subject is the record IRI inside the graph of the same name.
Values come out as plain Python (`str` for IRIs and lexical forms, `datetime` for ``xsd:dateTime``),
which is all `skyweave.catalog.indexes.extract.record_rows` needs, and much cheaper than rdflib terms.
"""

from datetime import datetime

from .extract import PREDICATES

__all__ = ["record_pairs", "all_record_pairs"]

_XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


def _plain(term):
    """Return a pyoxigraph term as plain Python: the IRI or lexical form, a `datetime` for an ``xsd:dateTime``."""
    if type(term).__name__ == "Literal" and term.datatype.value == _XSD_DATETIME:
        try:
            return datetime.fromisoformat(term.value)
        except ValueError:
            return term.value
    return term.value


def record_pairs(ox_store, iris):
    """Return the (predicate, object) pairs of each record's own subject in its graph.

    Parameters
    ----------
    ox_store : pyoxigraph.Store
    iris : iterable of str

    Returns
    -------
    dict of str to list of (str, object)
        Record IRI -> pairs (empty for a record that is not there).
    """
    import pyoxigraph as ox

    out = {}
    for iri in iris:
        node = ox.NamedNode(str(iri))
        out[str(iri)] = [(q.predicate.value, _plain(q.object)) for q in ox_store.quads_for_pattern(node, None, None, node)]
    return out


def all_record_pairs(ox_store):
    """Yield ``(iri, pairs)`` for every record, with only the properties the side index reads.

    Reads the store one property at a time (a range of Oxigraph's predicate index each), not record
    by record.

    Parameters
    ----------
    ox_store : pyoxigraph.Store

    Yields
    ------
    (str, list of (str, object))
    """
    import pyoxigraph as ox

    pairs = {}
    for p in sorted(PREDICATES):
        for q in ox_store.quads_for_pattern(None, ox.NamedNode(p), None, None):
            if q.subject == q.graph_name:
                pairs.setdefault(q.subject.value, []).append((p, _plain(q.object)))
    yield from pairs.items()
