"""Read an annotated Jupyter notebook into a `WorkflowSpec` (the conventions of ``runners/README.md``).

The code cell tagged ``parameters`` holds one literal assignment per input, each with an optional
trailing comment read as Turtle (``# oda:Angle ; oda:unit unit:arcmin``); the cell tagged ``outputs``
names the outputs the same way. Where MMODA's nb2workflow is lenient, skyweave raises
`AnnotationError`, naming the notebook, the cell index and the line.

References
----------
.. [1] nb2workflow, https://github.com/oda-hub/nb2workflow (the annotation conventions)
.. [2] oda-hub ontology, https://github.com/oda-hub/ontology (type IRIs ``http://odahub.io/ontology#``)
.. [3] papermill parameters cells, https://papermill.readthedocs.io/en/latest/usage-parameterize.html
"""

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import ValidationError
from nbformat.warnings import MissingIDFieldWarning

from rdflib.namespace import RDF

from skyweave.catalog.vocab import ODA
from skyweave.runners.cells import refuse_untagged_parameters, tagged
from skyweave.runners.oda import KNOWN_PREDICATES, KNOWN_TYPES, UNITS, curie, literal_value
from skyweave.runners.spec import AnnotationError, OutputSpec, ParameterSpec, output_spec, parameter_spec

__all__ = [
    "AnnotationError", "ParameterSpec", "OutputSpec", "WorkflowSpec", "Resource", "KNOWN_TYPES",
    "KNOWN_PREDICATES", "UNITS", "read_notebook", "slug_for",
]


@dataclass(frozen=True)
class Resource:
    """A resource a notebook declares it uses (``oda:usesRequiredResource`` / ``oda:usesOptionalResource``).

    Attributes
    ----------
    iri : str
        The resource's IRI as the notebook names it (``http://odahub.io/ontology#MyS3``).
    type_iri : str or None
        Its class (``oda:S3``), when the notebook declares it.
    env_var : str or None
        ``oda:resourceBindingEnvVarName``: the environment variable that gives the notebook access
        (credentials or address); the runner checks it is set before a run.
    required : bool
        True for ``oda:usesRequiredResource``.
    """

    iri: str
    type_iri: str | None
    env_var: str | None
    required: bool


@dataclass(frozen=True)
class WorkflowSpec:
    """What a notebook declares: enough to catalogue, check and run one workflow version.

    Attributes
    ----------
    slug : str
        ``[a-z0-9-]+``, from the notebook's file name (``crab_spectrum.ipynb`` -> ``crab-spectrum``).
    title : str
        ``# oda:label``, else the first markdown heading, else the file stem.
    description : str or None
        ``# oda:description``, else the first markdown paragraph.
    version : str or None
        ``# oda:version``.
    references : tuple of str
        ``# oda:reference`` values, sorted: IRIs (a bare DOI becomes ``https://doi.org/...``), or
        the text of a citation that is neither (MMODA takes any literal there).
    parameters : tuple of ParameterSpec
    outputs : tuple of OutputSpec
    notebook : pathlib.Path or None
        The notebook file (None for a spec rebuilt from the catalog).
    commit : str or None
        The git commit the notebook was read at.
    authors : tuple of str
        Names from the notebook metadata ``authors`` (Jupyter's ``[{"name": ...}]``).
    resources : tuple of Resource
        Resources the notebook uses, by IRI.
    token_access : str or None
        ``oda:oda_token_access`` (e.g. ``http://odahub.io/ontology#InOdaContext``): how the notebook
        expects a user token.
    files : tuple of (str, str)
        ``(file name, text)`` of the repository's ``requirements.txt``, ``environment.yml``,
        ``mmoda_help_page.md`` and ``acknowledgements.md`` (see `runners.repository`).
    extra_data : tuple of str
        ``mmoda.yaml`` ``extra_data``: paths of data files or folders the workflow needs, relative to
        the repository.
    """

    slug: str
    title: str
    description: str | None
    version: str | None
    references: tuple
    parameters: tuple
    outputs: tuple
    notebook: Path | None
    commit: str | None
    authors: tuple = ()
    resources: tuple = ()
    token_access: str | None = None
    files: tuple = ()
    extra_data: tuple = ()


