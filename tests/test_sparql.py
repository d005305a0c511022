"""The SPARQL 1.1 Protocol endpoint over real HTTP, with SPARQLWrapper as the client."""

import csv
import io
import threading
import time

import pytest
import requests
from bs4 import BeautifulSoup
from rdflib import Graph, Literal, URIRef
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from skyweave.catalog.queries import examples

from .conftest import BASE, LiveServer, make_app

COUNT_OBS = "PREFIX sw: <https://skyweave.org/ns#> SELECT (COUNT(?o) AS ?n) WHERE { ?o a sw:Observation }"
CRAB = BASE + "targets/crab-nebula"


def wrapper(live_server, query, fmt=JSON, method=None, request_method=None):
    sparql = SPARQLWrapper(live_server.url + "/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    if method:
        sparql.setMethod(method)
    if request_method:
        sparql.setRequestMethod(request_method)
    return sparql


@pytest.mark.parametrize("method, request_method", [(None, None), (POST, None), (POST, POSTDIRECTLY)],
                         ids=["get", "post-form", "post-direct"])
def test_select_in_all_three_request_forms(live_server, method, request_method):
    result = wrapper(live_server, COUNT_OBS, JSON, method, request_method).query().convert()
    assert result["results"]["bindings"][0]["n"]["value"] == "8"


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_select_result_formats(live_server, fmt):
    query = ("PREFIX sw: <https://skyweave.org/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
             "SELECT ?obs ?id WHERE { ?obs a sw:Observation ; sw:obsId ?id } ORDER BY ?id")
    response = wrapper(live_server, query, fmt).query()
    converted = response.convert()
    if fmt == JSON:
        ids = [b["id"]["value"] for b in converted["results"]["bindings"]]
    elif fmt == XML:
        ids = [n.firstChild.firstChild.data for n in converted.getElementsByTagName("binding") if n.getAttribute("name") == "id"]
    else:
        text = converted.decode("utf-8") if isinstance(converted, bytes) else converted
        rows = list(csv.reader(io.StringIO(text), delimiter="," if fmt == CSV else "\t"))
        assert rows[0] == (["obs", "id"] if fmt == CSV else ["?obs", "?id"])
        ids = [r[1].split("^^")[0].strip('"') for r in rows[1:]]
    assert ids[:2] == ["23523", "23526"] and len(ids) == 8


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask(live_server, fmt):
    result = wrapper(live_server, f"ASK {{ <{CRAB}> ?p ?o }}", fmt).query().convert()
    if fmt == JSON:
        assert result["boolean"] is True
    else:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("fmt, parse_as", [(TURTLE, "turtle"), (RDFXML, "xml"), (JSONLD, "json-ld")])
def test_construct_in_rdf_formats(live_server, fmt, parse_as):
    query = f"CONSTRUCT {{ <{CRAB}> ?p ?o }} WHERE {{ <{CRAB}> ?p ?o }}"
    result = wrapper(live_server, query, fmt).query().convert()
    graph = result if isinstance(result, Graph) else Graph().parse(data=result, format=parse_as)
    assert (URIRef(CRAB), URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("Crab Nebula")) in graph


@pytest.mark.parametrize("accept, fmt", [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                         ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")])
def test_describe_by_accept_header(live_server, accept, fmt):
    response = requests.get(live_server.url + "/sparql", params={"query": f"DESCRIBE <{CRAB}>"},
                            headers={"Accept": accept}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(accept)
    graph = Graph().parse(data=response.text, format=fmt)
    assert (URIRef(CRAB), None, None) in graph


def test_malformed_query_is_400_with_the_parser_message(live_server):
    response = requests.get(live_server.url + "/sparql", params={"query": "SELECT ?s WHERE { ?s ?p"},
                            headers={"Accept": "application/sparql-results+json"}, timeout=10)
    assert response.status_code == 400
    problem = response.json()
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "does not parse" in problem["detail"] and "line" in problem["detail"].lower() or "1:" in problem["detail"]


@pytest.mark.parametrize("how", ["form-update", "sparql-update-body", "update-in-query"])
def test_endpoint_never_writes(live_server, app, how):
    before = app.extensions["store"].dump()
    insert = f'INSERT DATA {{ GRAPH <{CRAB}> {{ <{CRAB}> <http://www.w3.org/2000/01/rdf-schema#label> "Hacked" }} }}'
    url = live_server.url + "/sparql"
    if how == "form-update":
        response = requests.post(url, data={"update": insert}, timeout=10)
    elif how == "sparql-update-body":
        response = requests.post(url, data=insert, headers={"Content-Type": "application/sparql-update"}, timeout=10)
    else:
        response = requests.post(url, data={"query": insert}, timeout=10)
    assert response.status_code == 400
    assert app.extensions["store"].dump() == before


def test_service_description_for_rdf_clients(live_server):
    response = requests.get(live_server.url + "/sparql", headers={"Accept": "text/turtle"}, timeout=10)
    graph = Graph().parse(data=response.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Query")) in graph
    assert (None, URIRef(sd + "feature"), URIRef(sd + "UnionDefaultGraph")) in graph


def test_query_page_for_browsers_lists_examples_and_shows_a_table(client):
    page = client.get("/sparql", headers={"Accept": "text/html"})
    soup = BeautifulSoup(page.data, "html.parser")
    names = [a["data-name"] for a in soup.select("a.example")]
    assert names == [e.name for e in examples()]
    example = next(e for e in examples() if e.name == "crab-observations")
    page = client.get("/sparql", query_string={"query": example.text}, headers={"Accept": "text/html"})
    soup = BeautifulSoup(page.data, "html.parser")
    assert [th.text for th in soup.select("table.data th")] == ["observation", "obsId", "start", "liveTime"]
    assert len(soup.select("table.data tbody tr")) == 4


def test_every_example_query_runs(client):
    for example in examples():
        response = client.get("/sparql", query_string={"query": example.text},
                              headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 200, (example.name, response.data[:300])
        assert response.json["results"]["bindings"], example.name


def test_row_limit_is_a_clear_error(records):
    app = make_app(records[:40], SPARQL_MAX_ROWS=10)
    response = app.test_client().get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"},
                                     headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 400
    assert "more than 10 rows" in response.json["detail"]


def test_time_limit_stops_a_query_and_others_are_still_answered(small_records):
    app = make_app(small_records, SPARQL_TIMEOUT_S=1.0, SPARQL_MAX_ROWS=10**9)
    heavy = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with LiveServer(app) as server:
        outcome = {}

        def run_heavy():
            outcome["heavy"] = requests.get(server.url + "/sparql", params={"query": heavy},
                                            headers={"Accept": "application/sparql-results+json"}, timeout=30)

        thread = threading.Thread(target=run_heavy)
        thread.start()
        time.sleep(0.2)
        started = time.monotonic()
        quick = requests.get(server.url + "/sparql", params={"query": COUNT_OBS},
                             headers={"Accept": "application/sparql-results+json"}, timeout=30)
        quick_s = time.monotonic() - started
        thread.join()
    assert quick.status_code == 200 and quick.json()["results"]["bindings"][0]["n"]["value"] == "8"
    assert quick_s < 1.0, "another client waited for the runaway query"
    assert outcome["heavy"].status_code == 503
    assert "longer than its time limit" in outcome["heavy"].json()["detail"]
