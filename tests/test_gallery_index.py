"""The home page's gallery of the newest pictures, read from the side index's results list
(https://github.com/skyweave issue 13): it must cost the results it looks at, not every result of
the catalog. Compared with the SPARQL query over every result that a store without an index runs.
"""

from datetime import datetime, timedelta, timezone

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from skyweave.catalog.store import EmbeddedStore
from skyweave.catalog.vocab import DCAT, PROV, RDF, RDFS, SW
from skyweave.catalog.web.views.home import latest_results

from .conftest import BASE

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)


def result(n, seconds, media_types):
    """Result ``results/gallery-{n}`` generated at T0 + ``seconds``, with one file per media type."""
    iri = URIRef(f"{BASE}results/gallery-{n:03d}")
    g = Graph()
    for cls in (SW.DataProduct, PROV.Entity, DCAT.Dataset):
        g.add((iri, RDF.type, cls))
    g.add((iri, RDFS.label, Literal(f"result {n}")))
    g.add((iri, PROV.generatedAtTime, Literal((T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z"),
                                              datatype=XSD.dateTime)))
    for k, media_type in enumerate(media_types):
        d = BNode()
        g.add((iri, DCAT.distribution, d))
        g.add((d, DCAT.downloadURL, URIRef(f"{BASE}files/results/{n:064d}/file-{k}")))
        g.add((d, DCAT.mediaType, Literal(media_type)))
    return iri, g


@pytest.fixture
def stores():
    indexed, plain = EmbeddedStore(None), EmbeddedStore(None, index=False)
    yield indexed, plain
    indexed.close()
    plain.close()


def put(stores, *record):
    for store in stores:
        store.put(*record, validate=False)


def test_the_gallery_from_the_index_equals_a_query_over_every_result(stores):
    indexed, plain = stores
    assert indexed.index is not None and plain.index is None
    assert latest_results(indexed, BASE) == latest_results(plain, BASE) == []
    # 60 results, several generated in the same second; a picture for one in four, so the newest
    # six pictures lie beyond the first pages the index is read in
    for n in range(60):
        types = ["image/png"] if n % 4 == 0 else ["application/fits"]
        put(stores, *result(n, n // 3, types))
    for limit in (1, 6, 20):
        expected = latest_results(plain, BASE, limit)
        assert len(expected) == min(limit, 15)
        assert latest_results(indexed, BASE, limit) == expected
    # the newest picture is deleted, an older table becomes a picture, a new result has two files
    newest = latest_results(plain, BASE, 1)[0]["href"]
    for store in stores:
        store.delete(URIRef(BASE + newest.lstrip("/")))
    put(stores, *result(1, 0, ["application/fits", "image/png"]))
    put(stores, *result(99, 500, ["image/png", "text/csv"]))
    expected = latest_results(plain, BASE)
    assert expected[0]["href"].endswith("gallery-099") and newest not in [r["href"] for r in expected]
    assert latest_results(indexed, BASE) == expected
    assert latest_results(indexed, BASE, 50) == latest_results(plain, BASE, 50)
