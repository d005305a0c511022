"""The whole app on the remote store: a real `oxigraph serve` process behind the same pages and endpoint."""

import pytest
from rdflib import Graph, Literal, URIRef

from skyweave.catalog.vocab import RDFS, SW

from .conftest import BASE, auth, make_app, remote_config

pytestmark = pytest.mark.remote


@pytest.fixture
def remote_app(oxigraph_server, small_records):
    app = make_app(small_records, **remote_config(oxigraph_server))
    yield app
    app.extensions["store"].close()


def test_pages_endpoint_and_validated_writes_on_the_remote_store(remote_app):
    client = remote_app.test_client()
    assert client.get("/targets/crab-nebula").status_code == 200
    result = client.get("/sparql", query_string={"query": "PREFIX sw: <https://skyweave.org/ns#> "
                                                 "SELECT (COUNT(?o) AS ?n) WHERE { ?o a sw:Observation }"},
                        headers={"Accept": "application/sparql-results+json"}).json
    assert result["results"]["bindings"][0]["n"]["value"] == "8"
    graph = Graph().parse(data=client.get("/targets/crab-nebula.ttl").data, format="turtle")
    crab = URIRef(BASE + "targets/crab-nebula")
    before = remote_app.extensions["store"].dump()
    graph.set((crab, SW.dec, Literal(123.0)))
    response = client.put("/targets/crab-nebula", data=graph.serialize(format="turtle"),
                          content_type="text/turtle", headers={**auth(), "Accept": "application/json"})
    assert response.status_code == 422
    assert remote_app.extensions["store"].dump() == before
    graph.set((crab, SW.dec, Literal(22.0145)))
    graph.set((crab, RDFS.comment, Literal("Checked on the remote store")))
    assert client.put("/targets/crab-nebula", data=graph.serialize(format="turtle"),
                      content_type="text/turtle", headers=auth()).status_code == 200
    page = client.get("/targets/crab-nebula").get_data(as_text=True)
    assert "Checked on the remote store" in page and "/targets/crab-nebula/versions/1" in page
