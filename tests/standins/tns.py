"""Stand-in of the IAU Transient Name Server bot API (test equipment), after ``specs/external-apis.md`` §3.

- Every request is a POST form (urlencoded or multipart) with ``api_key`` (401 if unknown) and the header
  ``User-Agent: tns_marker{"tns_id": <bot id>, "type": "bot", "name": "<bot name>"}`` (403 if missing or
  malformed); replies are the envelope ``{"id_code", "id_message", "data"}`` with a mirroring HTTP status.
- ``/api/set/bulk-report`` queues ``data = {"at_report": {"0": {...}}}`` and answers its ``report_id``;
  ``/api/get/bulk-report-reply`` answers 404 for the first ``reply_after`` polls of a report, then 200 with
  ``feedback.at_report`` (``"100"`` new object / ``"101"`` existing object within 3 arcsec) or 400 with
  per-field message ids (1 non-detection after discovery, 2 photometry required, 3 required field,
  5 identical AT report exists, 6 non-detection or archival info required). Nothing of a bad report is kept.
- ``/api/get/search`` (by ``internal_name`` or ``objname``), ``/api/get/object``, ``/api/get/values``
  (`VALUES`).
- Object names are ``<year><letters>`` (``2026aaa``, ``2026aab``, ...) with the prefix ``AT``.
"""

import json
import math
import re
import threading

from flask import Flask, request

from .harness import install

__all__ = ["TnsState", "make_tns_app", "API_KEY", "BOT_ID", "BOT_NAME"]

API_KEY, BOT_ID, BOT_NAME = "tns-bot-key", 12345, "skyweave_bot"
_MARKER = re.compile(r"^tns_marker(\{.*\})$")
VALUES = {
    "at_types": {"0": "Other", "1": "PSN", "2": "PNV", "3": "AGN", "4": "NUC", "5": "FRB"},
    "flux_units": {"1": "AB mag", "3": "Vega mag"},
    "filters": {"110": "g-ZTF", "111": "r-ZTF", "112": "i-ZTF", "160": "u-LSST", "161": "g-LSST", "162": "r-LSST",
                "163": "i-LSST", "164": "z-LSST", "165": "y-LSST"},
    "instruments": {"196": "P48 - ZTF-Cam"},
    "groups": {"82": "ZTF", "48": "ZTF"},
}
"""The ``get/values`` tables: the ids ``specs/external-apis.md`` §3.3 names (AT types, mag units, ZTF and LSST
filters, the ZTF camera, the groups used in tests)."""
_REQUIRED = ("reporting_groupid", "data_source_groupid", "reporter", "discovery_datetime", "at_type")


class TnsState:
    """Objects, queued reports and their replies; ``reply_after`` polls answer 404 before the reply."""

    def __init__(self, reply_after=1, year=2026):
        self.reply_after, self.year = reply_after, year
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        """Forget everything."""
        with self.lock:
            self.objects, self.reports, self.accepted, self.next_report = [], {}, [], 100

    def state(self):
        """JSON dump for ``/__standin__/state``."""
        return {"objects": self.objects, "reports": len(self.reports), "accepted": self.accepted}

    def _name(self):
        n, letters = len(self.objects), ""
        for _ in range(3):
            n, r = divmod(n, 26)
            letters = chr(97 + r) + letters
        return f"{self.year}{letters}"


def _envelope(code, message, data=None):
    return json.dumps({"id_code": code, "id_message": message, "data": data if data is not None else {}}), code, \
        {"Content-Type": "application/json"}


def _degrees(value, hours):
    text = str(value).strip()
    if ":" in text:
        parts = [float(p) for p in text.split(":")]
        sign = -1 if text.startswith("-") else 1
        deg = abs(parts[0]) + parts[1] / 60 + parts[2] / 3600
        return sign * deg * (15 if hours else 1)
    return float(text)


def _problems(report):
    problems = {}
    for key in _REQUIRED:
        if not str(report.get(key, "")).strip():
            problems[key] = {"3": {"message": f"{key} is required"}}
    for key in ("ra", "dec"):
        if not str((report.get(key) or {}).get("value", "")).strip():
            problems[key] = {"value": {"3": {"message": f"{key} value is required"}}}
    group = ((report.get("photometry") or {}).get("photometry_group") or {})
    if not group or not any(str(p.get("flux", "")).strip() for p in group.values()):
        problems["photometry"] = {"2": {"message": "Discovery photometry is required"}}
    nd = report.get("non_detection") or {}
    if not (str(nd.get("obsdate", "")).strip() and str(nd.get("limiting_flux", "")).strip()) and \
            not (str(nd.get("archiveid", "")).strip() and str(nd.get("archival_remarks", "")).strip()):
        problems["non_detection"] = {"6": {"message": "A last non-detection or archival info is required"}}
    elif str(nd.get("obsdate", "")).strip() and str(nd.get("obsdate")) >= str(report.get("discovery_datetime", "")):
        problems["non_detection"] = {"1": {"message": "The last non-detection must precede the discovery"}}
    return problems


