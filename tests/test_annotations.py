"""Tests of reading annotated notebooks (`runners.annotations`, `runners.repository`) and of their
catalog records (`runners.describe`): the conventions of ``runners/README.md``.

Saved notebooks live in ``tests/data/notebooks/`` (``two_cells``, ``failing``, ``annotated`` and one
``bad_*`` per kind of `AnnotationError`); variants are written with nbformat into ``tmp_path``.

References
----------
.. [1] nb2workflow, https://github.com/oda-hub/nb2workflow
.. [2] oda-hub ontology, https://github.com/oda-hub/ontology
"""

import dataclasses
import pathlib

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD

from skyweave.catalog.validate import validate
from skyweave.catalog.vocab import ODA, ODA_UNIT, PROV, SDO, SDO_INPUT, SDO_OUTPUT, SW
from skyweave.runners import annotations
from skyweave.runners.annotations import AnnotationError, read_notebook, slug_for
from skyweave.runners.repository import read_repository
from skyweave.runners.describe import DEFAULT_CREATOR, spec_from_graph, workflow_graph
from skyweave.runners.repository import test_notebooks as find_test_notebooks

NOTEBOOKS = pathlib.Path(__file__).parent / "data" / "notebooks"
BASE = "http://127.0.0.1:5000/"
WORKFLOW = URIRef("https://schema.org/ComputationalWorkflow")


