"""Dereferencing record IRIs and writing records: formats, errors, authentication, an unchanged store."""

import json

import pytest
from bs4 import BeautifulSoup
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from skyweave.catalog.vocab import RDFS, SW

from .conftest import BASE, auth

CRAB = URIRef(BASE + "targets/crab-nebula")
RDF_FORMATS = [("ttl", "text/turtle", "turtle"), ("jsonld", "application/ld+json", "json-ld"),
               ("nt", "application/n-triples", "nt"), ("rdf", "application/rdf+xml", "xml")]


@pytest.mark.parametrize("suffix, mime, fmt", RDF_FORMATS)
def test_record_by_suffix_and_by_accept(client, app, suffix, mime, fmt):
    stored = app.extensions["store"].get(CRAB)
    for response in (client.get(f"/targets/crab-nebula.{suffix}"),
                     client.get("/targets/crab-nebula", headers={"Accept": mime})):
        assert response.status_code == 200
        assert response.mimetype == mime
        assert response.headers["Vary"] == "Accept"
        assert isomorphic(Graph().parse(data=response.data, format=fmt), stored)


def test_turtle_keeps_full_precision_of_positions(client, app):
    graph = Graph().parse(data=client.get("/targets/pks-2155-304.ttl").data, format="turtle")
    stored = app.extensions["store"].get(URIRef(BASE + "targets/pks-2155-304"))
    assert graph.value(URIRef(BASE + "targets/pks-2155-304"), SW.ra) == stored.value(URIRef(BASE + "targets/pks-2155-304"), SW.ra)


