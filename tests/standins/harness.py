"""Shared harness of the local stand-ins: request log, control API, injected faults, rate limits, a server.

A stand-in is a Flask app that follows one service contract of ``specs/external-apis.md``. `install` wraps
its ``wsgi_app`` with a `Harness`, which adds what §0.1 of that spec asks of every stand-in:

- every request is recorded (`RecordedRequest`: method, path, query, raw headers including
  ``Authorization``, body, response status, fault applied) so tests can assert on what a client sent;
- a control API under ``/__standin__/`` (never part of the service contract):

  ========================================  ==================================================================
  ``POST /__standin__/reset``               clear service state, fault rules, rate limit and request log (204)
  ``GET /__standin__/state``                JSON dump: ``name``, ``service`` (the app's state), ``faults``,
                                            ``ratelimit``, ``requests`` (how many were recorded)
  ``POST /__standin__/faults``              add rules: a JSON list, or ``{"rules": [...]}`` (201, all rules)
  ``GET`` / ``DELETE /__standin__/faults``  list the rules still armed / disarm them all (204)
  ``POST /__standin__/ratelimit``           ``{"limit": n, "window_s": s}``; ``{"limit": null}`` switches off
  ``GET`` / ``DELETE /__standin__/requests``  the request log (``Authorization`` and token query
                                            parameters redacted) / clear it (204)
  ========================================  ==================================================================

- fault rules (`FaultRule`) matched on method and path, each firing ``times`` times, with the actions
  ``status``, ``delay``, ``drop``, ``truncate`` and ``after_effect``;
- a fixed-window rate limit answering 429 with ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``,
  ``X-RateLimit-Reset`` (epoch seconds of the window's end) and ``Retry-After`` (seconds).

`StandIn` serves such an app over real HTTP on ``127.0.0.1`` and an ephemeral port, in a daemon thread.

References
----------
.. [1] ``specs/external-apis.md`` §0.1 "Stand-in harness (shared design)" and §7 "Failure-mode test matrix".
"""

import contextlib
import io
import json
import math
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, parse_qsl, urlencode

from werkzeug.datastructures import EnvironHeaders, Headers
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_input_stream

CONTROL_PREFIX = "/__standin__/"
"""Path prefix of the control API; requests under it are neither recorded, faulted nor rate limited."""

ACTIONS = ("status", "delay", "drop", "truncate", "after_effect")
"""Fault actions, as named in ``specs/external-apis.md`` §0.1."""

REDACTED = "<redacted>"
SECRET_QUERY_KEYS = frozenset({"access_token", "api_key", "token"})


class ConnectionDropped(ConnectionAbortedError):
    """Raised inside the server to close the client's connection without any HTTP response.

    werkzeug's request handler treats a `ConnectionError` as "the connection went away" and answers
    nothing, so the client sees the socket close (``requests.ConnectionError``).
    """


def drop_connection(environ):
    """Close the connection of the request in ``environ`` without an HTTP response.

    Parameters
    ----------
    environ : dict
        WSGI environ; ``werkzeug.socket`` (set by werkzeug's server) is shut down in both directions.

    Raises
    ------
    ConnectionDropped
        Always, so that no response is written.
    """
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionDropped("stand-in fault: connection dropped without a response")