def write_notebook(path, parameters, outputs=None, markdown="# A workflow\n\nIt does things.", extra=(),
                   authors=None):
    """Write a notebook: a markdown cell, the parameters cell (index 1), ``extra`` cells, outputs."""
    nb = new_notebook()
    if authors:
        nb.metadata["authors"] = [{"name": name} for name in authors]
    if markdown is not None:
        nb.cells.append(new_markdown_cell(markdown))
    if parameters is not None:
        nb.cells.append(new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    nb.cells.extend(new_code_cell(source) for source in extra)
    if outputs is not None:
        nb.cells.append(new_code_cell(outputs, metadata={"tags": ["outputs"]}))
    nbformat.write(nb, path)
    return path


def params(spec):
    return {p.name: p for p in spec.parameters}


# -- reading --------------------------------------------------------------------------------------

def test_two_cells():
    spec = read_notebook(NOTEBOOKS / "two_cells.ipynb", commit="0123abc")
    assert (spec.slug, spec.title, spec.version, spec.commit) == ("two-cells", "Two cells", "1.0", "0123abc")
    assert spec.description.startswith("Multiplies a number")
    assert spec.authors == ("Ada Lovelace",)
    n, scale = spec.parameters
    assert (n.name, n.type_iri, n.python_type, n.default, n.lower, n.upper) == ("n", ODA.Integer, int, 3, 1, 10)
    assert (scale.type_iri, scale.default, scale.label, scale.optional) == (ODA.Float, 2.0, "Scale factor", False)
    (total,) = spec.outputs
    assert (total.name, total.type_iri, total.label) == ("total", ODA.Float, "Product")
    assert spec.notebook == NOTEBOOKS / "two_cells.ipynb"


def test_annotated_notebook():
    spec = read_notebook(NOTEBOOKS / "annotated.ipynb")
    assert (spec.slug, spec.title, spec.version) == ("annotated", "Crab spectrum", "2.1")
    assert spec.description == "A power-law fit to the Crab Nebula, with every kind of annotation."
    assert spec.references == ("https://arxiv.org/abs/1810.04516", "https://doi.org/10.5281/zenodo.1421099")
    assert spec.authors == ("Josiah Carberry", "Ada Lovelace")
    p = params(spec)
    assert list(p) == ["source_name", "ra", "dec", "radius", "energy", "t1", "t2", "model", "use_fit",
                       "n_bins", "data_url"]
    assert (p["source_name"].type_iri, p["source_name"].label) == (ODA.AstrophysicalObject, "Target")
    assert (p["ra"].unit, p["dec"].unit, p["ra"].python_type) == (ODA_UNIT.deg, ODA_UNIT.deg, float)
    assert (p["radius"].unit, p["radius"].lower, p["radius"].upper) == (ODA_UNIT.arcmin, 0.1, 60.0)
    assert (p["energy"].unit, p["energy"].lower, p["energy"].upper) == (ODA_UNIT.keV, 35.0, 800.0)
    assert (p["t1"].format, p["t1"].python_type, p["t1"].default) == ("isot", str, "2004-12-04T22:00:00")
    assert (p["t2"].type_iri, p["t2"].format, p["t2"].python_type) == (ODA.EndTime, "mjd", float)
    assert (p["model"].allowed, p["model"].optional, p["model"].group) == (("ecpl", "pl"), True, "Fit")
    assert (p["use_fit"].python_type, p["use_fit"].description) == (bool, "Fit the model")
    assert (p["n_bins"].type_iri, p["n_bins"].default) == (ODA.Integer, 10)  # a prose comment is no annotation
    assert p["data_url"].optional and p["data_url"].type_iri == ODA.FileURL
    assert [(o.name, o.type_iri) for o in spec.outputs] == [
        ("spectrum_png", ODA.ODAPictureProduct), ("flux_points", ODA.ODAAstropyTable), ("amplitude", ODA.Float)]


@pytest.mark.parametrize("name, cell, line, fragment", [
    ("bad_unknown_type", 1, 2, "unknown type oda:Flaot"),
    ("bad_unknown_predicate", 1, 2, "unknown annotation term oda:upper"),
    ("bad_unknown_unit", 1, 2, "unknown unit unit:furlong"),
    ("bad_turtle", 1, 2, "does not parse as Turtle"),
    ("bad_wrapped", 1, 2, "wrapped onto the next line"),
    ("bad_not_literal", 1, 2, "(math.pi) is not a literal"),
    ("bad_no_parameters", 1, 1, "no code cell is tagged 'parameters', yet this cell has oda: annotations"),
])
def test_saved_bad_notebooks(name, cell, line, fragment):
    with pytest.raises(AnnotationError) as info:
        read_notebook(NOTEBOOKS / f"{name}.ipynb")
    error = info.value
    assert isinstance(error, ValueError)
    assert (error.cell, error.line) == (cell, line)
    assert fragment in str(error)
    assert str(error).startswith(f"{name}.ipynb" + (f", cell {cell}, line {line}: " if cell is not None else ": "))


@pytest.mark.parametrize("source, line, fragment", [
    ('x = 1.0  # oda:Image', 1, "oda:Image is an output type"),
    ('x = 1.0  # <http://example.org/Thing>', 1, "unknown type <http://example.org/Thing>"),
    ('x = 1.0  # oda:Float, oda:String', 1, "names 2 types"),
    ('x = 1.0  # oda:Float . <urn:a> <urn:b> 1', 1, "something other than the annotated name"),
    ('x = 1.0  # oda:Float ; <http://schema.org/name> "x"', 1, "unknown annotation term"),
    ('x = 1.0  # oda:Float ; oda:format "isot"', 1, "oda:format 'isot' of x"),
    ('t = "2004-01-01"  # oda:StartTime ; oda:format "jd"', 1, "oda:format 'jd'"),
    ('x = 1.0  # oda:Float ; oda:lower_limit 5 ; oda:upper_limit 1', 1, "is above oda:upper_limit"),
    ('x = 1.0  # oda:Float ; oda:lower_limit "low"', 1, "oda:lower_limit of x must be a number"),
    ('x = 1.0  # oda:Float ; oda:label "a" ; oda:label "b"', 1, "oda:label is given 2 times"),
    ('x = "a"  # oda:Float', 1, "the default 'a' of x is not a float"),
    ('x = True  # oda:Integer', 1, "the default True of x is not a int"),
    ('x = 1.0  # oda:String ; oda:allowed_value 1', 1, "the default 1.0 of x is not a str"),
    ('x = "a"  # oda:String ; oda:allowed_value 1', 1, "oda:allowed_value 1 of x is not a str"),
    ('x = "a"  # oda:String ; oda:unit unit:deg', 1, "oda:unit applies to numeric parameters"),
    ('e = 1.0  # oda:Energy_keV ; oda:unit unit:MeV', 1, "contradicts it"),
    ('r = 1.0  # oda:Angle ; oda:unit unit:keV', 1, "unit:keV is not a unit of angle"),
    ('x = 1.0  # oda:Float ; oda:unit "keV"', 1, "unknown unit"),
    ('x = 1.0  # oda:Float ; oda:optional "maybe"', 1, "oda:optional of x must be true or false"),
    ('x = None', 1, "x = None has no annotation"),
    ('x = (1, 2)', 1, "has no annotation and no type"),  # a list or dict would be structured
    ('x = 1\nx = 2', 2, "x is assigned twice"),
    ('a, b = 1, 2', 1, "assign one plain name"),
    ('a = b = 1', 1, "assign one plain name"),
    ('x = 2 * 3  # oda:Integer', 1, "(2 * 3) is not a literal"),
    ('x = 1.0  # oda:Float ;\n# oda:upper_limit 10', 2, "wrapped onto the next line"),
    ('x = 1.0  # oda:Float\n# oda:upper_limit 10', 2, "wrapped onto the next line"),
    ('x = 1.0  # oda:Float\n# oda:label "Workflow title"', 2, "wrapped onto the next line"),
    ('# oda:unit unit:deg\n\nx = 1.0  # oda:Float', 1, "oda:unit is not a notebook-level annotation"),
    ('# oda:version 1.0 2.0\nx = 1.0', 1, "does not parse as Turtle"),
    ('# oda:version "1"\n# oda:version "2"\nx = 1.0', 2, "oda:version is given twice"),
    ('# oda:reference ""\nx = 1.0', 1, "oda:reference is empty"),
    ('x = 1.0 +', 1, "the cell is not Python"),
])
def test_annotation_errors(tmp_path, source, line, fragment):
    path = write_notebook(tmp_path / "broken.ipynb", source)
    with pytest.raises(AnnotationError) as info:
        read_notebook(path)
    assert (info.value.cell, info.value.line) == (1, line)
    assert f"broken.ipynb, cell 1, line {line}: " in str(info.value)
    assert fragment in str(info.value)


@pytest.mark.parametrize("outputs, line, fragment", [
    ("x = 'a.fits'  # oda:POSIXPath", 1, "oda:POSIXPath is a parameter type, not an output type"),
    ("x = 1.0  # oda:Nonsense", 1, "unknown type oda:Nonsense"),
    ("x = 'a.png'  # oda:ODAPictureProduct ; oda:unit unit:deg", 1,
     "oda:unit applies to numeric outputs (oda:Float, oda:Integer and their subclasses), not "
     "oda:ODAPictureProduct (x)"),
    ("x = y  # oda:unit unit:deg", 1, "oda:unit applies to numeric outputs (oda:Float, oda:Integer and their "
                                      "subclasses), not an output without a type (x)"),
    ("x = y  # oda:Energy_TeV ; oda:unit unit:GeV", 1, "oda:Energy_TeV is in unit:TeV; oda:unit unit:GeV contradicts"),
    ("x = y  # oda:Float ; oda:unit unit:parsec", 1, "unknown unit unit:parsec on x"),
    ("x = y  # oda:Float ; oda:unit \"TeV\"", 1, "unknown unit"),
    ("x = y  # oda:Float ; oda:unit unit:TeV ; oda:unit unit:GeV", 1, "oda:unit is given 2 times for x"),
    ("x = y  # oda:Float ; oda:lower_limit 0", 1, "unknown annotation term oda:lower_limit on x"),
    ('# oda:version "1"\nx = 1.0', 1, "oda:version belongs in the parameters cell"),
])
def test_output_errors(tmp_path, outputs, line, fragment):
    path = write_notebook(tmp_path / "broken.ipynb", "n = 1", outputs)
    with pytest.raises(AnnotationError) as info:
        read_notebook(path)
    assert (info.value.cell, info.value.line) == (2, line)
    assert fragment in str(info.value)


def test_output_units_are_read_recorded_and_read_back(tmp_path):
    """Output annotations may declare a unit as parameters do (issue 9)."""
    from skyweave.runners.spec import output_units

    path = write_notebook(tmp_path / "units.ipynb", "n = 1", "livetime = t  # oda:Float ; oda:unit unit:h\n"
                          "livetime_err = dt  # oda:Float\nsize = s  # oda:Integer ; oda:unit unit:arcmin ; "
                          "oda:label \"Size\"\ncount = c  # oda:Integer")
    spec = read_notebook(path)
    outputs = {o.name: o for o in spec.outputs}
    assert (outputs["livetime"].unit, outputs["livetime"].unit_text) == (ODA_UNIT.h, "h")
    assert (outputs["size"].unit, outputs["size"].label) == (ODA_UNIT.arcmin, "Size")
    assert outputs["count"].unit is None and outputs["livetime_err"].unit is None
    # the uncertainty is in its value's unit
    assert output_units(spec.outputs) == {"livetime": "h", "livetime_err": "h", "size": "arcmin"}
    iri = URIRef(f"{BASE}workflows/units")
    graph = workflow_graph(spec, iri)
    assert graph.value(URIRef(f"{iri}#output-livetime"), ODA.unit) == ODA_UNIT.h
    assert validate(graph).conforms
    assert spec_from_graph(graph, iri).outputs == spec.outputs


def test_two_parameters_cells(tmp_path):
    path = write_notebook(tmp_path / "twice.ipynb", "x = 1", extra=["y = 2"])
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    with pytest.raises(AnnotationError, match=r"twice.ipynb, cell 2: two cells are tagged 'parameters'"):
        read_notebook(path)


def test_not_a_notebook(tmp_path):
    path = tmp_path / "junk.ipynb"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"^junk.ipynb: not a Jupyter notebook"):
        read_notebook(path)


