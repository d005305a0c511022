"""SPARQL query results: one shape for every store backend, and their serialisations.

SELECT results serialise as SPARQL 1.1 Query Results JSON, XML, CSV and TSV; ASK as JSON or XML;
CONSTRUCT and DESCRIBE as an RDF graph in any RDF format (see `skyweave.catalog.formats`).
"""

import io
from dataclasses import dataclass, field

__all__ = ["SelectResult", "SerializedSelect", "AskResult", "GraphResult", "RawGraphResult", "SerializedGraph",
           "RESULT_TYPES",
           "count_rows", "serialize_result", "serialize_triples"]

RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
"""Result format name -> media type, for SELECT and ASK (CSV and TSV for SELECT only)."""


@dataclass
class SelectResult:
    """The solutions of a SELECT query.

    Attributes
    ----------
    vars : list of str
        Projected variable names, without ``?``.
    rows : list of tuple
        One tuple per solution, aligned with ``vars``; each item an rdflib term or None (unbound).
    """

    vars: list
    rows: list = field(default_factory=list)

    def __len__(self):
        return len(self.rows)

    def dicts(self):
        """Return the rows as dicts ``{var: term}`` without the unbound variables."""
        return [{v: t for v, t in zip(self.vars, row) if t is not None} for row in self.rows]


@dataclass
class SerializedSelect:
    """SELECT solutions already serialised by the store (the embedded store's fast path).

    Attributes
    ----------
    fmt : str
        A key of `RESULT_TYPES`.
    body : bytes
    rows : int or None
        Number of solutions in ``body``; None until asked for (``len()`` counts them once).
    """

    fmt: str
    body: bytes
    rows: int | None = None

    def __len__(self):
        if self.rows is None:
            self.rows = count_rows(self.body, self.fmt)
        return self.rows


def count_rows(body, fmt):
    """Count the solutions in serialised SELECT results.

    Parameters
    ----------
    body : bytes
    fmt : str
        ``json``, ``xml``, ``csv`` or ``tsv``.

    Returns
    -------
    int

    Notes
    -----
    Exact for every format: XML escapes ``<`` in values, TSV escapes newlines, and JSON and CSV are
    parsed (by the C parsers of the standard library).
    """
    import csv
    import json

    if fmt == "json":
        return len(json.loads(body)["results"]["bindings"])
    if fmt == "xml":
        return body.count(b"<result>")
    if fmt == "tsv":
        return max(0, body.count(b"\n") - 1)
    return max(0, sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1)


@dataclass
class AskResult:
    """The answer of an ASK query. ``value`` is a bool."""

    value: bool

    def __len__(self):
        return 1


@dataclass
class GraphResult:
    """The triples of a CONSTRUCT or DESCRIBE query, as an `rdflib.Graph` in ``graph``."""

    graph: object

    def __len__(self):
        return len(self.graph)


def _tsv_term(term):
    return "" if term is None else term.n3()


def serialize_result(result, fmt):
    """Serialise a SELECT or ASK result.

    Parameters
    ----------
    result : SelectResult, SerializedSelect or AskResult
    fmt : str
        One of `RESULT_TYPES`: ``json``, ``xml``, ``csv``, ``tsv``.

    Returns
    -------
    bytes

    Raises
    ------
    ValueError
        If ``fmt`` is unknown, or CSV/TSV is asked for an ASK result (the W3C formats define none).

    References
    ----------
    .. [1] SPARQL 1.1 Query Results JSON Format, https://www.w3.org/TR/sparql11-results-json/
    .. [2] SPARQL Query Results XML Format, https://www.w3.org/TR/rdf-sparql-XMLres/
    .. [3] SPARQL 1.1 Query Results CSV and TSV Formats, https://www.w3.org/TR/sparql11-results-csv-tsv/
    """
    from rdflib import Variable
    from rdflib.query import Result

    if fmt not in RESULT_TYPES:
        raise ValueError(f"unknown result format {fmt!r}")
    if isinstance(result, SerializedSelect):
        if result.fmt != fmt:
            raise ValueError(f"result was serialised as {result.fmt}, not {fmt}")
        return result.body
    if isinstance(result, AskResult):
        if fmt in ("csv", "tsv"):
            raise ValueError("ASK results have no CSV or TSV form; ask for JSON or XML")
        r = Result("ASK")
        r.askAnswer = result.value
        return r.serialize(format=fmt)
    if fmt == "tsv":
        # SPARQL 1.1 CSV/TSV §3: header of ?vars, terms in their Turtle/N-Triples encoding.
        lines = ["\t".join("?" + v for v in result.vars)]
        lines += ["\t".join(_tsv_term(t) for t in row) for row in result.rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    r = Result("SELECT")
    r.vars = [Variable(v) for v in result.vars]
    r.bindings = [
        {Variable(v): t for v, t in zip(result.vars, row) if t is not None} for row in result.rows
    ]
    out = io.BytesIO()
    r.serialize(out, format=fmt, encoding="utf-8")
    return out.getvalue()


@dataclass
class RawGraphResult:
    """CONSTRUCT or DESCRIBE triples as pyoxigraph ``Triple`` objects, serialised by pyoxigraph."""

    triples: list

    def __len__(self):
        return len(self.triples)


@dataclass
class SerializedGraph:
    """CONSTRUCT or DESCRIBE triples already serialised by the store (the endpoint's query workers).

    Attributes
    ----------
    fmt : str
        A key of `skyweave.catalog.formats.FORMATS` other than ``html`` (``ttl``, ``jsonld``, ``nt``, ``rdf``).
    body : bytes
    triples : int
        Number of triples in ``body``.
    """

    fmt: str
    body: bytes
    triples: int

    def __len__(self):
        return self.triples


_RDF_FORMATS = {"ttl": "TURTLE", "jsonld": "JSON_LD", "nt": "N_TRIPLES", "rdf": "RDF_XML"}
"""Our RDF format names (`skyweave.catalog.formats.FORMATS`) -> pyoxigraph ``RdfFormat`` members."""


def serialize_triples(triples, fmt, prefixes=None):
    """Serialise pyoxigraph triples natively in one of our RDF formats.

    Parameters
    ----------
    triples : list of pyoxigraph.Triple
    fmt : str
        ``ttl``, ``jsonld``, ``nt`` or ``rdf``.
    prefixes : dict of str to str or None
        Prefix -> namespace IRI, used by ``ttl`` and ``jsonld`` only.

    Returns
    -------
    SerializedGraph

    References
    ----------
    .. [1] pyoxigraph ``serialize``, https://pyoxigraph.readthedocs.io/en/stable/io.html

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> t = ox.Triple(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("o"))
    >>> result = serialize_triples([t], "nt")
    >>> result.body, len(result)
    (b'<http://example.org/s> <http://example.org/p> "o" .\\n', 1)
    """
    import pyoxigraph as ox

    body = ox.serialize(triples, format=getattr(ox.RdfFormat, _RDF_FORMATS[fmt]),
                        prefixes=prefixes if fmt in ("ttl", "jsonld") else None)
    return SerializedGraph(fmt, body, len(triples))
