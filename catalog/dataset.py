"""The RDF dataset a SPARQL query runs over.

By default a query sees the union of the current records' named graphs as its default graph, and
every record graph as a named graph. A client may instead name the graphs (record IRIs are graph
names), in the SPARQL 1.1 Protocol's ``default-graph-uri`` and ``named-graph-uri`` parameters or in
the query's own ``FROM`` and ``FROM NAMED`` clauses; the protocol's parameters win over the query's
clauses. A named graph the store does not hold is empty: nothing is ever fetched from the web.

References
----------
.. [1] SPARQL 1.1 Protocol §2.1.4, "Specifying an RDF Dataset",
   https://www.w3.org/TR/sparql11-protocol/#dataset
.. [2] SPARQL 1.1 Query Language §13.2, "Specifying RDF Datasets",
   https://www.w3.org/TR/sparql11-query/#specifyingDataset
"""

from dataclasses import dataclass

from .sparqlscan import tokens

__all__ = ["Dataset", "declared_dataset", "protocol_dataset"]



@dataclass(frozen=True)
class Dataset:
    """The graphs a query runs over.

    Attributes
    ----------
    default : tuple of str
        IRIs of the graphs merged into the default graph (empty: an empty default graph).
    named : tuple of str
        IRIs of the graphs ``GRAPH`` may match (empty: none).
    """

    default: tuple = ()
    named: tuple = ()


def protocol_dataset(default_graph_uris=(), named_graph_uris=()):
    """Return the dataset of a request's ``default-graph-uri`` and ``named-graph-uri`` parameters.

    Parameters
    ----------
    default_graph_uris, named_graph_uris : sequence of str
        The values of the repeated parameters.

    Returns
    -------
    Dataset or None
        None when the request names no graph (the query's own clauses, else the union, apply).

    Examples
    --------
    >>> protocol_dataset(["https://example.org/targets/crab-nebula"], [])
    Dataset(default=('https://example.org/targets/crab-nebula',), named=())
    >>> protocol_dataset([], []) is None
    True
    """
    if not default_graph_uris and not named_graph_uris:
        return None
    return Dataset(tuple(default_graph_uris), tuple(named_graph_uris))


def declared_dataset(text, base_iri=None):
    """Return the dataset a query's ``FROM`` and ``FROM NAMED`` clauses declare, or None if it has none.

    Only a query that has the keyword ``FROM`` among its tokens (`skyweave.catalog.sparqlscan.tokens`:
    not in its strings, IRIs or comments) is parsed (with rdflib's SPARQL parser, which resolves
    prefixed names and relative IRIs); a query whose text does not hold ``FROM`` in any case is not
    even tokenized, so the usual query costs one ``str.upper``.

    Parameters
    ----------
    text : str
        The query.
    base_iri : str or None
        Base for relative IRIs in the clauses.

    Returns
    -------
    Dataset or None
        None also when the query does not parse: the store's own parser then reports the error.

    Examples
    --------
    >>> declared_dataset("SELECT * WHERE { ?s ?p 'FROM' }") is None
    True
    >>> declared_dataset("PREFIX t: <https://example.org/targets/> SELECT * FROM t:crab-nebula "
    ...                  "FROM NAMED <observations/hess-23523> WHERE { ?s ?p ?o }", "https://example.org/")
    Dataset(default=('https://example.org/targets/crab-nebula',), named=('https://example.org/observations/hess-23523',))
    >>> declared_dataset("select * from <https://example.org/targets/m31> where { ?s ?p ?o }")
    Dataset(default=('https://example.org/targets/m31',), named=())
    """
    if "FROM" not in text.upper():  # then no token is the keyword: spare the tokenizer
        return None
    if not any(kind == "name" and value.upper() == "FROM" for kind, value in tokens(text)):
        return None
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        clauses = translateQuery(parseQuery(text), base=base_iri).algebra.get("datasetClause") or []
    except Exception:  # rdflib raises parser-specific types; the store reports the syntax error
        return None
    if not clauses:
        return None
    default = tuple(str(c["default"]) for c in clauses if "default" in c)
    named = tuple(str(c["named"]) for c in clauses if "named" in c)
    return Dataset(default, named)