@dataclass
class RecordedRequest:
    """One request a stand-in received, as the client sent it (secrets included: test tokens only).

    ``status`` is the status code sent back, or None while the request is still being answered and when
    the connection was dropped; ``fault`` names the fault action applied, if any. For a ``truncate``
    fault ``body`` holds only the bytes the stand-in read.
    """

    method: str
    path: str
    query_string: str
    headers: Headers
    body: bytes = b""
    status: int | None = None
    fault: str | None = None
    time: float = 0.0

    @property
    def query(self):
        """Query parameters, as a dict of lists of str."""
        return parse_qs(self.query_string, keep_blank_values=True)

    @property
    def url(self):
        """Path and query string, as the client sent them."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    def json(self):
        """The body parsed as JSON (raises `ValueError` if it is not JSON)."""
        return json.loads(self.body)

    def to_dict(self):
        """A JSON-able summary with ``Authorization`` and token query parameters redacted."""
        headers = {}
        for key, value in self.headers.items():
            if key.lower() == "authorization":
                scheme = value.split(" ", 1)[0] if " " in value else ""
                value = f"{scheme} {REDACTED}".strip()
            headers[key] = value
        query = [(k, REDACTED if k in SECRET_QUERY_KEYS else v)
                 for k, v in parse_qsl(self.query_string, keep_blank_values=True)]
        try:
            body = self.body.decode("utf-8")
        except UnicodeDecodeError:
            body = None
        return {"method": self.method, "path": self.path, "query_string": urlencode(query), "headers": headers,
                "body_size": len(self.body), "body": body if body is None or len(body) <= 4096 else body[:4096],
                "status": self.status, "fault": self.fault, "time": self.time}


@dataclass
class FaultRule:
    """One injected fault: which requests it hits, how often, and what happens to them.

    Parameters
    ----------
    action : {'status', 'delay', 'drop', 'truncate', 'after_effect'}
        ``status``: answer ``status`` with ``body`` instead of calling the service.
        ``delay``: wait ``seconds``, to trigger client read timeouts; with ``effect_first`` (default) the
        service handles the request first (its state changes) and the answer is held back, else the wait
        comes before the service sees the request.
        ``drop``: close the socket without a response; the service never sees the request.
        ``truncate``: read only ``bytes`` of the request body (default: half its ``Content-Length``),
        then fail as ``then`` says; the service never sees the request, so nothing partial is stored.
        ``after_effect``: let the service handle the request (state changes), then throw its answer away
        and fail as ``then`` says: the "committed but the client never heard" case.
    method : str, optional
        HTTP method to match (any when omitted).
    path : str
        Regular expression searched in the request path (``re.search``); empty matches every path.
    times : int or None
        How many matching requests the rule hits before it is disarmed; None hits all of them.
    status : int
        Status code of ``status`` faults and of failing ``truncate`` / ``after_effect`` faults.
    body : dict, list, str or None
        Response body (dict and list are sent as JSON); default ``{"status": <code>, "message": <reason>}``.
    content_type : str, optional
        Content type for a str ``body`` (default ``text/plain; charset=utf-8``).
    headers : dict
        Extra response headers of the failing answer.
    seconds : float
        Wait of ``delay`` faults.
    then : {'status', 'drop'}
        How ``truncate`` and ``after_effect`` fail: answer ``status``, or drop the connection.
    keep_bytes : int, optional
        Body bytes a ``truncate`` fault reads (JSON key ``bytes``).
    effect_first : bool
        For ``delay``: let the service act before the wait (True) or after it (False).
    """

    action: str
    method: str | None = None
    path: str = ""
    times: int | None = 1
    status: int = 500
    body: object = None
    content_type: str | None = None
    headers: dict = field(default_factory=dict)
    seconds: float = 0.0
    then: str = "status"
    keep_bytes: int | None = None
    effect_first: bool = True

    _KEYS = {"action", "method", "path", "times", "status", "body", "content_type", "headers", "seconds", "then",
             "bytes", "effect_first"}

    @classmethod
    def from_dict(cls, data):
        """Build a rule from its JSON form; raise `ValueError` naming the first invalid key."""
        if not isinstance(data, dict):
            raise ValueError(f"a fault rule must be a JSON object, not {data!r}")
        unknown = set(data) - cls._KEYS
        if unknown:
            raise ValueError(f"unknown fault rule keys {sorted(unknown)}; known: {sorted(cls._KEYS)}")
        action = data.get("action")
        if action not in ACTIONS:
            raise ValueError(f"fault 'action' must be one of {list(ACTIONS)}, not {action!r}")
        rule = cls(action=action)
        if data.get("method") is not None:
            if not isinstance(data["method"], str):
                raise ValueError("fault 'method' must be a string")
            rule.method = data["method"].upper()
        rule.path = data.get("path") or ""
        try:
            re.compile(rule.path)
        except (re.error, TypeError) as e:
            raise ValueError(f"fault 'path' is not a regular expression: {e}") from None
        if "times" in data:
            times = data["times"]
            if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
                raise ValueError("fault 'times' must be a positive integer or null (every time)")
            rule.times = times
        if "status" in data:
            if not isinstance(data["status"], int) or not 100 <= data["status"] <= 599:
                raise ValueError("fault 'status' must be an HTTP status code")
            rule.status = data["status"]
        rule.body = data.get("body")
        rule.content_type = data.get("content_type")
        rule.headers = dict(data.get("headers") or {})
        if "seconds" in data:
            if not isinstance(data["seconds"], (int, float)) or data["seconds"] < 0:
                raise ValueError("fault 'seconds' must be a non-negative number")
            rule.seconds = float(data["seconds"])
        if action == "delay" and "seconds" not in data:
            raise ValueError("a 'delay' fault needs 'seconds'")
        rule.then = data.get("then", "status")
        if rule.then not in ("status", "drop"):
            raise ValueError("fault 'then' must be 'status' or 'drop'")
        if data.get("bytes") is not None:
            if not isinstance(data["bytes"], int) or data["bytes"] < 0:
                raise ValueError("fault 'bytes' must be a non-negative integer")
            rule.keep_bytes = data["bytes"]
        rule.effect_first = bool(data.get("effect_first", True))
        return rule

    def to_dict(self):
        """The rule's JSON form (``times`` is what is left)."""
        return {"action": self.action, "method": self.method, "path": self.path, "times": self.times,
                "status": self.status, "body": self.body, "content_type": self.content_type,
                "headers": self.headers, "seconds": self.seconds, "then": self.then, "bytes": self.keep_bytes,
                "effect_first": self.effect_first}

    def matches(self, method, path):
        """Whether this rule applies to a ``method`` request for ``path``."""
        return (self.method is None or self.method == method) and re.search(self.path, path) is not None

    def response(self, extra_headers=()):
        """The failing answer of a ``status``, ``truncate`` or ``after_effect`` fault."""
        body = self.body
        if body is None:
            body = {"status": self.status, "message": HTTP_STATUS_CODES.get(self.status, "Unknown")}
        if isinstance(body, (dict, list)):
            response = Response(json.dumps(body), self.status, content_type="application/json")
        else:
            response = Response(str(body), self.status,
                                content_type=self.content_type or "text/plain; charset=utf-8")
        for key, value in list(extra_headers) + list(self.headers.items()):
            response.headers[key] = str(value)
        return response


