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

import ast
import io
import re
import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import ValidationError
from nbformat.warnings import MissingIDFieldWarning

from rdflib.namespace import RDF

from skyweave.catalog.vocab import ODA
from skyweave.runners.oda import (
    KNOWN_PREDICATES, KNOWN_TYPES, NOTEBOOK_PREDICATES, RESOURCE_PREDICATES, RESOURCE_TYPES, UNITS, curie,
    literal_value, looks_like_annotation, parse_statement,
)
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
        ``# oda:reference`` IRIs, sorted (a bare DOI becomes ``https://doi.org/...``).
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


NOT_LITERAL = object()
"""The value of an output assigned something other than a literal (a computed value)."""


class _Cell:
    """One tagged code cell: its statements, trailing comments and comment-only lines."""

    def __init__(self, notebook, index, source):
        self.notebook, self.index = notebook, index
        # IPython magics and shell escapes are not Python: blank them, keeping line numbers.
        self.source = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln
                                for ln in source.splitlines())
        try:
            self.tree = ast.parse(self.source)
        except SyntaxError as exc:
            raise self.error(exc.lineno, f"the cell is not Python: {exc.msg}") from None
        self.trailing, self.comment_lines = {}, {}
        for tok in tokenize.generate_tokens(io.StringIO(self.source).readline):
            if tok.type == tokenize.COMMENT:
                row, col = tok.start
                text = tok.string[1:].strip()
                if tok.line[:col].strip():
                    self.trailing[row] = text
                else:
                    self.comment_lines[row] = text

    def error(self, line, message):
        return AnnotationError(self.notebook, self.index, line, message)

    def assignments(self, literals=True):
        """Yield ``(line, name, value, hint, annotation_text)`` for each top-level assignment.

        With ``literals`` (the parameters cell) a value that is not a literal is an error; else
        (the outputs cell, which names computed values) such a value is yielded as `NOT_LITERAL`.
        """
        seen = set()
        for node in self.tree.body:
            if isinstance(node, ast.Assign):
                targets, hint = node.targets, None
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, hint = [node.target], node.annotation
            elif not literals and isinstance(node, ast.Expr) and isinstance(node.value, ast.Name):
                name = node.value.id  # a bare name in the outputs cell names an output, as in nb2workflow
                self._check_no_inner_annotation(node)
                if name in seen:
                    raise self.error(node.lineno, f"{name} is named twice")
                seen.add(name)
                yield node.end_lineno, name, None, None, self._annotation(node.end_lineno)
                continue
            else:
                continue
            self._check_no_inner_annotation(node)
            line = node.end_lineno
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                raise self.error(node.lineno, "assign one plain name per statement (name = literal)")
            name = targets[0].id
            if name in seen:
                raise self.error(node.lineno, f"{name} is assigned twice")
            seen.add(name)
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                if not literals:
                    value = NOT_LITERAL
                    yield line, name, value, hint, self._annotation(line)
                    continue
                code = ast.get_source_segment(self.source, node.value) or "?"
                raise self.error(node.lineno, f"the value of {name} ({code}) is not a literal; "
                                 "write a number, string, True/False or None") from None
            yield line, name, value, hint, self._annotation(line)

    def _check_no_inner_annotation(self, node):
        """Refuse an annotation on a line of a statement other than its last (``x = (\\n 1.0  # oda:Float\\n)``):
        it is read from the last line only, and nb2workflow silently drops it there."""
        for row in range(node.lineno, node.end_lineno):
            text = self.trailing.get(row)
            if text is not None and looks_like_annotation(text):
                raise self.error(row, f"the annotation {text!r} is inside a statement that goes on to line "
                                 f"{node.end_lineno}: put it after the statement's last line")

    def _annotation(self, line):
        text = self.trailing.get(line)
        if text is None or not looks_like_annotation(text):
            return None
        self._check_not_wrapped(line, text)
        return text

    def _check_not_wrapped(self, line, text):
        following = self.comment_lines.get(line + 1)
        if following is None:
            return
        continues = following.startswith((";", ",")) or text.rstrip().endswith((";", ","))
        if continues or (looks_like_annotation(following) and not _notebook_level(following)):
            raise self.error(line + 1, "the annotation is wrapped onto the next line: keep it on the "
                             "line of the assignment (separate notebook-level annotations from it by "
                             "a blank line)")

    def statements(self):
        """Yield ``(line, subject, predicate, object)`` of the notebook-level comment lines.

        ``subject`` is None for a statement about the notebook, else a declared resource's IRI.
        """
        for line, text in sorted(self.comment_lines.items()):
            if not looks_like_annotation(text):
                continue
            try:
                triples = parse_statement(text)
            except ValueError as exc:
                raise self.error(line, f"the annotation {text!r} {exc}") from None
            for subject, predicate, obj in triples:
                problem = _statement_problem(subject, predicate, obj)
                if problem:
                    raise self.error(line, problem)
                yield line, subject, predicate, obj


