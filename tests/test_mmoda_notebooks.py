"""MMODA notebooks are catalogued unchanged (issue 12): every annotation form nb2workflow reads, the
oda-hub classes, the refusals with their location, the repository layouts, and runs with file,
JSON and resource parameters.

The notebooks are ours, in ``tests/data/notebooks/mmoda/`` (``make_notebooks.py`` writes them):
``forms/`` one per accepted form, ``refused/`` one per mistake, ``layouts/`` one per repository
layout, ``run/`` notebooks that are run. ``nb2workflow_readings.json`` holds nb2workflow 1.3.118's
reading of the forms, for comparison.

References
----------
.. [1] nb2workflow, https://github.com/oda-hub/nb2workflow
.. [2] oda-hub ontology (class IRIs), https://github.com/oda-hub/ontology
"""

import base64
import importlib.util
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from skyweave.catalog.exceptions import NotConfigured
from skyweave.catalog.resources import bundled
from skyweave.catalog.validate import validate
from skyweave.catalog.vocab import ODA, ODA_UNIT, SDO, SW
from skyweave.runners.annotations import AnnotationError, read_notebook
from skyweave.runners.describe import spec_from_graph, workflow_graph
from skyweave.runners.oda import KNOWN_TYPES, OUTPUT_TYPES, PARAMETER_TYPES, curie
from skyweave.runners.repository import read_repository, test_notebooks as find_test_notebooks

from .conftest import BASE, close_app, make_app
from .workflow_repo import wait_for

MMODA = Path(__file__).parent / "data" / "notebooks" / "mmoda"
ODA_HUB_CLASSES = Path(__file__).parent / "data" / "oda_hub_classes.txt"
_spec = importlib.util.spec_from_file_location("make_notebooks", MMODA / "make_notebooks.py")
make_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_notebooks)


def form(name):
    spec = read_notebook(MMODA / "forms" / f"{name}.ipynb")
    return {p.name: p for p in spec.parameters}, spec


# -- the classes --------------------------------------------------------------------------------