def _json_response(data, status=200, headers=()):
    response = Response(json.dumps(data), status, content_type="application/json")
    for key, value in headers:
        response.headers[key] = value
    return response


def _read_body(environ, limit=None):
    """Read the request body (all of it, or at most ``limit`` bytes)."""
    stream = get_input_stream(environ)
    if limit is None:
        return stream.read()
    return stream.read(limit) if limit else b""


def _call(app, environ):
    """Run a WSGI app to completion; return (status line, headers, body chunks)."""
    captured = {}
    chunks = []

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, list(headers)
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return captured["status"], captured["headers"], chunks


class Harness:
    """WSGI middleware giving a stand-in app request recording, the control API, faults and rate limits.

    Parameters
    ----------
    app : callable
        The service's WSGI app (usually a Flask app's original ``wsgi_app``).
    reset : callable, optional
        Called without arguments to clear the service's state.
    state : callable, optional
        Called without arguments to return the service's state as JSON-able data.
    name : str
        Name of the service, shown in the state dump.

    Notes
    -----
    Order of processing: control API; rate limit (a 429 is recorded but hits no fault); fault rules, the
    first armed rule matching method and path firing; then the service. Each method is thread-safe.
    """

    def __init__(self, app, *, reset=None, state=None, name="standin"):
        self.app = app
        self.name = name
        self._reset_service = reset or (lambda: None)
        self._service_state = state or dict
        self._lock = threading.Lock()
        self._log = []
        self._faults = []
        self._ratelimit = None

    # Python API ------------------------------------------------------------------------------------------

    def requests_log(self, method=None, path=None):
        """Requests received so far, oldest first.

        Parameters
        ----------
        method : str, optional
            Keep only this HTTP method.
        path : str, optional
            Keep only requests whose path matches this regular expression (``re.search``).

        Returns
        -------
        log : list of `RecordedRequest`
        """
        with self._lock:
            log = list(self._log)
        return [r for r in log if (method is None or r.method == method.upper())
                and (path is None or re.search(path, r.path))]

    def clear_requests(self):
        """Forget the recorded requests."""
        with self._lock:
            self._log.clear()

    def add_faults(self, rules):
        """Arm fault rules (each a `FaultRule` or its JSON dict); return the armed rules.

        Raises
        ------
        ValueError
            If a rule is invalid; then no rule of ``rules`` is armed.
        """
        if isinstance(rules, (dict, FaultRule)):
            rules = [rules]
        parsed = [r if isinstance(r, FaultRule) else FaultRule.from_dict(r) for r in rules]
        with self._lock:
            self._faults.extend(parsed)
        return parsed

    def faults(self):
        """The rules still armed, as JSON dicts."""
        with self._lock:
            return [r.to_dict() for r in self._faults]

    def clear_faults(self):
        """Disarm every fault rule."""
        with self._lock:
            self._faults.clear()

    def set_ratelimit(self, limit, window_s=60.0):
        """Allow ``limit`` requests per fixed window of ``window_s`` seconds (None switches limiting off).

        Raises
        ------
        ValueError
            If ``limit`` is not a non-negative integer or ``window_s`` is not positive.
        """
        if limit is None:
            with self._lock:
                self._ratelimit = None
            return
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError("ratelimit 'limit' must be a non-negative integer or null")
        if not isinstance(window_s, (int, float)) or window_s <= 0:
            raise ValueError("ratelimit 'window_s' must be a positive number")
        with self._lock:
            self._ratelimit = {"limit": limit, "window_s": float(window_s), "used": 0,
                               "reset": time.time() + window_s}

    def ratelimit(self):
        """The rate-limit settings and usage, or None when off."""
        with self._lock:
            return dict(self._ratelimit) if self._ratelimit else None

    def reset(self):
        """Clear the service state, the fault rules, the rate limit and the request log."""
        self._reset_service()
        with self._lock:
            self._faults.clear()
            self._ratelimit = None
            self._log.clear()

    def state(self):
        """JSON-able dump of the service state and of the harness settings."""
        service = self._service_state()
        with self._lock:
            return {"name": self.name, "service": service, "faults": [r.to_dict() for r in self._faults],
                    "ratelimit": dict(self._ratelimit) if self._ratelimit else None, "requests": len(self._log)}

    # WSGI ------------------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self._control(environ)(environ, start_response)
        return self._serve(environ, start_response)

    def _take_fault(self, method, path):
        with self._lock:
            for rule in self._faults:
                if rule.matches(method, path):
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times == 0:
                            self._faults.remove(rule)
                    return rule
        return None

    def _count(self):
        """Count one request against the rate limit; return (429 response or None, headers to add)."""
        with self._lock:
            limit = self._ratelimit
            if limit is None:
                return None, []
            now = time.time()
            if now >= limit["reset"]:
                limit["reset"], limit["used"] = now + limit["window_s"], 0
            refused = limit["used"] >= limit["limit"]
            if not refused:
                limit["used"] += 1
            headers = [("X-RateLimit-Limit", str(limit["limit"])),
                       ("X-RateLimit-Remaining", str(limit["limit"] - limit["used"])),
                       ("X-RateLimit-Reset", str(math.ceil(limit["reset"])))]
            if not refused:
                return None, headers
            retry_after = max(1, math.ceil(limit["reset"] - now))
            body = {"status": 429, "message": "Too Many Requests: rate limit exceeded, retry later."}
            return _json_response(body, 429, headers + [("Retry-After", str(retry_after))]), headers

    def _serve(self, environ, start_response):
        method = environ["REQUEST_METHOD"].upper()
        path = environ.get("PATH_INFO", "")
        entry = RecordedRequest(method, path, environ.get("QUERY_STRING", ""), Headers(EnvironHeaders(environ)),
                                time=time.time())
        refused, limit_headers = self._count()
        rule = None if refused is not None else self._take_fault(method, path)
        entry.fault = rule.action if rule else None
        if rule is not None and rule.action == "truncate":
            keep = rule.keep_bytes
            if keep is None:
                keep = int(environ.get("CONTENT_LENGTH") or 0) // 2
            entry.body = _read_body(environ, keep)
        else:
            entry.body = _read_body(environ)
            environ["wsgi.input"] = io.BytesIO(entry.body)
            environ["CONTENT_LENGTH"] = str(len(entry.body))
            environ.pop("wsgi.input_terminated", None)
        with self._lock:
            self._log.append(entry)

        if refused is not None:
            entry.status = 429
            return refused(environ, start_response)
        action = rule.action if rule else None
        if action in ("status", "truncate"):
            drop = action == "truncate" and rule.then == "drop"
            return self._fail(rule, entry, environ, start_response, limit_headers, drop=drop)
        if action == "drop":
            drop_connection(environ)
        if action == "delay" and not rule.effect_first:
            time.sleep(rule.seconds)
        try:
            status, headers, chunks = _call(self.app, environ)
        except Exception:
            entry.status = 500
            raise
        if action == "after_effect":
            return self._fail(rule, entry, environ, start_response, limit_headers, drop=rule.then == "drop")
        if action == "delay" and rule.effect_first:
            time.sleep(rule.seconds)
        entry.status = int(status.split(None, 1)[0])
        start_response(status, headers + limit_headers)
        return chunks

    def _fail(self, rule, entry, environ, start_response, limit_headers, drop=False):
        if drop:
            drop_connection(environ)
        entry.status = rule.status
        return rule.response(limit_headers)(environ, start_response)

    # Control API -----------------------------------------------------------------------------------------

    def _control(self, environ):
        request = Request(environ)
        op = request.path[len(CONTROL_PREFIX):].strip("/")
        routes = {("reset", "POST"): self._control_reset, ("state", "GET"): self._control_state,
                  ("faults", "GET"): self._control_faults, ("faults", "POST"): self._control_faults,
                  ("faults", "DELETE"): self._control_faults, ("ratelimit", "GET"): self._control_ratelimit,
                  ("ratelimit", "POST"): self._control_ratelimit, ("ratelimit", "DELETE"): self._control_ratelimit,
                  ("requests", "GET"): self._control_requests, ("requests", "DELETE"): self._control_requests}
        if (op, request.method) not in routes:
            known = sorted({o for o, _ in routes})
            if op in known:
                return _json_response({"status": 405, "message": f"method {request.method} not allowed"}, 405)
            return _json_response({"status": 404, "message": f"no control operation {op!r}; known: {known}"}, 404)
        try:
            return routes[op, request.method](request)
        except ValueError as e:
            return _json_response({"status": 400, "message": str(e)}, 400)

    def _control_reset(self, request):
        self.reset()
        return Response(status=204)

    def _control_state(self, request):
        return _json_response(self.state())

    def _control_faults(self, request):
        if request.method == "DELETE":
            self.clear_faults()
            return Response(status=204)
        if request.method == "POST":
            data = json.loads(request.get_data() or b"null")
            if isinstance(data, dict) and "rules" in data:
                data = data["rules"]
            if not isinstance(data, (list, dict)):
                raise ValueError("send a list of fault rules, or {\"rules\": [...]}")
            self.add_faults(data)
            return _json_response({"faults": self.faults()}, 201)
        return _json_response({"faults": self.faults()})

    def _control_ratelimit(self, request):
        if request.method == "DELETE":
            self.set_ratelimit(None)
            return Response(status=204)
        if request.method == "POST":
            data = json.loads(request.get_data() or b"{}")
            if not isinstance(data, dict):
                raise ValueError("send {\"limit\": n, \"window_s\": s}")
            self.set_ratelimit(data.get("limit"), data.get("window_s", 60.0))
        return _json_response({"ratelimit": self.ratelimit()})

    def _control_requests(self, request):
        if request.method == "DELETE":
            self.clear_requests()
            return Response(status=204)
        return _json_response({"requests": [r.to_dict() for r in self.requests_log()]})


