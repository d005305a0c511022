"""Tests of the ontology (``ontology/*.ttl``), the SHACL shapes (``ontology/shapes/``) and the JSON-LD context.

Each shape has example records in ``tests/data/shapes/<shape>/``: ``valid-*.ttl`` must conform and
``invalid-*.ttl`` must not, with the constraint component named on the file's first line
(``# expect: sh:MinCountConstraintComponent``) among the results.

The records are validated the way the catalog validates a write: the data graph is the record plus an
``rdf:type`` triple for each IRI it references (so ``sh:class`` can check references), and
``ontology/skyweave.ttl`` and ``ontology/messengers.ttl`` are mixed in as ``ont_graph`` (so ``sh:class``
follows ``rdfs:subClassOf`` and messengers can be checked with ``skos:inScheme`` and ``skos:broader``).
Those added type triples make the referenced IRIs instances of targeted classes, but they are only
references: results whose ``sh:focusNode`` is such a stub are ignored (see `reference_stubs`).

References
----------
.. [1] Shapes Constraint Language (SHACL), https://www.w3.org/TR/shacl/
.. [2] pySHACL, https://github.com/RDFLib/pySHACL
"""

import functools
import inspect
import json
import pathlib
import re

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS, XSD

from skyweave.catalog.vocab import PREFIXES, SW

ROOT = pathlib.Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
SHAPES_DIR = ONTOLOGY_DIR / "shapes"
DATA_DIR = pathlib.Path(__file__).resolve().parent / "data" / "shapes"
ONTOLOGY_FILES = (ONTOLOGY_DIR / "skyweave.ttl", ONTOLOGY_DIR / "messengers.ttl")

SHAPE_NAMES = (
    "observatory", "instrument", "source-catalog", "target", "observation",
    "workflow", "parameter", "run", "result", "publication", "alert", "event", "localization", "rule", "reference",
)
"""Shape files (``ontology/shapes/<name>.ttl``), one per record type, and test-data folders."""

EXPECT = re.compile(r"#\s*expect:\s*sh:(\w+ConstraintComponent)\s*$")


@functools.cache
def ontology_graph():
    """Return skyweave.ttl and messengers.ttl in one graph (the validator's ``ont_graph``)."""
    graph = Graph()
    for path in ONTOLOGY_FILES:
        graph.parse(path, format="turtle")
    return graph


@functools.cache
def shapes_graph():
    """Return all shape files merged into one graph."""
    graph = Graph()
    for name in SHAPE_NAMES:
        graph.parse(SHAPES_DIR / f"{name}.ttl", format="turtle")
    return graph


def reference_stubs(data):
    """Return the IRIs a record only references: typed, pointed at, and with no other triples.

    Parameters
    ----------
    data : rdflib.Graph
        A record plus the ``rdf:type`` triples of the IRIs it references.

    Returns
    -------
    stubs : set of rdflib.URIRef
    """
    return {
        node for node in set(data.subjects(RDF.type, None))
        if isinstance(node, URIRef)
        and set(data.predicates(node, None)) == {RDF.type}
        and (None, None, node) in data
    }


def components(report, result):
    """Yield the sh:sourceConstraintComponent of a result and of its nested sh:detail results."""
    yield report.value(result, SH.sourceConstraintComponent)
    for detail in report.objects(result, SH.detail):
        yield from components(report, detail)


def validate(data):
    """Validate a record graph against all shapes; return the results that are about the record.

    Parameters
    ----------
    data : rdflib.Graph
        The record plus the ``rdf:type`` triples of the IRIs it references.

    Returns
    -------
    results : list of (rdflib.term.Node, rdflib.Graph)
        The top-level ``sh:ValidationResult`` nodes whose focus node is not a reference stub,
        with the report graph they live in.
    """
    # inference="none": sh:class and targets already follow rdfs:subClassOf* through the mixed-in
    # ontology; RDFS inference would also type every object of sw:target as sw:Target (rdfs:range),
    # so a wrong reference would pass its sh:class check, and it is several times slower.
    _conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        ont_graph=ontology_graph(),
        inference="none",
        advanced=False,
        allow_warnings=False,
    )
    stubs = reference_stubs(data)
    return [
        (result, report) for result in report.objects(None, SH.result)
        if report.value(result, SH.focusNode) not in stubs
    ]