def test_html_page_for_browsers_with_alternates_and_embedded_jsonld(client):
    response = client.get("/targets/crab-nebula", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert 'rel="alternate"; type="text/turtle"' in response.headers["Link"]
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.h1.text.strip() == "Crab Nebula"
    alternates = {l["type"]: l["href"] for l in soup.select('link[rel="alternate"]')}
    assert alternates["text/turtle"] == "/targets/crab-nebula.ttl"
    embedded = Graph().parse(data=soup.select_one('script[type="application/ld+json"]').string, format="json-ld")
    assert (CRAB, RDFS.label, Literal("Crab Nebula")) in embedded


def test_embedded_jsonld_conforms_to_the_shapes(client, app):
    from skyweave.catalog.validate import referenced_iris, validate

    soup = BeautifulSoup(client.get("/observations/hess-23523").data, "html.parser")
    embedded = Graph().parse(data=soup.select_one('script[type="application/ld+json"]').string, format="json-ld")
    store = app.extensions["store"]
    report = validate(embedded, context=store.types_of(referenced_iris(embedded)))
    assert report.conforms, report.text()


def test_unknown_record_is_404_in_every_format(client):
    assert client.get("/targets/no-such-thing").status_code == 404
    response = client.get("/targets/no-such-thing", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert client.get("/targets/crab-nebula.xyz").status_code == 404
    assert client.get("/nowhere/crab").status_code == 404


def test_nothing_acceptable_is_406(client):
    response = client.get("/targets/crab-nebula", headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_markup_in_data_is_shown_escaped(fresh_client, fresh_app):
    turtle = client_turtle(fresh_client, "/targets/crab-nebula.ttl")
    turtle.set((CRAB, RDFS.comment, Literal("<script>alert('x')</script> & <b>bold</b>")))
    response = fresh_client.put("/targets/crab-nebula", data=turtle.serialize(format="turtle"),
                                content_type="text/turtle", headers=auth())
    assert response.status_code == 200
    page = fresh_client.get("/targets/crab-nebula").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def client_turtle(client, path):
    return Graph().parse(data=client.get(path).data, format="turtle")


# -- writes ---------------------------------------------------------------------------------

def test_write_needs_a_token(fresh_client, fresh_app):
    before = fresh_app.extensions["store"].dump()
    body = client_turtle(fresh_client, "/targets/crab-nebula.ttl").serialize(format="turtle")
    response = fresh_client.put("/targets/crab-nebula", data=body, content_type="text/turtle")
    assert response.status_code == 401 and "WWW-Authenticate" in response.headers
    response = fresh_client.put("/targets/crab-nebula", data=body, content_type="text/turtle",
                                headers=auth("wrong-token"))
    assert response.status_code == 401
    response = fresh_client.put("/targets/crab-nebula", data=body, content_type="text/turtle",
                                headers=auth("reader-token"))
    assert response.status_code == 403
    assert fresh_app.extensions["store"].dump() == before


def test_token_never_appears_in_the_graph_or_errors(fresh_client, fresh_app):
    response = fresh_client.put("/targets/crab-nebula", data="not turtle", content_type="text/turtle",
                                headers=auth("editor-token"))
    assert b"editor-token" not in response.data
    assert not any("editor-token" in q for q in fresh_app.extensions["store"].dump())
    assert b"editor-token" not in fresh_client.get("/-/settings.json").data


def test_create_replace_and_versions_over_http(fresh_client, fresh_app):
    graph = Graph()
    iri = URIRef(BASE + "targets/sn-1006")
    graph.add((iri, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), SW.Target))
    graph.add((iri, RDFS.label, Literal("SN 1006")))
    graph.add((iri, SW.ra, Literal(225.592)))
    graph.add((iri, SW.dec, Literal(-41.94)))
    graph.add((iri, URIRef("http://purl.org/dc/terms/source"), URIRef(BASE + "catalogs/hgps")))
    response = fresh_client.post("/targets/", data=graph.serialize(format="json-ld"),
                                 content_type="application/ld+json", headers=auth())
    assert response.status_code == 201, response.data
    assert response.headers["Location"] == "/targets/sn-1006"
    assert fresh_client.get("/targets/sn-1006").status_code == 200
    # Creating it again conflicts; replacing it with PUT keeps version 1.
    again = fresh_client.post("/targets/", data=graph.serialize(format="json-ld"),
                              content_type="application/ld+json", headers=auth())
    assert again.status_code == 409
    graph.set((iri, SW.dec, Literal(-42.0)))
    response = fresh_client.put("/targets/sn-1006", data=graph.serialize(format="nt"),
                                content_type="application/n-triples", headers=auth())
    assert response.status_code == 200 and response.json["version"] == 1
    old = Graph().parse(data=fresh_client.get("/targets/sn-1006/versions/1.ttl".replace(".ttl", ""),
                                              headers={"Accept": "text/turtle"}).data, format="turtle")
    assert old.value(iri, SW.dec) == Literal(-41.94)
    page = BeautifulSoup(fresh_client.get("/targets/sn-1006").data, "html.parser")
    assert any(a["href"] == "/targets/sn-1006/versions/1" for a in page.select("a"))
    # Delete keeps a second version.
    assert fresh_client.delete("/targets/sn-1006", headers=auth()).json["version"] == 2
    assert fresh_client.get("/targets/sn-1006").status_code == 404


@pytest.mark.parametrize("mime, body, where", [
    ("text/turtle", "@prefix sw: <https://skyweave.org/ns#> .\n<x> a sw:Target ;\n  sw:ra 10 ,, .\n", "line"),
    ("application/ld+json", '{"@id": "x",\n "name": }', "line 2"),
    ("application/n-triples", "<a> <b> .\n", "line"),
])
def test_invalid_rdf_is_400_with_the_parser_message(fresh_client, fresh_app, mime, body, where):
    before = fresh_app.extensions["store"].dump()
    response = fresh_client.put("/targets/crab-nebula", data=body, content_type=mime, headers=auth())
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert where in response.json["detail"].lower()
    assert fresh_app.extensions["store"].dump() == before


def broken_crab(client):
    graph = client_turtle(client, "/targets/crab-nebula.ttl")
    graph.set((CRAB, SW.dec, Literal(-95.0)))
    graph.remove((CRAB, RDFS.label, None))
    return graph.serialize(format="turtle")


def test_shape_violation_is_422_problem_json_with_each_result(fresh_client, fresh_app):
    before = fresh_app.extensions["store"].dump()
    response = fresh_client.put("/targets/crab-nebula", data=broken_crab(fresh_client), content_type="text/turtle",
                                headers={**auth(), "Accept": "application/json"})
    assert response.status_code == 422
    problem = response.json
    paths = {e["path"] for e in problem["errors"]}
    assert {str(SW.dec), str(RDFS.label)} <= paths
    assert all(e["focus"] == str(CRAB) and e["message"] for e in problem["errors"])
    assert fresh_app.extensions["store"].dump() == before


def test_shape_violation_as_a_report_graph_for_rdf_clients(fresh_client):
    response = fresh_client.put("/targets/crab-nebula", data=broken_crab(fresh_client), content_type="text/turtle",
                                headers={**auth(), "Accept": "text/turtle"})
    assert response.status_code == 422 and response.mimetype == "text/turtle"
    report = Graph().parse(data=response.data, format="turtle")
    sh = "http://www.w3.org/ns/shacl#"
    assert (None, URIRef(sh + "conforms"), Literal(False)) in report
    assert len(list(report.subjects(URIRef(sh + "resultPath"), SW.dec))) == 1


def test_shape_violation_messages_in_the_page_for_browsers(fresh_client):
    response = fresh_client.put("/targets/crab-nebula", data=broken_crab(fresh_client), content_type="text/turtle",
                                headers={**auth(), "Accept": "text/html"})
    assert response.status_code == 422
    soup = BeautifulSoup(response.data, "html.parser")
    messages = [li.select_one(".message").text for li in soup.select(".problem-list li")]
    assert len(messages) >= 2 and all(messages)


def test_oversized_body_is_413(fresh_app):
    fresh_app.config["MAX_CONTENT_LENGTH"] = 1000
    response = fresh_app.test_client().put("/targets/crab-nebula", data="#" * 5000, content_type="text/turtle",
                                           headers={**auth(), "Accept": "application/json"})
    assert response.status_code == 413
    assert response.json["status"] == 413


# -- Graph Store HTTP Protocol --------------------------------------------------------------

def test_graph_store_protocol(fresh_client, fresh_app):
    url = "/graphs?graph=" + str(CRAB)
    got = fresh_client.get(url, headers={"Accept": "application/n-triples"})
    assert got.status_code == 200
    graph = Graph().parse(data=got.data, format="nt")
    assert fresh_client.put(url, data=got.data, content_type="application/n-triples").status_code == 401
    extra = f'<{CRAB}> <{RDFS.comment}> "Pulsar wind nebula of SN 1054" .\n'
    assert fresh_client.post(url, data=extra, content_type="application/n-triples", headers=auth()).status_code == 204
    merged = fresh_app.extensions["store"].get(CRAB)
    assert len(merged) == len(graph) + 2  # the comment and the prov:wasRevisionOf link to version 1
    before = fresh_app.extensions["store"].dump()
    bad = got.data.decode().replace("22.01", "222.01")
    assert fresh_client.put(url, data=bad, content_type="application/n-triples", headers=auth()).status_code == 422
    assert fresh_app.extensions["store"].dump() == before
    assert fresh_client.delete(url, headers=auth()).status_code == 204
    assert fresh_client.get(url).status_code == 404
    assert fresh_client.put("/graphs?default", data="", content_type="text/turtle", headers=auth()).status_code == 400
    outside = fresh_client.put("/graphs?graph=http://elsewhere.org/g", data=got.data,
                               content_type="application/n-triples", headers=auth())
    assert outside.status_code == 400


def test_error_shape_is_the_same_on_every_json_route(client):
    for path in ["/targets/nope", "/sparql?query=SELEC", "/search?q=a", "/graphs", "/targets/?page=x"]:
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code >= 400, path
        body = json.loads(response.data)
        assert set(body) >= {"type", "title", "status", "detail", "errors"}, path
        assert body["status"] == response.status_code
