"""Record builders shared by the ingest modules: slugs, literals, target and source-catalog graphs."""

from __future__ import annotations

import re

import numpy as np
from rdflib import Graph, Literal, URIRef

from ..resources import bundled
from ..vocab import DCTERMS, PREFIXES, RDF, RDFS, SDO, SKOS, SW, XSD, iri_for

__all__ = ["DATA_DIR", "CC_BY_4", "CC0_1", "slugify", "new_graph", "double", "text", "target_graph",
           "source_catalog_graph", "table_targets"]


DATA_DIR = bundled("data")
"""The project's bundled data folder, ``<project root>/data``; every loader's ``data_dir`` overrides it."""

CC_BY_4 = URIRef("https://creativecommons.org/licenses/by/4.0/")
CC0_1 = URIRef("https://creativecommons.org/publicdomain/zero/1.0/")


def slugify(name):
    """Turn a source or object name into a record slug.

    Lowercases the name, turns every run of characters other than ``a-z`` and ``0-9`` into one
    hyphen and strips hyphens from both ends, so catalog designations stay readable and distinct.

    Parameters
    ----------
    name : str
        A catalog source name or object name, e.g. ``"HESS J0534+220"``.

    Returns
    -------
    slug : str
        Matches ``[a-z0-9]+(-[a-z0-9]+)*``, as `catalog.vocab.iri_for` requires.

    Raises
    ------
    ValueError
        If ``name`` contains no letter or digit.

    Examples
    --------
    >>> slugify("HESS J0534+220")
    'hess-j0534-220'
    >>> slugify("3FHL J0534.5+2201")
    '3fhl-j0534-5-2201'
    >>> slugify("HESS J1018-589 A")
    'hess-j1018-589-a'
    >>> slugify("  Crab Nebula ")
    'crab-nebula'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")
    if not slug:
        raise ValueError(f"cannot make a slug from {name!r}: it has no letters or digits")
    return slug


def new_graph():
    """Return an empty record graph with the catalog's prefixes bound.

    Returns
    -------
    graph : rdflib.Graph
    """
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    return graph


def double(value, decimals=None):
    """Return an ``xsd:double`` literal for a number read from a FITS table.

    Parameters
    ----------
    value : float or numpy floating scalar
        The number. A ``float32`` column value is written with the shortest decimal that
        round-trips to the stored ``float32`` (``83.6348``, not ``83.63480377197266``).
    decimals : int, optional
        Round to this many decimals (e.g. 5 for sky coordinates in degrees, 0.036 arcsec).

    Returns
    -------
    literal : rdflib.Literal
        Datatype ``xsd:double``.

    Raises
    ------
    ValueError
        If ``value`` is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> double(np.float32(1581.7368)).n3()
    '"1581.7368"^^<http://www.w3.org/2001/XMLSchema#double>'
    """
    if isinstance(value, np.floating):
        number = float(np.format_float_positional(value, unique=True, trim="0"))
    else:
        number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    if decimals is not None:
        number = round(number, decimals)
    return Literal(number, datatype=XSD.double)


def text(value):
    """Return a FITS string cell stripped of padding; a masked or null cell gives ``""``.

    Examples
    --------
    >>> import numpy as np
    >>> text(b"Crab Nebula   "), text(np.ma.masked)
    ('Crab Nebula', '')
    """
    if value is None or value is np.ma.masked or np.ma.is_masked(value):
        return ""
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    return str(value).strip()


def target_graph(iri, label, ra, dec, catalog_iri, alt_labels=(), object_classes=()):
    """Build a ``sw:Target`` record graph.

    Parameters
    ----------
    iri : rdflib.URIRef
        The target's record IRI.
    label : str
        The name the source catalog gives (``rdfs:label``).
    ra, dec : float or numpy floating scalar
        ICRS right ascension and declination in degrees; RA is wrapped into [0, 360) and both
        are written as ``xsd:double`` rounded to 5 decimals (0.036 arcsec).
    catalog_iri : rdflib.URIRef
        The ``sw:SourceCatalog`` the target comes from (``dcterms:source``).
    alt_labels : iterable of str, optional
        Other names and associations (``skos:altLabel``); blank entries and the label itself are
        skipped.
    object_classes : iterable of str, optional
        Class strings of the catalog (``sw:objectClass``), lowercased; blank entries skipped.

    Returns
    -------
    graph : rdflib.Graph

    Raises
    ------
    ValueError
        If ``dec`` is outside [-90, 90] deg or a coordinate is not finite.
    """
    if not -90.0 <= float(dec) <= 90.0:
        raise ValueError(f"declination {dec!r} deg of {label!r} is outside [-90, 90]")
    ra_deg = round(double(ra).toPython() % 360.0, 5) % 360.0  # 359.999996 -> 360.0 -> 0.0
    graph = new_graph()
    graph.add((iri, RDF.type, SW.Target))
    graph.add((iri, RDFS.label, Literal(label)))
    for alt in alt_labels:
        alt = text(alt)
        if alt and alt != label:
            graph.add((iri, SKOS.altLabel, Literal(alt)))
    for object_class in object_classes:
        object_class = text(object_class).lower()
        if object_class:
            graph.add((iri, SW.objectClass, Literal(object_class)))
    graph.add((iri, SW.ra, Literal(ra_deg, datatype=XSD.double)))
    graph.add((iri, SW.dec, double(dec, 5)))
    graph.add((iri, DCTERMS.source, catalog_iri))
    return graph


def source_catalog_graph(iri, title, citation, licence, upstream, doi, rights=None):
    """Build a ``sw:SourceCatalog`` record graph.

    Parameters
    ----------
    iri : rdflib.URIRef
        The record IRI (``{base}catalogs/{slug}``).
    title, citation : str
        ``dcterms:title`` and ``dcterms:bibliographicCitation``.
    licence, upstream : rdflib.URIRef
        ``dcterms:license`` and ``dcterms:source`` (the upstream page).
    doi : str
        Bare DOI of the paper or release (``schema:identifier``).
    rights : str or None
        Terms of use beyond the licence (``dcterms:rights``).

    Returns
    -------
    graph : rdflib.Graph
    """
    graph = new_graph()
    graph.add((iri, RDF.type, SW.SourceCatalog))
    graph.add((iri, DCTERMS.title, Literal(title)))
    graph.add((iri, DCTERMS.bibliographicCitation, Literal(citation)))
    graph.add((iri, DCTERMS.license, licence))
    if rights:
        graph.add((iri, DCTERMS.rights, Literal(rights)))
    graph.add((iri, DCTERMS.source, upstream))
    graph.add((iri, SDO.identifier, Literal(doi)))
    return graph


def table_targets(base, table, catalog_slug, alt_columns=(), class_columns=()):
    """Yield one ``sw:Target`` record per row of a source-catalog table, in table order.

    Parameters
    ----------
    base : str
        The catalog's base IRI.
    table : `~astropy.table.Table`, shape (N,)
        With ``Source_Name``, ``RAJ2000`` and ``DEJ2000`` (degrees; J2000, taken as ICRS: the
        FK5 J2000 to ICRS offset, < 0.03 arcsec, is far below catalog position errors).
    catalog_slug : str
        Slug of the source-catalog record (``dcterms:source``).
    alt_columns, class_columns : tuple of str
        Columns giving other names (``skos:altLabel``) and classes (``sw:objectClass``).

    Yields
    ------
    iri : rdflib.URIRef
        ``{base}targets/{slugify(Source_Name)}``.
    graph : rdflib.Graph

    Raises
    ------
    ValueError
        If two sources map to the same slug.
    """
    catalog_iri = iri_for(base, "catalogs", catalog_slug)
    seen = set()
    for row in table:
        name = text(row["Source_Name"])
        iri = iri_for(base, "targets", slugify(name))
        if iri in seen:
            raise ValueError(f"two sources of {catalog_slug} share the slug of {name!r}")
        seen.add(iri)
        yield iri, target_graph(
            iri, name, row["RAJ2000"], row["DEJ2000"], catalog_iri,
            alt_labels=[row[c] for c in alt_columns], object_classes=[row[c] for c in class_columns],
        )
