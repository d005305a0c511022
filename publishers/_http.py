"""HTTP for the publishers: one session factory and one `call` helper with the retry rules of the spec.

- Every request has a timeout (connect 10 s, read 60 s unless the caller scales it, e.g. for uploads).
- Idempotent requests (GET, PUT of a file by key, DELETE) are retried on connection errors, timeouts,
  429 (waiting as ``Retry-After`` or ``X-RateLimit-Reset`` says), 502, 503 and 504, with exponential
  backoff and jitter, a bounded number of times.
- Non-idempotent requests (create, publish) are never repeated blindly: a timeout, a dropped connection or
  a 5xx answer raises `~publishers.OutcomeUnknown`, and the caller re-reads the remote state. The one
  exception is 429, which says the request was refused unprocessed, so it is retried after the wait.
- Any other failure raises `~publishers.UpstreamError` with the service's own message, truncated, with
  every credential of the session blanked out.

References
----------
.. [1] ``specs/external-apis.md`` §0 rules 2-3 (timeouts, retries), §1.7 (Zenodo error shapes), §1.8 (rate
   limits).
.. [2] RFC 9110 §10.2.3 ``Retry-After``.
"""

import email.utils
import logging
import random
import re
import time

import requests
from requests.adapters import HTTPAdapter

from .outcomes import OutcomeUnknown, UpstreamError

__all__ = ["USER_AGENT", "TIMEOUT", "RETRY_STATUSES", "BearerAuth", "Session", "make_session", "call",
           "error_detail", "retry_wait_s"]

log = logging.getLogger(__name__)


def _version():
    from skyweave.catalog import __version__

    return __version__


USER_AGENT = f"skyweave/{_version()}"
"""``User-Agent`` of every outbound request."""

TIMEOUT = (10.0, 60.0)
"""Default (connect, read) timeouts in seconds."""

RETRY_STATUSES = frozenset({429, 502, 503, 504})
"""Statuses after which an idempotent request is tried again."""

MAX_DETAIL = 500
"""Longest service message kept in an `UpstreamError`, in characters."""


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <token>``, with the token kept out of ``repr`` and error messages.

    Parameters
    ----------
    token : str
        The access token.
    """

    def __init__(self, token):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self):
        return "BearerAuth(<redacted>)"

    @property
    def secrets(self):
        """The strings that must never be shown (the token)."""
        return (self._token,) if self._token else ()


class Session(requests.Session):
    """A `requests.Session` that applies a default timeout and remembers its secrets for redaction.

    Attributes
    ----------
    timeout : tuple of (float, float)
        Default (connect, read) timeout in seconds of requests that give none.
    secrets : list of str
        Credentials to blank out of any message (tokens of the `BearerAuth` objects used).
    """

    def __init__(self, timeout=TIMEOUT):
        super().__init__()
        self.timeout = timeout
        self.secrets = []

    def request(self, method, url, **kwargs):
        """As `requests.Session.request`, with the session's timeout when the caller gives none."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        for auth in (kwargs.get("auth"), self.auth):
            for secret in getattr(auth, "secrets", ()):
                if secret not in self.secrets:
                    self.secrets.append(secret)
        return super().request(method, url, **kwargs)


def make_session(token=None, timeout=TIMEOUT):
    """Return the session every publisher uses.

    Parameters
    ----------
    token : str or None
        Sent as ``Authorization: Bearer <token>`` (never in the URL, so it stays out of logs).
    timeout : tuple of (float, float)
        Default (connect, read) timeouts in seconds.

    Returns
    -------
    Session
        ``User-Agent: skyweave/<version>``; the transport never retries by itself (``max_retries=0``):
        retries are `call`'s decision, and never for a POST.
    """
    session = Session(timeout)
    session.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if token:
        session.auth = BearerAuth(token)
        session.secrets.append(token)
    return session


def _redact(text, secrets):
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text


