"""Write the MMODA-style test notebooks of this folder (run it to regenerate them after an edit).

Each notebook exercises one annotation form that MMODA's nb2workflow reads (``forms/``), one
mistake skyweave refuses with its location (``refused/``), or one repository layout MMODA
documents (``layouts/``). They were written for skyweave's tests; none is copied from elsewhere.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent


def notebook(path, parameters, outputs=None, title=None, body=("pass",)):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(new_markdown_cell(f"# {title or path.stem.replace('_', ' ')}\n\nA test notebook."))
    if parameters is not None:  # None: no parameters cell (a workflow without parameters)
        nb.cells.append(new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    nb.cells.extend(new_code_cell(b) for b in body)
    if outputs is not None:
        nb.cells.append(new_code_cell(outputs, metadata={"tags": ["outputs"]}))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


FORMS = {
    "optional": '''a = 1.0  # oda:Float, oda:optional
b = 2  # oda:Integer ; oda:optional true
c: float | None = None  # oda:Float
d = 3.0  # oda:optional
e = "x"  # http://odahub.io/ontology#String, http://odahub.io/ontology#optional
''',
    "time_formats": '''t1 = "2020-01-01T00:00:00"  # oda:StartTime ; oda:format oda:ISOT
t2 = 58850.0  # oda:EndTime ; oda:format oda:MJD
t3 = "2020-01-01T00:00:00"  # oda:StartTimeISOT
t4 = 58851.5  # oda:EndTimeMJD
t5 = "2020-01-01T12:00:00"  # oda:TimeInstantISOT
t6 = 58849  # oda:TimeInstantMJD
''',
    "bare_dot": '''x = 1.  # oda:Float ; oda:lower_limit 0. ; oda:upper_limit 10.
n = 5  # oda:Integer ; oda:lower_limit 1 ; oda:upper_limit 10 .
''',
    "predicates_only": '''n_bins = 3  # oda:label "Number of bins"
mode = "fast"  # oda:description "How hard to try" ; oda:allowed_value "fast", "slow"
scale = 0.5  # oda:lower_limit 0 ; oda:upper_limit 1
''',
    "full_iris": '''ra = 10.0  # http://odahub.io/ontology#PointOfInterestRA
dec = -5.0  # <http://odahub.io/ontology#PointOfInterestDEC>
e_min = 1.0  # <http://odahub.io/ontology#Energy_keV> ; <http://odahub.io/ontology#lower_limit> 0.5
''',
    "limits": '''threshold = 5.0  # oda:Float ; oda:limits 1, 10
width = 2.0  # oda:AngleArcsec ; oda:limits 10, 0.5
''',
    "notebook_level": '''# oda:version "1.2" .
# oda:reference "https://doi.org/10.1051/0004-6361/202346488" .
# oda:oda_token_access oda:InOdaContext .
# oda:usesRequiredResource oda:MyS3 .
# oda:usesOptionalResource oda:ScratchS3
# oda:MyS3 a oda:S3 ; oda:resourceBindingEnvVarName "SKYWEAVE_TEST_S3" .
# oda:ScratchS3 a oda:S3 ; oda:resourceBindingEnvVarName "SKYWEAVE_TEST_SCRATCH" .

x = 1.0  # oda:Float
''',
    "types": '''events = "events.fits"  # oda:POSIXPath
reference = "file.txt"  # oda:FileReference
catalog_url = "https://example.org/cat.fits"  # oda:FileURL
config = {"bins": 3, "names": ["a", "b"]}  # oda:StructuredParameter
note = "a long text"  # oda:LongString
band = "r"  # oda:PhotometricBand ; oda:allowed_value "g", "r", "i"
source = "Crab"  # oda:AstrophysicalObject
radius = 30.0  # oda:AngleArcsec
window = 2.5  # oda:TimeIntervalDays
exposure = 100.0  # oda:TimeIntervalSeconds
degrees = 1.0  # oda:AngleDegrees
minutes = 1.0  # oda:AngleMinutes
e_kev = 30.0  # oda:Energy_keV
e_mev = 1.0  # oda:Energy_MeV
e_gev = 1.0  # oda:Energy_GeV
e_tev = 1.0  # oda:Energy_TeV
flag = True  # oda:Boolean
count = 3  # oda:Integer
''',
    "unit_classes": '''e_ref = 30  # oda:keV
exposure = 500.0  # oda:Float, oda:second
box = 4  # oda:Integer, oda:arcmin ; oda:lower_limit 1
distance = 8.5  # oda:kpc ; oda:lower_limit 0.
''',
    "unit_types": '''e_min = 300.0  # oda:Energy_eV
nu = 1.4  # oda:FrequencyGHz
d_l = 40.0  # oda:Distance_Mpc
lam = 550.0  # oda:Wavelength_nm
window = 2.0  # oda:TimeIntervalHours ; oda:lower_limit 0.
radius = 30.0  # oda:AngleSeconds
ra = 83.63  # oda:RightAscensionDegrees
dec = 22.01  # oda:DeclinationDegrees
''',
    "class_limits": '''e_min = 30.0  # oda:ISGRIEnergy
e_max = 20.0  # oda:JEMXEnergy ; oda:upper_limit 25
share = 50.0  # oda:Percentage
band = "g"  # oda:VisibleBand
colour = "r"  # oda:VisibleBand ; oda:allowed_value "g", "r"
''',
    "structured_unannotated": '''windows = [[0.0, 1.5], [3.0, 4.5]]
weights = {"fermi": 0.7, "swift": 0.3}
''',
    "boolean_allowed_text": '''apply_dust = True  # oda:Boolean ; oda:allowed_value "True", "False"
smooth = False  # oda:allowed_value "false", "true"
''',
}

OUTPUTS = '''data = dd
result
picture = picture_path  # oda:ODAPictureProduct
table = table_path  # oda:ODAAstropyTable
curve = table_path  # oda:LightCurve
spectrum = table_path  # oda:Spectrum
image = table_path  # oda:Image
text_product = text_path  # oda:ODATextProduct
binary = binary_path  # oda:ODABinaryProduct
comment = "all good"  # oda:WorkflowResultComment
'''

VALUE_OUTPUTS = '''target = name  # oda:AstrophysicalObject
peak_time = t_peak  # oda:TimeInstantMJD
band_used = "r"  # oda:PhotometricBand
e_peak = e  # oda:Energy_TeV
offset = sep  # oda:AngleArcsec ; oda:label "Offset from the source"
'''
"""Outputs typed with parameter classes (the ontology's oda:ParameterProduct): values, with the class's unit."""

REFUSED = {
    # name: (parameters, outputs, cell, line, fragment)
    "undefined_lightcurvelist": ("x = 1.0", "lc = 'lc.fits'  # oda:LightCurveList", 3, 1,
                                 "unknown type oda:LightCurveList"),
    "undefined_stoptime": ('t = "2020-01-01T00:00:00"  # oda:StopTimeISOT', None, 1, 1,
                           "unknown type oda:StopTimeISOT"),
    "allowed_values_plural": ('m = "a"  # oda:String ; oda:allowed_values "a", "b"', None, 1, 1,
                              "unknown annotation term oda:allowed_values"),
    "wrong_namespace": ("x = 1.0\ny = 2.0  # https://odahub.io/ontology#Float", None, 1, 2,
                        "https://odahub.io/ontology#, which is not the oda-hub ontology"),
    "bad_turtle": ("x = 1.0  # oda:Float ; oda:lower_limit", None, 1, 1, "does not parse as Turtle"),
    "wrapped": ("x = 1.0  # oda:Float ;\n#   oda:upper_limit 10\n", None, 1, 2, "wrapped onto the next line"),
    "default_breaks_limit": ("x = 20.0  # oda:Float ; oda:upper_limit 10", None, 1, 1,
                             "the default 20.0 of x is above its oda:upper_limit 10"),
    "odahub_other_namespace": ('obs_id = "0347"  # http://odahub.io/ontology/observatory/ObsID', None, 1, 1,
                               "unknown type <http://odahub.io/ontology/observatory/ObsID>"),
    "odahub_other_namespace_output": ("x = 1.0", "plot_svg = fname  # http://odahub.io/ontology/preview/svg", 3, 1,
                                      "unknown type <http://odahub.io/ontology/preview/svg>"),
    "annotation_inside_statement": ("e_max = (\n    30.0  # oda:Energy_GeV\n)\n", None, 1, 2,
                                    "inside a statement that goes on to line 3"),
    "default_breaks_class_limit": ("e = 10.0  # oda:ISGRIEnergy", None, 1, 1,
                                   "the default 10.0 of e is below its oda:lower_limit 15.0"),
    "limits_outside_the_class": ("e = 20.0  # oda:JEMXEnergy ; oda:lower_limit 40", None, 1, 1,
                                 "the limits of e leave no value that oda:JEMXEnergy admits"),
    "allowed_value_outside_the_class": ('b = "g"  # oda:VisibleBand ; oda:allowed_value "g", "u"', None, 1, 1,
                                        "oda:allowed_value 'u' of b is not a value of oda:VisibleBand"),
    "unit_class_contradicts": ("r = 1.0  # oda:Angle, oda:second", None, 1, 1, "unit:s is not a unit of angle"),
    "two_unit_classes": ("e = 1.0  # oda:keV, oda:MeV", None, 1, 1, "names 2 types (oda:MeV, oda:keV)"),
    "default_not_allowed": ('m = "c"  # oda:String ; oda:allowed_value "a", "b"', None, 1, 1,
                            "the default 'c' of m is not one of its oda:allowed_value"),
}


def run_values():
    # A workflow without parameters whose outputs are typed with parameter classes, to be run.
    notebook(HERE / "run_values" / "burst_summary.ipynb", None, '''target = name  # oda:AstrophysicalObject
peak_time = peak  # oda:TimeInstantMJD
e_max = energy  # oda:Energy_TeV
''', body=("name = 'GRB 221009A'\npeak = 59861.55\nenergy = 18.0",))


def without_parameters():
    # A workflow with no parameters cell (MMODA reads it as taking no parameters) ...
    notebook(HERE / "forms" / "no_parameters.ipynb", None, "n_sources = count  # oda:Integer\n",
             body=("count = 12",))
    # ... and one whose parameters cell was left untagged, refused where its annotation is.
    notebook(HERE / "refused" / "untagged_parameters.ipynb", None, body=("threshold = 3.5  # oda:Float",))


def layouts():
    root = HERE / "layouts"
    # 1. Notebooks at the root, no mmoda.yaml (MMODA's default).
    notebook(root / "plain" / "sky_check.ipynb", "ra = 10.0  # oda:PointOfInterestRA\n", "ok = True\n")
    notebook(root / "plain" / "test_sky_check.ipynb", "x = 1\n")
    # 2. mmoda.yaml: notebooks in a folder, a filename_pattern regex, extra_data, environment files.
    repo = root / "configured"
    (repo / "notebooks").mkdir(parents=True, exist_ok=True)
    (repo / "data").mkdir(exist_ok=True)
    (repo / "data" / "lookup.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (repo / "mmoda.yaml").write_text("notebook_path: notebooks\nfilename_pattern: 'flux_.*'\n"
                                     "extra_data:\n  - data/lookup.csv\n", encoding="utf-8")
    (repo / "requirements.txt").write_text("astropy>=6.0\nnumpy\n", encoding="utf-8")
    (repo / "environment.yml").write_text("name: flux\ndependencies:\n  - python=3.11\n", encoding="utf-8")
    (repo / "mmoda_help_page.md").write_text("# How to use it\n\nGive a **flux** threshold.\n", encoding="utf-8")
    (repo / "acknowledgements.md").write_text("Thanks to the *test* team.\n", encoding="utf-8")
    notebook(repo / "notebooks" / "flux_map.ipynb", "threshold = 1.0  # oda:Float\n", "n = 1\n")
    notebook(repo / "notebooks" / "helper.ipynb", "x = 1\n")
    notebook(repo / "flux_root.ipynb", "x = 1\n")
    # 3. One bad notebook beside good ones.
    notebook(root / "mixed" / "good_one.ipynb", "x = 1.0  # oda:Float\n")
    notebook(root / "mixed" / "bad_one.ipynb", "x = 1.0\ny = 1  # oda:allowed_values 1, 2\n")


def runnable():
    run = HERE / "run"
    notebook(run / "count_lines.ipynb", '''events = "events.txt"  # oda:POSIXPath ; oda:label "Event list"
config = {"scale": 2}  # oda:StructuredParameter
band = "r"  # oda:PhotometricBand ; oda:allowed_value "g", "r"
''', '''n_scaled = scaled
summary_path
band_used = band  # oda:String
''', body=("with open(events) as handle:\n    n_lines = len(handle.read().splitlines())\n"
           "scaled = n_lines * config['scale']\n"
           "summary_path = 'summary.txt'\n"
           "with open(summary_path, 'w') as handle:\n    handle.write(f'{band}: {scaled}\\n')",))
    notebook(run / "needs_storage.ipynb", '''# oda:usesRequiredResource oda:ArchiveS3
# oda:ArchiveS3 a oda:S3 ; oda:resourceBindingEnvVarName "SKYWEAVE_TEST_ARCHIVE_S3"

x = 1.0  # oda:Float
''', "y = x * 2\n")


if __name__ == "__main__":
    runnable()
    for name, source in FORMS.items():
        notebook(HERE / "forms" / f"{name}.ipynb", source, "done = True\n")
    notebook(HERE / "forms" / "outputs.ipynb", "x = 1.0  # oda:Float\n", OUTPUTS,
             body=("dd = {'a': 1}\nresult = 42\npicture_path = table_path = text_path = binary_path = 'x'",))
    notebook(HERE / "forms" / "value_outputs.ipynb", "x = 1.0  # oda:Float\n", VALUE_OUTPUTS,
             body=("name, t_peak, e, sep = 'GRB 221009A', 59861.55, 0.5, 12.0",))
    for name, (parameters, outputs, *_) in REFUSED.items():
        notebook(HERE / "refused" / f"{name}.ipynb", parameters, outputs)
    layouts()
    without_parameters()
    run_values()
