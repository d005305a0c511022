"""Send a GCN Circular drafted from a record, exactly once: by e-mail (the default) or by the HTTP API.

Both paths follow the exactly-once template (`publishers.exactly_once`); the subject and body are checked
against GCN's rules (`publishers.circular_rules`) in `GcnCircularPublisher.prepare`, before anything is
written or sent, and the body must keep the record's IRI, by which a resumed submission recognises the
circular in the archive.

- **E-mail** (``via="email"``): SMTP with STARTTLS and login (`smtplib`), from the submitter's registered
  address to ``circulars@test.gcn.nasa.gov`` (or the production address). E-mail is fire-and-forget: the
  step ``smtp_sending`` is recorded just before the message is handed over and the publication becomes
  ``sent`` after; an attempt that finds ``smtp_sending`` without ``sent`` never sends again by itself
  (the message may have left) and says so. Refusals that prove nothing left (connection refused, login
  refused, sender or recipient refused) clear the mark, so a later attempt may send. The circular number
  is filled in later, when the circular appears on ``gcn.circulars`` (the alert listener's hook) or in
  the archive, read by number (`publishers.circular_numbers`).
- **API** (``via="api"``): ``POST {base}/api/circulars`` with ``Authorization: Bearer <token>`` and JSON
  ``{"subject", "body", "format"}``; the answer's ``circularId`` is the identifier. GCN has no idempotency
  key: after an unknown outcome (timeout, dropped connection, 5xx) and on every resumed attempt, the
  archive is searched for the subject and the record's IRI before anything is sent again (§7 F14).

References
----------
.. [1] GCN Circulars, https://gcn.nasa.gov/docs/circulars/submitting ; ``nasa-gcn/gcn.nasa.gov``
   ``app/routes/api.circulars.ts``; ``specs/external-apis.md`` §4.2, §4.3, §7 (F14, F15, F19).
.. [2] RFC 3207 (SMTP STARTTLS), RFC 4954 (SMTP AUTH); Python `smtplib`.
"""

import email.message
import email.utils
import logging
import smtplib
import socket
import ssl
import time

from skyweave.catalog.exceptions import NotConfigured

from ._http import TIMEOUT, BearerAuth, call, make_session
from .circular_rules import check_circular
from .drafts import CIRCULAR_SERVICE, draft_circular, report_facts
from . import records
from .circular_numbers import find_in_archive, highest_known, mark_appeared
from .exactly_once import ExactlyOnce
from .outcomes import MissingMetadata, OutcomeUnknown, UpstreamError
from .terms import TermsCheck

__all__ = ["PreparedCircular", "GcnCircularPublisher"]

log = logging.getLogger(__name__)

_NOT_SENT = (smtplib.SMTPConnectError, smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError,
             smtplib.SMTPNotSupportedError, smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused,
             smtplib.SMTPDataError, ConnectionRefusedError, ssl.SSLError, socket.gaierror)
"""SMTP failures after which the message certainly did not leave (safe to send again later)."""


class PreparedCircular:
    """A circular ready to send: ``iri``, ``subject``, ``body``, ``format``, and ``first_author``."""

    def __init__(self, iri, subject, body, format="text/plain", first_author=None):
        self.iri, self.subject, self.body, self.format = iri, subject, body, format
        self.first_author = first_author


