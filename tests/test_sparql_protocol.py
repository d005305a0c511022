"""The query side of the W3C SPARQL 1.1 Protocol test suite, run against our endpoint and, with the
same requests and the same expectations, against a bare ``oxigraph serve`` holding the same graphs.

Each case follows a query test of the suite's manifest (query-get, query-post-form, query-post-direct,
query-dataset-default-graph(s), query-dataset-named-graphs, query-dataset-full, query-multiple-dataset,
query-content-type-select/ask/describe/construct, bad-query-method, bad-multiple-queries,
bad-query-wrong-media-type, bad-query-missing-form-type, bad-query-missing-direct-type,
bad-query-non-utf8, bad-query-syntax). The suite's data graphs are replaced by three record graphs of
the real catalog: record IRIs are graph names here, so a dataset of records is what clients select.

References
----------
.. [1] SPARQL 1.1 Protocol, https://www.w3.org/TR/sparql11-protocol/
.. [2] W3C SPARQL 1.1 test suite, protocol/manifest.ttl, https://www.w3.org/2009/sparql/docs/tests/
"""

from urllib.parse import quote

import pytest
import requests
from rdflib import URIRef

from .conftest import BASE, running_oxigraph

G1, G2, G3 = (f"{BASE}targets/crab-nebula", f"{BASE}targets/pks-2155-304", f"{BASE}targets/hess-j1745-290")
JSON = "application/sparql-results+json"
RDF_TYPES = ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json")


@pytest.fixture(scope="module")
def oxigraph_peer(records):
    """A bare ``oxigraph serve`` (union default graph) holding graphs G1, G2 and G3 only."""
    graphs = dict(records)
    with running_oxigraph() as url:
        for iri in (G1, G2, G3):
            body = graphs[URIRef(iri)].serialize(format="nt", encoding="utf-8")
            response = requests.put(f"{url}/store", params={"graph": iri}, data=body,
                                    headers={"Content-Type": "application/n-triples"}, timeout=10)
            assert response.status_code in (201, 204), response.text
        yield f"{url}/query"


@pytest.fixture(scope="module", params=["skyweave", "oxigraph"])
def endpoint(request, live_server):
    if request.param == "skyweave":
        return live_server.url + "/sparql"
    return request.getfixturevalue("oxigraph_peer")


def post_direct(endpoint, query, params=None, **headers):
    return requests.post(endpoint, params=params, data=query.encode("utf-8"), timeout=30,
                         headers={"Content-Type": "application/sparql-query", "Accept": JSON, **headers})


def ask(response):
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith(JSON)
    return response.json()["boolean"]


def rows(response, *names):
    assert response.status_code == 200, response.text[:500]
    return {tuple(b[n]["value"] for n in names) for b in response.json()["results"]["bindings"]}


# -- positive tests --------------------------------------------------------------------------------

def test_query_get(endpoint):
    assert ask(requests.get(endpoint, params={"query": "ASK {}"}, headers={"Accept": JSON}, timeout=30)) is True


def test_query_post_form(endpoint):
    response = requests.post(endpoint, data={"query": "ASK {}"}, headers={"Accept": JSON}, timeout=30)
    assert ask(response) is True


def test_query_post_direct(endpoint):
    assert ask(post_direct(endpoint, "ASK {}")) is True


def test_query_dataset_default_graph(endpoint):
    assert ask(post_direct(endpoint, f"ASK {{ <{G1}> ?p ?o }}", {"default-graph-uri": G1})) is True
    assert ask(post_direct(endpoint, f"ASK {{ <{G2}> ?p ?o }}", {"default-graph-uri": G1})) is False


def test_query_dataset_default_graphs(endpoint):
    query = f"ASK {{ <{G1}> ?p ?o . <{G2}> ?p ?o }}"
    assert ask(post_direct(endpoint, query, [("default-graph-uri", G1), ("default-graph-uri", G2)])) is True
    assert ask(post_direct(endpoint, query, [("default-graph-uri", G1)])) is False


def test_query_dataset_named_graphs(endpoint):
    response = post_direct(endpoint, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                           [("named-graph-uri", G1), ("named-graph-uri", G2)])
    assert rows(response, "g") == {(G1,), (G2,)}
    # The default graph is empty when the protocol names only named graphs.
    assert ask(post_direct(endpoint, "ASK { ?s ?p ?o }", [("named-graph-uri", G1)])) is False