@pytest.mark.parametrize("source, python_type, optional", [
    ("x: float | None = None  # oda:Float", float, True),
    ("x: Optional[int] = None", int, True),
    ("x: typing.Union[str, None] = 'a'", str, True),
    ("x: str = 'a'", str, False),
    ("x: None | bool = None", bool, True),
    ("x = None  # oda:String", str, True),
    ("x = 1.0  # oda:Float ; oda:optional true", float, True),
])
def test_type_hints_and_optional(tmp_path, source, python_type, optional):
    (x,) = read_notebook(write_notebook(tmp_path / "hints.ipynb", source)).parameters
    assert (x.python_type, x.optional) == (python_type, optional)


def test_lenient_forms(tmp_path):
    source = ("%matplotlib inline\n"
              "import numpy as np\n"
              "ra = 83  # http://odahub.io/ontology#PointOfInterestRA\n"
              "e = 1  # oda:Energy_TeV .\n"
              "r = 1.0  # <http://odahub.io/ontology#Angle> ; oda:unit <http://odahub.io/ontology/unit#arcsec>\n"
              "# a prose comment after the assignments: not an annotation\n"
              "n = 5  # ; not an annotation either\n")
    ra, e, r, n = read_notebook(write_notebook(tmp_path / "lenient.ipynb", source)).parameters
    assert (ra.type_iri, ra.default, ra.python_type) == (ODA.PointOfInterestRA, 83.0, float)
    assert (e.unit, e.default) == (ODA_UNIT.TeV, 1.0)
    assert r.unit == ODA_UNIT.arcsec
    assert n.type_iri == ODA.Integer


