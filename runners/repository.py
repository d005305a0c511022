"""Find the workflow and test notebooks of a folder or git checkout, honouring ``mmoda.yaml``.

``mmoda.yaml`` (optional, at the folder's root) may give ``notebook_path``, the folder holding the
notebooks (default: the root), and ``filename_pattern``, a glob of the workflow notebooks (default
``*.ipynb``). Notebooks named ``test_*.ipynb`` are tests, never workflows.

References
----------
.. [1] nb2workflow repository configuration, https://github.com/oda-hub/nb2workflow
"""

from pathlib import Path

import yaml

from .annotations import read_notebook
from .spec import AnnotationError

__all__ = ["CONFIG_NAME", "repository_config", "read_repository", "test_notebooks"]

CONFIG_NAME = "mmoda.yaml"
"""The configuration file MMODA reads at a repository's root."""


def _error(path, message):

    return AnnotationError(path, None, None, message)


def repository_config(folder):
    """Return ``(notebook_folder, filename_pattern)`` of a repository.

    Parameters
    ----------
    folder : str or pathlib.Path
        The repository's root.

    Returns
    -------
    notebook_folder : pathlib.Path
    filename_pattern : str

    Raises
    ------
    runners.annotations.AnnotationError
        If ``mmoda.yaml`` is not a YAML mapping, or ``notebook_path`` leaves the repository.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "mmoda.yaml").write_text("notebook_path: nb\\nfilename_pattern: '*_wf.ipynb'\\n")
    ...     folder, pattern = repository_config(tmp)
    ...     (folder.name, pattern)
    ('nb', '*_wf.ipynb')
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
            raise _error(config_path, "must be a mapping with notebook_path and filename_pattern")
    notebook_folder = root / str(config.get("notebook_path") or ".")
    if not notebook_folder.resolve().is_relative_to(root.resolve()):
        raise _error(config_path, f"notebook_path {config['notebook_path']!r} leaves the repository")
    return notebook_folder, str(config.get("filename_pattern") or "*.ipynb")


def _candidates(folder, pattern):
    return sorted(p for p in folder.glob(pattern)
                  if p.is_file() and ".ipynb_checkpoints" not in p.parts)


def read_repository(folder, commit=None):
    """Read every workflow notebook of a repository.

    Parameters
    ----------
    folder : str or pathlib.Path
        The repository's root (where ``mmoda.yaml`` would be).
    commit : str or None
        The git commit checked out, recorded in each spec.

    Returns
    -------
    list of runners.annotations.WorkflowSpec
        One per notebook matching ``filename_pattern`` in ``notebook_path``, by file name, without
        ``test_*.ipynb``.

    Raises
    ------
    runners.annotations.AnnotationError
        If a notebook breaks the annotation conventions, ``mmoda.yaml`` is bad, or two notebooks
        give the same slug.
    """
    notebook_folder, pattern = repository_config(folder)
    specs, seen = [], {}
    for path in _candidates(notebook_folder, pattern):
        if path.name.startswith("test_") or path.suffix != ".ipynb":
            continue
        spec = read_notebook(path, commit=commit)
        if spec.slug in seen:
            raise _error(path, f"gives the slug {spec.slug!r}, as {seen[spec.slug].name} does; rename one")
        seen[spec.slug] = path
        specs.append(spec)
    return specs


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
    notebook_folder, _ = repository_config(folder)
    return _candidates(notebook_folder, "test_*.ipynb")


test_notebooks.__test__ = False  # not a pytest test, despite its name
