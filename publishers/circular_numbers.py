"""Fill in the number of a GCN Circular sent by e-mail, when the circular appears.

E-mail is fire-and-forget: the publication of a circular sent by e-mail stays ``sent`` without a number
(`publishers.gcn_circulars`). GCN files it asynchronously and then publishes it, like every new
circular, on the Kafka topic ``gcn.circulars`` (``specs/external-apis.md`` §4.2 "Distribution"). Two
read-only ways complete the publication with the circular's number and archive page:

- `CircularNumbers`, the alert listener's hook: for each message of ``gcn.circulars`` the listener
  consumed, the ``sent`` circular publications whose subject is the circular's and whose record IRI
  (our marker: every draft ends with it) is in its body, or whose sender address is in its
  ``submitter``, become ``published`` with ``circularId``.
- `find_in_archive`: GCN's archive reads of §4.2, ``GET {site}/circulars/<circularId>.json``, from the
  first number after the highest one the catalog knows, up to a bounded number of reads; the next check
  continues where the last stopped. The archive has no documented search (its ``/circulars?query=``
  page answers HTML), so it is read by number.

Neither path ever sends anything.

References
----------
.. [1] ``specs/external-apis.md`` §4.2 (circular JSON, ``gcn.circulars``, archive reads), §4.3 (b): e-mail
   "record sent, wait for the confirmation e-mail or archive appearance; never resend automatically".
"""

import json
import logging

from rdflib import Literal

from . import records
from .drafts import CIRCULAR_SERVICE

__all__ = ["CIRCULARS_TOPIC", "sent_circulars", "matches", "mark_appeared", "CircularNumbers", "highest_known",
           "find_in_archive"]

log = logging.getLogger(__name__)

CIRCULARS_TOPIC = "gcn.circulars"
"""The Kafka topic on which GCN publishes every new circular."""

_PREFIXES = ("PREFIX sw: <https://skyweave.org/ns#> PREFIX schema: <https://schema.org/> "
             "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ")


def sent_circulars(store):
    """Return the circular publications sent by e-mail whose number is not known yet.

    Parameters
    ----------
    store : skyweave.catalog.store.Store

    Returns
    -------
    list of publishers.records.Publication
    """
    rows = store.select(_PREFIXES + "SELECT ?p WHERE { ?p a sw:Publication ; sw:service ?s ; sw:state ?state "
                        "FILTER(STR(?s) = $service && STR(?state) = \"sent\") }", service=Literal(CIRCULAR_SERVICE))
    return [records.get(store, row["p"]) for row in rows]


def matches(pub, circular):
    """Tell whether ``circular`` (GCN's JSON) is the one publication ``pub`` sent.

    The subjects must be equal, and the body must hold the record's IRI or the ``submitter`` the address
    the e-mail was sent from.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> pub = records.Publication("p", "gcn-circulars", "http://x/events/e1", "sent", datetime.now(timezone.utc),
    ...                           "m", progress={"subject": "GRB 250101A: follow-up", "from_address": "a@b.org"})
    >>> matches(pub, {"subject": "GRB 250101A: follow-up", "body": "... http://x/events/e1", "submitter": "?"})
    True
    >>> matches(pub, {"subject": "GRB 250101A: follow-up", "body": "...", "submitter": "A at B <a@b.org>"})
    True
    >>> matches(pub, {"subject": "GRB 250101A: other", "body": "... http://x/events/e1", "submitter": "?"})
    False
    """
    if circular.get("subject") != pub.progress.get("subject"):
        return False
    sender = (pub.progress.get("from_address") or "").lower()
    return pub.target in str(circular.get("body") or "") or bool(
        sender and f"<{sender}>" in str(circular.get("submitter") or "").lower())


def mark_appeared(store, pub, circular, site, how):
    """Complete publication ``pub`` with the number of ``circular``; return the updated publication.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    pub : publishers.records.Publication
    circular : dict
        GCN's circular JSON (``circularId``).
    site : str
        GCN's site (``https://gcn.nasa.gov``): the archive page is ``{site}/circulars/<circularId>``.
    how : str
        Where it appeared, for the step log (``"gcn.circulars"``, ``"the archive"``).

    Returns
    -------
    publishers.records.Publication
    """
    number = str(circular["circularId"])
    url = f"{str(site).rstrip('/')}/circulars/{number}"
    return records.update(store, pub.iri, "published", identifier=number, url=url, generated=url,
                          step=f"appeared on {how} as circularId={number}")