def slug_for(path):
    """Return the slug of a notebook: its file stem, lowercase, runs of other characters as ``-``.

    Examples
    --------
    >>> slug_for("notebooks/Crab_Spectrum v2.ipynb")
    'crab-spectrum-v2'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-")
    if not slug:
        raise AnnotationError(path, None, None, "the file name gives no slug; use letters or digits")
    return slug


def _markdown_title(nb):
    title = description = None
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for block in re.split(r"\n\s*\n", cell.source):
            block = block.strip()
            heading = re.match(r"#{1,6}\s+(.+)", block)
            if heading and title is None:
                title = heading.group(1).strip()
            elif block and not block.startswith("#") and description is None:
                description = " ".join(block.split())
        if title and description:
            break
    return title, description


def _reference(cell, line, obj):
    """Return an ``oda:reference`` as an IRI (a DOI as ``https://doi.org/...``), else as its text.

    MMODA keeps whatever literal is written; so does skyweave, as a text citation (``schema:citation``
    has ``Text`` in its range [1]_). An empty one is refused.

    References
    ----------
    .. [1] schema.org, citation, https://schema.org/citation
    """
    text = " ".join(str(obj).split())
    doi = re.fullmatch(r"(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)", text, re.I)
    if doi:
        return f"https://doi.org/{doi.group(1)}"
    if not text:
        raise cell.error(line, "oda:reference is empty: give an IRI, a DOI or the text of a citation")
    return text


def _authors(nb):
    names = []
    for author in nb.metadata.get("authors", []) or []:
        name = author.get("name") if isinstance(author, dict) else author
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return tuple(names)


def read_notebook(path, commit=None):
    """Read a notebook's annotations.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.ipynb`` file (nbformat 4).
    commit : str or None
        The git commit the file was read at, kept in the spec (``sw:commit`` of its record).

    Returns
    -------
    WorkflowSpec

    Raises
    ------
    AnnotationError
        If the file is not a notebook, has two ``parameters`` cells, or none while an untagged code
        cell carries ``oda:`` annotations (a forgotten tag; without them, a notebook with no
        ``parameters`` cell is a workflow without parameters, as in MMODA), or any annotation
        breaks the conventions: an unknown ``oda:`` term or unit, an annotation that is not Turtle,
        one wrapped onto the next line, a value that is not a literal, a default of the wrong type,
        or an empty ``oda:reference``.
    OSError
        If the file cannot be read.

    References
    ----------
    .. [1] nb2workflow, https://github.com/oda-hub/nb2workflow
    .. [2] oda-hub ontology, https://github.com/oda-hub/ontology
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            nb = nbformat.read(path, as_version=4)
    except (ValueError, KeyError, AttributeError, TypeError, ValidationError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise AnnotationError(path, None, None, f"not a Jupyter notebook ({detail})") from None
    cell = tagged(nb, path, "parameters", required=False)
    if cell is None:  # a workflow without parameters, as MMODA reads it; unless a cell was left untagged
        refuse_untagged_parameters(nb, path)
    parameters = [] if cell is None else [parameter_spec(cell, *found) for found in cell.assignments()]
    meta, references, uses, declared = {}, [], {}, {}
    for line, subject, predicate, obj in (() if cell is None else cell.statements()):
        if subject is not None:
            declared.setdefault(str(subject), {})[predicate] = obj
        elif predicate == ODA.reference:
            references.append(_reference(cell, line, obj))
        elif predicate in (ODA.usesRequiredResource, ODA.usesOptionalResource):
            uses[str(obj)] = uses.get(str(obj), False) or predicate == ODA.usesRequiredResource
        elif predicate in meta:
            raise cell.error(line, f"{curie(predicate)} is given twice")
        else:
            meta[predicate] = str(literal_value(obj))
    resources = tuple(Resource(
        iri, str(declared.get(iri, {}).get(RDF.type) or "") or None,
        str(declared.get(iri, {}).get(ODA.resourceBindingEnvVarName) or "") or None, required)
        for iri, required in sorted(uses.items()))
    outputs = []
    out_cell = tagged(nb, path, "outputs", required=False)
    if out_cell is not None:
        for line, name, value, hint, text in out_cell.assignments(literals=False):
            outputs.append(output_spec(out_cell, line, name, value, text))
        for line, _, predicate, _ in out_cell.statements():
            raise out_cell.error(line, f"{curie(predicate)} belongs in the parameters cell")
    title, description = _markdown_title(nb)
    return WorkflowSpec(
        slug=slug_for(path),
        title=meta.get(ODA.label) or title or path.stem,
        description=meta.get(ODA.description) or description,
        version=meta.get(ODA.version),
        references=tuple(sorted(set(references))),
        parameters=tuple(parameters),
        outputs=tuple(outputs),
        notebook=path,
        commit=commit,
        authors=_authors(nb),
        resources=resources,
        token_access=meta.get(ODA.oda_token_access),
    )

