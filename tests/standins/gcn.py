"""Stand-ins of GCN Circulars (test equipment): the HTTP API with its archive, and an SMTP submission server.

Both apply GCN's subject and body rules themselves (written here from ``specs/external-apis.md`` §4.2,
independently of the product's `skyweave.publishers.circular_rules`, so a mistake in one is caught by the
other) and file accepted circulars in one `CircularsArchive`, which also keeps the "published to
``gcn.circulars``" log.

- `make_circulars_app`: ``POST /api/circulars`` (bearer tokens mapped to users: an approved submitter, a
  user who is not one, a token without the ``circular-submitter`` scope; 403 ``Bearer missing`` without
  one; 400 ``subject is invalid`` / ``body is invalid`` / ``format is invalid``), ``GET
  /circulars/<id>.json``, and ``GET /circulars?query=...`` answering JSON ``{"items": [...]}`` to clients
  that accept it (the archive search is [UNVERIFIED] against the real site, which answers HTML), with the
  harness of `tests.standins.harness` (faults such as ``after_effect``, request log).
- `CircularsSMTP`: an ``aiosmtpd`` server on 127.0.0.1 requiring STARTTLS (a certificate from a
  ``trustme`` test CA) and login; it parses each message, applies the same rules, files the circular
  under the sender's address when the sender is a registered submitter, and records GCN's reply
  ("GCN Circular Submission Successful: <id>", "Not an authorized submitter", "Invalid subject or body").

References
----------
.. [1] ``specs/external-apis.md`` §4.2, §4.3 (stand-ins and failure modes).
"""

import email
import email.policy
import re
import socket
import ssl
import threading
import time

from flask import Flask, jsonify, request

from .harness import install

__all__ = ["CircularsArchive", "make_circulars_app", "CircularsSMTP", "TOKENS", "SUBMITTERS"]

TOKENS = {"submitter-token": ("Ada Lovelace at Skyweave <ada@example.org>", True, True),
          "not-submitter-token": ("Bob at Nowhere <bob@example.org>", False, True),
          "wrong-scope-token": ("Ada Lovelace at Skyweave <ada@example.org>", True, False)}
"""Bearer token -> (submitter, approved submitter?, has the circular-submitter scope?)."""

SUBMITTERS = {"ada@example.org": "Ada Lovelace at Skyweave <ada@example.org>"}
"""Registered e-mail address -> submitter (e-mail path)."""

_KEYWORDS = ("agile", "alma", "amon", "antares", "axp", "baksan", "calet", "chandra", "colibri", "ep", "fermi",
             "frb", "fxt", "goto", "grandma", "grb", "gw", "hawc", "hst", "ibas", "icecube", "integral", "ipn",
             "jcmt", "kagra", "kamland", "konus", "ligo", "lofar", "lvc", "lvk", "lxt", "magic", "master", "maxi",
             "nova", "nuem", "pan-starrs", "polar", "ratir", "sdss", "sfxt", "sgr", "sn", "super-kamiokande",
             "supernova", "suzaku", "svom", "swift", "transient", "vla", "vlbi", "xrb", "xrf", "xrt", "xtr",
             "virgo", "ztf")
_FORBIDDEN = ("re:", "fw:", "fwd:", "out of office", "automatic reply", "vacation", "subject:", "draft")
_EVENT = re.compile(r"(GRB|XRF|SGR|FRB)\s?\d{6}[A-Z]?|\bS\d{6}[a-z]+|\b(AT|SN)\s?\d{4}[a-z]+", re.I)


def subject_ok(subject):
    """GCN's subject rule: a keyword or an event name, and no auto-reply phrase (case-insensitive)."""
    low = (subject or "").lower()
    return bool(low.strip()) and not any(p in low for p in _FORBIDDEN) and \
        (any(k in low for k in _KEYWORDS) or bool(_EVENT.search(subject)))


class CircularsArchive:
    """The circulars filed so far, numbered from ``first_id``, and GCN's e-mail replies.

    Parameters
    ----------
    first_id : int
        The number of the first circular filed.
    on_file : callable or None
        Called with each filed circular's JSON, as GCN publishes it on ``gcn.circulars`` (the demo
        produces it to a local broker).
    """

    def __init__(self, first_id=40000, on_file=None):
        self.first_id, self.on_file = first_id, on_file
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        """Forget every circular, reply and message."""
        with self.lock:
            self.circulars, self.replies, self.messages, self.kafka = {}, [], [], []
            self.next_id = self.first_id

    def file(self, subject, body, submitter, how, format="text/plain"):
        """File a circular; return its JSON (also "published" to ``gcn.circulars``)."""
        with self.lock:
            number, self.next_id = self.next_id, self.next_id + 1
            event = _EVENT.search(subject)
            item = {"$schema": "https://gcn.nasa.gov/schema/v4.2.0/gcn/circulars.schema.json", "circularId": number,
                    "subject": subject, "body": body, "format": format, "submitter": submitter,
                    "submittedHow": how, "createdOn": int(time.time() * 1000), "version": 1}
            if event:
                item["eventId"] = event.group(0)
            self.circulars[number] = item
            self.kafka.append(("gcn.circulars", item))
        if self.on_file is not None:
            self.on_file(item)
        return item

    def state(self):
        """JSON dump for ``/__standin__/state``."""
        return {"circulars": list(self.circulars.values()), "replies": self.replies,
                "messages": len(self.messages)}


