"""Content-addressed storage of result files under ``{DATA_DIR}/files/``.

A file is stored once under the SHA-256 of its bytes, whatever its name; the catalog links it as
``{BASE_IRI}files/results/{sha256}/{name}``, so the same bytes produced twice are kept once.
"""

import hashlib
import itertools
import mimetypes
import os
from pathlib import Path

__all__ = ["MEDIA_TYPES", "store_bytes", "FileBatch", "path_of", "media_type", "download_url", "stored_path"]

MEDIA_TYPES = {
    ".fits": "application/fits", ".fit": "application/fits", ".fits.gz": "application/fits",
    ".ecsv": "text/x-ecsv", ".csv": "text/csv", ".xml": "application/x-votable+xml",
    ".vot": "application/x-votable+xml", ".votable": "application/x-votable+xml", ".png": "image/png",
    ".svg": "image/svg+xml", ".json": "application/json", ".ipynb": "application/x-ipynb+json",
    ".txt": "text/plain",
}
"""File suffix -> media type of the files workflows produce."""


def media_type(name):
    """Return the media type of a file name (``application/octet-stream`` when unknown)."""
    lower = name.lower()
    for suffix in sorted(MEDIA_TYPES, key=len, reverse=True):
        if lower.endswith(suffix):
            return MEDIA_TYPES[suffix]
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def path_of(data_dir, digest):
    """Return where the file with SHA-256 ``digest`` (hex) lives under ``data_dir``.

    Raises
    ------
    ValueError
        If ``digest`` is not 64 hexadecimal characters.
    """
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"not a SHA-256 digest: {digest!r}")
    return Path(data_dir) / "files" / digest[:2] / digest


def store_bytes(data_dir, data):
    """Store ``data`` under its SHA-256 and return the digest (hex); storing it again is a no-op.

    The file is `path_of` (``data_dir``, digest), written to a temporary name and renamed, so a
    reader never sees half a file. Cheap enough for every alert of the intake (thousands a second):
    plain string paths, folders once made are remembered, and the temporary name is unique to this
    process and call, so it needs no random probing.

    Parameters
    ----------
    data_dir : str or os.PathLike
    data : bytes

    Returns
    -------
    str

    Raises
    ------
    OSError
        If the file cannot be written (nothing is left under the digest's name).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     digest = store_bytes(folder, b"notice")
    ...     path_of(folder, digest).read_bytes(), store_bytes(folder, b"notice") == digest
    (b'notice', True)
    """
    digest = hashlib.sha256(data).hexdigest()
    _write(data_dir, digest, data)
    return digest


def _write(data_dir, digest, data):
    """Write ``data`` under ``digest`` (its SHA-256, hex) as `store_bytes` describes, unless it is there."""
    folder = os.path.join(os.fspath(data_dir), "files", digest[:2])
    target = os.path.join(folder, digest)
    if os.path.exists(target):
        return
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


_made = set()
"""Folders `store_bytes` has made in this process."""

_counter = itertools.count(1)
"""Numbers the temporary names of `store_bytes` in this process."""


class FileBatch:
    """Byte strings to store under their digests (as `store_bytes` does), written together later.

    A batch write path (the alert intake: a payload file per alert) names each file by its digest
    while it builds its records, then writes every file at once with `write`, before the records
    that link them are stored. Creating a file waits in the kernel with the interpreter lock
    released, so the files are written by a few threads side by side.

    Parameters
    ----------
    data_dir : str or os.PathLike
        As for `store_bytes`.
    threads : int
        Most files written at the same time (one thread each); below 2, or for a single file,
        they are written in the calling thread.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     batch = FileBatch(folder)
    ...     digest = batch.add(b"notice")
    ...     before = path_of(folder, digest).exists()
    ...     batch.write()
    ...     before, path_of(folder, digest).read_bytes()
    (False, b'notice')
    """

    def __init__(self, data_dir, threads=4):
        self.data_dir, self.threads = data_dir, int(threads)
        self._pending = {}

    def add(self, data):
        """Name ``data`` (bytes) by its SHA-256 (hex, returned); it is written by `write`."""
        digest = hashlib.sha256(data).hexdigest()
        self._pending.setdefault(digest, data)
        return digest

    def write(self):
        """Store every byte string added since the last call (see `store_bytes`).

        Raises
        ------
        OSError
            If a file cannot be written (the others are written; no file is left half written).
        """
        pending, self._pending = list(self._pending.items()), {}
        if len(pending) < 2 or self.threads < 2:
            for digest, data in pending:
                _write(self.data_dir, digest, data)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(self.threads, len(pending)), thread_name_prefix="files") as pool:
            for _ in pool.map(lambda item: _write(self.data_dir, *item), pending):
                pass


def download_url(base, digest, name):
    """Return the catalog IRI under which a stored file is served."""
    return f"{base}files/results/{digest}/{name}"


def stored_path(base, data_dir, url):
    """Return the local path of a file this catalog serves at ``url``, or None for any other value.

    A file uploaded for a ``oda:POSIXPath`` parameter is stored like a result and given to the
    notebook by path; a URL elsewhere is left for the notebook itself (skyweave never fetches on a
    client's behalf).

    Examples
    --------
    >>> digest = "ab" * 32
    >>> stored_path("http://x/", "/data", f"http://x/files/results/{digest}/a.fits").name == digest
    True
    >>> stored_path("http://x/", "/data", "https://elsewhere/a.fits") is None
    True
    """
    prefix = f"{base}files/results/"
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    digest = url[len(prefix):].split("/", 1)[0]
    try:
        return path_of(data_dir, digest)
    except ValueError:
        return None
