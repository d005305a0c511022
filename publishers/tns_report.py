"""Records -> TNS AT (discovery) reports, field by field; the internal name and TNS's time format.

`at_report` maps the record's RDF (`publishers.drafts.report_facts`) to one TNS 2.0 AT report: the
position of the record or its target, and the values its run computed, by name:

=============================  ===================================================================
run value (``schema:result``)  AT report field
=============================  ===================================================================
``discovery_time``             ``discovery_datetime`` (UTC, ``YYYY-MM-DD HH:MM:SS.fff``)
``discovery_mag``, ``_err``    ``photometry.photometry_group."0"`` ``flux``, ``flux_error``
``last_nondetection_time``     ``non_detection.obsdate`` (with ``limiting_mag`` as ``limiting_flux``)
``position_error_arcsec``      ``ra.error``, ``dec.error`` (``units: arcsec``)
=============================  ===================================================================

The value ids (groups, instrument, filter, flux unit, AT type, archive) are settings, never guessed. A
field that is missing is named before any request. The internal name (``SKW26abcd``) is derived from
the record's IRI, so it is the same on every attempt: it is how a resumed report is found again.

References
----------
.. [1] TNS bot API AT-report fields (TNS 2.0 names, as HERMES sends them), ``specs/external-apis.md`` §3.3.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

from .outcomes import MissingMetadata

__all__ = ["PreparedReport", "at_report", "internal_name", "tns_time"]


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
    """One AT report ready to send: ``iri``, ``internal_name``, ``report`` (the JSON of one ``at_report`` item)."""

    iri: str
    internal_name: str
    report: dict


def at_report(facts, ids, *, reporter="", prefix="SKW"):
    """Map `~publishers.drafts.ReportFacts` to one AT report.

    Parameters
    ----------
    facts : publishers.drafts.ReportFacts
    ids : dict
        TNS value ids (``reporting_groupid``, ``data_source_groupid``, ``instrumentid``, ``filterid``,
        ``flux_unitid``, ``at_type``, optional ``archiveid``).
    reporter : str
        The ``reporter`` text; default the record's authors "on behalf of skyweave".
    prefix : str
        Internal-name prefix.

    Returns
    -------
    PreparedReport

    Raises
    ------
    publishers.outcomes.MissingMetadata
        Naming each missing field and where it would come from (a run value or a setting).
    """
    ids = {"flux_unitid": "1", "at_type": "1", **ids}
    iri = facts.iri
    values = dict(facts.values)
    problems = []

    def need(key, where):
        value = values.get(key) if where == "value" else ids.get(key)
        if value in (None, ""):
            problems.append(f"{key}: missing (" + (f"a value '{key}' computed by the run of <{iri}>" if
                                                   where == "value" else f"the setting TNS_{key.upper()}") + ")")
        return "" if value is None else str(value)

    if facts.ra_deg is None:
        problems.append(f"ra, dec: <{iri}> has no position (sw:ra, sw:dec of the record or its target)")
    discovery = need("discovery_time", "value")
    mag, mag_err = need("discovery_mag", "value"), values.get("discovery_mag_err", "")
    for key in ("reporting_groupid", "data_source_groupid", "instrumentid", "filterid"):
        need(key, "setting")
    non_detection = {"obsdate": "", "limiting_flux": "", "flux_unitid": ids["flux_unitid"],
                     "filterid": ids.get("filterid", ""), "instrumentid": ids.get("instrumentid", ""),
                     "exptime": "", "observer": "", "comments": "", "archiveid": "", "archival_remarks": ""}
    if values.get("last_nondetection_time") and values.get("limiting_mag"):
        non_detection.update(obsdate=tns_time(values["last_nondetection_time"]),
                             limiting_flux=str(values["limiting_mag"]))
    elif ids.get("archiveid"):
        non_detection.update(archiveid=ids["archiveid"], archival_remarks="No earlier detection in the archive")
    else:
        problems.append("non_detection: missing (values 'last_nondetection_time' and 'limiting_mag' of the run, "
                        "or the setting TNS_ARCHIVEID)")
    if problems:
        raise MissingMetadata(problems, str(iri))
    name = internal_name(iri, prefix, int(tns_time(discovery)[:4]))
    error = values.get("position_error_arcsec", "")
    reporter = reporter or (", ".join(facts.authors) or "skyweave") + " on behalf of skyweave"
    report = {
        "ra": {"value": f"{facts.ra_deg:.6f}", "error": str(error), "units": "arcsec"},
        "dec": {"value": f"{facts.dec_deg:+.6f}", "error": str(error), "units": "arcsec"},
        "reporting_groupid": ids["reporting_groupid"], "data_source_groupid": ids["data_source_groupid"],
        "reporter": reporter, "discovery_datetime": tns_time(discovery), "at_type": ids["at_type"],
        "internal_name": name,
        "internal_name_format": {"prefix": prefix, "year_format": "YY", "postfix": ""},
        "host_name": "", "host_redshift": "", "transient_redshift": "",
        "remarks": f"Reported by skyweave; analysis, provenance and files: {iri}",
        "proprietary_period_groups": [ids["reporting_groupid"]],
        "proprietary_period": {"proprietary_period_value": "0", "proprietary_period_units": "days"},
        "non_detection": non_detection,
        "photometry": {"photometry_group": {"0": {
            "obsdate": tns_time(discovery), "flux": str(mag), "flux_error": str(mag_err), "limiting_flux": "",
            "flux_unitid": ids["flux_unitid"], "filterid": ids["filterid"],
            "instrumentid": ids["instrumentid"], "exptime": "", "observer": "Robot", "comments": ""}}},
        "related_files": {}, "internal_ids": {}}
    return PreparedReport(str(iri), name, report)