def make_circulars_app(archive=None):
    """Build the GCN Circulars API stand-in (a Flask app with the harness installed).

    Parameters
    ----------
    archive : CircularsArchive or None
        Shared with a `CircularsSMTP` when both paths are tested together.

    Returns
    -------
    flask.Flask
        ``app.extensions["gcn"]`` is the `CircularsArchive`.

    Examples
    --------
    >>> import requests
    >>> from skyweave.standins.harness import StandIn
    >>> with StandIn(make_circulars_app()) as gcn:
    ...     ok = requests.post(gcn.url + "/api/circulars", json={"subject": "GRB 250101A: test", "body": "b"},
    ...                        headers={"Authorization": "Bearer submitter-token"}, timeout=5)
    ...     bad = requests.post(gcn.url + "/api/circulars", json={"subject": "Re: GRB 250101A", "body": "b"},
    ...                         headers={"Authorization": "Bearer submitter-token"}, timeout=5)
    >>> ok.json()["circularId"], bad.status_code, bad.text
    (40000, 400, 'subject is invalid')
    """
    archive = archive or CircularsArchive()
    app = Flask(__name__)
    app.extensions["gcn"] = archive

    @app.post("/api/circulars")
    def submit():
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "Bearer missing", 403
        user = TOKENS.get(token.strip())
        if user is None or not user[2]:
            return "Invalid scope", 403
        if not user[1]:
            return "User is not in the submitters group", 403
        body = request.get_json(silent=True) or {}
        if not subject_ok(body.get("subject")):
            return "subject is invalid", 400
        if not str(body.get("body") or "").strip():
            return "body is invalid", 400
        if body.get("format", "text/plain") not in ("text/plain", "text/markdown"):
            return "format is invalid", 400
        return jsonify(archive.file(body["subject"], body["body"], user[0], "api", body.get("format", "text/plain")))

    @app.get("/circulars/<int:number>.json")
    def one(number):
        item = archive.circulars.get(number)
        return (jsonify(item), 200) if item else ("Not found", 404)

    @app.get("/circulars")
    def search():
        query = (request.args.get("query") or "").lower()
        items = [c for c in archive.circulars.values()
                 if query in c["subject"].lower() or query in c["body"].lower()]
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) != "application/json":
            return "<ul>" + "".join(f"<li>{c['circularId']} {c['subject']}</li>" for c in items) + "</ul>"
        return jsonify({"items": sorted(items, key=lambda c: -c["circularId"])})

    install(app, reset=archive.reset, state=archive.state, name="gcn-circulars")
    return app


class _Handler:
    """aiosmtpd handler: parse, check, file, and record GCN's reply."""

    def __init__(self, archive):
        self.archive = archive

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        sender = email.utils.parseaddr(message["From"] or envelope.mail_from)[1].lower()
        subject = str(message["Subject"] or "")
        part = message.get_body(preferencelist=("plain",))
        body = (part.get_content() if part is not None else "").replace("\r\n", "\n").replace("\r", "")
        self.archive.messages.append({"from": sender, "to": list(envelope.rcpt_tos), "subject": subject,
                                      "body": body, "login": session.auth_data,
                                      "message_id": str(message["Message-ID"] or ""), "tls": session.ssl is not None})
        if sender not in SUBMITTERS:
            self.archive.replies.append({"to": sender, "subject": "Not an authorized submitter"})
        elif not subject_ok(subject) or not body.strip():
            self.archive.replies.append({"to": sender, "subject": "Invalid subject or body"})
        else:
            item = self.archive.file(subject, body.rstrip("\n"), SUBMITTERS[sender], "email")
            self.archive.replies.append({"to": sender,
                                         "subject": f"GCN Circular Submission Successful: {item['circularId']}"})
        return "250 Message accepted for delivery"


class CircularsSMTP:
    """An SMTP submission server on 127.0.0.1: STARTTLS required, then AUTH (LOGIN/PLAIN), then the message.

    Parameters
    ----------
    archive : CircularsArchive or None
    users : dict of str to str
        Login -> password.

    Attributes
    ----------
    host, port : str, int
    client_context : ssl.SSLContext
        A client context that trusts the server's test CA (pass it to the publisher).
    ca : trustme.CA
        The test CA (``ca.cert_pem.write_to_path(path)`` writes it for the ``GCN_SMTP_CA_FILE`` setting).
    archive : CircularsArchive
    """

    def __init__(self, archive=None, users=None):
        import trustme

        self.archive = archive or CircularsArchive()
        self.users = users if users is not None else {"ada@example.org": "smtp-password"}
        ca = self.ca = trustme.CA()
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
        client = ssl.create_default_context()
        ca.configure_trust(client)
        self.server_context, self.client_context = server, client
        self.host, self.port, self._controller = "127.0.0.1", None, None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(login) == password:
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)

    def start(self):
        """Start serving on an ephemeral port; return self."""
        from aiosmtpd.controller import Controller

        handler = _Handler(self.archive)
        with socket.socket() as probe:  # a free port (the controller checks it can connect to the one it is given)
            probe.bind((self.host, 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(handler, hostname=self.host, port=self.port, require_starttls=True,
                                      tls_context=self.server_context, authenticator=self._authenticate,
                                      auth_required=True, auth_require_tls=True)
        self._controller.start()
        return self

    def stop(self):
        """Stop serving."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