def describe(results):
    """Format validation results for an assertion message."""
    return "\n".join(
        f"  {report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: "
        f"{report.value(r, SH.sourceConstraintComponent).fragment}: {report.value(r, SH.resultMessage)}"
        for r, report in results
    )


def data_files(prefix):
    return sorted(DATA_DIR.glob(f"*/{prefix}-*.ttl"))


def file_id(path):
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", data_files("valid"), ids=file_id)
def test_valid_record_conforms(path):
    results = validate(Graph().parse(path, format="turtle"))
    assert not results, f"{file_id(path)} should conform but has:\n{describe(results)}"


@pytest.mark.parametrize("path", data_files("valid"), ids=file_id)
def test_valid_record_conforms_with_explicit_xsd_string(path):
    """pyoxigraph gives every plain string an explicit xsd:string datatype; the shapes must accept both."""
    graph = Graph()
    for s, p, o in Graph().parse(path, format="turtle"):
        if isinstance(o, Literal) and o.datatype is None and o.language is None:
            o = Literal(str(o), datatype=XSD.string)
        graph.add((s, p, o))
    results = validate(graph)
    assert not results, f"{file_id(path)} with ^^xsd:string literals should conform but has:\n{describe(results)}"


@pytest.mark.parametrize("path", data_files("invalid"), ids=file_id)
def test_invalid_record_fails_with_expected_component(path):
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    match = EXPECT.match(first_line)
    assert match, f"{file_id(path)} must start with '# expect: sh:XxxConstraintComponent'"
    expected = SH[match.group(1)]

    results = validate(Graph().parse(path, format="turtle"))
    assert results, f"{file_id(path)} should not conform"
    found = {c for r, report in results for c in components(report, r)}
    assert expected in found, (
        f"{file_id(path)}: expected {expected.fragment}, got:\n{describe(results)}"
    )
    assert len(results) == 1, f"{file_id(path)} should break exactly one rule, but has:\n{describe(results)}"
    for r, report in results:
        assert str(report.value(r, SH.resultMessage) or ""), f"result without sh:resultMessage in {file_id(path)}"


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_each_shape_has_valid_and_invalid_examples(name):
    folder = DATA_DIR / name
    assert len(list(folder.glob("valid-*.ttl"))) >= 1
    assert len(list(folder.glob("invalid-*.ttl"))) >= 2


def test_reference_stubs_are_needed():
    """The stub filter matters: a referenced instrument, typed only, does not satisfy the instrument shape."""
    data = Graph().parse(DATA_DIR / "observation" / "valid-hess-23523.ttl", format="turtle")
    _conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes_graph(), ont_graph=ontology_graph(), inference="none"
    )
    focus = set(report.objects(None, SH.focusNode))
    assert URIRef("http://127.0.0.1:5000/instruments/hess") in focus
    assert focus <= reference_stubs(data)


def test_rdfs_inference_would_hide_a_dangling_reference():
    """Why ``inference="none"``: rdfs:range sw:Target would make any object of sw:target a target."""
    data = Graph().parse(DATA_DIR / "observation" / "invalid-target-dangling.ttl", format="turtle")
    _conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes_graph(), ont_graph=ontology_graph(), inference="rdfs"
    )
    assert SH.ClassConstraintComponent not in set(report.objects(None, SH.sourceConstraintComponent))
    assert [c for r, rep in validate(data) for c in components(rep, r)] == [SH.ClassConstraintComponent]


# The ontology


def sw_terms():
    return [SW._NS[name] for name in inspect.get_annotations(SW) if not name.startswith("_")]