def test_titles_fall_back(tmp_path):
    spec = read_notebook(write_notebook(tmp_path / "My_Notebook.ipynb", "x = 1", markdown=None))
    assert (spec.slug, spec.title, spec.description, spec.version) == ("my-notebook", "My_Notebook", None, None)
    labelled = write_notebook(tmp_path / "b.ipynb", '# oda:label "Label"\n# oda:description "Text."\n\nx = 1')
    spec = read_notebook(labelled)
    assert (spec.title, spec.description) == ("Label", "Text.")


@pytest.mark.parametrize("path, slug", [
    ("crab_spectrum.ipynb", "crab-spectrum"),
    ("nb/HESS J1825-137 (v2).ipynb", "hess-j1825-137-v2"),
    ("a__b.ipynb", "a-b"),
])
def test_slug_for(path, slug):
    assert slug_for(path) == slug


def test_slug_for_rejects_empty():
    with pytest.raises(AnnotationError, match="gives no slug"):
        slug_for("___.ipynb")


def test_known_tables_are_exported():
    assert ODA.PointOfInterestRA in annotations.KNOWN_TYPES
    assert ODA.upper_limit in annotations.KNOWN_PREDICATES
    assert annotations.UNITS[ODA_UNIT.arcmin] == "arcmin"


# -- repositories -----------------------------------------------------------------------------------

