"""Plain terms of the intake's batch write path (`skyweave.catalog.terms`): their N-Triples text
means what the rdflib record means, and their content check refuses what `check_record` refuses
(https://github.com/skyweave issue 10)."""

import re

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from skyweave.catalog.exceptions import InvalidContent, PayloadTooLarge
from skyweave.catalog.oxquery import to_rdflib
from skyweave.catalog.terms import Blank, Iri, check_content, from_rdflib, nt_text, string, to_graph

from .conftest import BASE

A = Iri(f"{BASE}alerts/0123456789abcdef")
P = Iri("https://skyweave.org/ns#p")


def parsed_by_oxigraph(text):
    """The triples Oxigraph reads from the text the store writes (inside INSERT DATA)."""
    store = ox.Store()
    store.update(f"INSERT DATA {{ GRAPH <{A}> {{ {text} }} }}")
    graph = Graph()
    for q in store.quads_for_pattern(None, None, None, None):
        graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return graph


def test_the_text_written_reads_back_as_the_same_graph():
    graph = Graph()
    node = BNode()
    for value in ('say "hi"', "back\\slash", "two\nlines\r", "tab\there", "é ∑ 🚀", ""):
        graph.add((URIRef(A), URIRef(P), Literal(value)))
    graph.add((URIRef(A), URIRef(P), Literal("12.5", datatype=XSD.double)))
    graph.add((URIRef(A), URIRef(P), Literal("2025-01-01T00:00:00Z", datatype=XSD.dateTime)))
    graph.add((URIRef(A), URIRef(P), Literal("Krebsnebel", lang="de")))
    graph.add((URIRef(A), URIRef(P), node))
    graph.add((node, URIRef(P), URIRef(f"{A}#localization")))
    triples = [tuple(map(from_rdflib, t)) for t in graph]
    assert isomorphic(parsed_by_oxigraph(nt_text(triples)), graph)
    assert isomorphic(to_graph(triples), graph)


@pytest.mark.parametrize("triples, error, words", [
    ([(A, P, string("nul\x00here"))], InvalidContent, "U+0000"),
    ([(A, P, Iri("http://example.org/\ud800"))], InvalidContent, "U+D800"),
    ([(Iri(f"{BASE}alerts/other"), P, string("x"))], InvalidContent, "may only describe itself"),
    ([(Iri("https://skyweave.org/ns#Alert"), P, string("x"))], InvalidContent, "may only describe itself"),
    ([(A, P, Iri("http://example.org/a b"))], InvalidContent, "holds a character an IRI may not hold"),
    ([(A, P, Iri("http://example.org/>"))], InvalidContent, "holds a character an IRI may not hold"),
    ([(A, P, string("x" * 400))], PayloadTooLarge, "over the limit of 100 bytes"),
])
def test_the_content_check_refuses_what_check_record_refuses(triples, error, words):
    with pytest.raises(error, match=re.escape(words)):
        check_content(A, triples, max_literal_bytes=100, base=BASE)


def test_the_content_check_passes_own_nodes_blank_nodes_and_foreign_subjects_outside_the_catalog():
    b = Blank("b1")
    check_content(A, [(A, P, b), (b, P, string("x" * 100)), (Iri(f"{A}#match-1"), P, Iri(f"{BASE}targets/crab")),
                      (Iri("https://orcid.org/0000-0002-1825-0097"), P, string("a person"))],
                  max_literal_bytes=100, base=BASE)
