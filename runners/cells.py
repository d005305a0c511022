"""The tagged code cells of a notebook: assignments with their trailing annotations, and notebook-level lines.

`runners.annotations` finds a notebook's ``parameters`` and ``outputs`` cells with `tagged` and reads
them through `Cell`: each top-level assignment (or, in the outputs cell, bare name) with the Turtle
comment on its last line, and the comment-only lines about the notebook or its resources. Mistakes
are `AnnotationError` naming the notebook, the cell and the line.

References
----------
.. [1] nb2workflow, https://github.com/oda-hub/nb2workflow (the annotation conventions)
.. [2] papermill parameters cells, https://papermill.readthedocs.io/en/latest/usage-parameterize.html
"""

import ast
import io
import tokenize

from rdflib.namespace import RDF

from skyweave.runners.oda import (
    KNOWN_PREDICATES, NOTEBOOK_PREDICATES, RESOURCE_PREDICATES, RESOURCE_TYPES, curie, looks_like_annotation,
    parse_statement,
)
from skyweave.runners.spec import AnnotationError

__all__ = ["NOT_LITERAL", "Cell", "tagged", "refuse_untagged_parameters"]


NOT_LITERAL = object()
"""The value of an output assigned something other than a literal (a computed value)."""


class Cell:
    """One tagged code cell: its statements, trailing comments and comment-only lines.

    Parameters
    ----------
    notebook : str or pathlib.Path
        The notebook, named in errors.
    index : int
        The cell's index in the notebook.
    source : str
        The cell's code; IPython magics and shell escapes are blanked (line numbers kept).

    Raises
    ------
    AnnotationError
        If the code is not Python.
    """

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
        """Return the `AnnotationError` for ``line`` (1-based) of this cell, saying ``message``."""
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


def tagged(nb, notebook, tag, required):
    """Return the code cell of ``nb`` tagged ``tag`` as a `Cell`, or None when there is none.

    Parameters
    ----------
    nb : nbformat.NotebookNode
    notebook : str or pathlib.Path
        The notebook's path, for error messages.
    tag : str
        ``parameters`` or ``outputs``.
    required : bool
        Whether a missing cell is an error.

    Raises
    ------
    AnnotationError
        If two cells carry the tag, if none does while ``required``, or if the cell is not Python.
    """
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
    return Cell(notebook, found[0], nb.cells[found[0]].source)


def refuse_untagged_parameters(nb, notebook):
    """Refuse a notebook without a ``parameters`` cell whose code carries ``oda:`` annotations.

    MMODA reads a notebook without a ``parameters`` cell as a workflow without parameters; one whose
    annotated assignments sit in an untagged cell is a forgotten tag, and is refused at the first
    annotation (cells that are not Python, such as shell cells, are skipped).
    """
    for index, source in enumerate(nb.cells):
        if source.cell_type != "code" or "outputs" in source.get("metadata", {}).get("tags", []):
            continue
        try:
            code = Cell(notebook, index, source.source)
        except AnnotationError:
            continue
        lines = [node.end_lineno for node in code.tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                 and looks_like_annotation(code.trailing.get(node.end_lineno, ""))]
        lines += [row for row, text in code.comment_lines.items() if looks_like_annotation(text)]
        if lines:
            raise code.error(min(lines), "no code cell is tagged 'parameters', yet this cell has oda: "
                             "annotations: tag it 'parameters' (a notebook without one has no parameters)")
