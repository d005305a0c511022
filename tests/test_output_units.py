"""Output annotations that declare a unit (``# oda:Float ; oda:unit unit:h``) carry it to the result
values: converted in the kernel, recorded as schema.org ``unitText`` and ``unitCode`` (issue 9)."""

import astropy.units as u
import nbformat
from rdflib import URIRef

from skyweave.catalog.validate import validate
from skyweave.catalog.vocab import ODA_UNIT, SDO
from skyweave.runners import RunRequest
from skyweave.runners.annotations import read_notebook
from skyweave.runners.describe import workflow_graph
from skyweave.runners.executors import LocalExecutor
from skyweave.runners.provenance import run_graph
from skyweave.runners.spec import output_units
from skyweave.runners.values import read_results

from .conftest import BASE
from .workflow_repo import notebook

ANALYSIS = '''import astropy.units as u
t = 90 * u.min
t_err = 6 * u.min
d = 2.5
n_found = 7
flux = 3e-11 * u.Unit("cm-2 s-1 TeV-1")
'''
OUTPUTS = '''livetime = t  # oda:Float ; oda:unit unit:h
livetime_err = t_err  # oda:Float
size = d  # oda:Float ; oda:unit unit:deg
count = n_found  # oda:Integer
flux = flux  # oda:Float
'''


def _run(tmp_path, analysis, outputs):
    path = tmp_path / "units.ipynb"
    nbformat.write(notebook("Units", [("n = 1  # oda:Integer", ["parameters"]), (analysis, []),
                                      (outputs, ["outputs"])]), path)
    spec = read_notebook(path)
    request = RunRequest(f"{BASE}runs/units", f"{BASE}workflows/units-v1", str(path), {"n": 1},
                         tuple(o.name for o in spec.outputs), 120.0, {"MPLBACKEND": "Agg"},
                         output_units=output_units(spec.outputs))
    executor = LocalExecutor(workers=1)
    try:
        return spec, executor.submit(request).result(timeout=180)
    finally:
        executor.close()


def test_declared_units_are_applied_in_the_kernel_and_recorded(tmp_path):
    spec, result = _run(tmp_path, ANALYSIS, OUTPUTS)
    assert result.status == "COMPLETED", result.log
    # 90 min in the declared hours; the uncertainty in its value's unit; a plain number is in its unit.
    assert result.values == {"livetime": 1.5, "livetime_err": 0.1, "size": 2.5, "count": 7, "flux": 3e-11}
    units = dict(result.units)
    assert u.Unit(units.pop("flux")) == u.Unit("cm-2 s-1 TeV-1")  # an undeclared Quantity keeps its own
    assert units == {"livetime": "h", "livetime_err": "h", "size": "deg"}
    run = URIRef(f"{BASE}runs/units")
    graph = run_graph(run, f"{BASE}workflows/units-v1", "COMPLETED", {"n": 1}, "someone", "local pool",
                      values=result.values, units=result.units,
                      unit_codes={o.name: str(o.unit) for o in spec.outputs if o.unit is not None})
    items = {q["name"]: q for q in read_results(graph, run)}
    assert (items["livetime"]["unit"], items["livetime"]["unit_code"]) == ("h", str(ODA_UNIT.h))
    assert (items["livetime"]["uncertainty"], items["livetime"]["text"]) == (0.1, "1.5 ± 0.1 h")
    assert items["size"]["unit_code"] == str(ODA_UNIT.deg)
    assert (items["flux"]["unit"], items["flux"]["unit_code"]) == (result.units["flux"], None)
    assert items["count"]["unit"] is None
    assert validate(graph, context=workflow_graph(spec, f"{BASE}workflows/units-v1")).conforms
    assert set(graph.objects(None, SDO.unitCode)) == {ODA_UNIT.h, ODA_UNIT.deg}


def test_a_quantity_that_does_not_convert_to_its_declared_unit_fails_the_run(tmp_path):
    _, result = _run(tmp_path, "import astropy.units as u\nm = 3 * u.kg\n", "mass = m  # oda:Float ; oda:unit unit:h")
    assert result.status == "ERROR"
    assert "output mass is in kg, which cannot be converted to its declared unit h" in result.error
    assert "mass" not in result.values