def _statement_problem(subject, predicate, obj):
    """Say what is wrong with one notebook-level triple, or return None."""
    if subject is None and predicate not in NOTEBOOK_PREDICATES:
        return (f"{curie(predicate)} is not a notebook-level annotation (use "
                f"{', '.join(sorted(map(curie, NOTEBOOK_PREDICATES)))}); parameter annotations go on the "
                "assignment's line")
    if subject is not None and predicate not in RESOURCE_PREDICATES:
        return (f"{curie(predicate)} is not part of a resource declaration (write "
                f"{curie(subject)} a oda:S3 ; oda:resourceBindingEnvVarName \"NAME\")")
    if predicate == RDF.type and obj not in RESOURCE_TYPES:
        return (f"{curie(obj)} is not a resource class skyweave knows (use "
                f"{', '.join(sorted(map(curie, RESOURCE_TYPES)))})")
    return None


def _notebook_level(text):
    """Tell whether a comment line is a whole notebook-level statement (not a wrapped annotation)."""
    try:
        triples = parse_statement(text)
    except ValueError:
        return False
    # oda:label and oda:description also annotate parameters: right below one, they continue it
    return all(_statement_problem(*t) is None and (t[0] is not None or t[1] not in KNOWN_PREDICATES)
               for t in triples)


def _tagged(nb, notebook, tag, required):
    found = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and tag in cell.get("metadata", {}).get("tags", [])]
    if len(found) > 1:
        raise AnnotationError(notebook, found[1], None, f"two cells are tagged {tag!r} (cells "
                              f"{found[0]} and {found[1]}); tag one")
    if not found:
        if required:
            raise AnnotationError(notebook, None, None, f"no code cell is tagged {tag!r}: tag the "
                                  "cell holding the parameter assignments")
        return None
    return _Cell(notebook, found[0], nb.cells[found[0]].source)


def _refuse_untagged_parameters(nb, notebook):
    """Refuse a notebook without a ``parameters`` cell whose code carries ``oda:`` annotations.

    MMODA reads a notebook without a ``parameters`` cell as a workflow without parameters; one whose
    annotated assignments sit in an untagged cell is a forgotten tag, and is refused at the first
    annotation (cells that are not Python, such as shell cells, are skipped).
    """
    for index, source in enumerate(nb.cells):
        if source.cell_type != "code" or "outputs" in source.get("metadata", {}).get("tags", []):
            continue
        try:
            code = _Cell(notebook, index, source.source)
        except AnnotationError:
            continue
        lines = [node.end_lineno for node in code.tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                 and looks_like_annotation(code.trailing.get(node.end_lineno, ""))]
        lines += [row for row, text in code.comment_lines.items() if looks_like_annotation(text)]
        if lines:
            raise code.error(min(lines), "no code cell is tagged 'parameters', yet this cell has oda: "
                             "annotations: tag it 'parameters' (a notebook without one has no parameters)")


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
    text = str(obj).strip()
    doi = re.fullmatch(r"(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)", text, re.I)
    if doi:
        return f"https://doi.org/{doi.group(1)}"
    if re.fullmatch(r"https?://[^\s/$.?#][^\s]*", text):
        return text
    raise cell.error(line, f"oda:reference {text!r} is neither an IRI (https://...) nor a DOI (10.xxxx/...)")


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
        or an ``oda:reference`` that is neither an IRI nor a DOI.
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
    cell = _tagged(nb, path, "parameters", required=False)
    if cell is None:  # a workflow without parameters, as MMODA reads it; unless a cell was left untagged
        _refuse_untagged_parameters(nb, path)
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
    out_cell = _tagged(nb, path, "outputs", required=False)
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