def make_tns_app(state=None):
    """Build the TNS stand-in (a Flask app with the harness installed).

    Returns
    -------
    flask.Flask
        ``app.extensions["tns"]`` is its `TnsState`.
    """
    state = state or TnsState()
    app = Flask(__name__)
    app.extensions["tns"] = state

    @app.before_request
    def check():
        marker = _MARKER.match(request.headers.get("User-Agent", ""))
        try:
            bot = json.loads(marker.group(1)) if marker else None
        except ValueError:
            bot = None
        if not isinstance(bot, dict) or str(bot.get("tns_id")) != str(BOT_ID) or bot.get("type") != "bot":
            return _envelope(403, "Forbidden: missing or malformed tns_marker User-Agent")
        if request.form.get("api_key") != API_KEY:
            return _envelope(401, "Unauthorized: invalid api_key")
        return None

    def data():
        try:
            return json.loads(request.form.get("data") or "{}")
        except ValueError:
            return None

    @app.post("/api/set/bulk-report")
    def bulk_report():
        body = data()
        if not isinstance(body, dict) or not isinstance(body.get("at_report"), dict) or not body["at_report"]:
            return _envelope(400, "Bad request: data must hold at_report")
        with state.lock:
            report_id = str(state.next_report)
            state.next_report += 1
            state.reports[report_id] = {"reports": body["at_report"], "polls": 0, "reply": None}
        return _envelope(200, "OK", {"report_id": report_id})

    def process(entry):
        feedback, bad = [], False
        for key in sorted(entry["reports"], key=int):
            report = entry["reports"][key]
            problems = _problems(report)
            if problems:
                feedback.append(problems)
                bad = True
                continue
            ra, dec = _degrees(report["ra"]["value"], True), _degrees(report["dec"]["value"], False)
            same = [o for o in state.objects if o["internal_name"] == report.get("internal_name")
                    and o["discovery_datetime"] == report["discovery_datetime"]
                    and math.hypot((o["ra"] - ra) * math.cos(math.radians(dec)), o["dec"] - dec) < 1 / 3600]
            if same:
                feedback.append({"ra": {"value": {"5": {"message": "An identical AT report (sender, RA/DEC, "
                                                                   "discovery date) already exists."}}}})
                bad = True
                continue
            near = [o for o in state.objects
                    if math.hypot((o["ra"] - ra) * math.cos(math.radians(dec)), o["dec"] - dec) < 3 / 3600]
            feedback.append(("101", near[0]) if near else ("100", None))
        if bad:
            return 400, {"feedback": {"at_report": feedback}}
        out = []
        for key, (code, found) in zip(sorted(entry["reports"], key=int), feedback):
            report = entry["reports"][key]
            if found is None:
                found = {"objname": state._name(), "objid": 1000 + len(state.objects), "prefix": "AT",
                         "ra": _degrees(report["ra"]["value"], True), "dec": _degrees(report["dec"]["value"], False),
                         "internal_names": [], "internal_name": report.get("internal_name"),
                         "discovery_datetime": report["discovery_datetime"]}
                state.objects.append(found)
            found["internal_names"].append(report.get("internal_name"))
            state.accepted.append(report)
            out.append({code: {"objname": found["objname"], "message": "OK"}, "at_rep": {"objname": found["objname"]}})
        return 200, {"feedback": {"at_report": out}}

    @app.post("/api/get/bulk-report-reply")
    def reply():
        report_id = request.form.get("report_id", "")
        with state.lock:
            entry = state.reports.get(report_id)
            if entry is None:
                return _envelope(404, "Not found: no such report_id")
            entry["polls"] += 1
            if entry["polls"] <= state.reply_after:
                return _envelope(404, "Report not processed yet")
            if entry["reply"] is None:
                entry["reply"] = process(entry)
            code, body = entry["reply"]
        return _envelope(code, "OK" if code == 200 else "Bad request", body)

    @app.post("/api/get/search")
    def search():
        query = data() or {}
        found = [o for o in state.objects
                 if (query.get("internal_name") and query["internal_name"] in o["internal_names"])
                 or (query.get("objname") and query["objname"] == o["objname"])]
        return _envelope(200, "OK", [{"objname": o["objname"], "prefix": o["prefix"], "objid": o["objid"]}
                                     for o in found])

    @app.post("/api/get/object")
    def get_object():
        query = data() or {}
        found = [o for o in state.objects if o["objname"] == query.get("objname")]
        if not found:
            return _envelope(404, "Not found")
        o = found[0]
        return _envelope(200, "OK", {"objname": o["objname"], "name_prefix": "AT", "objid": o["objid"],
                                     "radeg": o["ra"], "decdeg": o["dec"],
                                     "internal_names": ", ".join(o["internal_names"]),
                                     "discoverydate": o["discovery_datetime"]})

    @app.route("/api/get/values", methods=["GET", "POST"])
    def values():
        return _envelope(200, "OK", VALUES)

    install(app, reset=state.reset, state=state.state, name="tns")
    return app
