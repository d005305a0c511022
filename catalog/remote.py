"""The remote store: records kept in an existing SPARQL 1.1 server.

Queries go through the SPARQL 1.1 Protocol, writes through SPARQL 1.1 Update (one request per write,
so a write commits whole or not at all), and a record's graph is read through the Graph Store HTTP
Protocol. The server's default graph must be the union of its named graphs (Oxigraph:
``oxigraph serve --union-default-graph``).

References
----------
.. [1] SPARQL 1.1 Protocol, https://www.w3.org/TR/sparql11-protocol/
.. [2] SPARQL 1.1 Graph Store HTTP Protocol, https://www.w3.org/TR/sparql11-http-rdf-update/
"""

import io
import time

import requests
from rdflib import Graph, Variable
from rdflib.plugins.sparql.results.jsonresults import JSONResultParser

from .exceptions import BadRequest, QueryTimeout, StoreUnavailable
from .results import AskResult, GraphResult, SelectResult
from .store import Store

__all__ = ["RemoteStore"]

_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"


class RemoteStore(Store):
    """Records in a remote SPARQL 1.1 server.

    Parameters
    ----------
    query_url : str
        Query endpoint, e.g. ``http://127.0.0.1:7878/query``.
    update_url : str
        Update endpoint, e.g. ``http://127.0.0.1:7878/update``.
    gsp_url : str
        Graph Store endpoint, e.g. ``http://127.0.0.1:7878/store``.
    http_timeout_s : float
        Timeout of one HTTP request, seconds.
    **kwargs
        `catalog.store.Store` options.

    Raises
    ------
    ValueError
        If a URL is missing.
    """

    def __init__(self, query_url, update_url, gsp_url, http_timeout_s=30, **kwargs):
        if not (query_url and update_url and gsp_url):
            raise ValueError("remote mode needs REMOTE_QUERY_URL, REMOTE_UPDATE_URL and REMOTE_GSP_URL")
        super().__init__(**kwargs)
        self.query_url, self.update_url, self.gsp_url = query_url, update_url, gsp_url
        self.http_timeout_s = float(http_timeout_s)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "skyweave (+https://skyweave.org)"

    def _post(self, url, **kwargs):
        try:
            response = self.session.post(url, timeout=kwargs.pop("timeout", self.http_timeout_s), **kwargs)
        except requests.Timeout:
            raise QueryTimeout("The SPARQL server did not answer in time.") from None
        except requests.RequestException as exc:
            raise StoreUnavailable(f"The SPARQL server at {url} cannot be reached: {exc.__class__.__name__}") from None
        return response

    def _run_query(self, text, deadline, max_rows, select_format=None, dataset=None, base_iri=None):
        timeout = max(0.1, deadline - time.monotonic())
        if base_iri:  # a later BASE in the query itself still wins
            text = f"BASE <{base_iri}>\n{text}"
        params = None
        if dataset is not None:  # the SPARQL Protocol's dataset parameters, passed on
            params = [("default-graph-uri", i) for i in dataset.default] + [("named-graph-uri", i) for i in dataset.named]
            if not dataset.default:  # an empty default graph: name one no record uses
                params.append(("default-graph-uri", "urn:skyweave:empty-graph"))
        response = self._post(
            self.query_url, data=text.encode("utf-8"), timeout=timeout, params=params,
            headers={"Content-Type": "application/sparql-query", "Accept": _ACCEPT},
        )
        if response.status_code == 400:
            raise BadRequest(f"The SPARQL query does not parse: {response.text[:500]}")
        if response.status_code >= 300:
            raise StoreUnavailable(f"The SPARQL server answered {response.status_code}: {response.text[:300]}")
        mime = response.headers.get("Content-Type", "").split(";")[0].strip()
        if mime == "application/sparql-results+json":
            result = JSONResultParser().parse(io.BytesIO(response.content))
            if result.type == "ASK":
                return AskResult(bool(result.askAnswer))
            names = [str(v) for v in result.vars]
            if len(result.bindings) > max_rows:
                raise BadRequest(f"The query returns more than {max_rows} rows, the limit of this endpoint.")
            rows = [tuple(b.get(v) for v in result.vars) for b in result.bindings]
            return SelectResult(names, rows)
        graph = Graph()
        graph.parse(data=response.content, format="nt")
        if len(graph) > max_rows:
            raise BadRequest(f"The query returns more than {max_rows} triples, the limit of this endpoint.")
        return GraphResult(graph)

    def _update(self, text):
        response = self._post(
            self.update_url, data=text.encode("utf-8"), headers={"Content-Type": "application/sparql-update"}
        )
        if response.status_code >= 300:
            raise StoreUnavailable(f"The SPARQL server refused the update ({response.status_code}): {response.text[:300]}")

    def _graph(self, iri):
        try:
            response = self.session.get(
                self.gsp_url, params={"graph": str(iri)}, headers={"Accept": "application/n-triples"},
                timeout=self.http_timeout_s,
            )
        except requests.RequestException as exc:
            raise StoreUnavailable(f"The graph store at {self.gsp_url} cannot be reached: {exc.__class__.__name__}") from None
        if response.status_code == 404:
            return None
        if response.status_code >= 300:
            raise StoreUnavailable(f"The graph store answered {response.status_code}: {response.text[:300]}")
        graph = Graph()
        graph.parse(data=response.content, format="nt")
        return graph if len(graph) else None

    def _quads(self):
        response = self._post(
            self.query_url, data="SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
            headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        )
        result = JSONResultParser().parse(io.BytesIO(response.content))
        s, p, o, g = (Variable(v) for v in "spog")
        return [f"{b[s].n3()} {b[p].n3()} {b[o].n3()} {b[g].n3()} ." for b in result.bindings]

    def close(self):
        """Close the HTTP session."""
        super().close()
        self.session.close()

