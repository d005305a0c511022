"""Records -> TNS AT (discovery) reports, field by field; the internal name and TNS's time format.

`at_report` maps the record's RDF (`publishers.drafts.report_facts`) to one TNS 2.0 AT report: the
position of the record or its target (an event's localisation centre), the values its run computed, by
name, and the facts a person supplied in the report form or with ``--set`` (`publishers.tns_fields`),
which win over both; `facts_of` names the source of each fact:

=============================  ===================================================================
run value (``schema:result``)  AT report field
=============================  ===================================================================
``discovery_time``             ``discovery_datetime`` (UTC, ``YYYY-MM-DD HH:MM:SS.fff``)
``discovery_mag``, ``_err``    ``photometry.photometry_group."0"`` ``flux``, ``flux_error``
``last_nondetection_time``     ``non_detection.obsdate`` (with ``limiting_mag`` as ``limiting_flux``)
``position_error_arcsec``      ``ra.error``, ``dec.error`` (``units: arcsec``)
=============================  ===================================================================

The value ids (groups, instrument, filter, flux unit, AT type, archive) are settings or typed by a person,
never guessed. Every value is checked with astropy (`publishers.tns_fields.check`); a field that is
missing or bad is named before any request. The internal name (``SKW26abcd``) is derived from
the record's IRI, so it is the same on every attempt: it is how a resumed report is found again.

References
----------
.. [1] TNS bot API AT-report fields (TNS 2.0 names, as HERMES sends them), ``specs/external-apis.md`` §3.3.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .outcomes import MissingMetadata
from .tns_fields import NAMES, check

__all__ = ["PreparedReport", "at_report", "facts_of", "internal_name", "tns_time"]


def internal_name(iri, prefix="SKW", year=None):
    """Return the internal name of record ``iri``: ``<prefix><yy><4 letters from its IRI's SHA-1>``.

    Examples
    --------
    >>> internal_name("http://localhost/results/r1-table", year=2026)
    'SKW26uwhh'
    """
    year = year or datetime.now(timezone.utc).year
    digest = int(hashlib.sha1(str(iri).encode()).hexdigest(), 16)
    letters = ""
    for _ in range(4):
        digest, r = divmod(digest, 26)
        letters += chr(97 + r)
    return f"{prefix}{year % 100:02d}{letters}"


def tns_time(text):
    """An ISO 8601 UTC time as TNS writes it: ``YYYY-MM-DD HH:MM:SS.fff``.

    Examples
    --------
    >>> tns_time("2026-03-01T04:12:33.12Z")
    '2026-03-01 04:12:33.120'
    """
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"


@dataclass(frozen=True)
class PreparedReport:
    """One AT report ready to send: ``iri``, ``internal_name``, ``report`` (the JSON of one ``at_report`` item),
    ``facts`` (each reported fact's value and source, `facts_of`)."""

    iri: str
    internal_name: str
    report: dict
    facts: dict = field(default_factory=dict)


def facts_of(facts, ids, supplied=None, agent="a person"):
    """Merge the facts of an AT report from the record, its run, the settings and a person, naming the source of each.

    Parameters
    ----------
    facts : publishers.drafts.ReportFacts
    ids : dict
        TNS value ids from the settings (``reporting_groupid``, ``filterid``, ...).
    supplied : Mapping of str to str, optional
        What a person typed, by `publishers.tns_fields.FIELDS` name; it wins over every other source. A
        value equal to the one the record, run or settings give (a prefilled form field sent back as it
        was) keeps that source: only what the person changed or added is theirs.
    agent : str
        Who typed it (``"web form (publisher token)"``), recorded as the source of those facts.

    Returns
    -------
    dict
        Field name -> ``{"value": str, "from": str}``; ``from`` is ``"run <iri>"``, ``"record <iri>"``,
        ``"setting TNS_<NAME>"`` or ``"supplied by <agent>"``. Values are not checked here.
    """
    merged = {}
    run = f"run of <{facts.iri}>"
    if facts.ra_deg is not None:
        merged["ra"] = {"value": f"{facts.ra_deg:.7g}", "from": f"record <{facts.iri}>"}
        merged["dec"] = {"value": f"{facts.dec_deg:.7g}", "from": f"record <{facts.iri}>"}
    for name, value in facts.values:
        if name in NAMES and value not in (None, ""):
            merged[name] = {"value": str(value), "from": run}
    for name, value in ids.items():
        if name in NAMES and value not in (None, ""):
            merged.setdefault(name, {"value": str(value), "from": f"setting TNS_{name.upper()}"})
    for name, value in (supplied or {}).items():
        if value in (None, "") or not str(value).strip():
            continue
        if name in merged and _same(merged[name]["value"], value):
            continue  # sent back unchanged by the form: it keeps its source
        merged[name] = {"value": str(value).strip(), "from": f"supplied by {agent}"}
    return merged


def _same(known, typed):
    """Whether ``typed`` is ``known`` (as numbers when both are numbers), i.e. a prefilled value left as it was."""
    known, typed = str(known).strip(), str(typed).strip()
    try:
        return float(known) == float(typed)
    except ValueError:
        return known == typed


def at_report(facts, ids, *, supplied=None, agent="a person", reporter="", prefix="SKW", now=None):
    """Map `~publishers.drafts.ReportFacts` (and the facts a person supplied) to one AT report.

    Parameters
    ----------
    facts : publishers.drafts.ReportFacts
    ids : dict
        TNS value ids (``reporting_groupid``, ``data_source_groupid``, ``instrumentid``, ``filterid``,
        ``flux_unitid``, ``at_type``, optional ``archiveid``).
    supplied : Mapping of str to str, optional
        Facts typed by a person (`publishers.tns_fields.FIELDS`), winning over the run's values, the
        record's position and the settings.
    agent : str
        Who supplied them, recorded with each such fact.
    reporter : str
        The ``reporter`` text; default the record's authors "on behalf of skyweave".
    prefix : str
        Internal-name prefix.
    now : datetime.datetime, optional
        The present (no time may be later).

    Returns
    -------
    PreparedReport

    Raises
    ------
    ValueError
        An unknown field name in ``supplied``.
    publishers.outcomes.MissingMetadata
        Naming each missing field and where it would come from (a run value, a setting, the form), and
        each bad value with the rule it breaks, all at once.
    """
    ids = {"flux_unitid": "1", "at_type": "1", **ids}
    iri = facts.iri
    unknown = sorted(set(supplied or {}) - set(NAMES))
    if unknown:
        raise ValueError(f"unknown AT-report field(s) {', '.join(unknown)}; use {', '.join(NAMES)}")
    sources = facts_of(facts, ids, supplied, agent)
    problems = []
    try:
        values = check({name: fact["value"] for name, fact in sources.items()}, now=now)
    except MissingMetadata as exc:
        problems, values = list(exc.problems), {}
    bad = {p.split(":", 1)[0] for p in problems}

    def need(key, where):
        if key not in sources and key not in bad:
            problems.append(f"{key}: missing (fill it in, or " + (f"a value '{key}' computed by a run that generated <{iri}>"
                            if where == "value" else f"the setting TNS_{key.upper()}") + ")")
        return values.get(key, "")

    if "ra" not in sources or "dec" not in sources:
        problems.append(f"ra, dec: missing (fill them in; <{iri}> has no position: sw:ra, sw:dec of the record "
                        "or its target)")
    discovery = need("discovery_time", "value")
    mag, mag_err = need("discovery_mag", "value"), values.get("discovery_mag_err", "")
    for key in ("reporting_groupid", "data_source_groupid", "instrumentid", "filterid"):
        need(key, "setting")
    non_detection = {"obsdate": "", "limiting_flux": "", "flux_unitid": values.get("flux_unitid", ""),
                     "filterid": values.get("filterid", ""), "instrumentid": values.get("instrumentid", ""),
                     "exptime": "", "observer": "", "comments": "", "archiveid": "", "archival_remarks": ""}
    if values.get("last_nondetection_time") and values.get("limiting_mag"):
        non_detection.update(obsdate=tns_time(values["last_nondetection_time"]),
                             limiting_flux=values["limiting_mag"])
    elif ids.get("archiveid"):
        non_detection.update(archiveid=ids["archiveid"], archival_remarks="No earlier detection in the archive")
    elif not bad & {"last_nondetection_time", "limiting_mag"}:
        problems.append("non_detection: missing (fill in last_nondetection_time and limiting_mag, "
                        "or the setting TNS_ARCHIVEID)")
    if problems:
        raise MissingMetadata(problems, str(iri))
    name = internal_name(iri, prefix, int(tns_time(discovery)[:4]))
    error = values.get("position_error_arcsec", "")
    reporter = reporter or (", ".join(facts.authors) or "skyweave") + " on behalf of skyweave"
    report = {
        "ra": {"value": f"{float(values['ra']):.6f}", "error": error, "units": "arcsec"},
        "dec": {"value": f"{float(values['dec']):+.6f}", "error": error, "units": "arcsec"},
        "reporting_groupid": values["reporting_groupid"], "data_source_groupid": values["data_source_groupid"],
        "reporter": reporter, "discovery_datetime": tns_time(discovery), "at_type": values["at_type"],
        "internal_name": name,
        "internal_name_format": {"prefix": prefix, "year_format": "YY", "postfix": ""},
        "host_name": "", "host_redshift": "", "transient_redshift": "",
        "remarks": f"Reported by skyweave; analysis, provenance and files: {iri}",
        "proprietary_period_groups": [values["reporting_groupid"]],
        "proprietary_period": {"proprietary_period_value": "0", "proprietary_period_units": "days"},
        "non_detection": non_detection,
        "photometry": {"photometry_group": {"0": {
            "obsdate": tns_time(discovery), "flux": mag, "flux_error": mag_err, "limiting_flux": "",
            "flux_unitid": values["flux_unitid"], "filterid": values["filterid"],
            "instrumentid": values["instrumentid"], "exptime": "", "observer": "Robot", "comments": ""}}},
        "related_files": {}, "internal_ids": {}}
    return PreparedReport(str(iri), name, report, sources)
