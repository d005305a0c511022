"""Tests of checking and normalising run parameter values (`runners.params`) with astropy.

References
----------
.. [1] nb2workflow parameter types, https://github.com/oda-hub/nb2workflow
.. [2] astropy units, angles and times, https://docs.astropy.org/en/stable/
"""

import json
import pathlib

import pytest
from rdflib import URIRef

from skyweave.catalog.vocab import ODA, ODA_UNIT
from skyweave.runners.annotations import ParameterSpec, WorkflowSpec, read_notebook
from skyweave.runners.describe import spec_from_graph, workflow_graph
from skyweave.runners.params import ParameterErrors, astropy_unit, check_values, normalised_key

NOTEBOOKS = pathlib.Path(__file__).parent / "data" / "notebooks"


def make_spec(*parameters):
    return WorkflowSpec("w", "W", None, None, (), tuple(parameters), (), None, None)


def one(param, value):
    """Check one value of a one-parameter spec and return its normalised value."""
    return check_values(make_spec(param), {param.name: value})[param.name]


def errors_of(spec, values, **kwargs):
    with pytest.raises(ParameterErrors) as info:
        check_values(spec, values, **kwargs)
    return dict(info.value.errors)


RADIUS = ParameterSpec("radius", 0.1, ODA.Angle, float, unit=ODA_UNIT.deg, lower=0.0, upper=2.0)
RA = ParameterSpec("ra", 83.633, ODA.PointOfInterestRA, float, unit=ODA_UNIT.deg)
DEC = ParameterSpec("dec", 22.0145, ODA.PointOfInterestDEC, float, unit=ODA_UNIT.deg)
ENERGY = ParameterSpec("e_min", 50.0, ODA.Energy_keV, float, unit=ODA_UNIT.keV, lower=35.0, upper=5000.0)
T1 = ParameterSpec("t1", "2004-12-04T22:00:00", ODA.StartTime, str, format="isot")
T2 = ParameterSpec("t2", "2004-12-05T22:00:00", ODA.EndTime, str, format="isot")
TARGET = ParameterSpec("source", "Crab Nebula", ODA.AstrophysicalObject, str)


@pytest.fixture(scope="module")
def annotated():
    return read_notebook(NOTEBOOKS / "annotated.ipynb")


def test_defaults_are_normalised(annotated):
    values = check_values(annotated, {})
    assert values == {
        "source_name": "Crab Nebula", "ra": 83.633, "dec": 22.0145, "radius": 3.0, "energy": 50.0,
        "t1": "2004-12-04T22:00:00.000", "t2": 53345.0, "model": None, "use_fit": True, "n_bins": 10,
        "data_url": "https://example.org/data.fits",
    }
    assert list(values) == [p.name for p in annotated.parameters]


def test_spec_from_the_store_checks_alike(annotated):
    graph = workflow_graph(annotated, None, "http://x/")
    stored = spec_from_graph(graph, URIRef("http://x/workflows/annotated"))
    given = {"radius": "0.5 deg", "t2": "2004-12-06T00:00:00", "model": "pl"}
    assert check_values(stored, given) == check_values(annotated, given)


@pytest.mark.parametrize("value, expected", [
    ("30 arcmin", 0.5), ("0.5", 0.5), (0.5, 0.5), (1, 1.0), ("1800 arcsec", 0.5), ("0d30m", 0.5),
    ("  1.5 deg ", 1.5),
])
def test_angles_convert_to_the_parameter_unit(value, expected):
    assert one(RADIUS, value) == pytest.approx(expected)


def test_angle_in_arcmin_parameter():
    radius = ParameterSpec("radius", 3.0, ODA.Angle, float, unit=ODA_UNIT.arcmin, upper=60.0)
    assert one(radius, "0.5 deg") == pytest.approx(30.0)
    assert one(radius, "12") == 12.0
    message = errors_of(make_spec(radius), {"radius": "2 deg"})["radius"]
    assert message == "got '2 deg' = 120 arcmin; allowed: <= 60 arcmin"


@pytest.mark.parametrize("value, expected", [
    ("1 MeV", 1000.0), ("100", 100.0), (100, 100.0), ("0.002 GeV", 2000.0), ("1e3 keV", 1000.0),
])
def test_energies(value, expected):
    assert one(ENERGY, value) == pytest.approx(expected)


@pytest.mark.parametrize("value, fragment", [
    ("1 TeV", "got '1 TeV' = 1e+09 keV; allowed: [35, 5000] keV"),
    ("10", "got 10 keV; allowed: [35, 5000] keV"),
    ("3 deg", "expected energy/torque/work in keV"),
    ("lots", "got 'lots'; expected a number in keV"),
    (True, "expected a number"),
    ([1], "expected a number or a string"),
    ("nan", "expected a finite number"),
])
def test_energy_errors(value, fragment):
    assert fragment in errors_of(make_spec(ENERGY), {"e_min": value})["e_min"]


