"""Runners: turn annotated notebooks into catalogued workflows and execute them.

Data flows one way: a `RunRequest` (workflow, notebook, checked parameter values) goes to an
executor (a local pool of warm Jupyter kernels by default, or Dask distributed), which returns a
`RunResult` (status, times, log, output values and files); `runners.provenance` turns that into
the PROV-O records the catalog stores. This package never imports Flask.
"""

from dataclasses import dataclass, field

__all__ = ["RunRequest", "RunResult", "OutputFile", "RunAborted"]


@dataclass(frozen=True)
class RunRequest:
    """What to execute.

    Attributes
    ----------
    run_iri : str
        IRI of the run record (``{base}runs/{id}``).
    workflow_iri : str
        IRI of the workflow version.
    notebook : str
        Path of the notebook file to execute.
    parameters : dict of str to object
        Checked, normalised parameter values (see `runners.params.check_values`).
    outputs : tuple of str
        Names of the notebook's declared outputs.
    timeout_s : float
        Time limit of the whole run, seconds.
    env : dict of str to str
        Environment variables the notebook sees (e.g. ``SKYWEAVE_DATA``).
    code_root : str or None
        Root of the workflow version's checked-out files (put on the module path after the
        notebook's own folder; the files the run imports from it are hashed into its provenance).
        None: the notebook's folder.
    output_units : dict of str to str
        Declared unit (astropy string, e.g. ``TeV``) of numeric outputs, by name (``oda:unit`` in
        the outputs cell): a Quantity is converted to it, a plain number is taken to be in it.
    """

    run_iri: str
    workflow_iri: str
    notebook: str
    parameters: dict
    outputs: tuple = ()
    timeout_s: float = 600.0
    env: dict = field(default_factory=dict)
    code_root: str | None = None
    output_units: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OutputFile:
    """A file a run produced.

    Attributes
    ----------
    name : str
        File name (no folder).
    data : bytes
        Its content (carried back from any worker, local or remote).
    output : str or None
        The declared output (variable of the outputs cell) it belongs to, or None for extra files
        such as the executed notebook.
    """

    name: str
    data: bytes
    output: str | None = None


@dataclass
class RunResult:
    """What an execution produced; a failed run is a result too.

    Attributes
    ----------
    status : str
        ``COMPLETED``, ``ERROR`` or ``ABORTED`` (IVOA UWS phases).
    started_at, ended_at : datetime.datetime
        UTC times of the execution.
    values : dict of str to object
        Declared outputs that are values (numbers, strings).
    files : list of OutputFile
        Declared file outputs, then the executed notebook.
    log : str
        Text output of the cells and, on failure, the traceback.
    error : str or None
        Why the run failed (exception and message, or the limit it hit).
    cells_done, cells_total : int
        Progress when it ended.
    units : dict of str to str
        Unit (astropy string form) of each value that was an astropy Quantity or whose output
        declares an ``oda:unit``.
    environment : dict
        What ran (see `runners.notebook.execute`): ``notebook_sha256``, ``code_files`` (path
        relative to the code root -> SHA-256 of each repository file the run imported),
        ``packages`` (distribution-level module -> version of every non-standard-library package
        loaded), ``python``, ``kernel`` (``ipykernel x.y``), ``data_files`` (path relative to the
        data folder -> ``{"sha256", "size"}`` of each file the run opened for reading there).
    """

    status: str
    started_at: object
    ended_at: object
    values: dict = field(default_factory=dict)
    files: list = field(default_factory=list)
    log: str = ""
    error: str | None = None
    cells_done: int = 0
    cells_total: int = 0
    units: dict = field(default_factory=dict)
    environment: dict = field(default_factory=dict)


class RunAborted(Exception):
    """Raised inside an execution when its run is aborted by a user."""
