"""A per-client share of a limited resource (the query slots): no client may hold all of them.

A client's share is counted until its work really ends: a query still running past its time
limit keeps counting against the client that sent it, so a client that sends queries which never
stop blocks only its own share, and the other slots stay free for everyone else.
"""

import threading

from .exceptions import TooManyRequests

__all__ = ["ClientShare"]


class ClientShare:
    """Count what each client holds, refusing more than ``limit`` at once.

    Parameters
    ----------
    limit : int
        Most units one client may hold (setting ``SPARQL_CLIENT_SLOTS``).
    what : str
        What is counted, for messages ("queries").
    retry_after_s : int
        ``Retry-After`` advised when a client is over its share.

    Examples
    --------
    >>> share = ClientShare(2)
    >>> share.enter("a"); share.enter("a")
    >>> share.enter("a")
    Traceback (most recent call last):
    ...
    skyweave.catalog.exceptions.TooManyRequests: You have 2 queries running, the most one client may run at once ...
    >>> share.enter("b"); share.leave("a"); share.enter("a")
    """

    def __init__(self, limit, what="queries", retry_after_s=5):
        self.limit, self.what, self.retry_after_s = max(1, int(limit)), what, int(retry_after_s)
        self._held = {}
        self._lock = threading.Lock()

    def enter(self, client):
        """Take one unit for ``client`` (None: not counted).

        Raises
        ------
        TooManyRequests
            If ``client`` already holds ``limit`` units.
        """
        if client is None:
            return
        with self._lock:
            held = self._held.get(client, 0)
            if held >= self.limit:
                raise TooManyRequests(
                    f"You have {held} {self.what} running, the most one client may run at once (setting "
                    f"SPARQL_CLIENT_SLOTS); wait for them to end (a query over its time limit counts until it "
                    "stops).", retry_after_s=self.retry_after_s)
            self._held[client] = held + 1

    def leave(self, client):
        """Give back one unit of ``client``."""
        if client is None:
            return
        with self._lock:
            held = self._held.get(client, 0) - 1
            if held > 0:
                self._held[client] = held
            else:
                self._held.pop(client, None)
