"""The record store, the same contract for every backend: in memory, on disk, and a real Oxigraph server."""

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from skyweave.catalog.exceptions import BadRequest, NotFound, QueryTimeout, ValidationFailed
from skyweave.catalog.remote import RemoteStore
from skyweave.catalog.results import AskResult, GraphResult, SelectResult
from skyweave.catalog.store import EmbeddedStore
from skyweave.catalog.vocab import PROV, RDFS, SW

from .conftest import BASE

CRAB = URIRef(BASE + "targets/crab-nebula")


def crab_graph(small_records):
    return next(g for iri, g in small_records if iri == CRAB)


class StoreContract:
    """Behaviour every store backend must have; subclasses provide the `store` fixture."""

    @pytest.fixture
    def loaded(self, store, small_records):
        store.install_ontology()
        stored, rejected = store.put_many(small_records)
        assert not rejected and len(stored) == len(small_records)
        return store

    def test_get_returns_the_record_as_stored(self, loaded, small_records):
        assert isomorphic(loaded.get(CRAB), crab_graph(small_records))

    def test_get_unknown_record_is_not_found(self, loaded):
        with pytest.raises(NotFound):
            loaded.get(BASE + "targets/no-such-target")

    def test_select_over_union_of_records(self, loaded):
        result = loaded.query("PREFIX sw: <https://skyweave.org/ns#> SELECT ?o WHERE { ?o a sw:Observation }")
        assert isinstance(result, SelectResult)
        assert len(result) == 8

    def test_ask_and_construct(self, loaded):
        assert loaded.query(f"ASK {{ <{CRAB}> ?p ?o }}") == AskResult(True)
        result = loaded.query(f"CONSTRUCT {{ <{CRAB}> ?p ?o }} WHERE {{ <{CRAB}> ?p ?o }}")
        assert isinstance(result, GraphResult) and (CRAB, RDFS.label, Literal("Crab Nebula")) in result.graph

    def test_malformed_query_is_a_bad_request_with_the_parser_message(self, loaded):
        with pytest.raises(BadRequest, match="does not parse"):
            loaded.query("SELECT ?s WHERE { ?s ?p ")

    def test_update_through_query_is_refused(self, loaded):
        before = loaded.dump()
        with pytest.raises(BadRequest):
            loaded.query(f"INSERT DATA {{ <{CRAB}> <{RDFS.label}> 'x' }}")
        assert loaded.dump() == before

    def test_row_limit(self, loaded):
        with pytest.raises(BadRequest, match="more than 5"):
            loaded.query("SELECT * WHERE { ?s ?p ?o }", max_rows=5)

    def test_replace_keeps_the_earlier_version(self, loaded, small_records):
        original = crab_graph(small_records)
        changed = Graph()
        changed += original
        changed.set((CRAB, RDFS.comment, Literal("The remnant of SN 1054.")))
        result = loaded.put(CRAB, changed)
        assert not result.created and result.version == 1
        current = loaded.get(CRAB)
        assert (CRAB, RDFS.comment, Literal("The remnant of SN 1054.")) in current
        assert (CRAB, PROV.wasRevisionOf, URIRef(f"{CRAB}/versions/1")) in current
        assert isomorphic(loaded.version(CRAB, 1), original)
        # A second replacement chains the versions.
        loaded.put(CRAB, original)
        assert [v.number for v in loaded.versions(CRAB)] == [2, 1]
        assert (URIRef(f"{CRAB}/versions/2"), PROV.wasRevisionOf, URIRef(f"{CRAB}/versions/1")) in loaded._graph(
            URIRef(f"{CRAB}/versions/2"))
        # Default queries see only the current record.
        rows = loaded.select(f"SELECT ?c WHERE {{ <{CRAB}> <{RDFS.comment}> ?c }}")
        assert rows == []

    def test_rejected_write_changes_nothing(self, loaded, small_records):
        before = loaded.dump()
        bad = Graph()
        bad += crab_graph(small_records)
        bad.set((CRAB, SW.ra, Literal(360.0)))
        with pytest.raises(ValidationFailed) as info:
            loaded.put(CRAB, bad)
        assert any(r.path == str(SW.ra) for r in info.value.report.results)
        assert loaded.dump() == before

    def test_record_must_describe_its_iri(self, loaded, small_records):
        before = loaded.dump()
        with pytest.raises(BadRequest, match="says nothing about"):
            loaded.put(BASE + "targets/other", crab_graph(small_records))
        assert loaded.dump() == before

    def test_reference_to_unknown_record_breaks_the_shape(self, loaded, small_records):
        obs_iri, obs = next((i, g) for i, g in small_records if "/observations/" in str(i))
        broken = Graph()
        broken += obs
        broken.set((obs_iri, SW.target, URIRef(BASE + "targets/not-catalogued")))
        with pytest.raises(ValidationFailed):
            loaded.put(obs_iri, broken)

    def test_delete_keeps_a_version(self, loaded):
        number = loaded.delete(CRAB)
        assert number == 1
        assert not loaded.exists(CRAB)
        assert (CRAB, RDFS.label, Literal("Crab Nebula")) in loaded.version(CRAB, 1)
        with pytest.raises(NotFound):
            loaded.delete(CRAB)

    def test_put_many_reports_rejected_records(self, store, small_records):
        store.install_ontology()
        iri, good = small_records[0]
        bad_iri = URIRef(BASE + "targets/bad-dec")
        bad = Graph()
        bad.add((bad_iri, RDFS.label, Literal("Bad")))
        bad.add((bad_iri, SW.ra, Literal(10.0)))
        bad.add((bad_iri, SW.dec, Literal(-91.0)))
        bad.add((bad_iri, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), SW.Target))
        stored, rejected = store.put_many([(iri, good), (bad_iri, bad)])
        assert stored == [str(iri)]
        assert [r[0] for r in rejected] == [str(bad_iri)]
        assert not store.exists(bad_iri)


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self):
        store = EmbeddedStore(None)
        yield store
        store.close()

    def test_query_time_limit(self, loaded):
        heavy = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        with pytest.raises(QueryTimeout):
            loaded.query(heavy, timeout_s=0.2, max_rows=10**9)
        # The store still answers.
        assert loaded.query(f"ASK {{ <{CRAB}> ?p ?o }}", timeout_s=5).value


class TestOnDiskStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        store = EmbeddedStore(tmp_path / "store")
        yield store
        store.close()

    def test_records_survive_reopening(self, tmp_path, small_records):
        first = EmbeddedStore(tmp_path / "again")
        first.put_many(small_records)
        first.close()
        del first
        second = EmbeddedStore(tmp_path / "again")
        assert isomorphic(second.get(CRAB), crab_graph(small_records))
        second.close()


@pytest.mark.remote
class TestRemoteStore(StoreContract):
    @pytest.fixture
    def store(self, oxigraph_server):
        store = RemoteStore(f"{oxigraph_server}/query", f"{oxigraph_server}/update", f"{oxigraph_server}/store")
        yield store
        store.close()

    def test_unreachable_server_is_a_clear_error(self):
        from skyweave.catalog.exceptions import StoreUnavailable

        from .conftest import free_port

        port = free_port()
        store = RemoteStore(f"http://127.0.0.1:{port}/query", f"http://127.0.0.1:{port}/update",
                            f"http://127.0.0.1:{port}/store", http_timeout_s=2)
        with pytest.raises(StoreUnavailable, match="cannot be reached"):
            store.query("ASK {}")
        store.close()


class TestMirroredStore(StoreContract):
    """The on-disk store answering reads from its in-memory mirror (the default for the service)."""

    @pytest.fixture
    def store(self, tmp_path):
        store = EmbeddedStore(tmp_path / "store", memory_mirror=True)
        yield store
        store.close()

    def test_writes_reach_the_disk_and_a_new_mirror_sees_them(self, tmp_path, small_records):
        first = EmbeddedStore(tmp_path / "mirrored", memory_mirror=True)
        first.put_many(small_records)
        first.delete(CRAB)
        first.close()
        second = EmbeddedStore(tmp_path / "mirrored", memory_mirror=True)
        assert not second.exists(CRAB)
        assert (CRAB, RDFS.label, Literal("Crab Nebula")) in second.version(CRAB, 1)
        second.close()


def test_write_marks_change_only_for_the_written_record(small_records):
    store = EmbeddedStore(None)
    store.put_many(small_records)
    crab, other = CRAB, URIRef(BASE + "targets/pks-2155-304")
    before = (store.write_mark(crab), store.write_mark(other))
    assert all(before)
    store.put(crab, crab_graph(small_records))
    assert store.write_mark(crab) != before[0] and store.write_mark(other) == before[1]
    store.close()


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("rows", [3, 4])
def test_row_limit_of_serialised_results_is_exact_without_reparsing_small_bodies(fmt, rows):
    """Issue 13: the endpoint counts rows only when the body could exceed the limit; the limit stays exact,
    also for the smallest rows (empty solutions)."""
    store = EmbeddedStore(None, index=False)
    try:
        values = " ".join(str(n) for n in range(rows))
        for text in (f"SELECT ?x WHERE {{ VALUES ?x {{ {values} }} }}", f"SELECT ?unbound WHERE {{ VALUES ?y {{ {values} }} }}"):
            if rows > 3:
                with pytest.raises(BadRequest, match="more than 3 rows"):
                    store.query(text, max_rows=3, select_format=fmt)
            else:
                assert len(store.query(text, max_rows=3, select_format=fmt)) == 3
    finally:
        store.close()