def test_read_repository_root(tmp_path):
    write_notebook(tmp_path / "b_flux.ipynb", "x = 1")
    write_notebook(tmp_path / "a_map.ipynb", "y = 2.0")
    write_notebook(tmp_path / "test_a_map.ipynb", "z = 1")
    specs = read_repository(tmp_path, commit="abcdef0")
    assert [s.slug for s in specs] == ["a-map", "b-flux"]
    assert {s.commit for s in specs} == {"abcdef0"}
    assert [p.name for p in find_test_notebooks(tmp_path)] == ["test_a_map.ipynb"]


def test_read_repository_with_mmoda_yaml(tmp_path):
    (tmp_path / "mmoda.yaml").write_text("notebook_path: nb\nfilename_pattern: '.*_wf'\n", encoding="utf-8")
    (tmp_path / "nb").mkdir()
    write_notebook(tmp_path / "nb" / "flux_wf.ipynb", "x = 1")
    write_notebook(tmp_path / "nb" / "helper.ipynb", "x = 1")
    write_notebook(tmp_path / "nb" / "test_flux_wf.ipynb", "x = 1")
    write_notebook(tmp_path / "root_wf.ipynb", "x = 1")
    assert [s.slug for s in read_repository(tmp_path)] == ["flux-wf"]
    assert [p.name for p in find_test_notebooks(tmp_path)] == ["test_flux_wf.ipynb"]


@pytest.mark.parametrize("config, fragment", [
    ("notebook_path: ../elsewhere\n", "leaves the repository"),
    ("- a list\n", "must be a mapping"),
    ("key: [unclosed\n", "not YAML"),
    ("filename_pattern: '*_wf.ipynb'\n", "is not a regular expression"),
    ("extra_data: [missing.fits]\n", "extra_data 'missing.fits' does not exist"),
])
def test_bad_mmoda_yaml(tmp_path, config, fragment):
    (tmp_path / "mmoda.yaml").write_text(config, encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"mmoda.yaml: .*" + fragment):
        read_repository(tmp_path)


def test_repository_slug_clash(tmp_path):
    write_notebook(tmp_path / "crab_map.ipynb", "x = 1")
    write_notebook(tmp_path / "crab-map.ipynb", "x = 1")
    repo = read_repository(tmp_path)
    assert [s.notebook.name for s in repo] == ["crab-map.ipynb"]
    assert [str(e) for e in repo.refused] == [
        "crab_map.ipynb: gives the slug 'crab-map', as crab-map.ipynb does; rename one"]


def test_one_bad_notebook_does_not_refuse_its_repository(tmp_path):
    write_notebook(tmp_path / "good.ipynb", "x = 1")
    write_notebook(tmp_path / "worse.ipynb", "x = 1  # oda:Flaot")
    repo = read_repository(tmp_path)
    assert [s.slug for s in repo] == ["good"]
    [error] = repo.refused
    assert (error.notebook.name, error.cell, error.line) == ("worse.ipynb", 1, 1)
    assert str(error).startswith("worse.ipynb, cell 1, line 1: unknown type oda:Flaot")


