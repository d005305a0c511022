"""What one record contributes to the side indexes: its list entries, facet values, sky position and texts.

A record is described by the triples of its own subject (the record IRI) in its named graph. The
rules are plain tables (`COLLECTION_CLASSES`, `FACETS`, `FACET_VALUES`, `SORT_KEYS`, `KEYLESS_FIRST`,
`POSITIONS`, `TEXT_PREDICATES`), shared by the index writer and the list views, so a list's facets
and its index cannot drift apart.
"""

import re
from dataclasses import dataclass, field

from rdflib import URIRef

from ..vocab import DCTERMS, PROV, RDF, RDFS, SDO, SKOS, SOSA, SW

__all__ = ["COLLECTION_CLASSES", "FACETS", "FACET_VALUES", "SORT_KEYS", "KEYLESS_FIRST", "POSITIONS",
           "LABEL_PREDICATES", "TEXT_PREDICATES", "PREDICATES", "RecordRows", "record_rows", "sort_text", "triple_pairs"]

COLLECTION_CLASSES = {
    "targets": SW.Target, "observations": SW.Observation, "instruments": SW.Instrument,
    "observatories": SW.Observatory, "catalogs": SW.SourceCatalog, "workflows": URIRef(f"{SDO}ComputationalWorkflow"),
    "runs": SW.Run, "results": SW.DataProduct, "publications": SW.Publication, "alerts": SW.Alert,
}
"""Collection -> the class of its records."""

FACETS = {
    "targets": {"catalog": DCTERMS.source, "class": SW.objectClass},
    "observations": {"target": SW.target, "instrument": SOSA.madeBySensor},
    "instruments": {"messenger": SW.messenger},
    "runs": {"phase": SW.phase, "workflow": PROV.used},
    "results": {"type": SW.productType},
    "alerts": {"messenger": SW.messenger, "type": SW.alertType, "tense": SW.alertTense, "instrument": SW.instrument},
}
"""Collection -> facet name -> the property whose values group the records."""

FACET_VALUES = {("runs", "workflow"): re.compile(r"[^#?]*/workflows/[a-z0-9-]+")}
"""(collection, facet) -> the pattern a value must match in full to be a value of that facet.

A run ``prov:used`` its workflow version, but also the observations and data files it read; only
the workflow version (an IRI ``{base}workflows/{slug}``, see `skyweave.catalog.vocab.iri_for`) is
its ``workflow``.
"""

LABEL_PREDICATES = (RDFS.label, SDO.name, DCTERMS.title)
"""Properties naming a record (the first one present, in this order, is its display label)."""

SORT_KEYS = {"observations": PROV.startedAtTime, "runs": PROV.startedAtTime, "results": PROV.generatedAtTime,
             "alerts": SW.receivedAt}
"""Collection -> the property that orders its list (default: the label)."""

KEYLESS_FIRST = frozenset({"runs"})
"""Collections whose records without an ordering key are listed too, before all others.

Their key is the empty text, as an unbound value sorts before every other in a SPARQL ``ORDER BY``
(a queued run has no ``prov:startedAtTime`` yet); the records of other collections without a key
are left out of the list.
"""

POSITIONS = {"targets": (SW.ra, SW.dec), "observations": (SW.pointingRa, SW.pointingDec)}
"""Collection -> (RA, Dec) properties, ICRS degrees, of the records' sky positions."""

TEXT_PREDICATES = (RDFS.label, SDO.name, DCTERMS.title, SKOS.altLabel, RDFS.comment, SDO.description)
"""Properties searched by full text."""

PREDICATES = frozenset(str(p) for p in (
    RDF.type, *LABEL_PREDICATES, *SORT_KEYS.values(), *TEXT_PREDICATES,
    *(p for facets in FACETS.values() for p in facets.values()),
    *(p for pair in POSITIONS.values() for p in pair)))
"""Every property the indexes read, as IRI text (the rest of a record is ignored)."""

_CLASS_COLLECTIONS = {str(c): k for k, c in COLLECTION_CLASSES.items()}


@dataclass
class RecordRows:
    """The index rows of one record.

    Attributes
    ----------
    iri : str
    lists : list of (str, str, str)
        ``(collection, label, sort_key)`` for each listed class the record has.
    facets : list of (str, str, str)
        ``(collection, facet, value)``; IRIs and literals as their lexical form.
    positions : list of (str, float, float)
        ``(collection, ra_deg, dec_deg)``.
    texts : list of (str, str)
        ``(label, text)`` for each searchable literal.
    """

    iri: str
    lists: list = field(default_factory=list)
    facets: list = field(default_factory=list)
    positions: list = field(default_factory=list)
    texts: list = field(default_factory=list)