class GcnCircularPublisher(ExactlyOnce):
    """Draft and send GCN Circulars about catalog records.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    base : str
        The catalog's base IRI.
    via : {"email", "api"}
    to_address, from_address : str
        E-mail: GCN's submission address and the submitter's registered address.
    smtp_host, smtp_port, smtp_user, smtp_password : str, int, str, str
        E-mail: the submitter's SMTP server (STARTTLS on ``smtp_port``, then login).
    api_base_url, api_token : str
        API: GCN's root (``https://test.gcn.nasa.gov``) and an access token with the
        ``gcn.nasa.gov/circular-submitter`` scope.
    tls_context : ssl.SSLContext or None
        For STARTTLS (default: `ssl.create_default_context`; tests pass one trusting their CA).
    session : requests.Session or None
    sleep : callable
    search_waits_s : sequence of float
        Waits before searching the archive again after an unknown outcome (the archive lags).
    timeout_s : float
        SMTP timeout in seconds.
    """

    service = CIRCULAR_SERVICE
    title = "GCN Circulars"
    collections = ("results", "events", "runs")
    action = "Send the GCN Circular"
    button = "Draft GCN Circular"
    options = ("via",)
    finished_states = ("published", "sent")
    editable = ("subject", "body")

    def __init__(self, store, base, *, via="email", to_address="circulars@test.gcn.nasa.gov", from_address="",
                 smtp_host="", smtp_port=587, smtp_user="", smtp_password="", api_base_url="https://test.gcn.nasa.gov",
                 api_token="", tls_context=None, session=None, sleep=time.sleep, search_waits_s=(1.0, 2.0, 4.0),
                 timeout_s=30.0):
        if via not in ("email", "api"):
            raise ValueError(f"via must be 'email' or 'api', not {via!r}")
        self.store, self.base, self.via = store, base, via
        self.to_address, self.from_address = to_address, from_address
        self.smtp_host, self.smtp_port, self.smtp_user = smtp_host, int(smtp_port), smtp_user
        self._smtp_password = smtp_password
        self.api = str(api_base_url).rstrip("/")
        self._auth = BearerAuth(api_token)
        self.tls_context = tls_context
        self.session = session if session is not None else make_session(timeout=TIMEOUT)
        self.sleep, self.search_waits_s, self.timeout_s = sleep, tuple(search_waits_s), timeout_s
        self.base_url = (f"mailto:{to_address} through smtp://{self.smtp_host}:{self.smtp_port}" if via == "email"
                         else f"{self.api}/api/circulars")

    def __repr__(self):
        return f"GcnCircularPublisher(via={self.via!r}, {self.base_url!r})"

    @classmethod
    def from_settings(cls, config, store, via=None, **kwargs):
        """Build the channel from the ``GCN_*`` settings.

        Raises
        ------
        skyweave.catalog.exceptions.NotConfigured
            If the chosen path lacks its host, address or credentials.
        """
        via = via or config.get("GCN_CIRCULARS_VIA") or "email"
        if via == "email" and not (config.get("GCN_SMTP_HOST") and config.get("GCN_FROM_ADDRESS")):
            raise NotConfigured("Sending GCN Circulars by e-mail is not configured: set SKYWEAVE_GCN_SMTP_HOST, "
                                "SKYWEAVE_GCN_FROM_ADDRESS (your address registered with GCN), SKYWEAVE_GCN_SMTP_USER "
                                "and SKYWEAVE_GCN_SMTP_PASSWORD.", title="GCN Circulars not configured")
        if via == "api" and not config.get("GCN_API_TOKEN"):
            raise NotConfigured("Sending GCN Circulars by the API is not configured: set SKYWEAVE_GCN_API_TOKEN "
                                "(from the app client GCN grants).", title="GCN Circulars not configured")
        publisher = cls(store, config["BASE_IRI"], via=via, to_address=config.get("GCN_CIRCULARS_ADDRESS"),
                        from_address=config.get("GCN_FROM_ADDRESS", ""), smtp_host=config.get("GCN_SMTP_HOST", ""),
                        smtp_port=config.get("GCN_SMTP_PORT", 587), smtp_user=config.get("GCN_SMTP_USER", ""),
                        smtp_password=config.get("GCN_SMTP_PASSWORD", ""),
                        api_base_url=config.get("GCN_API_BASE_URL"), api_token=config.get("GCN_API_TOKEN", ""),
                        **kwargs)
        if config.get("GCN_SMTP_CA_FILE") and "tls_context" not in kwargs:
            publisher.tls_context = ssl.create_default_context(cafile=config["GCN_SMTP_CA_FILE"])
        publisher.terms = TermsCheck.from_settings(config, store)
        return publisher

    # -- prepare ------------------------------------------------------------------------------------

    def prepare(self, iri, subject=None, body=None, format="text/plain"):
        """Draft the circular of record ``iri`` (or take the user's edited subject and body) and check it.

        Parameters
        ----------
        iri : str
        subject, body : str or None
            The user's edits; None keeps the draft's.
        format : str
            ``text/plain`` or ``text/markdown``.

        Returns
        -------
        PreparedCircular

        Raises
        ------
        publishers.outcomes.MissingMetadata
            If GCN would refuse the subject or body (each rule named), or the body no longer holds the
            record's IRI.
        """
        facts = report_facts(self.store, iri)
        draft_subject, draft_body = draft_circular(facts)
        subject = draft_subject if subject is None else subject.strip()
        body = draft_body if body is None else body.replace("\r\n", "\n")
        problems = check_circular(subject, body, format)
        if str(iri) not in body:
            problems.append(f"body: it must keep the record's IRI {iri} (how a resumed submission finds the "
                            "circular in GCN's archive)")
        if problems:
            error = MissingMetadata(problems, str(iri))
            error.draft = {"subject": subject, "body": body}  # so a page can offer the text for editing
            raise error
        return PreparedCircular(str(iri), subject, body, format, facts.authors[0] if facts.authors else None)

    def preview(self, prepared):
        """The exact subject and body, where they go and how."""
        where = {"via": self.via, "to": self.to_address if self.via == "email" else f"{self.api}/api/circulars"}
        if self.via == "email":
            where.update({"from": self.from_address, "smtp": f"{self.smtp_host}:{self.smtp_port}"})
        return {"metadata": {**where, "subject": prepared.subject, "format": prepared.format}, "files": [],
                "text": f"Subject: {prepared.subject}\n\n{prepared.body}",
                "draft": {"subject": prepared.subject, "body": prepared.body}}

    # -- send ---------------------------------------------------------------------------------------

    def recover(self, attempt):
        """Find what an earlier attempt did: e-mail handed over (never resent), or the circular in the archive."""
        progress = attempt.publication.progress
        if self.via == "email" or progress.get("via") == "email":
            if progress.get("smtp_sending"):
                raise OutcomeUnknown(self.service, None, (
                    f"an earlier attempt handed the circular to {progress.get('smtp_host')} and lost the answer; "
                    "e-mail is never resent automatically: check GCN's archive (or your inbox for GCN's reply), "
                    "and if it did not arrive, send it from the page again after removing this publication"))
            return None
        return self._search(attempt.prepared, waits=())

    def send(self, attempt, remote):
        """Send by e-mail or by the API, unless `recover` found the circular already."""
        if remote is not None:
            attempt.step(step=f"found in the archive circularId={remote['circularId']}")
            return remote
        attempt.step(step=f"sending via {self.via}", via=self.via, subject=attempt.prepared.subject,
                     first_author=attempt.prepared.first_author, **self._lookup_hints())
        return self._email(attempt) if self.via == "email" else self._post(attempt)

    def _lookup_hints(self):
        """E-mail: what finds the circular once it appears (sender address, first archive number to read)."""
        if self.via != "email":
            return {}
        known = highest_known(self.store)
        return {"from_address": self.from_address, "archive_from": None if known is None else known + 1}

    def _email(self, attempt):
        prepared = attempt.prepared
        message = email.message.EmailMessage()
        message["From"], message["To"], message["Subject"] = self.from_address, self.to_address, prepared.subject
        message["Date"] = email.utils.formatdate(usegmt=True)
        message["Message-ID"] = email.utils.make_msgid(idstring=str(attempt.pub_iri).rsplit("/", 1)[-1],
                                                       domain="skyweave")
        message.set_content(prepared.body)
        context = self.tls_context or ssl.create_default_context()
        try:
            with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=self.timeout_s) as smtp:
                smtp.ehlo()
                smtp.starttls(context=context)
                smtp.ehlo()
                if self.smtp_user:
                    smtp.login(self.smtp_user, self._smtp_password)
                attempt.step(step=f"smtp_sending {message['Message-ID']}", smtp_sending=True,
                             smtp_host=self.smtp_host, message_id=message["Message-ID"])
                refused = smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            attempt.step(smtp_sending=None)
            raise UpstreamError(self.service, exc.smtp_code, (
                f"{self.smtp_host} refused the login of {self.smtp_user!r} ({exc.smtp_code}); check "
                "SKYWEAVE_GCN_SMTP_USER and SKYWEAVE_GCN_SMTP_PASSWORD")) from None
        except _NOT_SENT as exc:
            attempt.step(smtp_sending=None)
            raise UpstreamError(self.service, getattr(exc, "smtp_code", None),
                                f"{self.smtp_host}:{self.smtp_port} did not take the circular: {_smtp_text(exc)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise OutcomeUnknown(self.service, None, f"{self.smtp_host} lost the connection while taking the circular "
                                                     f"({type(exc).__name__}); it is not resent automatically") from None
        if refused:
            raise UpstreamError(self.service, None, f"{self.smtp_host} refused {', '.join(refused)}")
        return {"message_id": message["Message-ID"]}

    def _post(self, attempt):
        prepared = attempt.prepared
        url = f"{self.api}/api/circulars"
        payload = {"subject": prepared.subject, "body": prepared.body, "format": prepared.format}
        try:
            response = call(self.session, "POST", url, idempotent=False, auth=self._auth, json=payload,
                            service=self.service, sleep=self.sleep)
        except OutcomeUnknown as exc:
            attempt.calls.append({"method": "POST", "url": url, "status": exc.status})
            attempt.step(step=f"post outcome unknown ({exc.status}); searching the archive")
            found = self._search(prepared, waits=self.search_waits_s)
            if found is None:
                raise
            return found
        except UpstreamError as exc:
            attempt.calls.append({"method": "POST", "url": url, "status": exc.status})
            if exc.status in (401, 403):
                raise UpstreamError(self.service, exc.status, f"{exc.detail} (check SKYWEAVE_GCN_API_TOKEN: it must "
                                    "be a current token with the gcn.nasa.gov/circular-submitter scope, of an "
                                    "approved submitter)") from None
            raise
        attempt.calls.append({"method": "POST", "url": url, "status": response.status_code})
        return response.json()

    def _search(self, prepared, waits):
        """Find a circular with this subject whose body holds the record's IRI, in GCN's archive."""
        for wait in (0.0, *waits):
            if wait:
                self.sleep(wait)
            response = call(self.session, "GET", f"{self.api}/circulars", idempotent=True, service=self.service,
                            params={"query": prepared.subject}, headers={"Accept": "application/json"},
                            sleep=self.sleep)
            for item in response.json().get("items", []):
                if item.get("subject") == prepared.subject and prepared.iri in (item.get("body") or ""):
                    return item
        return None

    def refresh(self, pub, max_reads=20):
        """A circular sent by e-mail gets its number once it appears in GCN's archive (reads, never a resend).

        The archive is read by number (``GET {site}/circulars/<n>.json``, the documented archive read of
        ``specs/external-apis.md`` §4.2), from the first number after the highest the catalog knew when the
        e-mail left, at most ``max_reads`` numbers per check; the next check continues where this one stopped.
        The alert listener fills the number in as soon as the circular appears on ``gcn.circulars``
        (`publishers.circular_numbers.CircularNumbers`), without any read.
        """
        start = pub.progress.get("archive_next") or pub.progress.get("archive_from")
        if pub.state != "sent" or not pub.progress.get("subject") or start is None:
            return pub
        try:
            found, following = find_in_archive(self._archive_read, pub, int(start), max_reads)
        except UpstreamError as exc:
            log.warning("GCN's archive could not be read (%s); the circular keeps waiting for its number", exc)
            return pub
        if found is None:
            return records.update(self.store, pub.iri, archive_next=following,
                                  step=f"not in the archive yet (read up to {following - 1})")
        return mark_appeared(self.store, pub, found, self.api, "the archive")

    def _archive_read(self, number):
        """Circular ``number`` from GCN's archive (``GET {site}/circulars/<n>.json``), None if there is none yet."""
        try:
            response = call(self.session, "GET", f"{self.api}/circulars/{int(number)}.json", idempotent=True,
                            service=self.service, sleep=self.sleep, retries=2)
        except UpstreamError as exc:
            if exc.status == 404:
                return None
            raise
        return response.json()

    def finish(self, attempt, outcome):
        """``published`` with the circular number (API), or ``sent`` (e-mail, number filled in later)."""
        if "circularId" in outcome:
            number = str(outcome["circularId"])
            url = f"{self.api}/circulars/{number}"
            return attempt.step("published", identifier=number, url=url, generated=url, smtp_sending=None,
                                error=None, step=f"published circularId={number}")
        return attempt.step("sent", ended=True, smtp_sending=None, error=None,
                            step=f"sent {outcome['message_id']} to {self.to_address}")

    def result(self, pub, reused=False):
        """The circular number and its archive page, or "sent by e-mail"."""
        from .outcomes import PublishResult

        if pub.identifier:
            text = f"GCN Circular {pub.identifier}"
        else:
            text = f"sent by e-mail to {self.to_address}; its number comes when it appears in the archive"
        return PublishResult(self.service, pub.identifier or "", pub.url or "",
                             f"<{pub.target}>: {text}" + (" (sent before; nothing sent now)" if reused else "."),
                             publication=pub.iri, reused=reused)


def _smtp_text(exc):
    code, text = getattr(exc, "smtp_code", None), getattr(exc, "smtp_error", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}" if code else str(exc) or type(exc).__name__