class CircularNumbers:
    """The listener's hook: give circulars sent by e-mail their number when they appear on ``gcn.circulars``.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    site : str
        GCN's site (the ``GCN_API_BASE_URL`` setting), for the archive page links.

    Examples
    --------
    >>> hook = CircularNumbers(None, "https://gcn.nasa.gov")
    >>> hook([])
    []
    """

    def __init__(self, store, site):
        self.store, self.site = store, site

    @classmethod
    def from_settings(cls, config, store):
        """Build the hook from the settings (``GCN_API_BASE_URL``)."""
        return cls(store, config.get("GCN_API_BASE_URL") or "https://gcn.nasa.gov")

    def __call__(self, messages):
        """Fill in the numbers of the circulars among ``messages`` (`skyweave.alerts.Message`).

        Returns
        -------
        list of publishers.records.Publication
            The publications completed.
        """
        circulars = []
        for message in messages:
            if message.topic != CIRCULARS_TOPIC:
                continue
            try:
                data = json.loads(message.payload)
            except (UnicodeDecodeError, ValueError):
                continue  # the intake quarantines it with its reason
            if isinstance(data, dict) and data.get("circularId") is not None:
                circulars.append(data)
        if not circulars:
            return []
        done = []
        for pub in sent_circulars(self.store):
            found = next((c for c in circulars if matches(pub, c)), None)
            if found is not None:
                done.append(mark_appeared(self.store, pub, found, self.site, CIRCULARS_TOPIC))
                log.info("circular %s of <%s> appeared on %s", found["circularId"], pub.target, CIRCULARS_TOPIC)
        return done


def highest_known(store):
    """Return the highest circular number the catalog knows (its own circulars, and circulars it stored
    from ``gcn.circulars``), or None.

    Parameters
    ----------
    store : skyweave.catalog.store.Store

    Returns
    -------
    int or None
    """
    rows = store.select(_PREFIXES + """SELECT (MAX(?n) AS ?max) WHERE {
        { ?p a sw:Publication ; sw:service ?s ; schema:identifier ?id FILTER(STR(?s) = $service)
          BIND(xsd:integer(STR(?id)) AS ?n) }
        UNION
        { ?a a sw:Alert ; sw:payloadFormat "gcn-circular" ; rdfs:label ?label
          BIND(xsd:integer(STRBEFORE(STRAFTER(STR(?label), "GCN Circular "), ":")) AS ?n) } }""".replace(
        "xsd:integer", "<http://www.w3.org/2001/XMLSchema#integer>"), service=Literal(CIRCULAR_SERVICE))
    value = rows[0].get("max") if rows else None
    return int(value) if value is not None else None


def find_in_archive(read, pub, start, max_reads=20):
    """Read GCN's archive by number for the circular ``pub`` sent.

    Parameters
    ----------
    read : callable
        ``read(number) -> dict or None``: the circular's JSON from ``GET {site}/circulars/<number>.json``,
        None when there is none (404).
    pub : publishers.records.Publication
    start : int
        The first number to read.
    max_reads : int
        Most archive reads in this check.

    Returns
    -------
    circular, next : dict or None, int
        The circular found (or None) and the number the next check starts from: the first that did not
        exist yet (the archive's end), or the one after the last read.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> archive = {7: {"circularId": 7, "subject": "other", "body": ""},
    ...            8: {"circularId": 8, "subject": "GRB 250101A: x", "body": "http://x/r/1"}}
    >>> pub = records.Publication("p", "gcn-circulars", "http://x/r/1", "sent", datetime.now(timezone.utc), "m",
    ...                           progress={"subject": "GRB 250101A: x"})
    >>> find_in_archive(archive.get, pub, 7)[0]["circularId"], find_in_archive(archive.get, pub, 9)
    (8, (None, 9))
    """
    number = int(start)
    for _ in range(int(max_reads)):
        circular = read(number)
        if circular is None:
            return None, number
        if matches(pub, circular):
            return circular, number + 1
        number += 1
    return None, number