# -- records ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["two_cells", "failing", "annotated"])
def test_record_conforms_and_round_trips(name):
    spec = read_notebook(NOTEBOOKS / f"{name}.ipynb", commit="3f2a9c1d5e7b8a0f")
    iri = URIRef(f"{BASE}workflows/{spec.slug}")
    graph = workflow_graph(spec, None, BASE, code_repository="https://github.com/skyweave/notebooks")
    report = validate(graph)
    assert report.conforms, report.text()
    assert (iri, RDF.type, WORKFLOW) in graph and (iri, RDF.type, PROV.Plan) in graph
    assert spec_from_graph(graph, iri) == dataclasses.replace(spec, notebook=None)
    # and through Turtle, as the store would hand it back
    reparsed = type(graph)().parse(data=graph.serialize(format="turtle"), format="turtle")
    assert spec_from_graph(reparsed, str(iri)) == dataclasses.replace(spec, notebook=None)


def test_record_contents():
    spec = read_notebook(NOTEBOOKS / "annotated.ipynb")
    iri = URIRef(f"{BASE}workflows/crab-spectrum-v2")
    graph = workflow_graph(spec, iri, BASE)
    assert graph.value(iri, SDO.version) == Literal("2.1")
    assert graph.value(iri, SDO.programmingLanguage) == Literal("Python")
    assert set(graph.objects(iri, SDO.citation)) == {URIRef(r) for r in spec.references}
    assert graph.value(iri, SW.commit) is None and graph.value(iri, SDO.codeRepository) is None
    assert {str(graph.value(c, SDO.name)) for c in graph.objects(iri, SDO.creator)} == {
        "Josiah Carberry", "Ada Lovelace"}
    ra = URIRef(f"{iri}#param-ra")
    assert ra in set(graph.objects(iri, SDO_INPUT))
    assert graph.value(ra, SDO.additionalType) == ODA.PointOfInterestRA
    assert graph.value(ra, ODA.unit) == ODA_UNIT.deg
    assert graph.value(ra, SDO.defaultValue).datatype == XSD.double
    assert graph.value(ra, SDO.valueRequired) == Literal(True)
    n_bins = URIRef(f"{iri}#param-n_bins")
    assert graph.value(n_bins, SDO.defaultValue) == Literal(10)
    assert graph.value(URIRef(f"{iri}#param-use_fit"), SDO.defaultValue) == Literal(True)
    model = URIRef(f"{iri}#param-model")
    assert graph.value(model, SDO.defaultValue) is None
    assert graph.value(model, SDO.valueRequired) == Literal(False)
    assert set(graph.objects(model, ODA.allowed_value)) == {Literal("pl"), Literal("ecpl")}
    assert graph.value(URIRef(f"{iri}#param-t2"), ODA["format"]) == Literal("mjd")
    png = URIRef(f"{iri}#output-spectrum_png")
    assert png in set(graph.objects(iri, SDO_OUTPUT))
    assert graph.value(png, SDO.additionalType) == ODA.ODAPictureProduct
    assert spec_from_graph(graph, iri).slug == "crab-spectrum-v2"


@pytest.mark.parametrize("version, commit, expected", [
    ("1.2", "3f2a9c1d5e7b", "1.2"),
    (None, "3f2a9c1d5e7b", "0+3f2a9c1"),
    (None, None, "0"),
])
def test_record_version(version, commit, expected):
    spec = dataclasses.replace(read_notebook(NOTEBOOKS / "failing.ipynb"), version=version, commit=commit)
    iri = URIRef(f"{BASE}workflows/failing")
    graph = workflow_graph(spec, iri)
    assert str(graph.value(iri, SDO.version)) == expected
    assert validate(graph).conforms
    assert spec_from_graph(graph, iri).version == version


def test_record_creators():
    spec = read_notebook(NOTEBOOKS / "failing.ipynb")  # no authors in its metadata
    iri = URIRef(f"{BASE}workflows/failing")
    graph = workflow_graph(spec, iri)
    (creator,) = graph.objects(iri, SDO.creator)
    assert isinstance(creator, BNode)
    assert str(graph.value(creator, SDO.name)) == DEFAULT_CREATOR
    assert spec_from_graph(graph, iri).authors == ()
    orcid = "https://orcid.org/0000-0002-1825-0097"
    graph = workflow_graph(spec, iri, creators=[{"name": "Josiah Carberry", "iri": orcid}, "B. Author"],
                           license="https://spdx.org/licenses/BSD-3-Clause")
    assert validate(graph).conforms
    assert URIRef(orcid) in set(graph.objects(iri, SDO.creator))
    assert set(spec_from_graph(graph, iri).authors) == {"Josiah Carberry", "B. Author"}