@pytest.mark.parametrize("term", sw_terms(), ids=lambda t: t.fragment)
def test_vocab_term_is_declared_with_a_label(term):
    ontology = ontology_graph()
    assert (term, RDF.type, None) in ontology, f"{term} has no rdf:type in {', '.join(p.name for p in ONTOLOGY_FILES)}"
    labels = list(ontology.objects(term, RDFS.label)) + list(ontology.objects(term, SKOS.prefLabel))
    assert labels, f"{term} has neither rdfs:label nor skos:prefLabel"


def test_ontology_declares_no_term_missing_from_vocab():
    declared = {s for s in ontology_graph().subjects(RDF.type, None) if str(s).startswith(str(SW._NS))}
    assert declared <= set(sw_terms()), f"add to catalog/vocab.py SW: {sorted(declared - set(sw_terms()))}"


def test_ontology_header():
    ontology = ontology_graph()
    header = URIRef("https://skyweave.org/ns")
    assert (header, RDF.type, OWL.Ontology) in ontology
    assert (header, URIRef(PREFIXES["dcterms"] + "license"),
            URIRef("https://creativecommons.org/licenses/by/4.0/")) in ontology
    assert ontology.value(header, URIRef(PREFIXES["dcterms"] + "title"))
    assert ontology.value(header, OWL.versionInfo)


@pytest.mark.parametrize("prop", [SW.ra, SW.dec, SW.pointingRa, SW.pointingDec, SW.liveTime], ids=lambda t: t.fragment)
def test_numeric_properties_name_their_unit(prop):
    ontology = ontology_graph()
    assert ontology.value(prop, RDFS.range) == XSD.double
    assert ontology.value(prop, SW.unit) is not None
    comment = str(ontology.value(prop, RDFS.comment))
    assert "degrees" in comment or "seconds" in comment


def test_every_term_has_a_comment_or_definition():
    ontology = ontology_graph()
    for term in sw_terms():
        assert ontology.value(term, RDFS.comment) or ontology.value(term, SKOS.definition), term


@pytest.mark.parametrize("term", ["label", "description", "group", "version", "reference", "optional", "format",
                                  "allowed_value", "lower_limit", "upper_limit", "unit"])
def test_oda_annotation_is_declared(term):
    iri = URIRef(PREFIXES["oda"] + term)
    ontology = ontology_graph()
    assert (iri, RDF.type, OWL.AnnotationProperty) in ontology
    assert "skyweave declares" in str(ontology.value(iri, RDFS.comment))


def test_messenger_scheme():
    ontology = ontology_graph()
    tops = set(ontology.objects(SW.Messengers, SKOS.hasTopConcept))
    assert tops == {SW.Photons, SW.Neutrinos, SW.GravitationalWaves, SW.CosmicRays}
    assert set(ontology.objects(SW.GammaRays, SKOS.narrower)) == {SW.HighEnergyGammaRays, SW.VeryHighEnergyGammaRays}
    for concept in set(ontology.subjects(SKOS.inScheme, SW.Messengers)) | tops:
        assert (concept, RDF.type, SKOS.Concept) in ontology
        assert ontology.value(concept, SKOS.definition)
        for broader in ontology.objects(concept, SKOS.broader):
            assert (broader, SKOS.narrower, concept) in ontology
    assert set(ontology.subjects(SKOS.inScheme, SW.ProductTypes)) == {SW.Image, SW.Spectrum, SW.LightCurve, SW.Table}


# The shapes


