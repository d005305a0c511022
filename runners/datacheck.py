"""Is a data file still the one a cached run read? Its bytes' SHA-256, recomputed only when its stat changes.

A run's cache key (`runners.jobs.cache_key`) is known before the run, but the data files it reads
are known only after it (`runners.inkernel` records them). So a cached run is served only while
every data file it read still has the SHA-256 its record holds (`DataCheck.unchanged`): a changed,
replaced or removed data file makes the request run again instead of serving the old product.
"""

import hashlib
import os
import threading

__all__ = ["DATA_VARIABLES", "data_folders", "DataCheck"]

DATA_VARIABLES = ("SKYWEAVE_DATA", "GAMMAPY_DATA")
"""Environment variables that give a notebook its data folder; the first is the one served under ``/files/``."""


def data_folders(env):
    """Return the data folders whose files a run's provenance records, with the prefix of their reported paths.

    Parameters
    ----------
    env : dict of str to str or None
        The run's environment; ``SKYWEAVE_DATA`` (the folder the service serves under ``/files/``)
        and ``GAMMAPY_DATA`` name data folders.

    Returns
    -------
    list of (str, str)
        Absolute folder and prefix: ``""`` for ``SKYWEAVE_DATA``, ``"$GAMMAPY_DATA/"`` for a
        ``GAMMAPY_DATA`` that is another folder. Relative or missing folders are left out.

    Examples
    --------
    >>> data_folders({"SKYWEAVE_DATA": "/srv/data", "GAMMAPY_DATA": "/srv/data/", "MPLBACKEND": "Agg"})
    [('/srv/data', '')]
    >>> data_folders({"GAMMAPY_DATA": "/opt/gammapy-data"})
    [('/opt/gammapy-data', '$GAMMAPY_DATA/')]
    """
    out, seen = [], set()
    for index, name in enumerate(DATA_VARIABLES):
        folder = (env or {}).get(name)
        if not folder or not os.path.isabs(str(folder)):
            continue
        folder = os.path.normpath(str(folder))
        if folder not in seen:
            seen.add(folder)
            out.append((folder, "" if index == 0 else f"${name}/"))
    return out


class DataCheck:
    """Compare recorded data files with the files now in the data folders.

    Digests are kept per file with its size, modification and change times and inode, so a cache
    lookup costs a ``stat`` per file read, and a file is hashed again only after it changed.

    Parameters
    ----------
    env : dict of str to str
        The runs' environment (its ``SKYWEAVE_DATA`` / ``GAMMAPY_DATA``, see
        `data_folders`).

    Examples
    --------
    >>> import hashlib, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.fits").write_bytes(b"counts")
    >>> check = DataCheck({"SKYWEAVE_DATA": str(folder)})
    >>> check.unchanged({"a.fits": hashlib.sha256(b"counts").hexdigest()})
    True
    >>> _ = (folder / "a.fits").write_bytes(b"other counts")
    >>> check.unchanged({"a.fits": hashlib.sha256(b"counts").hexdigest()})
    False
    """

    def __init__(self, env):
        self.folders = data_folders(env)
        self._digests = {}
        self._lock = threading.Lock()

    def local_path(self, path):
        """Return the absolute path of a recorded data file path (see `runners.provenance.DataFile`), or None."""
        for folder, label in sorted(self.folders, key=lambda pair: -len(pair[1])):
            if path.startswith(label):
                return os.path.join(folder, *path[len(label):].split("/"))
        return None

    def digest(self, path):
        """Return the SHA-256 (hex) of the file at absolute ``path`` now, or None if it is not a file."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        signature = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        with self._lock:
            known = self._digests.get(path)
        if known is not None and known[0] == signature:
            return known[1]
        try:
            with open(path, "rb") as handle:
                value = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            return None
        with self._lock:
            self._digests[path] = (signature, value)
        return value

    def unchanged(self, files):
        """Return True if every recorded file still has its recorded SHA-256.

        Parameters
        ----------
        files : dict of str to str
            Recorded path (relative to its data folder) -> SHA-256 (hex).

        Returns
        -------
        bool
            False if any file differs, is gone, or lies in no data folder this service has.
        """
        for path, sha256 in files.items():
            local = self.local_path(path)
            if local is None or self.digest(local) != sha256:
                return False
        return True