def test_every_class_we_declare_is_an_oda_hub_class():
    listed = {line.strip() for line in ODA_HUB_CLASSES.read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    graph = Graph().parse(bundled("ontology") / "oda-classes.ttl")
    declared = {str(c) for c in graph.subjects(RDF.type, OWL.Class)}
    assert declared and declared <= listed, sorted(declared - listed)
    for invented in ("LightCurveList", "StopTimeISOT", "ODAImage", "ODASpectrum", "ODALightCurve"):
        assert str(ODA[invented]) not in declared | listed
    # Every superclass named is itself declared: the hierarchy is closed.
    assert {str(o) for o in graph.objects(None, RDFS.subClassOf)} <= declared


def test_classes_carry_their_place_unit_and_format():
    info = KNOWN_TYPES
    assert info[ODA.Energy_keV].unit == "keV" and ODA.Energy in info[ODA.Energy_keV].parents
    assert info[ODA.AngleArcsec].unit == "arcsec" and info[ODA.AngleArcsec].kind == "angle"
    assert info[ODA.TimeIntervalDays].unit == "day" and info[ODA.TimeIntervalDays].kind == "interval"
    assert info[ODA.PointOfInterestRA].kind == "ra" and ODA.RightAscensionDegrees in info[ODA.PointOfInterestRA].parents
    assert (info[ODA.StartTimeISOT].kind, info[ODA.StartTimeISOT].format) == ("time", "isot")
    assert (info[ODA.EndTimeMJD].format, info[ODA.EndTimeMJD].python_type) == ("mjd", str)  # float by python_type_for
    assert (info[ODA.POSIXPath].kind, info[ODA.FileURL].kind) == ("file", "url")
    assert info[ODA.StructuredParameter].kind == "json"
    outputs = {curie(t) for t in OUTPUT_TYPES}
    assert {"oda:LightCurve", "oda:Spectrum", "oda:Image", "oda:ODAPictureProduct", "oda:ODAAstropyTable",
            "oda:ODATextProduct", "oda:ODABinaryProduct", "oda:WorkflowResultComment"} <= outputs
    assert ODA.LightCurve not in PARAMETER_TYPES and ODA.POSIXPath not in OUTPUT_TYPES


# -- the forms MMODA writes (one test each) ----------------------------------------------------------

def test_optional_in_every_form():
    params, _ = form("optional")
    assert {n: (curie(p.type_iri), p.optional, p.default) for n, p in params.items()} == {
        "a": ("oda:Float", True, 1.0),      # oda:Float, oda:optional
        "b": ("oda:Integer", True, 2),      # oda:optional true
        "c": ("oda:Float", True, None),     # float | None
        "d": ("oda:Float", True, 3.0),      # oda:optional alone: the type from the default
        "e": ("oda:String", True, "x"),     # bare full IRIs in a type list
    }


def test_time_formats_as_iris_and_classes():
    params, _ = form("time_formats")
    read = {n: (p.format, p.python_type, p.default) for n, p in params.items()}
    assert read == {
        "t1": ("isot", str, "2020-01-01T00:00:00"), "t2": ("mjd", float, 58850.0),
        "t3": ("isot", str, "2020-01-01T00:00:00"), "t4": ("mjd", float, 58851.5),
        "t5": ("isot", str, "2020-01-01T12:00:00"), "t6": ("mjd", float, 58849.0),
    }


def test_numbers_with_a_bare_trailing_dot_and_a_closing_dot():
    params, _ = form("bare_dot")
    assert (params["x"].default, params["x"].lower, params["x"].upper) == (1.0, 0.0, 10.0)
    assert (params["n"].lower, params["n"].upper) == (1, 10)


def test_predicates_only_take_the_type_from_the_default():
    params, _ = form("predicates_only")
    assert (curie(params["n_bins"].type_iri), params["n_bins"].label) == ("oda:Integer", "Number of bins")
    assert (curie(params["mode"].type_iri), params["mode"].allowed) == ("oda:String", ("fast", "slow"))
    assert (params["mode"].description, params["scale"].lower, params["scale"].upper) == ("How hard to try", 0.0, 1.0)


def test_full_iris_bare_and_bracketed():
    params, _ = form("full_iris")
    assert [curie(p.type_iri) for p in params.values()] == [
        "oda:PointOfInterestRA", "oda:PointOfInterestDEC", "oda:Energy_keV"]
    assert (params["e_min"].lower, params["e_min"].unit) == (0.5, ODA_UNIT.keV)


def test_limits_pair():
    params, _ = form("limits")
    assert (params["threshold"].lower, params["threshold"].upper) == (1.0, 10.0)
    assert (params["width"].lower, params["width"].upper) == (0.5, 10.0)  # given high first


def test_notebook_level_lines_and_resources_are_kept_in_the_record():
    _, spec = form("notebook_level")
    assert (spec.version, spec.references) == ("1.2", ("https://doi.org/10.1051/0004-6361/202346488",))
    assert spec.token_access == str(ODA.InOdaContext)
    assert [(curie(r.iri), curie(r.type_iri), r.env_var, r.required) for r in spec.resources] == [
        ("oda:MyS3", "oda:S3", "SKYWEAVE_TEST_S3", True),
        ("oda:ScratchS3", "oda:S3", "SKYWEAVE_TEST_SCRATCH", False)]
    iri = URIRef(BASE + "workflows/notebook-level-v1")
    graph = workflow_graph(spec, iri)
    assert validate(graph).conforms
    assert (iri, ODA.usesRequiredResource, ODA.MyS3) in graph
    assert (ODA.MyS3, ODA.resourceBindingEnvVarName, Literal("SKYWEAVE_TEST_S3")) in graph
    back = spec_from_graph(graph, iri)
    assert (back.resources, back.token_access) == (spec.resources, spec.token_access)


def test_outputs_without_annotation_and_bare_names():
    _, spec = form("outputs")
    assert [(o.name, o.type_iri and curie(o.type_iri)) for o in spec.outputs] == [
        ("data", None), ("result", None), ("picture", "oda:ODAPictureProduct"),
        ("table", "oda:ODAAstropyTable"), ("curve", "oda:LightCurve"), ("spectrum", "oda:Spectrum"),
        ("image", "oda:Image"), ("text_product", "oda:ODATextProduct"), ("binary", "oda:ODABinaryProduct"),
        ("comment", "oda:WorkflowResultComment")]
    iri = URIRef(BASE + "workflows/outputs-v1")
    graph = workflow_graph(spec, iri)
    report = validate(graph)
    assert report.conforms, report.results
    untyped = URIRef(f"{iri}#output-result")
    assert graph.value(untyped, SDO.additionalType) is None
    assert [o.type_iri for o in spec_from_graph(graph, iri).outputs] == [o.type_iri for o in spec.outputs]


def _round_trip(spec):
    iri = URIRef(BASE + f"workflows/{spec.slug}-v1")
    graph = workflow_graph(spec, iri)
    assert validate(graph).conforms
    return spec_from_graph(graph, iri).parameters


def test_unit_classes_alone_or_beside_a_numeric_type():
    params, spec = form("unit_classes")
    read = {n: (curie(p.type_iri), p.python_type, p.unit, p.lower) for n, p in params.items()}
    assert read == {"e_ref": ("oda:keV", float, ODA_UNIT.keV, None), "exposure": ("oda:Float", float, ODA_UNIT.s, None),
                    "box": ("oda:Integer", int, ODA_UNIT.arcmin, 1), "distance": ("oda:kpc", float, ODA_UNIT.kpc, 0.0)}
    assert {p.name: (curie(p.type_iri), p.python_type, p.unit, p.lower) for p in _round_trip(spec)} == read


def test_number_and_coordinate_classes_of_the_ontology_carry_their_unit_and_kind():
    """Energy in eV, frequency, distance, wavelength, hours, arcseconds, RA and Dec in degrees: oda-hub classes
    that the notebooks we first read did not use, which were refused as unknown types."""
    import astropy.units as u

    from skyweave.runners.params import astropy_unit

    params, spec = form("unit_types")
    read = {n: (curie(p.type_iri), p.python_type, p.unit, p.lower) for n, p in params.items()}
    assert read == {
        "e_min": ("oda:Energy_eV", float, ODA_UNIT.eV, None), "nu": ("oda:FrequencyGHz", float, ODA_UNIT.GHz, None),
        "d_l": ("oda:Distance_Mpc", float, ODA_UNIT.Mpc, None), "lam": ("oda:Wavelength_nm", float, ODA_UNIT.nm, None),
        "window": ("oda:TimeIntervalHours", float, ODA_UNIT.hour, 0.0),
        "radius": ("oda:AngleSeconds", float, ODA_UNIT.arcsec, None),
        "ra": ("oda:RightAscensionDegrees", float, ODA_UNIT.deg, None),
        "dec": ("oda:DeclinationDegrees", float, ODA_UNIT.deg, None)}
    assert {p.name: (curie(p.type_iri), p.python_type, p.unit, p.lower) for p in _round_trip(spec)} == read
    assert {n: KNOWN_TYPES[p.type_iri].kind for n, p in params.items()} == {
        "e_min": "energy", "nu": "float", "d_l": "float", "lam": "float", "window": "interval", "radius": "angle",
        "ra": "ra", "dec": "dec"}
    assert (2.0 * astropy_unit(ODA_UNIT.hour)).to_value(u.s) == 7200.0
    assert (1.4 * astropy_unit(ODA_UNIT.GHz)).to_value(u.Hz) == pytest.approx(1.4e9)
    assert (550.0 * astropy_unit(ODA_UNIT.nm)).to_value(u.micron) == pytest.approx(0.55)


def test_classes_with_limits_or_allowed_values_of_their_own_bound_their_parameters():
    """An oda:ISGRIEnergy is an energy in [15, 800] keV, an oda:VisibleBand one of b, g, r, v: a parameter of
    the class keeps those bounds, and its own annotation may narrow them (never widen: refused notebooks)."""
    params, spec = form("class_limits")
    read = {n: (curie(p.type_iri), p.lower, p.upper, p.allowed) for n, p in params.items()}
    assert read == {"e_min": ("oda:ISGRIEnergy", 15.0, 800.0, ()), "e_max": ("oda:JEMXEnergy", 3.0, 25.0, ()),
                    "share": ("oda:Percentage", 0.0, 100.0, ()), "band": ("oda:VisibleBand", None, None, ("b", "g", "r", "v")),
                    "colour": ("oda:VisibleBand", None, None, ("g", "r"))}
    assert {p.name: (curie(p.type_iri), p.lower, p.upper, p.allowed) for p in _round_trip(spec)} == read
    assert params["e_min"].unit == ODA_UNIT.keV
    from skyweave.runners.params import ParameterErrors, check_values

    assert check_values(spec, {"e_min": "0.5 MeV"})["e_min"] == pytest.approx(500.0)  # in keV, inside [15, 800]
    for name, value in (("e_min", "900"), ("share", "120"), ("band", "u")):
        with pytest.raises(ParameterErrors, match=name):
            check_values(spec, {name: value})


def test_unannotated_list_and_dict_defaults_are_structured_parameters():
    params, spec = form("structured_unannotated")
    read = {n: (curie(p.type_iri), p.python_type, p.default) for n, p in params.items()}
    assert read == {
        "windows": ("oda:StructuredParameter", dict, [[0.0, 1.5], [3.0, 4.5]]),
        "weights": ("oda:StructuredParameter", dict, {"fermi": 0.7, "swift": 0.3}),
    }
    assert {p.name: (curie(p.type_iri), p.python_type, p.default) for p in _round_trip(spec)} == read


def test_boolean_allowed_values_written_as_text_are_booleans():
    params, spec = form("boolean_allowed_text")
    read = [(p.type_iri, p.allowed, p.default) for p in params.values()]
    assert read == [(ODA.Boolean, (False, True), True), (ODA.Boolean, (False, True), False)]
    assert [(p.type_iri, p.allowed, p.default) for p in _round_trip(spec)] == read


def test_outputs_typed_with_parameter_classes_are_values_in_their_unit():
    _, spec = form("value_outputs")
    read = [(o.name, curie(o.type_iri), o.unit_text, o.label) for o in spec.outputs]
    assert read == [("target", "oda:AstrophysicalObject", None, None), ("peak_time", "oda:TimeInstantMJD", None, None),
                    ("band_used", "oda:PhotometricBand", None, None), ("e_peak", "oda:Energy_TeV", "TeV", None),
                    ("offset", "oda:AngleArcsec", "arcsec", "Offset from the source")]
    iri = URIRef(BASE + "workflows/value-outputs-v1")
    graph = workflow_graph(spec, iri)
    assert validate(graph).conforms and spec_from_graph(graph, iri).outputs == spec.outputs


def test_a_notebook_without_a_parameters_cell_is_a_workflow_without_parameters():
    params, spec = form("no_parameters")
    assert params == {} and [(o.name, o.type_iri) for o in spec.outputs] == [("n_sources", ODA.Integer)]
    assert _round_trip(spec) == ()
    with pytest.raises(AnnotationError) as info:  # unless its parameters cell was left untagged
        read_notebook(MMODA / "refused" / "untagged_parameters.ipynb")
    assert (info.value.cell, info.value.line) == (1, 1) and "tag it 'parameters'" in str(info.value)


def test_parameter_types_of_the_oda_hub_ontology():
    params, spec = form("types")
    assert {n: curie(p.type_iri) for n, p in params.items()}["events"] == "oda:POSIXPath"
    assert params["config"].default == {"bins": 3, "names": ["a", "b"]}
    assert params["band"].allowed == ("g", "i", "r")
    assert (params["radius"].unit, params["window"].unit) == (ODA_UNIT.arcsec, ODA_UNIT.day)
    iri = URIRef(BASE + "workflows/types-v1")
    graph = workflow_graph(spec, iri)
    assert validate(graph).conforms
    back = {p.name: p for p in spec_from_graph(graph, iri).parameters}
    assert back["config"].default == {"bins": 3, "names": ["a", "b"]}  # rdf:JSON round trip
    assert {n: p.type_iri for n, p in back.items()} == {n: p.type_iri for n, p in params.items()}


# -- nb2workflow's reading ---------------------------------------------------------------------------

READINGS = json.loads((MMODA / "nb2workflow_readings.json").read_text())


@pytest.mark.parametrize("notebook", sorted(k for k in READINGS if not k.startswith("_")))
def test_same_reading_as_nb2workflow(notebook):
    params, _ = form(notebook)
    for name, theirs in READINGS[notebook].items():
        ours = params[name]
        if "differs" in theirs:  # nb2workflow is wrong here; skyweave reads the annotation as written
            continue
        assert curie(ours.type_iri) == theirs["type"], name
        assert ours.default == theirs["default"], name
        assert (ours.lower, ours.upper) == (theirs["lower_limit"], theirs["upper_limit"]), name
        text = (lambda v: str(v).lower()) if ours.python_type is bool else str  # "true" is True
        assert sorted(map(text, ours.allowed)) == sorted(map(text, theirs["allowed_value"])), name
        if theirs["format"]:
            assert ours.format == theirs["format"].split(":")[1].lower(), name


def test_where_nb2workflow_is_wrong_we_read_what_is_written():
    differs = {(nb, name) for nb, rows in READINGS.items() if not nb.startswith("_")
               for name, r in rows.items() if "differs" in r}
    assert differs == {("full_iris", "dec"), ("full_iris", "e_min"), ("optional", "d"),
                       ("structured_unannotated", "windows"), ("structured_unannotated", "weights")}
    params, _ = form("full_iris")
    assert params["dec"].type_iri == ODA.PointOfInterestDEC and params["e_min"].lower == 0.5


# -- refusals, with notebook, cell and line ----------------------------------------------------------

@pytest.mark.parametrize("name", sorted(make_notebooks.REFUSED))
def test_refused_with_its_location(name):
    _, _, cell, line, fragment = make_notebooks.REFUSED[name]
    with pytest.raises(AnnotationError) as info:
        read_notebook(MMODA / "refused" / f"{name}.ipynb")
    error = info.value
    assert (Path(error.notebook).name, error.cell, error.line) == (f"{name}.ipynb", cell, line)
    assert str(error).startswith(f"{name}.ipynb, cell {cell}, line {line}: ") and fragment in str(error)


# -- repository layouts -----------------------------------------------------------------------------

def test_layout_notebooks_at_the_root():
    repo = read_repository(MMODA / "layouts" / "plain")
    assert [s.slug for s in repo] == ["sky-check"] and repo.refused == []
    assert [p.name for p in find_test_notebooks(MMODA / "layouts" / "plain")] == ["test_sky_check.ipynb"]


def test_layout_with_mmoda_yaml_and_environment_files():
    repo = read_repository(MMODA / "layouts" / "configured")
    [spec] = repo
    assert spec.slug == "flux-map"  # notebook_path, and filename_pattern 'flux_.*' as a regex
    assert spec.extra_data == ("data/lookup.csv",)
    assert [name for name, _ in spec.files] == [
        "requirements.txt", "environment.yml", "mmoda_help_page.md", "acknowledgements.md"]
    iri = URIRef(BASE + "workflows/flux-map-v1")
    graph = workflow_graph(spec, iri)
    assert "astropy>=6.0" in str(graph.value(iri, SW.requirements))
    assert (iri, SW.extraData, Literal("data/lookup.csv")) in graph
    assert spec_from_graph(graph, iri).files == spec.files


def test_layout_one_bad_notebook_beside_good_ones():
    repo = read_repository(MMODA / "layouts" / "mixed")
    assert [s.slug for s in repo] == ["good-one"]
    assert [str(e) for e in repo.refused] == [
        "bad_one.ipynb, cell 1, line 2: unknown annotation term oda:allowed_values on y; use oda:allowed_value, "
        "oda:description, oda:format, oda:group, oda:label, oda:limits, oda:lower_limit, oda:optional, oda:unit, "
        "oda:upper_limit"]


# -- registering and running -------------------------------------------------------------------------

@pytest.fixture
def mmoda_app(small_records, tmp_path):
    app = make_app(small_records, DATA_DIR=str(tmp_path / "data"), RUN_TIMEOUT_S=60, RUNNER_WORKERS=1)
    yield app
    close_app(app)


def test_add_reports_refusals_on_the_repository_page_and_in_its_exit_status(mmoda_app, tmp_path, monkeypatch):
    from skyweave.catalog.cli import cli

    repo = shutil.copytree(MMODA / "layouts" / "mixed", tmp_path / "mixed")
    monkeypatch.setenv("SKYWEAVE_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("SKYWEAVE_BASE_IRI", BASE)
    result = CliRunner().invoke(cli, ["add", str(repo)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "good-one-v1" in result.output
    assert "refused  bad_one.ipynb, cell 1, line 2: unknown annotation term oda:allowed_values" in result.output

    from skyweave.runners.registry import register

    jobs = mmoda_app.extensions["jobs"]
    outcome = register(str(repo), mmoda_app.extensions["store"], BASE, mmoda_app.config["DATA_DIR"], None, jobs.env)
    assert [r.slug for r in outcome] == ["good-one"] and len(outcome.refused) == 1
    page = mmoda_app.test_client().get("/repositories/mixed", headers={"Accept": "text/html"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "bad_one.ipynb, cell 1, line 2" in text and "/workflows/good-one-v1" in text
    assert "Refused notebooks" in text and ">Notebook repositories</a>" in text
    listing = mmoda_app.test_client().get("/repositories/", headers={"Accept": "application/json"}).json
    assert "/repositories/mixed" in {r["href"] for r in listing["rows"]}


def test_run_with_an_uploaded_file_json_and_a_select(mmoda_app, tmp_path):
    from skyweave.runners.registry import register

    repo = shutil.copytree(MMODA / "run", tmp_path / "run")
    register(str(repo), mmoda_app.extensions["store"], BASE, mmoda_app.config["DATA_DIR"], None,
             mmoda_app.extensions["jobs"].env)
    client = mmoda_app.test_client()
    page = client.get("/workflows/count-lines-v1", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page and "Event list" in page
    assert '<option value="g"' in page and "<textarea" in page
    events = base64.b64encode(b"a\nb\nc\n").decode()
    response = client.post("/workflows/count-lines-v1/runs", headers={"Accept": "application/json"}, json={
        "parameters": {"events": {"filename": "events.txt", "content_base64": events},
                       "config": '{"scale": 5}', "band": "g"}})
    assert response.status_code == 303, response.get_data(as_text=True)
    status = wait_for(client, response.headers["Location"])
    assert status["phase"] == "COMPLETED", status
    assert status["values"]["n_scaled"] == 15 and status["values"]["band_used"] == "g"
    [summary] = [r for r in status["results"] if r["output"] == "summary_path"]
    assert client.get(summary["file"]).get_data() == b"g: 15\n"
    token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)  # the form's CSRF token
    form = client.post("/workflows/count-lines-v1/runs", content_type="multipart/form-data", data={
        "events": (io.BytesIO(b"x\ny\n"), "two.txt"), "config": '{"scale": 1}', "band": "r", "_csrf": token})
    assert form.status_code == 303
    status = wait_for(client, form.headers["Location"])
    assert (status["phase"], status["values"]["n_scaled"]) == ("COMPLETED", 2), status
    bad = client.post("/workflows/count-lines-v1/runs", headers={"Accept": "application/json"},
                      json={"parameters": {"band": "z", "config": "{not json"}})
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json["errors"]} >= {"band", "config"}


def test_run_a_workflow_without_parameters_whose_outputs_are_typed_with_parameter_classes(mmoda_app, tmp_path):
    from skyweave.runners.registry import register

    repo = shutil.copytree(MMODA / "run_values", tmp_path / "run_values")
    outcome = register(str(repo), mmoda_app.extensions["store"], BASE, mmoda_app.config["DATA_DIR"], None,
                       mmoda_app.extensions["jobs"].env)
    assert [r.slug for r in outcome] == ["burst-summary"] and not outcome.refused
    client = mmoda_app.test_client()
    page = client.get("/workflows/burst-summary-v1", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<form" in page.get_data(as_text=True)
    response = client.post("/workflows/burst-summary-v1/runs", headers={"Accept": "application/json"},
                           json={"parameters": {}})
    assert response.status_code == 303, response.get_data(as_text=True)
    status = wait_for(client, response.headers["Location"])
    assert status["phase"] == "COMPLETED", status
    assert (status["values"]["target"], status["values"]["peak_time"], status["values"]["e_max"]) == (
        "GRB 221009A", 59861.55, 18.0)
    units = {q["name"]: q["unit"] for q in status["quantities"]}
    assert units == {"target": None, "peak_time": None, "e_max": "TeV"}  # oda:Energy_TeV gives its unit


def test_a_missing_required_resource_stops_the_run_with_a_clear_error(mmoda_app, tmp_path, monkeypatch):
    from skyweave.runners.registry import register

    repo = shutil.copytree(MMODA / "run", tmp_path / "run")
    register(str(repo), mmoda_app.extensions["store"], BASE, mmoda_app.config["DATA_DIR"], None,
             mmoda_app.extensions["jobs"].env)  # registration does not need the resource
    monkeypatch.delenv("SKYWEAVE_TEST_ARCHIVE_S3", raising=False)
    jobs = mmoda_app.extensions["jobs"]
    with pytest.raises(NotConfigured, match="requires the resource oda:ArchiveS3: set the environment variable "
                                            "SKYWEAVE_TEST_ARCHIVE_S3"):
        jobs.submit(BASE + "workflows/needs-storage-v1", {})
    response = mmoda_app.test_client().post("/workflows/needs-storage-v1/runs", json={"parameters": {}},
                                            headers={"Accept": "application/json"})
    assert response.status_code >= 400 and "SKYWEAVE_TEST_ARCHIVE_S3" in response.get_data(as_text=True)
    monkeypatch.setenv("SKYWEAVE_TEST_ARCHIVE_S3", "s3://bucket")
    status = wait_for(mmoda_app.test_client(), "/" + jobs.submit(BASE + "workflows/needs-storage-v1", {}).run_iri[len(BASE):])
    assert status["phase"] == "COMPLETED", status


def _files(folder):
    return sorted((str(p), p.stat().st_size) for p in Path(folder).rglob("*") if p.is_file())


def test_uploads_count_in_the_result_storage_quota(mmoda_app, tmp_path):
    """Uploaded run inputs are stored with the results: over the quota they are refused, and nothing changes
    (issue 8, https://skyweave.org/issues/8)."""
    from skyweave.runners.limits import folder_bytes
    from skyweave.runners.registry import register

    repo = shutil.copytree(MMODA / "run", tmp_path / "run")
    register(str(repo), mmoda_app.extensions["store"], BASE, mmoda_app.config["DATA_DIR"], None,
             mmoda_app.extensions["jobs"].env)
    client, store = mmoda_app.test_client(), mmoda_app.extensions["store"]
    limits = mmoda_app.extensions["jobs"].limits
    files_dir = Path(mmoda_app.config["DATA_DIR"]) / "files"
    limits.storage_bytes, limits._measured = folder_bytes(files_dir) + 3000, -1e9
    page = client.get("/workflows/count-lines-v1", headers={"Accept": "text/html"}).get_data(as_text=True)
    token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    before, files_before = store.dump(), _files(files_dir)

    def as_json(data, name="events.txt"):
        return client.post("/workflows/count-lines-v1/runs", headers={"Accept": "application/json"}, json={
            "parameters": {"events": {"filename": name, "content_base64": base64.b64encode(data).decode()},
                           "config": '{"scale": 1}', "band": "g"}})

    def as_form(data):
        return client.post("/workflows/count-lines-v1/runs", content_type="multipart/form-data",
                           headers={"Accept": "application/json"},
                           data={"events": (io.BytesIO(data), "big.txt"), "config": '{"scale": 1}', "band": "g",
                                 "_csrf": token})

    too_big = b"x" * (limits.storage_bytes + 1)  # more than the whole quota
    for send in (as_json, as_form):
        refused = send(too_big)
        assert refused.status_code == 413 and "RESULT_STORAGE_MAX_BYTES" in refused.json["detail"]
        assert store.dump() == before and _files(files_dir) == files_before
    fits = as_json(b"a\n" * 1000)  # 2000 bytes of the 3000 left
    assert fits.status_code == 303
    assert wait_for(client, fits.headers["Location"])["phase"] == "COMPLETED"
    before, files_before = store.dump(), _files(files_dir)
    for send in (as_json, as_form):
        refused = send(b"b\n" * 1000)  # another 2000 bytes: over what is left
        assert refused.status_code == 507 and "RESULT_STORAGE_MAX_BYTES" in refused.json["detail"]
        assert store.dump() == before and _files(files_dir) == files_before
