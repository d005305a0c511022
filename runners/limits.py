"""Bounds on what run requests may take: queue places per client and in total, result storage,
and the abort keys that let a submitter (and only them, or an editor) abort a run.

Anonymous clients may request runs, so every run request is admitted against these bounds
before anything is queued: a client with too many runs under way, or a full queue, gets
`TooManyRequests` (HTTP 429 with ``Retry-After``); a full result store gets `StorageFull` (507).
"""

import hashlib
import hmac
import os
import secrets
import threading
import time
from pathlib import Path

from skyweave.catalog.exceptions import PayloadTooLarge, StorageFull, TooManyRequests

__all__ = ["RunLimits", "new_abort_key", "abort_key_matches", "folder_bytes"]


def new_abort_key():
    """Return ``(key, digest)``: a random abort key for the submitter and the SHA-256 kept by the service.

    Returns
    -------
    (str, str)

    Examples
    --------
    >>> key, digest = new_abort_key()
    >>> abort_key_matches(key, digest), abort_key_matches("guess", digest)
    (True, False)
    """
    key = secrets.token_urlsafe(24)
    return key, hashlib.sha256(key.encode()).hexdigest()


def abort_key_matches(key, digest):
    """Return True if ``key`` is the abort key whose SHA-256 is ``digest`` (constant-time compare)."""
    if not key or not digest:
        return False
    return hmac.compare_digest(hashlib.sha256(str(key).encode()).hexdigest(), digest)


def folder_bytes(path):
    """Return the total size in bytes of the regular files under ``path`` (0 if it does not exist)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


class RunLimits:
    """Admission bounds for run requests.

    Parameters
    ----------
    per_client : int
        Most runs one client may have queued or executing (``RUN_QUEUE_PER_CLIENT``).
    total : int
        Most runs queued or executing in all (``RUN_QUEUE_MAX``).
    storage_bytes : int or None
        Quota of the result files folder, in bytes (``RESULT_STORAGE_MAX_BYTES``); None or 0: none.
    files_dir : str or pathlib.Path or None
        The result files folder (``{DATA_DIR}/files``).
    retry_after_s : int
        The ``Retry-After`` advised when the queue is full, in seconds.
    """

    def __init__(self, per_client=4, total=64, storage_bytes=None, files_dir=None, retry_after_s=30):
        self.per_client, self.total = int(per_client), int(total)
        self.storage_bytes = int(storage_bytes) if storage_bytes else None
        self.files_dir = Path(files_dir) if files_dir else None
        self.retry_after_s = int(retry_after_s)
        self._used, self._measured = 0, -1e9
        self._lock = threading.Lock()

    def admit(self, client, clients_under_way):
        """Refuse a new run if its client or the whole queue is at its bound, or storage is full.

        Parameters
        ----------
        client : str or None
            Who asks (an address); None for the service itself (alert follow-ups, the CLI), which
            only the total bound applies to.
        clients_under_way : list of str
            The client of every run queued or executing now.

        Raises
        ------
        TooManyRequests
            If ``client`` has ``per_client`` runs under way, or ``total`` runs are under way.
        StorageFull
            If the result files take more than ``storage_bytes``.
        """
        mine = sum(1 for c in clients_under_way if c == client) if client is not None else 0
        if client is not None and mine >= self.per_client:
            raise TooManyRequests(
                f"You have {mine} runs queued or executing, the most one client may have (setting "
                "RUN_QUEUE_PER_CLIENT); wait for one to finish and try again.", retry_after_s=self.retry_after_s)
        if len(clients_under_way) >= self.total:
            raise TooManyRequests(
                f"The run queue is full ({len(clients_under_way)} runs, setting RUN_QUEUE_MAX); try again later.",
                retry_after_s=self.retry_after_s)
        self.check_storage()

    def check_storage(self):
        """Raise `StorageFull` when the result files are over the quota (measured at most every 10 s)."""
        if not self.storage_bytes or self.files_dir is None:
            return
        with self._lock:
            if time.monotonic() - self._measured > 10:
                self._used, self._measured = folder_bytes(self.files_dir), time.monotonic()
            used = self._used
        if used >= self.storage_bytes:
            raise StorageFull(
                f"The result store holds {used} bytes, at its quota of {self.storage_bytes} bytes (setting "
                "RESULT_STORAGE_MAX_BYTES); no new runs are accepted until an administrator frees space.")

    def reserve(self, nbytes):
        """Count files about to be stored (a run's uploaded inputs) against the quota, or refuse them.

        Uploaded inputs are stored with the results, so they take from the same quota. Call this
        before storing anything: a refusal leaves the files folder and the store as they were.

        Parameters
        ----------
        nbytes : int
            Total size of the files, in bytes.

        Raises
        ------
        PayloadTooLarge
            If the files alone are larger than the whole quota (HTTP 413).
        StorageFull
            If they do not fit in what is left of it (HTTP 507).

        Examples
        --------
        >>> limits = RunLimits(storage_bytes=1000)
        >>> limits.reserve(600)
        >>> limits.reserve(600)
        Traceback (most recent call last):
        ...
        skyweave.catalog.exceptions.StorageFull: The uploaded files (600 bytes) do not fit in the result store: ...
        """
        nbytes = int(nbytes)
        if not self.storage_bytes or nbytes <= 0:
            return
        if nbytes > self.storage_bytes:
            raise PayloadTooLarge(
                f"The uploaded files take {nbytes} bytes, more than the whole result store quota of "
                f"{self.storage_bytes} bytes (setting RESULT_STORAGE_MAX_BYTES); nothing was stored.")
        with self._lock:
            if self.files_dir is not None and time.monotonic() - self._measured > 10:
                self._used, self._measured = folder_bytes(self.files_dir), time.monotonic()
            if self._used + nbytes > self.storage_bytes:
                raise StorageFull(
                    f"The uploaded files ({nbytes} bytes) do not fit in the result store: it holds {self._used} "
                    f"of its {self.storage_bytes} bytes (setting RESULT_STORAGE_MAX_BYTES); nothing was stored.")
            self._used += nbytes

    def note_stored(self, nbytes):
        """Count ``nbytes`` of result files just stored (until the next measurement)."""
        with self._lock:
            self._used += int(nbytes)
