"""Which workflow sources may be registered, checked before anything is cloned or copied.

A source is a git URL (``https://...``; the schemes are a setting) or a folder. Over the web, a
folder (or a local git repository) must lie under one of the configured roots
(``WORKFLOW_SOURCE_ROOTS``, none by default); the CLI, run by the machine's own user, may name any
folder. Whatever the source, a symbolic link that points out of the repository is refused, so a
registration never copies or quotes files from elsewhere on the server, and every value given to
``git`` comes after ``--`` or is checked not to look like an option.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["GIT_SCHEMES", "check_location", "check_revision", "check_symlinks"]

GIT_SCHEMES = ("https",)
"""URL schemes a git source may use by default (``WORKFLOW_GIT_SCHEMES``)."""


def check_location(location, is_git, roots=None, schemes=GIT_SCHEMES):
    """Refuse a source location that is not allowed.

    Parameters
    ----------
    location : str
        A URL (``scheme://...``) or a folder path.
    is_git : bool
        True when it is taken as a git repository.
    roots : list of str or None
        Folders a local source must lie under; None allows any folder (the CLI), an empty list none.
    schemes : tuple of str
        URL schemes allowed for git URLs.

    Raises
    ------
    ValueError
        If the location starts with ``-``, uses a scheme not in ``schemes`` (``file://``, ``ext::``
        helpers ...), or is a folder outside every root.

    Examples
    --------
    >>> check_location("https://github.com/oda-hub/x.git", True, roots=[])
    >>> check_location("--upload-pack=touch /tmp/x", True)
    Traceback (most recent call last):
    ...
    ValueError: --upload-pack=touch /tmp/x: a source may not start with '-'.
    """
    if location.startswith("-"):
        raise ValueError(f"{location}: a source may not start with '-'.")
    if "://" in location or "::" in location:
        scheme = urlsplit(location).scheme.lower() if "://" in location else location.split("::", 1)[0]
        if scheme not in schemes:
            raise ValueError(f"{location}: git sources must be {' or '.join(s + '://' for s in schemes)} URLs "
                             "(setting WORKFLOW_GIT_SCHEMES).")
        return
    if roots is None:
        return
    path = Path(location).resolve()
    if not any(path.is_relative_to(Path(root).resolve()) for root in roots if root):
        raise ValueError(f"{location}: not a registrable source. Give a git URL, or a folder under a configured "
                         "root (setting WORKFLOW_SOURCE_ROOTS).")


def check_revision(rev):
    """Refuse a revision that ``git checkout`` would read as an option.

    Raises
    ------
    ValueError
        If ``rev`` starts with ``-`` or holds whitespace or control characters.
    """
    if rev.startswith("-") or any(c.isspace() or ord(c) < 32 for c in rev):
        raise ValueError(f"{rev!r}: not a valid git revision.")


def check_symlinks(folder):
    """Refuse a repository holding a symbolic link that points outside it.

    Parameters
    ----------
    folder : str or pathlib.Path

    Raises
    ------
    ValueError
        Naming the link (relative to the repository; never the file it points to).
    """
    root = Path(folder).resolve()
    for current, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(current) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                raise ValueError(f"{path.relative_to(root)}: a symbolic link out of the repository is refused.")