def test_query_dataset_full(endpoint):
    response = post_direct(endpoint, "SELECT DISTINCT ?x ?g WHERE { ?x a ?t GRAPH ?g { ?s a ?t } }",
                           [("default-graph-uri", G3), ("named-graph-uri", G1), ("named-graph-uri", G2)])
    assert rows(response, "x", "g") == {(G3, G1), (G3, G2)}


def test_query_multiple_dataset_the_protocol_wins_over_from(endpoint):
    params = {"default-graph-uri": G2}
    assert ask(post_direct(endpoint, f"ASK FROM <{G1}> {{ <{G2}> ?p ?o }}", params)) is True
    assert ask(post_direct(endpoint, f"ASK FROM <{G1}> {{ <{G1}> ?p ?o }}", params)) is False


@pytest.mark.parametrize("query, accepted", [
    ("SELECT (1 AS ?value) {}", ("application/sparql-results+json", "application/sparql-results+xml",
                                 "text/csv", "text/tab-separated-values")),
    ("ASK {}", ("application/sparql-results+json", "application/sparql-results+xml")),
    (f"DESCRIBE <{G1}>", RDF_TYPES),
    ("CONSTRUCT { <http://example.org/s> <http://example.org/p> 1 } WHERE {}", RDF_TYPES),
], ids=["select", "ask", "describe", "construct"])
def test_query_content_type(endpoint, query, accepted):
    response = requests.post(endpoint, data=query.encode(), timeout=30,
                             headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200, response.text[:300]
    if endpoint.endswith("/query") and accepted is RDF_TYPES:
        accepted += ("application/n-quads",)  # oxigraph serve answers N-Quads, a superset of N-Triples
    assert response.headers["Content-Type"].split(";")[0] in accepted


# -- negative tests --------------------------------------------------------------------------------

def test_bad_query_method(endpoint):
    assert requests.put(endpoint + "?query=" + quote("ASK {}"), timeout=30).status_code >= 400


def test_bad_multiple_queries(endpoint):
    response = requests.get(endpoint, params=[("query", "ASK {}"), ("query", "SELECT * {}")], timeout=30)
    assert response.status_code == 400


def test_bad_query_wrong_media_type(endpoint):
    response = requests.post(endpoint, data=b"ASK {}", headers={"Content-Type": "text/plain"}, timeout=30)
    assert 400 <= response.status_code < 500


def test_bad_query_missing_form_type(endpoint):
    response = requests.post(endpoint, data=b"query=ASK%20%7B%7D", headers={"Content-Type": ""}, timeout=30)
    assert 400 <= response.status_code < 500


def test_bad_query_missing_direct_type(endpoint):
    response = requests.post(endpoint, data=b"ASK {}", headers={"Content-Type": ""}, timeout=30)
    assert 400 <= response.status_code < 500


def test_bad_query_non_utf8(endpoint):
    response = requests.post(endpoint, data="ASK {}".encode("utf-16"), timeout=30,
                             headers={"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert 400 <= response.status_code < 500


def test_bad_query_syntax(endpoint):
    assert requests.get(endpoint, params={"query": "ASK {"}, timeout=30).status_code == 400


# -- ours only: the base IRI, and FROM honoured (never fetched, never ignored) -----------------------

def test_relative_iris_resolve_against_the_catalog_base(live_server):
    endpoint = live_server.url + "/sparql"
    assert ask(post_direct(endpoint, "ASK { <targets/crab-nebula> a ?type }")) is True
    assert ask(post_direct(endpoint, "BASE <http://elsewhere.example/> ASK { <targets/crab-nebula> a ?type }")) is False


def test_from_selects_record_graphs(live_server):
    endpoint = live_server.url + "/sparql"
    assert ask(post_direct(endpoint, f"ASK FROM <{G1}> {{ <{G2}> ?p ?o }}")) is False
    assert ask(post_direct(endpoint, f"ASK FROM <{G1}> {{ <{G1}> ?p ?o }}")) is True
    count = "SELECT (COUNT(DISTINCT ?s) AS ?n) FROM <targets/crab-nebula> FROM <targets/pks-2155-304> WHERE { ?s a ?t }"
    assert rows(post_direct(endpoint, count), "n") == {("2",)}
