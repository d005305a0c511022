"""Find the workflow and test notebooks of a folder or git checkout, honouring ``mmoda.yaml``.

``mmoda.yaml`` (optional, at the folder's root) may give ``notebook_path``, the folder holding the
notebooks (default: the root), ``filename_pattern``, a regular expression the workflow notebooks'
file names match from their start (as nb2workflow's ``re.match``; default ``.*``), and
``extra_data``, paths of data files or folders the workflows need. Notebooks named
``test_*.ipynb`` are tests, never workflows. ``requirements.txt``, ``environment.yml``,
``mmoda_help_page.md`` and ``acknowledgements.md`` at the root are recorded on every workflow.

Each notebook is read on its own: one that breaks the conventions is refused (its
`AnnotationError` kept in `Repository.refused`) without refusing the others.

References
----------
.. [1] nb2workflow repository configuration, https://github.com/oda-hub/nb2workflow
"""

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .annotations import read_notebook
from .spec import AnnotationError

__all__ = ["CONFIG_NAME", "REPOSITORY_FILES", "Repository", "RepositoryConfig", "repository_config",
           "read_repository", "test_notebooks"]

CONFIG_NAME = "mmoda.yaml"
"""The configuration file MMODA reads at a repository's root."""
REPOSITORY_FILES = ("requirements.txt", "environment.yml", "mmoda_help_page.md", "acknowledgements.md")
"""Files at a repository's root recorded on each of its workflows."""
_FILE_LIMIT = 100_000


@dataclass(frozen=True)
class RepositoryConfig:
    """What ``mmoda.yaml`` says (or the defaults).

    Attributes
    ----------
    notebook_folder : pathlib.Path
    filename_pattern : str
        Regular expression; a workflow notebook's file name matches it from its start.
    extra_data : tuple of str
        Paths relative to the repository's root.
    """

    notebook_folder: Path
    filename_pattern: str
    extra_data: tuple = ()


class Repository(list):
    """The workflow specs of a repository (a list, by file name), with the notebooks refused.

    Parameters
    ----------
    specs : iterable of runners.annotations.WorkflowSpec
    refused : iterable of runners.annotations.AnnotationError
        One per refused notebook, naming its notebook, cell and line.

    Examples
    --------
    >>> repo = Repository([], [AnnotationError("a.ipynb", 1, 2, "unknown type oda:X")])
    >>> len(repo), [str(e) for e in repo.refused]
    (0, ['a.ipynb, cell 1, line 2: unknown type oda:X'])
    """

    def __init__(self, specs=(), refused=()):
        super().__init__(specs)
        self.refused = list(refused)


def _error(path, message):

    return AnnotationError(path, None, None, message)


def repository_config(folder):
    """Read a repository's ``mmoda.yaml``.

    Parameters
    ----------
    folder : str or pathlib.Path
        The repository's root.

    Returns
    -------
    RepositoryConfig

    Raises
    ------
    runners.annotations.AnnotationError
        If ``mmoda.yaml`` is not a YAML mapping, ``filename_pattern`` is not a regular expression,
        or ``notebook_path`` or an ``extra_data`` path leaves the repository or does not exist.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "mmoda.yaml").write_text("notebook_path: nb\\nfilename_pattern: '.*_wf'\\n")
    ...     (Path(tmp) / "nb").mkdir()
    ...     config = repository_config(tmp)
    ...     (config.notebook_folder.name, config.filename_pattern)
    ('nb', '.*_wf')
    """
    root = Path(folder)
    config_path = root / CONFIG_NAME
    config = {}
    if config_path.is_file():
        try:
            config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise _error(config_path, f"not YAML ({' '.join(str(exc).split())})") from None
        if not isinstance(config, dict):
            raise _error(config_path, "must be a mapping with notebook_path, filename_pattern and extra_data")
    notebook_folder = _inside(root, config_path, "notebook_path", config.get("notebook_path") or ".")
    pattern = str(config.get("filename_pattern") or ".*")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise _error(config_path, f"filename_pattern {pattern!r} is not a regular expression ({exc}); "
                     "MMODA reads it as one (e.g. '.*_workflow' rather than '*_workflow.ipynb')") from None
    extra = config.get("extra_data") or []
    extra = [extra] if isinstance(extra, str) else extra
    if not isinstance(extra, list):
        raise _error(config_path, "extra_data must be a path or a list of paths")
    for item in extra:
        _inside(root, config_path, "extra_data", item)
    return RepositoryConfig(notebook_folder, pattern, tuple(str(item) for item in extra))


def _inside(root, config_path, key, relative):
    path = root / str(relative)
    if not path.resolve().is_relative_to(root.resolve()):
        raise _error(config_path, f"{key} {relative!r} leaves the repository")
    if not path.exists():
        raise _error(config_path, f"{key} {relative!r} does not exist in the repository")
    return path


def _candidates(folder, pattern=None):
    found = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    return [p for p in found if pattern is None or re.match(pattern, p.name)]


def _repository_files(root):
    files = []
    for name in REPOSITORY_FILES:
        path = root / name
        if path.is_file():
            files.append((name, path.read_text(encoding="utf-8", errors="replace")[:_FILE_LIMIT]))
    return tuple(files)


def read_repository(folder, commit=None):
    """Read every workflow notebook of a repository, each on its own.

    Parameters
    ----------
    folder : str or pathlib.Path
        The repository's root (where ``mmoda.yaml`` would be).
    commit : str or None
        The git commit checked out, recorded in each spec.

    Returns
    -------
    Repository
        A spec for each notebook of ``notebook_path`` whose name matches ``filename_pattern``
        (without ``test_*.ipynb``), by file name, carrying the repository's files and
        ``extra_data``; an `AnnotationError` for each refused notebook (a bad annotation, or a
        slug another notebook already gives).

    Raises
    ------
    runners.annotations.AnnotationError
        If ``mmoda.yaml`` is bad (nothing can be read then).
    """
    config = repository_config(folder)
    files = _repository_files(Path(folder))
    specs, refused, seen = [], [], {}
    for path in _candidates(config.notebook_folder, config.filename_pattern):
        if path.name.startswith("test_"):
            continue
        try:
            spec = read_notebook(path, commit=commit)
            if spec.slug in seen:
                raise _error(path, f"gives the slug {spec.slug!r}, as {seen[spec.slug].name} does; rename one")
        except AnnotationError as exc:
            refused.append(exc)
            continue
        seen[spec.slug] = path
        specs.append(dataclasses.replace(spec, files=files, extra_data=config.extra_data))
    return Repository(specs, refused)


def test_notebooks(folder):
    """Return the test notebooks (``test_*.ipynb`` in ``notebook_path``) of a repository, by name.

    Parameters
    ----------
    folder : str or pathlib.Path
        The repository's root.

    Returns
    -------
    list of pathlib.Path

    Raises
    ------
    runners.annotations.AnnotationError
        If ``mmoda.yaml`` is bad.
    """
    return [p for p in _candidates(repository_config(folder).notebook_folder) if p.name.startswith("test_")]


test_notebooks.__test__ = False  # not a pytest test, despite its name