@pytest.mark.parametrize("value, expected", [
    ("5h34m31.9s", 83.6329166667), ("05:34:31.9", 83.6329166667), ("05 34 31.9", 83.6329166667),
    ("83.633", 83.633), (0, 0.0), ("359.9 deg", 359.9), ("5.5h", 82.5),
])
def test_ra(value, expected):
    assert one(RA, value) == pytest.approx(expected)


@pytest.mark.parametrize("value, expected", [
    ("-22:00:52", -22.0144444444), ("+22d00m52s", 22.0144444444), ("-90", -90.0), (90, 90.0),
])
def test_dec(value, expected):
    assert one(DEC, value) == pytest.approx(expected)


@pytest.mark.parametrize("name, value, message", [
    ("ra", "360", "got 360 deg; allowed: [0, 360) deg"),
    ("ra", -1, "got -1 deg; allowed: [0, 360) deg"),
    ("ra", "25h", "got '25h' = 375 deg; allowed: [0, 360) deg"),
    ("dec", "91", "got 91 deg; allowed: [-90, 90] deg"),
    ("dec", "-90.5 deg", "got '-90.5 deg' = -90.5 deg; allowed: [-90, 90] deg"),
])
def test_position_ranges(name, value, message):
    assert errors_of(make_spec(RA, DEC), {name: value}) == {name: message}


@pytest.mark.parametrize("value, expected", [
    ("2004-12-04T22:00:00", "2004-12-04T22:00:00.000"),
    ("2004-12-04 22:00:00", "2004-12-04T22:00:00.000"),
    ("2004-12-04T22:00:00Z", "2004-12-04T22:00:00.000"),
    (53343.9, "2004-12-04T21:36:00.000"),
    ("53343.9", "2004-12-04T21:36:00.000"),
    ("2300-01-01T00:00:00", "2300-01-01T00:00:00.000"),  # a "dubious year" for ERFA: no warning escapes
])
def test_times_as_isot(value, expected):
    assert one(T1, value) == expected


def test_times_as_mjd():
    t = ParameterSpec("t", 53343.0, ODA.TimeInstant, float, format="mjd")
    assert one(t, "2004-12-04T12:00:00") == pytest.approx(53343.5)
    assert one(t, 53343.25) == 53343.25


@pytest.mark.parametrize("value", ["yesterday", "2004-13-45T00:00:00", True, "inf"])
def test_bad_times(value):
    assert "expected a UTC time as ISOT" in errors_of(make_spec(T1), {"t1": value})["t1"]


def test_start_before_end():
    spec = make_spec(T1, T2)
    assert check_values(spec, {"t2": "2004-12-06"})["t2"] == "2004-12-06T00:00:00.000"
    errors = errors_of(spec, {"t1": "2004-12-06T00:00:00", "t2": 53344.0})
    assert errors == {"t2": "got 2004-12-05T00:00:00.000 (UTC); it must be after the start time "
                            "t1 = 2004-12-06T00:00:00.000"}
    assert "t2" in errors_of(spec, {"t1": "2004-12-05T22:00:00"})  # equal times are no interval


@pytest.mark.parametrize("value, expected", [
    ("true", True), ("False", False), ("1", True), ("0", False), (True, True), (0, False), ("yes", True),
])
def test_booleans(value, expected):
    flag = ParameterSpec("flag", False, ODA.Boolean, bool)
    assert one(flag, value) is expected


@pytest.mark.parametrize("value", ["maybe", 2, 1.5, None])
def test_bad_booleans(value):
    flag = ParameterSpec("flag", False, ODA.Boolean, bool)
    errors = errors_of(make_spec(flag), {"flag": value})
    assert "flag" in errors


@pytest.mark.parametrize("value, expected", [("12", 12), (12, 12), (12.0, 12), (" 7 ", 7), ("1e1", 10)])
def test_integers(value, expected):
    n = ParameterSpec("n", 3, ODA.Integer, int, lower=1, upper=20)
    assert one(n, value) == expected and isinstance(one(n, value), int)


@pytest.mark.parametrize("value, message", [
    ("1.5", "got '1.5'; expected an integer"),
    (True, "got True; expected an integer"),
    ("0", "got 0; allowed: [1, 20]"),
    (21, "got 21; allowed: [1, 20]"),
])
def test_integer_errors(value, message):
    n = ParameterSpec("n", 3, ODA.Integer, int, lower=1, upper=20)
    assert errors_of(make_spec(n), {"n": value}) == {"n": message}


def test_allowed_values():
    model = ParameterSpec("model", "pl", ODA.String, str, allowed=("ecpl", "pl"))
    assert one(model, "ecpl") == "ecpl"
    assert errors_of(make_spec(model), {"model": "lp"}) == {"model": "got 'lp'; allowed: 'ecpl', 'pl'"}
    bins = ParameterSpec("e", 1.0, ODA.Energy_TeV, float, unit=ODA_UNIT.TeV, allowed=(1.0, 10.0))
    assert one(bins, "1000 GeV") == pytest.approx(1.0)
    assert errors_of(make_spec(bins), {"e": 5}) == {"e": "got 5; allowed: 1.0, 10.0 TeV"}