def install(app, *, reset=None, state=None, name=None):
    """Wrap a Flask app's ``wsgi_app`` with a `Harness`, kept in ``app.extensions["standin"]``.

    Parameters
    ----------
    app : `~flask.Flask`
        The stand-in app.
    reset, state : callable, optional
        Clear / dump the service state (see `Harness`).
    name : str, optional
        Service name (default: the app's import name).

    Returns
    -------
    harness : `Harness`

    Examples
    --------
    >>> import flask, requests
    >>> app = flask.Flask("echo")
    >>> _ = app.route("/ping")(lambda: {"pong": True})
    >>> harness = install(app)
    >>> with StandIn(app) as server:
    ...     _ = harness.add_faults([{"action": "status", "path": "^/ping$", "status": 503}])
    ...     first = requests.get(server.url + "/ping", timeout=5).status_code
    ...     second = requests.get(server.url + "/ping", timeout=5).json()
    >>> first, second, [r.status for r in harness.requests_log(path="^/ping$")]
    (503, {'pong': True}, [503, 200])
    """
    harness = Harness(app.wsgi_app, reset=reset, state=state, name=name or app.import_name)
    app.wsgi_app = harness
    app.extensions["standin"] = harness
    return harness


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without the per-request access log line (errors are still logged)."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code="-", size="-"):
        pass