def sort_text(value):
    """Return the text a value sorts by: UTC ISO 8601 for date-times, the text otherwise.

    Parameters
    ----------
    value : datetime.datetime or str
        A naive date-time is taken as it is (no time zone is assumed).

    Returns
    -------
    str
        Date-times as ``YYYY-MM-DDTHH:MM:SS[.ffffff]`` in UTC, which sort as the instants do.

    Examples
    --------
    >>> from datetime import datetime
    >>> sort_text(datetime.fromisoformat("2026-12-03T20:00:00+01:00")), sort_text("M31")
    ('2026-12-03T19:00:00', 'M31')
    """
    from datetime import datetime, timezone

    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    return str(value)


def record_rows(iri, pairs):
    """Derive the index rows of record ``iri`` from its own (predicate, object) pairs.

    Parameters
    ----------
    iri : str
        The record's IRI.
    pairs : iterable of (str, object)
        Predicate IRI and object of every triple whose subject is ``iri`` (others may be left
        out): an IRI or a literal's lexical form as `str`, an ``xsd:dateTime`` as `datetime`.

    Returns
    -------
    RecordRows
        Empty lists when the record has no listed class.

    Examples
    --------
    >>> rows = record_rows("http://x/targets/a", [(str(RDF.type), str(SW.Target)), (str(RDFS.label), "A"),
    ...                                           (str(SW.ra), "10.0"), (str(SW.dec), "-5.0")])
    >>> rows.lists, rows.positions, rows.texts
    ([('targets', 'A', 'A')], [('targets', 10.0, -5.0)], [('A', 'A')])
    """
    values = {}
    for p, o in pairs:
        if p in PREDICATES:
            values.setdefault(p, []).append(o)
    out = RecordRows(str(iri))
    labels = [str(o) for p in LABEL_PREDICATES for o in sorted(values.get(str(p), ()))]
    label = labels[0] if labels else None
    collections = sorted({_CLASS_COLLECTIONS[t] for t in values.get(str(RDF.type), ()) if t in _CLASS_COLLECTIONS})
    if label is None:
        return out
    for coll in collections:
        key = SORT_KEYS.get(coll)
        sort = min((sort_text(o) for o in values.get(str(key), ())), default=None) if key else label
        if sort is None and coll in KEYLESS_FIRST:
            sort = ""
        if sort is None:
            continue
        out.lists.append((coll, label, sort))
        for facet, prop in FACETS.get(coll, {}).items():
            keep = FACET_VALUES.get((coll, facet))
            out.facets.extend((coll, facet, str(o)) for o in sorted(set(values.get(str(prop), ())))
                              if keep is None or keep.fullmatch(str(o)))
        if coll in POSITIONS:
            ra, dec = (values.get(str(p), ()) for p in POSITIONS[coll])
            if ra and dec:
                try:
                    out.positions.append((coll, float(ra[0]), float(dec[0])))
                except (TypeError, ValueError):
                    pass
    out.texts = sorted({(label, str(o)) for p in TEXT_PREDICATES for o in values.get(str(p), ())})
    return out


_XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


def triple_pairs(iri, triples):
    """Return the (predicate, object) pairs `record_rows` reads, from a record's plain triples.

    The same values `skyweave.catalog.indexes.source.record_pairs` reads back from the store: the
    record's own subject only, the properties of `PREDICATES` only, an IRI or a literal's lexical
    form as `str`, an ``xsd:dateTime`` as `datetime` (its lexical form if it does not parse).

    Parameters
    ----------
    iri : str
        The record's IRI.
    triples : iterable of (Iri, Iri, term)
        Plain triples (`skyweave.catalog.terms`).

    Returns
    -------
    list of (str, object)

    Examples
    --------
    >>> from skyweave.catalog.terms import Iri, string
    >>> a = Iri("http://x/alerts/a")
    >>> triple_pairs(a, [(a, Iri(str(RDFS.label)), string("GRB 1")), (a, Iri(str(SW.topic)), string("gcn.circulars")),
    ...                  (Iri("http://x/other"), Iri(str(RDFS.label)), string("not its own"))])
    [('http://www.w3.org/2000/01/rdf-schema#label', 'GRB 1')]
    """
    from datetime import datetime

    out = []
    for s, p, o in triples:
        if s != iri or p not in PREDICATES:
            continue
        if isinstance(o, tuple):  # a literal: (lexical, datatype, language)
            value = o[0]
            if o[1] == _XSD_DATETIME:
                try:
                    value = datetime.fromisoformat(value)
                except ValueError:
                    pass
            out.append((str(p), value))
        else:
            out.append((str(p), str(o)))
    return out
