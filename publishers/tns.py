"""Report a record to the IAU Transient Name Server as an AT (discovery) report, exactly once, through its bot API.

`TnsPublisher` sends the AT report `publishers.tns_report.at_report` maps from the record's RDF and the
facts a person supplies (the report form, ``skyweave report tns --set``): the discovery photometry of a
counterpart candidate comes from the astronomer, not from a run. Each fact is written, with its source
(a run, the record, a setting, or the person), into the publication record before the first remote call.

Exactly once (`publishers.exactly_once`): ``set/bulk-report`` only queues the report, so its
``report_id`` is recorded at once; ``get/bulk-report-reply`` is polled (404 = not processed yet) within
a time budget, after which the publication stays ``uploaded`` with the ``report_id`` for a later check,
and is never resubmitted blindly (§7 F11). A resumed attempt polls the recorded ``report_id`` again, or,
with none, looks the object up by internal name (``get/search``) before sending anything. TNS's
"identical AT report" (message 5) means an earlier attempt got through: the object is looked up by
internal name and the report is complete (F12). Field errors are shown by field with their messages and
are not retried (F13); a refused key or marker names the setting (F19).

References
----------
.. [1] TNS bot API ("TNS 2.0" paths), https://www.wis-tns.org/content/tns-getting-started ; the AT-report
   fields as sent by HERMES and SkyPortal, summarised in ``specs/external-apis.md`` §3, §7 (F11-F13, F19).
"""

import json
import time

from skyweave.catalog.exceptions import NotConfigured

from ._http import TIMEOUT, call, make_session
from .drafts import report_facts
from .exactly_once import ExactlyOnce
from .outcomes import OutcomeUnknown, PublishResult, UpstreamError
from .terms import TermsCheck
from .tns_fields import FIELDS, NAMES
from .tns_report import at_report, facts_of

__all__ = ["TnsPublisher"]

MESSAGES = {"1": "the last non-detection must precede the discovery", "2": "discovery photometry is required",
            "3": "a required field is missing", "5": "an identical AT report already exists",
            "6": "a last non-detection or archival information is required"}
"""TNS feedback message ids and what they mean (``specs/external-apis.md`` §3.4)."""