class StandIn:
    """Serve a stand-in app over real HTTP on 127.0.0.1 and an ephemeral port, in a daemon thread.

    Parameters
    ----------
    app : `~flask.Flask` or `Harness`
        A Flask app prepared by `install` (or a bare `Harness`, served as is).
    host : str
        Interface to bind; keep the default loopback address.

    Attributes
    ----------
    url : str
        Base URL without a trailing slash, e.g. ``http://127.0.0.1:40123``; set by `start`.
    harness : `Harness`
        The app's harness, for the Python-side control API (`requests_log`, `add_faults`, ...).

    Notes
    -----
    Use it as a context manager, or call `start` and `stop`. The server is threaded, so a delayed or
    sleeping request does not block the others.
    """

    def __init__(self, app, host="127.0.0.1"):
        self.app = app
        self.harness = app if isinstance(app, Harness) else app.extensions["standin"]
        self.host = host
        self.server = None
        self.url = None
        self._thread = None

    @property
    def port(self):
        """The TCP port served (None before `start`)."""
        return self.server.server_port if self.server else None

    def start(self):
        """Bind the port and start serving; return self."""
        self.server = make_server(self.host, 0, self.app, threaded=True, request_handler=_QuietHandler)
        self.server.daemon_threads = True
        self.url = f"http://{self.host}:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"standin-{self.harness.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and close the listening socket."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self._thread.join(timeout=5)
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # Shortcuts to the harness ----------------------------------------------------------------------------

    def requests_log(self, method=None, path=None):
        """See `Harness.requests_log`."""
        return self.harness.requests_log(method=method, path=path)

    def add_faults(self, rules):
        """See `Harness.add_faults`."""
        return self.harness.add_faults(rules)

    def clear_faults(self):
        """See `Harness.clear_faults`."""
        self.harness.clear_faults()

    def set_ratelimit(self, limit, window_s=60.0):
        """See `Harness.set_ratelimit`."""
        self.harness.set_ratelimit(limit, window_s)

    def reset(self):
        """See `Harness.reset`."""
        self.harness.reset()

    def state(self):
        """See `Harness.state`."""
        return self.harness.state()