def error_detail(response, secrets=()):
    """Return the service's own message from an error response, truncated and without credentials.

    Reads ``message`` and each ``errors[]`` item's ``field`` with its ``message`` (string) or ``messages``
    (list), as Zenodo's legacy and RDM layers send them; a body that is not JSON is shown as text with tags
    removed.

    Parameters
    ----------
    response : requests.Response
    secrets : iterable of str
        Strings to blank out.

    Returns
    -------
    str

    Examples
    --------
    >>> import json, requests
    >>> r = requests.Response()
    >>> r.status_code, r._content = 400, json.dumps({"message": "A validation error occurred.", "errors": [
    ...     {"field": "metadata.license", "messages": ["Invalid license value provided"]}]}).encode()
    >>> error_detail(r)
    'A validation error occurred. metadata.license: Invalid license value provided'
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    parts = []
    if isinstance(body, dict):
        for key in ("message", "detail", "error", "title"):
            if isinstance(body.get(key), str) and body[key].strip():
                parts.append(body[key].strip())
                break
        errors = body.get("errors")
        for item in errors if isinstance(errors, list) else ():
            if not isinstance(item, dict):
                continue
            said = item.get("messages", item.get("message", item.get("detail")))
            if isinstance(said, list):
                said = "; ".join(str(s) for s in said)
            field = item.get("field") or (item.get("source") or {}).get("pointer")
            if said:
                parts.append(f"{field}: {said}" if field else str(said))
    if not parts:
        text = re.sub(r"<[^>]+>", " ", response.text or "")
        text = " ".join(text.split())
        parts.append(text or response.reason or f"HTTP {response.status_code}")
    detail = _redact(" ".join(parts), secrets)
    return detail if len(detail) <= MAX_DETAIL else detail[:MAX_DETAIL - 1] + "…"


def retry_wait_s(response, now=None):
    """Seconds a 429 (or 503) answer asks the client to wait, or None if it does not say.

    ``Retry-After`` (seconds or an HTTP date) wins; else ``X-RateLimit-Reset``, read as the epoch second at
    which the window resets (Flask-Limiter style, as Zenodo sends it), or as a number of seconds when it
    is too small to be a date.

    Examples
    --------
    >>> import requests
    >>> r = requests.Response()
    >>> r.headers["X-RateLimit-Reset"] = "1760000030"
    >>> retry_wait_s(r, now=1760000000.0)
    30.0
    >>> r.headers["Retry-After"] = "7"
    >>> retry_wait_s(r, now=1760000000.0)
    7.0
    """
    now = time.time() if now is None else now
    value = response.headers.get("Retry-After")
    if value:
        value = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", value):
            return max(0.0, float(value))
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - now)
    value = response.headers.get("X-RateLimit-Reset")
    if value and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
        reset = float(value)
        return max(0.0, reset - now) if reset > 1e9 else reset
    return None


def call(session, method, url, *, idempotent, retries=5, backoff_s=0.5, max_wait_s=120.0, sleep=time.sleep,
         service="http", **kwargs):
    """Send one request with the spec's retry rules; return the 2xx response.

    Parameters
    ----------
    session : requests.Session
        Usually from `make_session`.
    method, url : str
    idempotent : bool
        Whether sending the request twice is the same as once (GET, PUT by key, DELETE): only then are
        connection errors, timeouts and 502/503/504 retried.
    retries : int
        Most retries after the first try.
    backoff_s : float
        First backoff in seconds; doubled after each try, times a random factor in [0.5, 1.5), capped at
        ``max_wait_s``.
    max_wait_s : float
        Longest single wait, in seconds (also caps a service's ``Retry-After``).
    sleep : callable
        ``sleep(seconds)``; tests pass a recorder.
    service : str
        Name used in errors.
    **kwargs
        Passed to ``session.request``. A callable ``data`` is called before each try to get a fresh body
        (an open file cannot be sent twice).

    Returns
    -------
    requests.Response

    Raises
    ------
    publishers.OutcomeUnknown
        A non-idempotent request timed out, lost its connection or got a 5xx answer: it may have taken
        effect.
    publishers.UpstreamError
        Any other non-2xx answer (``status`` is its code, ``detail`` the service's message), or an
        idempotent request still failing after ``retries`` retries (``status`` None if no answer came).
    """
    secrets = [*getattr(session, "secrets", ()), *getattr(kwargs.get("auth"), "secrets", ())]
    data = kwargs.pop("data", None)
    attempt = 0
    while True:
        body = data() if callable(data) else data
        wait = None
        try:
            response = session.request(method, url, data=body, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            kind = "timed out" if isinstance(exc, requests.Timeout) else "lost its connection"
            detail = f"{method} {url} {kind} ({type(exc).__name__})"
            if not idempotent:
                raise OutcomeUnknown(service, None, detail) from None
            if attempt >= retries:
                raise UpstreamError(service, None, f"{detail}; gave up after {attempt + 1} tries") from None
            response = None
        finally:
            if hasattr(body, "close"):
                body.close()
        if response is not None:
            status = response.status_code
            if 200 <= status < 300:
                return response
            if status == 429 or (idempotent and status in RETRY_STATUSES):
                if attempt >= retries:
                    raise UpstreamError(service, status, error_detail(response, secrets)
                                        + f" (gave up after {attempt + 1} tries)")
                wait = retry_wait_s(response)
            elif not idempotent and status >= 500:
                raise OutcomeUnknown(service, status, error_detail(response, secrets))
            else:
                raise UpstreamError(service, status, error_detail(response, secrets))
            response.close()
        if wait is None:
            wait = backoff_s * (2 ** attempt) * (0.5 + random.random())
        wait = min(max(wait, 0.0), max_wait_s)
        log.info("%s %s: try %d failed, retrying in %.1f s", method, url, attempt + 1, wait)
        sleep(wait)
        attempt += 1
