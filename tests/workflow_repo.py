"""Build small real notebook repositories (folders and git repositories) for the runner tests."""

import subprocess
import time
from pathlib import Path

import nbformat

PARAMETERS = '''# oda:version "1.0"
# oda:reference "https://doi.org/10.5281/zenodo.1421099"
ra = 83.633  # oda:PointOfInterestRA
dec = 22.0145  # oda:PointOfInterestDEC
radius = 0.5  # oda:Angle ; oda:unit unit:deg ; oda:lower_limit 0.01 ; oda:upper_limit 5
n_points = 20  # oda:Integer ; oda:lower_limit 2 ; oda:upper_limit 1000
shape = "circle"  # oda:String ; oda:allowed_value "circle", "square"
delay_s = 0.0  # oda:Float ; oda:lower_limit 0 ; oda:upper_limit 60
'''

ANALYSIS = '''import time
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
time.sleep(delay_s)
angle = np.linspace(0, 2 * np.pi, n_points)
x = ra + radius * np.cos(angle)
y = dec + radius * np.sin(angle)
fig, ax = plt.subplots(figsize=(4, 4))
ax.plot(x, y, "o-")
ax.set_xlabel("RA (deg)")
ax.set_ylabel("Dec (deg)")
ax.set_title(f"{shape} of {n_points} points")
fig.savefig("ring.png")
np.savetxt("ring.csv", np.c_[x, y], delimiter=",", header="ra,dec")
mean_ra = float(x.mean())
'''

OUTPUTS = '''picture = "ring.png"  # oda:ODAPictureProduct
table = "ring.csv"  # oda:ODAAstropyTable
mean_ra = mean_ra  # oda:Float
'''


def notebook(title, cells):
    """Return a notebook with a title cell and ``cells`` as (source, tags)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell(f"# {title}\n\nA small real analysis used by the tests."))
    for source, tags in cells:
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)}))
    return nb


def ring_notebook(extra_analysis="", authors=()):
    """The test workflow: draws a ring of points around a sky position, writes a PNG and a CSV."""
    nb = notebook("Ring around a position", [
        (PARAMETERS, ["parameters"]), (ANALYSIS + extra_analysis, []), (OUTPUTS, ["outputs"]),
    ])
    if authors:
        nb.metadata["authors"] = [{"name": name} for name in authors]
    return nb


def failing_notebook():
    """A workflow that writes a partial output, then raises."""
    return notebook("Always fails", [
        ("threshold = 1.0  # oda:Float", ["parameters"]),
        ("partial = 'made before the failure'\nraise RuntimeError('the analysis broke on purpose')", []),
        ("partial = partial  # oda:String", ["outputs"]),
    ])


def make_repo(folder, git=True, test_passes=True, extra_analysis="", authors=()):
    """Write a workflow repository to ``folder`` (a git repository with one commit when ``git``).

    ``authors`` (names as ``Family, Given``) go into the ring notebook's metadata; without them the
    workflow's creator is the placeholder that publishing refuses.

    Returns
    -------
    pathlib.Path
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mmoda.yaml").write_text("notebook_path: .\nfilename_pattern: '.*'\n")
    nbformat.write(ring_notebook(extra_analysis, authors), folder / "ring.ipynb")
    nbformat.write(failing_notebook(), folder / "broken_analysis.ipynb")
    check = "assert 1 + 1 == 2" if test_passes else "assert 1 + 1 == 3, 'the test notebook fails'"
    nbformat.write(notebook("Test", [(check, [])]), folder / "test_basic.ipynb")
    if git:
        run = lambda *a: subprocess.run(["git", *a], cwd=folder, check=True, capture_output=True)  # noqa: E731
        if not (folder / ".git").exists():
            run("init", "-q", "-b", "main")
            run("config", "user.email", "tests@skyweave.invalid")
            run("config", "user.name", "skyweave tests")
        run("add", "-A")
        run("commit", "-q", "-m", "workflows")
    return folder


def wait_for(client, run_url, timeout_s=60):
    """Poll a run's JSON through a Flask test client until it ends; return its status."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(run_url, headers={"Accept": "application/json"}).json
        if status["phase"] in ("COMPLETED", "ERROR", "ABORTED"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"{run_url} did not finish: {status}")


def submit(client, slug, parameters):
    """POST a run request with JSON parameters through a Flask test client; return the response."""
    response = client.post(f"/workflows/{slug}/runs", json={"parameters": parameters},
                           headers={"Accept": "application/json"})
    return response
