"""Issue 8: hostile input gets a clear 4xx, nothing is fetched on a client's behalf, and a refused
request leaves the store byte for byte as it was.

https://skyweave.org/issues/8 (filed by a session): "Safe to put on the internet".
"""

import json
import socket
import threading
import time

import pytest
from rdflib import Graph, Literal, URIRef

from skyweave.catalog.sparqlscan import check_query
from skyweave.catalog.vocab import RDFS, SW

from .conftest import BASE, auth, make_app

CRAB = URIRef(BASE + "targets/crab-nebula")
PKS = URIRef(BASE + "targets/pks-2155-304")


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection it receives (it must get none)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.received = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.received.append(conn.recv(4096))
            except OSError:
                self.received.append(b"")
            conn.close()

    def close(self):
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    time.sleep(0.3)  # a late request would still be seen
    server.close()
    assert server.received == [], "the server made a request on a client's behalf"


@pytest.fixture
def store(fresh_app):
    return fresh_app.extensions["store"]


def crab_turtle(client):
    return Graph().parse(data=client.get("/targets/crab-nebula.ttl").data, format="turtle")


def refused(client, store, method, path, expect, **kwargs):
    """Send a request that must be refused with ``expect``; check the store did not change; return the body."""
    before = store.dump()
    response = client.open(path, method=method, headers={"Accept": "application/json", **kwargs.pop("headers", {})},
                           **kwargs)
    assert response.status_code == expect, response.get_data(as_text=True)[:500]
    assert store.dump() == before
    return response.get_json() or {}


# -- 1. No outbound requests ----------------------------------------------------------------

@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <{url}/sparql> {{ ?s ?p ?o }} }}",
    "PREFIX r: <{url}/> SELECT * WHERE {{ SERVICE r:sparql {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(<{url}/sparql> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\U00000073ervice <{url}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE <{url}/sparql> {{ ?s ?q ?r }} }} }} LIMIT 1",
])
def test_service_is_refused_and_nothing_is_fetched(fresh_client, store, listener, template):
    query = template.format(url=listener.url)
    for request in ({"method": "GET", "query_string": {"query": query}},
                    {"method": "POST", "data": query, "content_type": "application/sparql-query"}):
        body = refused(fresh_client, store, request.pop("method"), "/sparql", 400, **request)
        assert "SERVICE" in body["detail"]


def test_service_in_strings_iris_and_comments_is_no_service(fresh_client):
    query = ('SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l '
             'FILTER(?l != "SERVICE <http://x/>") } # SERVICE <http://x/>\nLIMIT 1')
    response = fresh_client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.data


def test_trusted_service_endpoints_pass_the_check():
    assert check_query("SELECT * { SERVICE <http://ok/sparql> { ?s ?p ?o } }", ["http://ok/sparql"]) is None
    with pytest.raises(Exception, match="SERVICE <http://other/sparql>"):
        check_query("SELECT * { SERVICE <http://other/sparql> { ?s ?p ?o } }", ["http://ok/sparql"])


