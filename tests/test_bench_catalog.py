"""The synthetic catalog of the benchmarks (``bench/catalog_bench.py``) at 10k triples, in a real store.

Every kind of generated record must pass the shapes, runs must be the records the runner writes
(`runners.provenance.run_graph`), and the benchmark queries must count what the generator predicts.
"""

import datetime as dt
import sys
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.compare import isomorphic

BENCH = Path(__file__).resolve().parent.parent / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import catalog_bench as cb  # noqa: E402

KINDS = ("workflow", "target", "observation", "run", "result", "alert", "event")


@pytest.fixture(scope="module")
def catalog():
    """The 10k catalog, generated as the benchmarks generate it."""
    from skyweave.catalog.validate import ontology_graph

    return cb.generate(10_000, ontology_triples=len(ontology_graph()))


@pytest.fixture(scope="module")
def store(catalog, tmp_path_factory):
    """An on-disk store bulk-loaded with the catalog, as the benchmarks build it."""
    from skyweave.catalog.store import EmbeddedStore

    folder = tmp_path_factory.mktemp("bench-10k")
    nquads, _ = catalog.serialize()
    cb.build_store(nquads, folder)
    store = EmbeddedStore(folder / "store")
    yield store
    store.close()


def test_catalog_holds_every_kind_in_proportion(catalog):
    counts = {kind: sum(1 for k, _ in catalog.sample(10**6) if k == kind) for kind in KINDS}
    assert counts["workflow"] == 5 and all(counts[k] > 0 for k in KINDS), counts
    assert catalog.n_runs == round(cb.RUNS_PER_TARGET * catalog.n_targets)
    assert catalog.n_alerts >= round(cb.ALERTS_PER_TARGET * catalog.n_targets)
    popular = [iri for iri, spec, _ in catalog.workflows if spec.slug == cb.POPULAR_WORKFLOW][0]
    used = [catalog.workflows[w][0] for w in catalog.runs["workflow"]]
    assert used.count(popular) > len(used) / 2
    assert any(a >= 0 for a in catalog.runs["informed"]), "no run was started by an alert"
    assert set(catalog.events["iri"]) == {catalog.events["iri"][e] for e in catalog.alerts["event"]}


def test_every_generated_record_conforms(catalog, store):
    checked = 0
    for kind, index in catalog.sample(10**6):
        if kind in ("target", "observation") and index % 20:
            continue  # a few hundred of these; every twentieth is plenty
        iri, graph = catalog.record_graph(kind, index)
        report = store.check(iri, graph)
        assert report.conforms, f"generated {kind} <{iri}> breaks a shape:\n{report.text()}"
        checked += 1
    assert checked > 40


def test_runs_are_what_the_runner_records(catalog):
    from skyweave.catalog import __version__
    from skyweave.runners.oda import UNITS
    from skyweave.runners.provenance import DataFile, run_graph

    o = catalog.observations
    for j in range(catalog.n_runs):
        r = catalog.runs
        wf_iri, spec, _ = catalog.workflows[r["workflow"][j]]
        notebook = Path(spec.notebook).name
        values = catalog.run_values(j)
        files = [o["url"][k] for k in r["data"][j]]
        expected = run_graph(
            r["iri"][j], wf_iri, str(r["phase"][j]), catalog.run_parameters(j), "anonymous", "local pool",
            cache_key=r["cache_key"][j], label=f"{spec.title}: run {r['iri'][j][-12:]}",
            started=dt.datetime.fromtimestamp(int(r["start"][j]), dt.timezone.utc),
            ended=dt.datetime.fromtimestamp(int(r["end"][j]), dt.timezone.utc),
            error="RuntimeError: no H.E.S.S. runs in the selected region" if r["phase"][j] == "ERROR" else None,
            values=values, notebook_url=f"{catalog.base}files/results/{r['code_sha'][j]}/{notebook}",
            version=__version__,
            informed_by=catalog.alerts["iri"][r["informed"][j]] if r["informed"][j] >= 0 else None,
            units={o.name: UNITS[o.unit] for o in spec.outputs if o.unit in UNITS and o.name in values},
            parameter_units={p.name: UNITS[p.unit] for p in spec.parameters if p.unit in UNITS},
            time_parameters={p.name for p in spec.parameters if p.kind == "time"},
            unit_codes={o.name: str(o.unit) for o in spec.outputs if o.unit is not None},
            environment={"notebook": notebook, "notebook_sha256": r["code_sha"][j],
                         "packages": {"astropy": "6.1.7", "numpy": "2.2.1"}, "python": "3.12.8",
                         "kernel": "python3 6.29.5"},
            data=[DataFile(url[len(catalog.base) + len("files/"):], r["data_sha"][2 * j + k], int(o["size"][obs]),
                           url, o["iri"][obs]) for k, (obs, url) in enumerate(zip(r["data"][j], files))],
        )
        iri, graph = catalog.record_graph("run", j)
        assert iri == URIRef(r["iri"][j])
        assert isomorphic(graph, expected), f"run {j} differs from run_graph's record"


def test_benchmark_queries_count_what_the_generator_predicts(catalog, store):
    from skyweave.catalog.validate import ontology_graph
    from rdflib import RDFS

    labels = [str(o) for _, g in catalog.real for o in g.objects(None, RDFS.label)]
    labels += [str(o) for o in ontology_graph().objects(None, RDFS.label)]
    expected = catalog.expected_rows(labels)
    for query in cb.queries(catalog):
        if query.name in expected:
            assert len(store.select(query.text)) == expected[query.name], query.name
