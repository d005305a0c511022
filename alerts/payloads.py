"""Keep an alert's raw payload (or sky map) as a content-addressed file, cheaply enough for every alert.

The same place and contract as `skyweave.runners.files.store_bytes` (``{DATA_DIR}/files/{sha[:2]}/{sha}``,
written to a temporary name and renamed, so a reader never sees half a file; storing the same bytes
again is a no-op), with fewer system calls: the intake keeps thousands of payloads a second, and
``store_bytes``' ``pathlib`` paths, ``mkdir`` per file and ``mkstemp`` cost about half of an
alert's CPU budget. Folders once made are remembered; the temporary name is unique to this process
and call, so it needs no random probing.
"""

import hashlib
import itertools
import os

__all__ = ["keep_bytes"]

_made = set()
_counter = itertools.count(1)


def keep_bytes(data_dir, data):
    """Store ``data`` under its SHA-256 below ``data_dir`` and return the digest (hex).

    Parameters
    ----------
    data_dir : str or os.PathLike
    data : bytes

    Returns
    -------
    str
        The digest; the file is `skyweave.runners.files.path_of` (``data_dir``, digest).

    Raises
    ------
    OSError
        If the file cannot be written (nothing is left under the digest's name).

    Examples
    --------
    >>> import tempfile
    >>> from skyweave.runners.files import path_of
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     digest = keep_bytes(folder, b"notice")
    ...     path_of(folder, digest).read_bytes(), keep_bytes(folder, b"notice") == digest
    (b'notice', True)
    """
    digest = hashlib.sha256(data).hexdigest()
    folder = os.path.join(os.fspath(data_dir), "files", digest[:2])
    target = os.path.join(folder, digest)
    if os.path.exists(target):
        return digest
    if folder not in _made:
        os.makedirs(folder, exist_ok=True)
        _made.add(folder)
    temporary = f"{target}.{os.getpid()}-{next(_counter)}.part"
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileNotFoundError:  # the folder went away since it was made (a test's data folder, say)
        _made.discard(folder)
        os.makedirs(folder, exist_ok=True)
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]
    except BaseException:
        os.close(handle)
        os.unlink(temporary)
        raise
    os.close(handle)
    os.replace(temporary, target)  # atomic: a reader never sees half a file
    return digest