def test_local_code_repository_is_a_file_iri(tmp_path):
    spec = read_notebook(NOTEBOOKS / "two_cells.ipynb")
    iri = URIRef(f"{BASE}workflows/two-cells")
    graph = workflow_graph(spec, iri, code_repository=tmp_path)
    assert graph.value(iri, SDO.codeRepository) == URIRef(tmp_path.resolve().as_uri())
    assert validate(graph).conforms
    graph = workflow_graph(spec, iri, code_repository="https://github.com/skyweave/notebooks")
    assert graph.value(iri, SDO.codeRepository) == URIRef("https://github.com/skyweave/notebooks")


def test_record_needs_an_iri():
    spec = read_notebook(NOTEBOOKS / "two_cells.ipynb")
    with pytest.raises(ValueError, match="give the workflow's iri"):
        workflow_graph(spec)


def test_bad_commit_breaks_the_shape():
    spec = dataclasses.replace(read_notebook(NOTEBOOKS / "two_cells.ipynb"), commit="NOT-A-HASH")
    report = validate(workflow_graph(spec, None, BASE))
    assert not report.conforms
    assert any(r.path == str(SW.commit) for r in report.results)


def test_spec_from_graph_rejects_other_records():
    spec = read_notebook(NOTEBOOKS / "two_cells.ipynb")
    graph = workflow_graph(spec, None, BASE)
    with pytest.raises(ValueError, match="is not a schema:ComputationalWorkflow"):
        spec_from_graph(graph, f"{BASE}workflows/other")
    node = URIRef(f"{BASE}workflows/two-cells#param-n")
    graph.set((node, SDO.additionalType, ODA.Nonsense))
    with pytest.raises(ValueError, match="oda:Nonsense"):
        spec_from_graph(graph, f"{BASE}workflows/two-cells")


def test_annotation_error_pickles():
    import pickle

    error = pickle.loads(pickle.dumps(AnnotationError("nb/x.ipynb", 1, 2, "unknown type oda:Foo")))
    assert (error.cell, error.line, str(error)) == (1, 2, "x.ipynb, cell 1, line 2: unknown type oda:Foo")


def test_a_reference_that_is_neither_an_iri_nor_a_doi_is_kept_as_citation_text():
    """MMODA keeps any literal as ``oda:reference``; so does skyweave, as text (``schema:citation`` allows Text)."""
    spec = read_notebook(NOTEBOOKS / "text_reference.ipynb")
    assert spec.references == ("the 2023 paper",)
    iri = URIRef("http://example.org/workflows/text-ref-v1")
    graph = workflow_graph(spec, iri)
    assert list(graph.objects(iri, SDO.citation)) == [Literal("the 2023 paper")]
    assert spec_from_graph(graph, iri).references == spec.references


def test_iri_doi_and_text_references_side_by_side(tmp_path):
    path = write_notebook(tmp_path / "refs.ipynb", '# oda:reference "doi:10.5281/zenodo.1421099"\n'
                          '# oda:reference "https://example.org/paper"\n# oda:reference "github.com/someone/notes"\n'
                          'x = 1.0  # oda:Float')
    spec = read_notebook(path)
    assert spec.references == ("github.com/someone/notes", "https://doi.org/10.5281/zenodo.1421099",
                               "https://example.org/paper")
    iri = URIRef("http://example.org/workflows/refs-v1")
    cited = set(workflow_graph(spec, iri).objects(iri, SDO.citation))
    assert cited == {Literal("github.com/someone/notes"), URIRef("https://doi.org/10.5281/zenodo.1421099"),
                     URIRef("https://example.org/paper")}
