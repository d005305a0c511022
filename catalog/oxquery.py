"""Answer one SPARQL query on a pyoxigraph store within a time limit and a row limit.

Shared by `skyweave.catalog.store.EmbeddedStore` (in threads of the server process) and the
endpoint's worker processes (`skyweave.catalog.query_workers`), which import only this module and
its light dependencies (pyoxigraph; rdflib only when a result is converted to rdflib terms), not
the validation machinery, so they start fast and stay small.
"""

import time

from .exceptions import BadRequest, QueryTimeout
from .results import (AskResult, GraphResult, RawGraphResult, SelectResult, SerializedSelect, count_rows,
                      serialize_triples)

__all__ = ["run_oxigraph_query", "to_rdflib"]


def run_oxigraph_query(reader, text, deadline, max_rows, select_format=None, dataset=None, base_iri=None,
                       graph_format=None, prefixes=None):
    """Run a read-only query on a pyoxigraph store within a deadline and a row limit.

    Used by `EmbeddedStore` in its own threads and by the endpoint's worker processes
    (`skyweave.catalog.query_workers`) on their read-only handles.

    Parameters
    ----------
    reader : pyoxigraph.Store
    text : str
        The SPARQL query.
    deadline : float
        `time.monotonic` value after which the query stops at its next row.
    max_rows : int
        Row (or triple) limit.
    select_format : str or None
        Serialise SELECT natively in this format (``json``, ``xml``, ``csv``, ``tsv``), and keep
        CONSTRUCT/DESCRIBE triples as pyoxigraph terms.
    dataset : skyweave.catalog.dataset.Dataset or None
        The graphs to query; None: the union of the named graphs as default graph.
    base_iri : str or None
    graph_format : str or None
        With ``select_format``: serialise CONSTRUCT/DESCRIBE triples natively in this RDF format
        (``ttl``, ``jsonld``, ``nt``, ``rdf``) and return a `SerializedGraph`, whose bytes go to
        the client as they are.
    prefixes : dict of str to str or None
        Prefixes for ``ttl`` and ``jsonld``.

    Returns
    -------
    SelectResult, SerializedSelect, AskResult, GraphResult, RawGraphResult or SerializedGraph

    Raises
    ------
    BadRequest
        If the query does not parse, its dataset is not valid or it returns more than ``max_rows``.
    QueryTimeout
        If it is still streaming rows after ``deadline``.
    """
    import pyoxigraph as ox

    results = item = None
    if dataset is None:
        scope = {"use_default_graph_as_union": True}
    else:
        scope = {"default_graph": [ox.NamedNode(i) for i in dataset.default],
                 "named_graphs": [ox.NamedNode(i) for i in dataset.named]}
    try:
        results = reader.query(text, base_iri=base_iri, **scope)
        if isinstance(results, ox.QueryBoolean):
            return AskResult(bool(results))
        if isinstance(results, ox.QueryTriples) and select_format:
            triples = []
            for n, item in enumerate(results):
                _check_limits(n, deadline, max_rows, "triples")
                triples.append(item)
            if graph_format:
                return serialize_triples(triples, graph_format, prefixes)
            return RawGraphResult(triples)
        if isinstance(results, ox.QueryTriples):
            from rdflib import Graph

            graph = Graph()
            for n, item in enumerate(results):
                _check_limits(n, deadline, max_rows, "triples")
                graph.add((to_rdflib(item.subject), to_rdflib(item.predicate), to_rdflib(item.object)))
            return GraphResult(graph)
        if select_format:
            return _serialize_solutions(results, select_format, deadline, max_rows)
        names = [v.value for v in results.variables]
        rows = []
        width = range(len(names))
        for n, item in enumerate(results):
            _check_limits(n, deadline, max_rows, "rows")
            rows.append(tuple(to_rdflib(item[i]) for i in width))
        return SelectResult(names, rows)
    except SyntaxError as exc:
        raise BadRequest(f"The SPARQL query does not parse: {exc}") from None
    except ValueError as exc:  # an IRI of the dataset that is not an absolute IRI
        raise BadRequest(f"The query's dataset is not valid: {exc}") from None
    finally:
        # pyoxigraph's result iterators must be dropped on the thread that made them.
        results = item = None


class _CappedBuffer:
    """A binary sink for pyoxigraph's serialisers that stops a result too large or too late."""

    def __init__(self, cap_bytes, deadline):
        self.data = bytearray()
        self.cap_bytes, self.deadline = cap_bytes, deadline
        self.too_large = self.too_late = False

    def write(self, chunk):
        self.data += chunk
        if len(self.data) > self.cap_bytes:
            self.too_large = True
            raise OSError("result too large")
        if time.monotonic() > self.deadline:
            self.too_late = True
            raise OSError("time limit")
        return len(chunk)

    def flush(self):
        pass


_BYTES_PER_ROW = 4096
"""Size cap per allowed row while a result is serialised (the row count is checked exactly after)."""


_MIN_ROW_BYTES = {"json": 2, "xml": 9, "csv": 1, "tsv": 1}
"""Fewest bytes one solution takes in each format (``{}``, ``<result/>``, a line end), so a body
shorter than ``max_rows + 1`` times this cannot hold too many rows and is not parsed to count them."""


def _serialize_solutions(results, fmt, deadline, max_rows):
    """Serialise SELECT solutions natively (pyoxigraph), enforcing the time and row limits."""
    import pyoxigraph as ox

    formats = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
               "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
    sink = _CappedBuffer(max_rows * _BYTES_PER_ROW + 65536, deadline)
    try:
        results.serialize(sink, formats[fmt])
    except OSError:
        if not (sink.too_large or sink.too_late):
            raise
    if sink.too_late:
        raise QueryTimeout("The query ran longer than its time limit and was stopped.")
    body = bytes(sink.data)
    rows = None
    if not sink.too_large and len(body) >= _MIN_ROW_BYTES[fmt] * (max_rows + 1):
        rows = count_rows(body, fmt)  # only a body this large could hold more than max_rows solutions
    if sink.too_large or (rows is not None and rows > max_rows):
        raise BadRequest(
            f"The query returns more than {max_rows} rows, the limit of this endpoint "
            "(setting SPARQL_MAX_ROWS). Add a LIMIT or narrow the pattern."
        )
    return SerializedSelect(fmt, body, rows)


def _check_limits(n, deadline, max_rows, what):
    if n >= max_rows:
        raise BadRequest(
            f"The query returns more than {max_rows} {what}, the limit of this endpoint "
            "(setting SPARQL_MAX_ROWS). Add a LIMIT or narrow the pattern."
        )
    if n % 256 == 0 and time.monotonic() > deadline:
        raise QueryTimeout("The query ran longer than its time limit and was stopped.")


_RDFLIB = []
"""rdflib's ``(URIRef, BNode, Literal)``, imported on the first conversion (a query worker never needs them)."""


def to_rdflib(term):
    """Convert a pyoxigraph term to the equal rdflib term (None stays None)."""
    if term is None:
        return None
    if not _RDFLIB:
        from rdflib import BNode, Literal, URIRef

        _RDFLIB[:] = (URIRef, BNode, Literal)
    URIRef, BNode, Literal = _RDFLIB
    kind = type(term).__name__
    if kind == "NamedNode":
        return URIRef(term.value)
    if kind == "BlankNode":
        return BNode(term.value)
    if kind == "Literal":
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise BadRequest(f"RDF-star terms are not supported in results: {term}")