def shape_references(graph):
    """Return the shapes used from other shapes (sh:node, sh:not, sh:or/and/xone, sh:qualifiedValueShape)."""
    used = set(graph.objects(None, SH.node)) | set(graph.objects(None, SH["not"]))
    used |= set(graph.objects(None, SH.qualifiedValueShape))
    for list_prop in (SH["or"], SH["and"], SH.xone):
        for head in graph.objects(None, list_prop):
            used |= set(Collection(graph, head))
    return used


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_shape_file(name):
    graph = Graph().parse(SHAPES_DIR / f"{name}.ttl", format="turtle")
    node_shapes = set(graph.subjects(RDF.type, SH.NodeShape))
    targeted = {s for s in node_shapes if (s, SH.targetClass, None) in graph}
    assert targeted, f"{name}.ttl has no NodeShape with sh:targetClass"
    helpers = node_shapes - targeted
    assert helpers <= shape_references(graph), f"NodeShapes neither targeted nor used: {helpers - shape_references(graph)}"
    assert not list(graph.subjects(RDF.type, SH.SPARQLConstraint)) and (None, SH.sparql, None) not in graph
    # Property shapes of targeted shapes and of shapes reached by sh:node report to users; those
    # inside sh:or/sh:not conditions do not (their sh:or carries the message).
    reported = targeted | set(graph.objects(None, SH.node))
    for shape in {p for s in reported for p in graph.objects(s, SH.property)}:
        assert graph.value(shape, SH.name), f"property shape {shape} in {name}.ttl has no sh:name"
        assert graph.value(shape, SH.message), f"property shape {shape} in {name}.ttl has no sh:message"
    for shape in targeted:
        if (shape, SH["or"], None) in graph:
            assert graph.value(shape, SH.message), f"{shape} in {name}.ttl has no sh:message"


SWSH = "https://skyweave.org/shapes#"


def in_list(shape):
    graph = shapes_graph()
    return set(Collection(graph, graph.value(shape, SH["in"])))


def test_concept_lists_match_the_schemes():
    """The sh:in lists in the shapes name exactly the concepts of messengers.ttl."""
    ontology = ontology_graph()
    messengers = set(ontology.subjects(SKOS.inScheme, SW.Messengers))
    assert in_list(URIRef(SWSH + "Instrument-messenger")) == messengers
    photons = set(ontology.transitive_subjects(SKOS.broader, SW.Photons))  # includes sw:Photons
    detects = shapes_graph().value(URIRef(SWSH + "DetectsPhotonsOrNeutrinos"), SH.property)
    assert in_list(shapes_graph().value(detects, SH.qualifiedValueShape)) == photons | {SW.Neutrinos}
    product_types = set(ontology.subjects(SKOS.inScheme, SW.ProductTypes))
    assert in_list(URIRef(SWSH + "DataProduct-productType")) == product_types


def test_shapes_use_only_declared_sw_terms():
    used = {t for t in shapes_graph().all_nodes() if isinstance(t, URIRef) and str(t).startswith(str(SW._NS))}
    assert used <= set(sw_terms())


def test_target_classes_are_declared_or_standard():
    ontology = ontology_graph()
    for cls in shapes_graph().objects(None, SH.targetClass):
        assert (cls, RDF.type, OWL.Class) in ontology or not str(cls).startswith(str(SW._NS))


# The JSON-LD context


def test_context_prefixes_match_vocab():
    context = json.loads((ONTOLOGY_DIR / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    assert context["@version"] == 1.1
    for prefix in ("sw", "oda", "unit", "schema", "prov", "dcat", "dcterms", "skos", "sosa", "xsd", "rdfs"):
        assert context[prefix] == PREFIXES[prefix], prefix


def test_context_types_numbers_and_validates():
    context = json.loads((ONTOLOGY_DIR / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    record = {
        "@context": context,
        "@id": "http://127.0.0.1:5000/targets/crab-nebula",
        "@type": "sw:Target",
        "label": "Crab Nebula",
        "ra": 83.633,
        "dec": 22.0145,
        "dcterms:source": {"@id": "http://127.0.0.1:5000/catalogs/3fhl", "@type": "sw:SourceCatalog"},
    }
    graph = Graph().parse(data=json.dumps(record), format="json-ld")
    crab = URIRef(record["@id"])
    assert graph.value(crab, SW.ra) == Literal(83.633, datatype=XSD.double)
    assert graph.value(crab, SW.dec).datatype == XSD.double
    assert not validate(graph)
