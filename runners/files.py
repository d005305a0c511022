"""Content-addressed storage of result files under ``{DATA_DIR}/files/``.

A file is stored once under the SHA-256 of its bytes, whatever its name; the catalog links it as
``{BASE_IRI}files/results/{sha256}/{name}``, so the same bytes produced twice are kept once.
"""

import hashlib
import mimetypes
import os
import tempfile
from pathlib import Path

__all__ = ["MEDIA_TYPES", "store_bytes", "path_of", "media_type", "download_url", "stored_path"]

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

    Parameters
    ----------
    data_dir : str or pathlib.Path
    data : bytes

    Returns
    -------
    str
    """
    digest = hashlib.sha256(data).hexdigest()
    target = path_of(data_dir, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)  # atomic: a reader never sees half a file
    return digest


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