def test_from_a_remote_graph_is_never_fetched(fresh_client, store, listener):
    """FROM names graphs of the store; a graph it does not hold is empty (issue 7 honours FROM)."""
    for clause in (f"FROM <{listener.url}/data.ttl>", f"FROM NAMED <{listener.url}/data.ttl>"):
        response = fresh_client.get("/sparql", query_string={"query": f"SELECT * {clause} WHERE {{ ?s ?p ?o }} LIMIT 1"},
                                    headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 200 and response.json["results"]["bindings"] == []


def test_from_our_records_is_honoured_as_the_dataset(fresh_client, store):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{CRAB}> WHERE {{ ?s ?p ?o }}"
    response = fresh_client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.data
    count = int(response.json["results"]["bindings"][0]["n"]["value"])
    assert count == len(store.get(CRAB))
    named = (f"SELECT DISTINCT ?g FROM NAMED <{CRAB}> FROM NAMED <{PKS}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    rows = fresh_client.get("/sparql", query_string={"query": named},
                            headers={"Accept": "application/json"}).json["results"]["bindings"]
    assert sorted(r["g"]["value"] for r in rows) == sorted([str(CRAB), str(PKS)])


def test_jsonld_with_a_remote_context_is_refused(fresh_client, store, listener):
    for context in (f"{listener.url}/context.jsonld", [f"{listener.url}/c.jsonld", {"label": "rdfs:label"}],
                    {"@import": f"{listener.url}/c.jsonld"}):
        doc = {"@context": context, "@id": str(CRAB), "label": "Crab"}
        body = refused(fresh_client, store, "PUT", "/targets/crab-nebula", 400, data=json.dumps(doc),
                       content_type="application/ld+json", headers=auth())
        assert "context" in body["detail"] and listener.url in body["detail"]
    nested = {"@context": {"rdfs": "http://www.w3.org/2000/01/rdf-schema#"}, "@id": str(CRAB),
              "rdfs:seeAlso": {"@context": f"{listener.url}/c.jsonld", "@id": "http://x/y"}}
    refused(fresh_client, store, "PUT", "/targets/crab-nebula", 400, data=json.dumps(nested),
            content_type="application/ld+json", headers=auth())


def test_our_own_context_is_resolved_locally(fresh_client, store, listener):
    doc = json.loads(fresh_client.get("/targets/crab-nebula.jsonld").data)
    graph = Graph().parse(data=json.dumps(doc), format="json-ld")
    for context in ("/ns/context.jsonld", BASE + "ns/context.jsonld", "https://skyweave.org/ns/context.jsonld"):
        compact = json.loads(graph.serialize(format="json-ld", context=json.loads(
            fresh_client.get("/ns/context.jsonld").data)["@context"]))
        compact["@context"] = context
        response = fresh_client.put("/targets/crab-nebula", data=json.dumps(compact),
                                    content_type="application/ld+json", headers=auth())
        assert response.status_code == 200, response.data
        assert store.get(CRAB).value(CRAB, RDFS.label) == Literal("Crab Nebula")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
<rdf:Description rdf:about="BASEtargets/crab-nebula"><rdfs:label>&lol9;</rdfs:label></rdf:Description></rdf:RDF>
""".replace("BASE", BASE)


def test_xml_entities_are_refused_before_parsing(fresh_client, store, listener):
    started = time.monotonic()
    body = refused(fresh_client, store, "PUT", "/targets/crab-nebula", 400, data=BILLION_LAUGHS,
                   content_type="application/rdf+xml", headers=auth())
    assert "DOCTYPE" in body["detail"] and time.monotonic() - started < 5
    external = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{listener.url}/secret">]>'
                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">'
                f'<rdf:Description rdf:about="{CRAB}"><rdfs:label>&x;</rdfs:label></rdf:Description></rdf:RDF>')
    for variant in (external, external.replace("<!DOCTYPE", "<!doctype"), external.replace("<!DOCTYPE", "<! DOCTYPE")):
        refused(fresh_client, store, "PUT", "/targets/crab-nebula", 400, data=variant,
                content_type="application/rdf+xml", headers=auth())
    refused(fresh_client, store, "PUT", "/graphs?graph=" + str(CRAB), 400, data=BILLION_LAUGHS,
            content_type="application/rdf+xml", headers=auth())


# -- 2. Characters and sizes --------------------------------------------------------------------

@pytest.mark.parametrize("mime, body", [
    ("text/turtle", f'<{CRAB}> <http://www.w3.org/2000/01/rdf-schema#comment> "a\\u0000b" .'),
    ("text/turtle", f'<{CRAB}> <http://www.w3.org/2000/01/rdf-schema#comment> "lone \\uD800 surrogate" .'),
    ("application/n-triples", f'<{CRAB}> <http://www.w3.org/2000/01/rdf-schema#comment> "bell \\u0007" .'),
    ("application/ld+json", json.dumps({"@id": str(CRAB), "http://www.w3.org/2000/01/rdf-schema#comment": "x\ud800y"})),
    ("application/ld+json", json.dumps({"@id": str(CRAB), "http://www.w3.org/2000/01/rdf-schema#comment": "x\x00y"})),
])
def test_characters_that_cannot_be_served_are_422(fresh_client, store, mime, body):
    turtle = crab_turtle(fresh_client).serialize(format="nt")
    if mime == "application/ld+json":
        extra = Graph().parse(data=turtle, format="nt")
        doc = json.loads(extra.serialize(format="json-ld"))
        doc.append(json.loads(body))
        data = json.dumps(doc)
    else:
        data = turtle + "\n" + body + "\n"
    result = refused(fresh_client, store, "PUT", "/targets/crab-nebula", 422, data=data, content_type=mime,
                     headers=auth())
    assert "U+" in result["detail"]


def test_every_stored_record_serialises_in_every_format(fresh_client, store):
    for suffix in ("ttl", "jsonld", "nt", "rdf"):
        assert fresh_client.get(f"/targets/crab-nebula.{suffix}").status_code == 200


def test_a_literal_over_the_limit_is_413(small_records):
    from skyweave.catalog.web.app import close_app

    app = make_app(small_records, MAX_LITERAL_BYTES=10_000)
    try:
        client, store = app.test_client(), app.extensions["store"]
        graph = crab_turtle(client)
        graph.add((CRAB, RDFS.comment, Literal("x" * 10_001)))
        body = refused(client, store, "PUT", "/targets/crab-nebula", 413, data=graph.serialize(format="turtle"),
                       content_type="text/turtle", headers=auth())
        assert "MAX_LITERAL_BYTES" in body["detail"]
        graph.set((CRAB, RDFS.comment, Literal("x" * 9_000)))
        ok = client.put("/targets/crab-nebula", data=graph.serialize(format="turtle"), content_type="text/turtle",
                        headers=auth())
        assert ok.status_code == 200
    finally:
        close_app(app)


@pytest.mark.parametrize("body", [{"parameters": "e_min=2"}, {"parameters": ["e_min", 2]}, [1, 2]])
def test_run_request_of_the_wrong_shape_is_400(fresh_client, store, body):
    detail = refused(fresh_client, store, "POST", "/workflows/hess-spectrum/runs", 400, json=body)["detail"]
    assert "parameters" in detail or "JSON object" in detail


# -- 3. A record describes only itself ------------------------------------------------------------

def _hijack(client):
    """A PKS 2155-304 record that also gives the Crab Nebula a second name and position."""
    graph = Graph().parse(data=client.get("/targets/pks-2155-304.ttl").data, format="turtle")
    graph.add((CRAB, RDFS.label, Literal("Not the Crab")))
    graph.add((CRAB, SW.ra, Literal(1.0)))
    return graph


@pytest.mark.parametrize("method, path", [
    ("PUT", "/targets/pks-2155-304"), ("PUT", f"/graphs?graph={PKS}"), ("POST", f"/graphs?graph={PKS}"),
])
def test_statements_about_another_record_are_422_naming_it(fresh_client, store, method, path):
    data = _hijack(fresh_client).serialize(format="turtle")
    body = refused(fresh_client, store, method, path, 422, data=data, content_type="text/turtle", headers=auth())
    assert f"<{CRAB}>" in body["detail"]


def test_post_to_a_collection_is_checked_too(fresh_client, store):
    graph = _hijack(fresh_client)
    new = URIRef(BASE + "targets/new-one")
    for s, p, o in list(graph.triples((PKS, None, None))):
        graph.remove((s, p, o))
        graph.add((new, p, o))
    body = refused(fresh_client, store, "POST", "/targets/", 422, data=graph.serialize(format="turtle"),
                   content_type="text/turtle", headers=auth())
    assert f"<{CRAB}>" in body["detail"]


def test_versions_of_a_record_cannot_be_written_by_another(fresh_client, store):
    graph = Graph().parse(data=fresh_client.get("/targets/pks-2155-304.ttl").data, format="turtle")
    graph.add((URIRef(f"{PKS}/versions/1"), RDFS.label, Literal("forged")))
    refused(fresh_client, store, "PUT", "/targets/pks-2155-304", 422, data=graph.serialize(format="turtle"),
            content_type="text/turtle", headers=auth())


def test_links_to_other_records_and_own_fragments_stay_allowed(fresh_client, store):
    graph = Graph().parse(data=fresh_client.get("/targets/pks-2155-304.ttl").data, format="turtle")
    graph.add((PKS, RDFS.seeAlso, CRAB))
    graph.add((PKS, RDFS.seeAlso, URIRef(f"{PKS}#note")))
    graph.add((URIRef(f"{PKS}#note"), RDFS.label, Literal("a note of this record")))
    response = fresh_client.put("/targets/pks-2155-304", data=graph.serialize(format="turtle"),
                                content_type="text/turtle", headers=auth())
    assert response.status_code == 200, response.data


def test_loading_uses_the_same_check(store, fresh_client):
    graph = _hijack(fresh_client)
    before = store.dump()
    stored, rejected = store.put_many([(PKS, graph)])
    assert stored == [] and [iri for iri, _ in rejected] == [str(PKS)]
    assert str(CRAB) in rejected[0][1].results[0].message
    assert store.dump() == before


# -- 8. Security headers --------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/targets/crab-nebula", "/targets/crab-nebula.ttl", "/sparql?query=ASK{}",
                                  "/static/skyweave.css", "/no/such/page", "/-/settings.json"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-eval" not in csp and "http" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.browser
def test_pages_work_under_the_policy_without_violations(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    try:
        for path in ("/", "/targets/crab-nebula", "/targets/", "/search?q=Crab", "/sparql", "/instruments/",
                     "/observations/hess-23523", "/ns"):
            response = page.goto(path)
            assert response.ok, path
            page.wait_for_load_state("load")
        page.goto("/sparql")
        page.click("a.example[data-name='crab-observations']")
        page.click("#query-form button[type=submit]")
        page.wait_for_selector("#result-count")
    finally:
        context.close()
    assert violations == []


# -- 6. Files and workflow sources ----------------------------------------------------------------

def test_files_answer_alike_for_outside_paths_and_missing_files(client):
    answers = set()
    for path in ("/files/no-such-file.fits", "/files/../../../../etc/passwd", "/files/%2e%2e/%2e%2e/etc/passwd",
                 "/files/..%2f..%2f..%2fetc%2fpasswd", "/files/results/" + "0" * 64 + "/x.png",
                 "/files/results/../../etc/passwd/x.png", "/files/results/zz/x.png"):
        response = client.get(path, headers={"Accept": "application/json"})
        body = response.get_json() or {}
        answers.add((response.status_code, body.get("detail")))
    assert answers == {(404, "No such file.")}


@pytest.mark.parametrize("source", ["/etc", "--upload-pack=touch /tmp/pwned", "file:///etc", "ext::sh -c touch% /tmp/x",
                                    "https://example.invalid/repo.git@--output=/tmp/x"])
def test_workflow_sources_outside_the_roots_or_like_options_are_refused(fresh_client, fresh_app, source):
    from pathlib import Path

    store = fresh_app.extensions["store"]
    body = refused(fresh_client, store, "POST", "/workflows/", 400, json={"source": source}, headers=auth())
    assert "root:" not in body["detail"]
    repos = Path(fresh_app.config["DATA_DIR"]) / "repos"
    assert not repos.exists() or not any(repos.iterdir())


def test_a_symlink_out_of_the_repository_is_refused(fresh_client, fresh_app, tmp_path):
    import shutil
    from pathlib import Path

    from .workflow_repo import make_repo

    repo = make_repo(tmp_path / "repo")
    (repo / "leak.ipynb").symlink_to("/etc/passwd")
    folder = tmp_path / "folder"
    shutil.copytree(repo, folder, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    fresh_app.config["WORKFLOW_SOURCE_ROOTS"] = [str(tmp_path)]
    store = fresh_app.extensions["store"]
    for source in (str(folder),):
        body = refused(fresh_client, store, "POST", "/workflows/", 400, json={"source": source}, headers=auth())
        assert "leak.ipynb" in body["detail"] and "symbolic link" in body["detail"] and "root:" not in body["detail"]
    repos = Path(fresh_app.config["DATA_DIR"]) / "repos"
    assert not repos.exists() or not any(repos.iterdir())


# -- 5. Query slots: a per-client share ----------------------------------------------------------

def test_one_client_cannot_take_every_query_slot():
    """A client whose queries never stop holds only its share; others are still answered."""
    from skyweave.catalog.exceptions import QueryTimeout, TooManyRequests
    from skyweave.catalog.store import EmbeddedStore

    release = threading.Event()

    class SlowStore(EmbeddedStore):  # test equipment: queries mentioning "slow" run until released
        def _run_query(self, text, *args, **kwargs):
            if "slow" in text:
                release.wait(30)
            return super()._run_query(text, *args, **kwargs)

    store = SlowStore(None, timeout_s=0.3, workers=4, client_slots=2)
    try:
        slow = "ASK { ?s ?p 'slow' }"
        for _ in range(2):
            with pytest.raises(QueryTimeout):
                store.query(slow, client="10.0.0.1")
        with pytest.raises(TooManyRequests) as refused:
            store.query(slow, client="10.0.0.1")
        assert refused.value.retry_after_s > 0 and "SPARQL_CLIENT_SLOTS" in refused.value.detail
        assert store.query("ASK { ?s ?p ?o }", client="10.0.0.2").value is False
        release.set()
        time.sleep(0.2)
        assert store.query("ASK { ?s ?p ?o }", client="10.0.0.1").value is False
    finally:
        release.set()
        store.close()


def test_the_endpoint_answers_429_with_retry_after(fresh_app):
    from skyweave.catalog.fairshare import ClientShare

    store = fresh_app.extensions["store"]
    store._share = ClientShare(1)
    store._share.enter("127.0.0.1")  # this client's one slot is taken by a query still running
    response = fresh_app.test_client().get("/sparql", query_string={"query": "ASK {}"},
                                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    other = fresh_app.test_client().get("/sparql", query_string={"query": "ASK {}"},
                                       environ_base={"REMOTE_ADDR": "10.9.9.9"},
                                       headers={"Accept": "application/sparql-results+json"})
    assert other.status_code == 200
