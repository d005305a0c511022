"""The ``skyweave`` command, through click's CliRunner on a real on-disk store."""

import json

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef

from skyweave.catalog.cli import cli
from skyweave.catalog.vocab import RDF, RDFS, SW

from .conftest import BASE


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Point the CLI at a fresh on-disk store with the test base IRI."""
    monkeypatch.setenv("SKYWEAVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SKYWEAVE_BASE_IRI", BASE)
    monkeypatch.setenv("SKYWEAVE_STORE", "embedded")
    return tmp_path


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write_records(path, records):
    graph = Graph()
    for _, g in records:
        graph += g
    graph.serialize(path, format="turtle")
    return path


def test_init_creates_the_store(env):
    result = run("init")
    assert result.exit_code == 0
    assert (env / "data" / "store").is_dir()


def test_load_query_and_get(env, small_records):
    path = write_records(env / "catalog.ttl", small_records)
    result = run("load", str(path))
    assert result.exit_code == 0, result.output
    assert f"{len(small_records)} records stored, 0 rejected" in result.output
    result = run("query", "PREFIX sw: <https://skyweave.org/ns#> SELECT ?o ?id WHERE { ?o sw:obsId ?id } ORDER BY ?id")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["o", "id"] and len(lines) == 2 + 8
    result = run("query", "--format", "json", "PREFIX sw: <https://skyweave.org/ns#> SELECT (COUNT(?t) AS ?n) WHERE { ?t a sw:Target }")
    assert json.loads(result.stdout)["results"]["bindings"][0]["n"]["value"] == str(
        sum(1 for iri, _ in small_records if "/targets/" in str(iri)))
    result = run("get", "/targets/crab-nebula.ttl")
    assert result.exit_code == 0
    assert (URIRef(BASE + "targets/crab-nebula"), RDFS.label, Literal("Crab Nebula")) in Graph().parse(
        data=result.output, format="turtle")
    assert run("get", "/targets/nowhere").exit_code == 1


def test_query_from_a_file_and_construct_as_turtle(env, small_records, tmp_path):
    run("load", str(write_records(env / "catalog.ttl", small_records)))
    query = tmp_path / "q.rq"
    query.write_text(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ BIND(<{BASE}targets/crab-nebula> AS ?s) ?s ?p ?o }}")
    result = run("query", "--format", "ttl", str(query))
    graph = Graph().parse(data=result.output, format="turtle")
    assert (URIRef(BASE + "targets/crab-nebula"), SW.ra, None) in graph


def test_malformed_query_exits_1_with_the_parser_message(env):
    result = run("query", "SELECT ?s WHERE {")
    assert result.exit_code == 1 and "does not parse" in result.output


def test_load_reports_rejected_records_and_keeps_the_good_ones(env, small_records):
    bad = Graph()
    iri = URIRef(BASE + "targets/out-of-range")
    bad.add((iri, RDF.type, SW.Target))
    bad.add((iri, RDFS.label, Literal("Out of range")))
    bad.add((iri, SW.ra, Literal(400.0)))
    bad.add((iri, SW.dec, Literal(0.0)))
    bad.add((iri, URIRef("http://purl.org/dc/terms/source"), URIRef(BASE + "catalogs/hgps")))
    path = write_records(env / "mixed.ttl", small_records + [(iri, bad)])
    result = CliRunner().invoke(cli, ["load", str(path)])
    assert result.exit_code == 1
    assert f"{len(small_records)} records stored, 1 rejected" in result.output
    assert f"rejected <{iri}>" in result.output and "sw:ra" in result.output or "ra" in result.output


def test_load_invalid_turtle_names_the_line(env):
    path = env / "broken.ttl"
    path.write_text('@prefix sw: <https://skyweave.org/ns#> .\n\n<a> sw:ra "unterminated .\n')
    result = CliRunner().invoke(cli, ["load", str(path)])
    assert result.exit_code == 1 and "broken.ttl" in result.output and "line" in result.output.lower()


def test_validate_prints_the_report(env, small_records, tmp_path):
    good = write_records(tmp_path / "good.ttl", small_records)
    assert run("validate", str(good)).exit_code == 0
    crab = next(g for iri, g in small_records if str(iri).endswith("crab-nebula"))
    broken = Graph()
    broken += crab
    broken.set((URIRef(BASE + "targets/crab-nebula"), SW.dec, Literal(-100.0)))
    path = tmp_path / "bad.ttl"
    broken.serialize(path, format="turtle")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert "Violation" in result.output and "dec" in result.output.lower()


def test_serve_lists_settings(env):
    result = run("serve", "--help-settings")
    assert "SPARQL_TIMEOUT_S" in result.output and "BASE_IRI" in result.output


def test_a_long_inline_query_is_a_query_not_a_file_name(env, small_records):
    run("load", str(write_records(env / "catalog.ttl", small_records)))
    padding = " ".join(f"# comment line {i} to make the query longer than any file name" for i in range(8))
    query = f"{padding}\nSELECT (COUNT(?o) AS ?n) WHERE {{ ?o a <https://skyweave.org/ns#Observation> }}"
    assert len(query) > 300
    result = run("query", "--format", "csv", query)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].strip() == "8"


def test_load_keeps_versions_reports_each_kind_and_skips_unchanged_records(env, small_records):
    """https://skyweave.org/issues/8: ``skyweave load`` overwrote records without versions and redid everything."""
    path = write_records(env / "catalog.ttl", small_records)
    first = run("load", str(path))
    assert f"{len(small_records)} created, 0 replaced" in first.output
    crab = URIRef(BASE + "targets/crab-nebula")
    changed = [(iri, g) for iri, g in small_records]
    graph = next(g for iri, g in changed if iri == crab)
    edited = Graph() + graph
    edited.set((crab, RDFS.comment, Literal("Edited in the file")))
    changed = [(iri, edited if iri == crab else g) for iri, g in changed]
    second = run("load", str(write_records(env / "catalog2.ttl", changed)))
    assert second.exit_code == 0, second.output
    assert f"0 created, 1 replaced (earlier content kept as versions), {len(small_records) - 1} unchanged" in second.output
    versions = run("get", "/targets/crab-nebula/versions/1")
    assert versions.exit_code == 0 and "Edited in the file" not in versions.output
    current = Graph().parse(data=run("get", "/targets/crab-nebula.ttl").output, format="turtle")
    assert (crab, RDFS.comment, Literal("Edited in the file")) in current
    third = run("load", str(env / "catalog2.ttl"))
    assert f"0 created, 0 replaced (earlier content kept as versions), {len(small_records)} unchanged" in third.output


def test_splitting_records_scans_the_graph_a_fixed_number_of_times():
    """Splitting is linear: it scans the whole graph a fixed number of times, not once per record
    (which made 6,000 records take 8 minutes). Speed itself is measured by bench/probe.py."""
    from skyweave.catalog.loading import split_records

    class CountingGraph(Graph):
        full_scans = 0

        def triples(self, pattern):
            if pattern[0] is None:
                CountingGraph.full_scans += 1
            return super().triples(pattern)

    for n in (50, 400):
        graph = CountingGraph()
        for k in range(n):
            iri = URIRef(f"{BASE}targets/t-{k}")
            graph.add((iri, RDF.type, SW.Target))
            graph.add((iri, RDFS.label, Literal(f"T {k}")))
            graph.add((URIRef(f"{iri}#pos"), SW.ra, Literal(k % 360)))
        CountingGraph.full_scans = 0
        records, leftover = split_records(graph, BASE)
        assert len(records) == n and leftover == 0 and all(len(g) == 3 for _, g in records)
        assert CountingGraph.full_scans <= 3, (n, CountingGraph.full_scans)
