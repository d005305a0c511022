"""`skyweave.catalog.validate.validate_many`: one pySHACL run for a batch, each result given to its record.

The shape examples of ``tests/data/shapes/`` (valid and invalid records of every shape) are validated
once each with `validate` and all together with `validate_many`; the reports must be the same. Each
file is moved under its own IRI prefix so the records are distinct, and its reference stubs (typed
IRIs it only points to) go into the shared context, as the store does with ``types_of``.
"""

import pathlib

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SH

from skyweave.catalog.store import EmbeddedStore
from skyweave.catalog.validate import validate, validate_many
from skyweave.catalog.vocab import RDFS, SW

from .conftest import BASE

DATA_DIR = pathlib.Path(__file__).resolve().parent / "data" / "shapes"
FILE_BASE = "http://127.0.0.1:5000/"


def moved(term, prefix):
    if isinstance(term, URIRef) and str(term).startswith(FILE_BASE):
        return URIRef(FILE_BASE + prefix + str(term)[len(FILE_BASE):])
    return term


def example_records():
    """Return ``[(file id, record IRI, record graph, stub graph)]`` for every shape example file."""
    out = []
    for n, path in enumerate(sorted(DATA_DIR.glob("*/*.ttl"))):
        source = Graph().parse(path, format="turtle")
        graph = Graph()
        for s, p, o in source:
            graph.add((moved(s, f"f{n}/"), p, moved(o, f"f{n}/")))
        stubs = {
            s for s in set(graph.subjects(RDF.type, None))
            if isinstance(s, URIRef) and set(graph.predicates(s, None)) == {RDF.type} and (None, None, s) in graph
        }
        record, context = Graph(), Graph()
        for triple in graph:
            (context if triple[0] in stubs else record).add(triple)
        # the record's IRI: its first subject without a fragment (some examples are fragments only)
        main = sorted(str(s).split("#")[0] for s in record.subjects() if isinstance(s, URIRef))
        out.append((f"{path.parent.name}/{path.stem}", URIRef(main[0]), record, context))
    return out


def summary(report):
    return report.conforms, [(r.focus, r.path, r.message, r.component, r.severity, r.value) for r in report.results]


def test_batch_equals_one_by_one_over_the_shape_examples():
    examples = example_records()
    assert len(examples) >= 40
    context = Graph()
    for *_, stubs in examples:
        context += stubs
    together = validate_many([(iri, record) for _, iri, record, _ in examples], context=context)
    assert list(together) == [str(iri) for _, iri, _, _ in examples]
    invalid = 0
    for name, iri, record, stubs in examples:
        alone = validate(record, context=stubs)
        assert summary(together[str(iri)]) == summary(alone), name
        assert alone.conforms == name.split("/")[1].startswith("valid-"), name
        invalid += not alone.conforms
        # the record's own report graph holds its results only
        assert len(set(together[str(iri)].graph.subjects(RDF.type, SH.ValidationResult))) == len(alone.results)
    assert invalid >= 28


CATALOG = URIRef(f"{BASE}catalogs/3fhl")
CATALOG_TYPE = Graph().add((CATALOG, RDF.type, SW.SourceCatalog))


def target(iri, dec):
    """A small target record (valid when ``-90 <= dec <= 90``), from the catalog `CATALOG`."""
    iri = URIRef(iri)
    graph = Graph()
    graph.add((iri, DCTERMS.source, CATALOG))
    graph.add((iri, RDF.type, SW.Target))
    graph.add((iri, RDFS.label, Literal("T " + str(iri).rsplit("/", 1)[-1])))
    graph.add((iri, SW.ra, Literal(10.0)))
    graph.add((iri, SW.dec, Literal(dec)))
    return iri, graph


def test_one_invalid_record_among_valid_ones_gets_exactly_its_results():
    batch = [target(f"{BASE}targets/t{i}", 5.0 + i) for i in range(5)]
    bad_iri, bad = target(f"{BASE}targets/bad", -91.0)
    batch.insert(2, (bad_iri, bad))
    reports = validate_many(batch, context=CATALOG_TYPE)
    assert [i for i, r in reports.items() if not r.conforms] == [str(bad_iri)]
    [result] = [r for r in reports[str(bad_iri)].results if r.severity == "Violation"]
    alone = validate(bad, context=CATALOG_TYPE)
    assert (result.focus, result.path, result.message) == (str(bad_iri), str(SW.dec), alone.results[0].message)
    assert result.value == "-91.0"
    assert all(not r.results for i, r in reports.items() if i != str(bad_iri))


def test_blank_node_results_go_to_the_record_that_holds_them():
    DCAT = "http://www.w3.org/ns/dcat#"
    [(_, iri, record, stubs)] = [e for e in example_records() if e[0] == "alert/valid-icecube-track"]
    # break the distribution (a blank node): its download URL must be an IRI
    [dist] = [o for o in record.objects(iri, URIRef(DCAT + "distribution"))]
    assert isinstance(dist, BNode)
    record.set((dist, URIRef(DCAT + "mediaType"), Literal(5)))
    others = [target(f"{BASE}targets/u{i}", 1.0) for i in range(3)]
    reports = validate_many(others + [(iri, record)], context=stubs + CATALOG_TYPE)
    assert not reports[str(iri)].conforms
    assert summary(reports[str(iri)]) == summary(validate(record, context=stubs))
    assert all(reports[str(i)].conforms for i, _ in others)


def test_records_that_share_a_node_are_validated_apart():
    iri, graph = target(f"{BASE}targets/shared", 1.0)
    # a second record that also describes the first one's IRI, as a target with only a sw:dec: alone it
    # lacks a label; merged with the first record it would instead have two sw:dec
    other, more = target(f"{BASE}targets/other", 2.0)
    more.add((iri, RDF.type, SW.Target))
    more.add((iri, SW.dec, Literal(3.0)))
    reports = validate_many([(iri, graph), (other, more)], context=CATALOG_TYPE)
    assert reports[str(iri)].conforms and not reports[str(other)].conforms
    assert summary(reports[str(iri)]) == summary(validate(graph, context=CATALOG_TYPE))
    assert summary(reports[str(other)]) == summary(validate(more, context=CATALOG_TYPE))


def test_the_same_iri_twice_is_refused():
    with pytest.raises(ValueError):
        validate_many([target(f"{BASE}targets/x", 1.0), target(f"{BASE}targets/x", 2.0)])


def test_put_many_stores_the_valid_records_of_a_batch_and_leaves_the_store_unchanged_for_the_bad_one():
    store = EmbeddedStore(None)
    try:
        store.install_ontology()
        store.put(CATALOG, CATALOG_TYPE, validate=False)  # referenced by the targets
        before = store.dump()
        [(bad_iri, bad)] = [target(f"{BASE}targets/bad", 95.0)]
        stored, rejected = store.put_many([(bad_iri, bad)])
        assert stored == [] and store.dump() == before
        batch = [target(f"{BASE}targets/t{i}", float(i)) for i in range(4)]
        stored, rejected = store.put_many(batch[:2] + [(bad_iri, bad)] + batch[2:])
        assert stored == [str(i) for i, _ in batch]
        assert [(i, [(r.focus, r.path) for r in rep.results]) for i, rep in rejected] == [
            (str(bad_iri), [(str(bad_iri), str(SW.dec))])]
        assert not store.exists(bad_iri) and all(store.exists(i) for i, _ in batch)
    finally:
        store.close()