def test_strings_and_urls():
    text = ParameterSpec("text", "", ODA.String, str)
    assert one(text, "") == ""
    assert one(text, " a b ") == " a b "
    assert "expected a string" in errors_of(make_spec(text), {"text": 5})["text"]
    url = ParameterSpec("url", "https://example.org/a.fits", ODA.FileURL, str)
    assert one(url, "ftp://example.org/x") == "ftp://example.org/x"
    assert "expected a URL" in errors_of(make_spec(url), {"url": "not a url"})["url"]


def test_float_without_unit():
    x = ParameterSpec("x", 1.0, ODA.Float, float)
    assert one(x, "2.5") == 2.5
    assert errors_of(make_spec(x), {"x": "3 keV"}) == {
        "x": "got '3 keV'; this parameter has no unit, give a bare number"}


def test_time_interval():
    span = ParameterSpec("span", 1.0, ODA.TimeIntervalDays, float, unit=ODA_UNIT.day)
    assert one(span, "12 h") == pytest.approx(0.5)
    assert one(span, "2") == 2.0


def test_missing_empty_and_optional():
    required = ParameterSpec("required", None, ODA.Float, float)
    optional = ParameterSpec("optional", None, ODA.String, str, optional=True, allowed=("a", "b"))
    defaulted = ParameterSpec("defaulted", 2.0, ODA.Float, float)
    spec = make_spec(required, optional, defaulted)
    assert check_values(spec, {"required": "1", "optional": ""}) == {
        "required": 1.0, "optional": None, "defaulted": 2.0}
    assert check_values(spec, {"required": 1, "optional": None, "defaulted": "3"})["defaulted"] == 3.0
    assert errors_of(spec, {"defaulted": ""}) == {
        "required": "a value is required (this parameter has no default)",
        "defaulted": "got an empty value; give one (default 2.0)",
    }


def test_all_problems_are_collected(annotated):
    with pytest.raises(ParameterErrors) as info:
        check_values(annotated, {"ra": "400", "radius": "2 deg", "model": "xx", "colour": "red",
                                 "n_bins": "many", "t1": "2004-12-07T00:00:00"})
    error = info.value
    assert isinstance(error, ValueError)
    # unknown names first, then the parameters in the notebook's order, then StartTime < EndTime
    assert [name for name, _ in error.errors] == ["colour", "ra", "radius", "model", "n_bins", "t2"]
    messages = dict(error.errors)
    assert messages["colour"].startswith("unknown parameter; 'Crab spectrum' takes source_name, ra, dec")
    assert messages["radius"] == "got '2 deg' = 120 arcmin; allowed: [0.1, 60] arcmin"
    assert "ra: got 400 deg; allowed: [0, 360) deg" in str(error)


def test_target_resolution():
    asked = []

    def resolve(name):
        asked.append(name)
        return {"Vela Pulsar": (128.836, -45.176), "Crab Nebula": (83.633, 22.0145)}.get(name)

    spec = make_spec(TARGET, RA, DEC)
    assert check_values(spec, {}, resolve_target=resolve)["source"] == "Crab Nebula"
    assert asked == []  # the author's default is not looked up
    values = check_values(spec, {"source": " Vela Pulsar "}, resolve_target=resolve)
    assert values == {"source": "Vela Pulsar", "ra": 128.836, "dec": -45.176}
    assert asked == ["Vela Pulsar"]  # looked up once
    values = check_values(spec, {"source": "Vela Pulsar", "ra": "10"}, resolve_target=resolve)
    assert (values["ra"], values["dec"]) == (10.0, 22.0145)  # given positions win
    assert errors_of(spec, {"source": "Atlantis"}, resolve_target=resolve) == {
        "source": "unknown target 'Atlantis': no catalogued target has this name or alias"}
    assert check_values(spec, {"source": "Atlantis"})["source"] == "Atlantis"  # no resolver: any name


def test_astropy_unit():
    assert str(astropy_unit(ODA_UNIT.keV)) == "keV"
    assert astropy_unit(None) is None
    with pytest.raises(KeyError):
        astropy_unit("http://odahub.io/ontology/unit#furlong")


def test_normalised_key(annotated):
    key = normalised_key(check_values(annotated, {"radius": "0.05 deg"}))
    assert key == normalised_key(check_values(annotated, {"radius": 3.0}))
    assert key == normalised_key(check_values(annotated, {"radius": "3"}))
    assert key != normalised_key(check_values(annotated, {"radius": 3.5}))
    decoded = json.loads(key)
    assert list(decoded) == sorted(decoded)
    assert normalised_key({"b": 0.1, "a": 1.0, "c": None}) == '{"a":1.0,"b":0.1,"c":null}'
    with pytest.raises(ValueError):
        normalised_key({"x": float("nan")})


def test_errors_pickle():
    import pickle

    error = pickle.loads(pickle.dumps(ParameterErrors([("ra", "got 400 deg; allowed: [0, 360) deg")])))
    assert error.errors == [("ra", "got 400 deg; allowed: [0, 360) deg")]