class TnsPublisher(ExactlyOnce):
    """Send AT reports to TNS (its sandbox by default, or the local stand-in).

    Parameters
    ----------
    base_url : str
        ``https://sandbox.wis-tns.org`` (production: ``https://www.wis-tns.org``).
    api_key : str
        The bot's API key (sent as the form field ``api_key``; never logged or stored).
    bot_id, bot_name : int or str, str
        The bot's id and name, for the ``tns_marker`` User-Agent.
    store : skyweave.catalog.store.Store
    base : str
    ids : dict
        TNS value ids: ``reporting_groupid``, ``data_source_groupid``, ``instrumentid``, ``filterid``,
        ``flux_unitid`` (default ``"1"``, AB mag), ``at_type`` (default ``"1"``, PSN), ``archiveid``.
    reporter : str
        The ``reporter`` text; default the record's authors "on behalf of skyweave".
    name_prefix : str
        Internal-name prefix.
    poll_s, poll_budget_s : float
        Wait between reply polls and the longest total wait, in seconds.
    session, sleep
        As the other publishers.
    """

    service = "tns"
    title = "TNS"
    collections = ("results", "events", "runs")
    action = "Send the AT report"
    button = "Report to TNS"
    editable = NAMES
    fields = FIELDS
    agent = "a person"
    """Who supplies the facts typed in the form or on the command line (set by the view or the CLI)."""

    def __init__(self, base_url, api_key, bot_id, bot_name, store, base, *, ids=None, reporter="",
                 name_prefix="SKW", poll_s=2.0, poll_budget_s=120.0, session=None, sleep=time.sleep):
        self.base_url = str(base_url).rstrip("/")
        self.store, self.base = store, base
        self._api_key = api_key
        self.marker = "tns_marker" + json.dumps({"tns_id": int(bot_id) if str(bot_id).isdigit() else bot_id,
                                                 "type": "bot", "name": bot_name})
        self.ids = {"flux_unitid": "1", "at_type": "1", **(ids or {})}
        self.reporter, self.name_prefix = reporter, name_prefix
        self.poll_s, self.poll_budget_s = poll_s, poll_budget_s
        self.session = session if session is not None else make_session(timeout=TIMEOUT)
        self.session.secrets.append(api_key)
        self.sleep = sleep

    def __repr__(self):
        return f"TnsPublisher({self.base_url!r})"

    @classmethod
    def from_settings(cls, config, store, **kwargs):
        """Build the channel from the ``TNS_*`` settings.

        Raises
        ------
        skyweave.catalog.exceptions.NotConfigured
            If the bot's key, id or name is not set.
        """
        if not (config.get("TNS_API_KEY") and config.get("TNS_BOT_ID") and config.get("TNS_BOT_NAME")):
            raise NotConfigured("Reporting to TNS is not configured: set SKYWEAVE_TNS_API_KEY, SKYWEAVE_TNS_BOT_ID "
                                "and SKYWEAVE_TNS_BOT_NAME (the bot defined at /bots on TNS).",
                                title="TNS not configured")
        ids = {key: str(config.get(f"TNS_{key.upper()}") or "") for key in
               ("reporting_groupid", "data_source_groupid", "instrumentid", "filterid", "flux_unitid", "at_type",
                "archiveid")}
        publisher = cls(config["TNS_BASE_URL"], config["TNS_API_KEY"], config["TNS_BOT_ID"], config["TNS_BOT_NAME"],
                        store, config["BASE_IRI"], ids={k: v for k, v in ids.items() if v},
                        reporter=config.get("TNS_REPORTER", ""), **kwargs)
        publisher.terms = TermsCheck.from_settings(config, store)
        return publisher

    # -- prepare ------------------------------------------------------------------------------------

    def prepare(self, iri, **supplied):
        """Map record ``iri`` to one AT report (`publishers.tns_report.at_report`), before any request.

        Parameters
        ----------
        iri : str
        **supplied : str
            Facts typed by `agent` (`publishers.tns_fields.FIELDS` names), winning over the record's.

        Returns
        -------
        publishers.tns_report.PreparedReport

        Raises
        ------
        publishers.outcomes.MissingMetadata
            Naming each missing or bad field and where it would come from.
        ValueError
            An unknown field name.
        """
        return at_report(report_facts(self.store, iri), self.ids, supplied=supplied, agent=self.agent,
                         reporter=self.reporter, prefix=self.name_prefix)

    def form(self, iri, **supplied):
        """The AT report's facts for the form: ``[(Field, value, source)]``, prefilled from the record where known.

        Parameters
        ----------
        iri : str
        **supplied : str
            What was typed so far (shown as typed, even when it is bad).

        Returns
        -------
        list of (publishers.tns_fields.Field, str, str)
            ``source`` is where the value comes from (`publishers.tns_report.facts_of`), "" when it is missing.
        """
        merged = facts_of(report_facts(self.store, iri), {"flux_unitid": "1", "at_type": "1", **self.ids},
                          supplied, self.agent)
        return [(f, merged.get(f.name, {}).get("value", ""), merged.get(f.name, {}).get("from", "")) for f in FIELDS]

    def preview(self, prepared):
        """The exact ``data`` form field, and where it goes."""
        return {"metadata": {"to": f"{self.base_url}/api/set/bulk-report", "user_agent": self.marker,
                             "data": {"at_report": {"0": prepared.report}}}, "files": [], "text": None,
                "facts": prepared.facts}

    def _record_facts(self, attempt):
        """Write the report's facts, each with its source, and its internal name into the publication record.

        Called before the first remote call of every attempt, so the ``prov:Activity`` says which facts came
        from a run, the record or the settings, and which a person supplied (and who).
        """
        facts = attempt.prepared.facts
        pub = attempt.publication
        if pub.progress.get("facts") != facts or pub.progress.get("internal_name") != attempt.prepared.internal_name:
            supplied = sorted(k for k, v in facts.items() if v["from"].startswith("supplied by "))
            attempt.step(facts=facts, internal_name=attempt.prepared.internal_name,
                         step="facts: " + (f"{', '.join(supplied)} supplied by {self.agent}" if supplied
                                           else "all from the record, its run and the settings"))

    # -- send ---------------------------------------------------------------------------------------

    def _post(self, attempt, path, **fields):
        url = f"{self.base_url}/api/{path}"
        try:
            response = call(self.session, "POST", url, idempotent=path.startswith("get/"), service=self.service,
                            data={"api_key": self._api_key, **fields}, headers={"User-Agent": self.marker},
                            sleep=self.sleep, retries=3)
        except UpstreamError as exc:
            attempt.calls.append({"method": "POST", "url": url, "status": exc.status})
            if exc.status in (401, 403):
                raise UpstreamError(self.service, exc.status, f"{exc.detail} (check SKYWEAVE_TNS_API_KEY, "
                                    "SKYWEAVE_TNS_BOT_ID and SKYWEAVE_TNS_BOT_NAME)") from None
            raise
        attempt.calls.append({"method": "POST", "url": url, "status": response.status_code})
        return response.json().get("data")

    def _search(self, attempt, name):
        found = self._post(attempt, "get/search", data=json.dumps({"internal_name": name,
                                                                    "internal_name_exact_match": 1}))
        return found[0] if found else None

    def recover(self, attempt):
        """A recorded ``report_id`` is polled again; else the object is looked up by internal name.

        The internal name the earlier attempt recorded is searched as well as this attempt's (they differ
        when the discovery time typed again falls in another year).
        """
        earlier = attempt.publication.progress.get("internal_name")
        self._record_facts(attempt)
        report_id = attempt.publication.progress.get("report_id")
        if report_id:
            return {"report_id": report_id}
        for name in dict.fromkeys(n for n in (earlier, attempt.prepared.internal_name) if n):
            found = self._search(attempt, name)
            if found:
                return {"objname": found["objname"], "how": "found by internal name"}
        return None

    def send(self, attempt, remote):
        """Queue the report (unless an earlier attempt did), then poll for its reply."""
        if remote is not None and "objname" in remote:
            return remote
        if attempt.fresh:
            self._record_facts(attempt)
        report_id = (remote or {}).get("report_id")
        if report_id is None:
            form = json.dumps({"at_report": {"0": attempt.prepared.report}})
            try:
                report_id = str(self._post(attempt, "set/bulk-report", data=form)["report_id"])
            except OutcomeUnknown:
                attempt.step(step="bulk-report outcome unknown; searching by internal name")
                found = self._search(attempt, attempt.prepared.internal_name)
                if found is None:
                    raise
                return {"objname": found["objname"], "how": "found by internal name"}
            attempt.step("uploaded", report_id=report_id, internal_name=attempt.prepared.internal_name,
                         step=f"queued report_id={report_id}")
        return self._reply(attempt, report_id)

    def _reply(self, attempt, report_id):
        waited = 0.0
        while True:
            try:
                data = self._post(attempt, "get/bulk-report-reply", report_id=report_id)
            except UpstreamError as exc:
                if exc.status == 404 and waited < self.poll_budget_s:
                    self.sleep(self.poll_s)
                    waited += self.poll_s
                    continue
                if exc.status == 404:
                    attempt.step("uploaded", step=f"no reply to report_id={report_id} after {waited:.0f} s; "
                                                  "check again later (never resubmitted)")
                    raise OutcomeUnknown(self.service, 404, f"TNS has not processed report {report_id} after "
                                         f"{waited:.0f} s; reporting again checks it (nothing is resubmitted)") from None
                if exc.status == 400:
                    return self._refused(attempt, exc, report_id)
                raise
            entry = (data.get("feedback") or {}).get("at_report", [{}])[0]
            for code in ("100", "101"):
                if code in entry:
                    return {"objname": entry[code]["objname"], "how": "new object" if code == "100" else
                            "existing object"}
            raise UpstreamError(self.service, 200, f"reply to report {report_id} names no object: {entry}")

    def _refused(self, attempt, exc, report_id):
        feedback = self._feedback(report_id, attempt)
        if any(mid == "5" for _, mid, _ in feedback):
            found = self._search(attempt, attempt.prepared.internal_name)
            if found is not None:
                attempt.step(step="identical report exists; found the object by internal name")
                return {"objname": found["objname"], "how": "reported before"}
        problems = "; ".join(f"{field}: {text} (message {mid}: {MESSAGES.get(mid, 'see TNS')})"
                             for field, mid, text in feedback) or exc.detail
        raise UpstreamError(self.service, 400, f"TNS refused the report: {problems}") from None

    def _feedback(self, report_id, attempt):
        """The (field, message id, message) triples of a refused report's reply."""
        url = f"{self.base_url}/api/get/bulk-report-reply"
        response = self.session.post(url, data={"api_key": self._api_key, "report_id": report_id},
                                     headers={"User-Agent": self.marker}, timeout=TIMEOUT)
        attempt.calls.append({"method": "POST", "url": url, "status": response.status_code})
        try:
            items = (response.json().get("data") or {}).get("feedback", {}).get("at_report", [])
        except ValueError:
            return []
        out = []

        def walk(path, node):
            for key, value in node.items():
                if key.isdigit() and isinstance(value, dict) and "message" in value:
                    out.append((".".join(path), key, value["message"]))
                elif isinstance(value, dict):
                    walk(path + [key], value)
                elif isinstance(value, list):
                    for item in value:
                        if isinstance(item, dict) and "message" in item:
                            out.append((".".join(path + [key]), "", item["message"]))

        for item in items:
            if isinstance(item, dict):
                walk([], item)
        return out

    def finish(self, attempt, outcome):
        """``published`` with the object's name (``AT 2026abc``) and its TNS page."""
        name = f"AT {outcome['objname']}"
        url = f"{self.base_url}/object/{outcome['objname']}"
        return attempt.step("published", identifier=name, url=url, generated=url, error=None,
                            step=f"published {name} ({outcome.get('how')})")

    def result(self, pub, reused=False):
        """The TNS name and page."""
        return PublishResult(self.service, pub.identifier, pub.url or "",
                             f"<{pub.target}> is {pub.identifier} on TNS" + (" (reported before)." if reused else "."),
                             publication=pub.iri, reused=reused)
