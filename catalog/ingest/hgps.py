"""Targets from the H.E.S.S. Galactic Plane Survey (HGPS) catalogue.

Reads HDU ``HGPS_SOURCES`` of ``data/catalogs/hgps_catalog_v1.fits.gz`` (78 sources). Each
source becomes a ``sw:Target`` at ``targets/<slug of Source_Name>`` (``HESS J1825-137`` ->
``targets/hess-j1825-137``), with its ``Identified_Object`` as ``skos:altLabel`` and its
``Source_Class`` lowercased as ``sw:objectClass``. The survey covers the inner Galactic plane
(Galactic longitude 250 deg to 65 deg), so it holds neither the Crab Nebula nor PKS 2155-304.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from rdflib import URIRef

from ..vocab import iri_for
from .builders import CC_BY_4, DATA_DIR, slugify, source_catalog_graph, table_targets, text

__all__ = ["FILENAME", "HDU", "CATALOG_SLUG", "read_table", "catalog_record", "records", "positions"]

FILENAME = "catalogs/hgps_catalog_v1.fits.gz"
"""Path of the catalogue file inside the data folder."""
HDU = "HGPS_SOURCES"
CATALOG_SLUG = "hgps"
UPSTREAM = URIRef("https://www.mpi-hd.mpg.de/hfm/HESS/hgps/")
"""The catalogue's upstream page (``dcterms:source`` of the catalog record)."""

REFERENCE = (
    "H.E.S.S. Collaboration, Abdalla H. et al. 2018, \"The H.E.S.S. Galactic plane survey\", "
    "A&A 612, A1, doi:10.1051/0004-6361/201732098"
)


def read_table(data_dir=None):
    """Read the HGPS source table.

    Parameters
    ----------
    data_dir : str or pathlib.Path, optional
        The data folder; default `catalog.ingest.DATA_DIR`.

    Returns
    -------
    table : `~astropy.table.Table`, shape (78,)
        Columns as in the file; ``RAJ2000``, ``DEJ2000`` in degrees.

    Raises
    ------
    FileNotFoundError
        If the catalogue file is missing.

    References
    ----------
    .. [1] H.E.S.S. Collaboration 2018, A&A 612, A1, doi:10.1051/0004-6361/201732098
    """
    path = Path(data_dir if data_dir is not None else DATA_DIR) / FILENAME
    if not path.is_file():
        raise FileNotFoundError(f"HGPS catalogue not found: {path}")
    return Table.read(path, hdu=HDU)


def catalog_record(base):
    """Return the ``sw:SourceCatalog`` record of the HGPS catalogue.

    Parameters
    ----------
    base : str
        The catalog's base IRI, ending in ``/``.

    Returns
    -------
    iri : rdflib.URIRef
        ``{base}catalogs/hgps``.
    graph : rdflib.Graph

    References
    ----------
    .. [1] H.E.S.S. Collaboration 2018, A&A 612, A1, doi:10.1051/0004-6361/201732098
    """
    iri = iri_for(base, "catalogs", CATALOG_SLUG)
    graph = source_catalog_graph(iri, "H.E.S.S. Galactic Plane Survey (HGPS) source catalogue", REFERENCE, CC_BY_4, UPSTREAM,
                                 "10.1051/0004-6361/201732098")
    return iri, graph


def target_iri(base, source_name):
    """Return the target IRI for an HGPS ``Source_Name``.

    Examples
    --------
    >>> target_iri("http://x/", "HESS J1018-589 A")
    rdflib.term.URIRef('http://x/targets/hess-j1018-589-a')
    """
    return iri_for(base, "targets", slugify(source_name))


def records(base, data_dir=None, table=None) -> Iterator[tuple]:
    """Yield one ``sw:Target`` record per HGPS source, in catalogue order.

    Parameters
    ----------
    base : str
        The catalog's base IRI, ending in ``/``.
    data_dir : str or pathlib.Path, optional
        The data folder; used only when ``table`` is not given.
    table : `~astropy.table.Table`, optional
        The table from `read_table`, to avoid reading the file twice.

    Yields
    ------
    iri : rdflib.URIRef
    graph : rdflib.Graph
        ``rdfs:label`` the ``Source_Name``; ``skos:altLabel`` the ``Identified_Object`` if any;
        ``sw:objectClass`` the lowercased ``Source_Class``; ``sw:ra``/``sw:dec`` in degrees
        (``xsd:double``, 5 decimals); ``dcterms:source`` the catalogue record.

    Raises
    ------
    ValueError
        If two sources map to the same slug.

    Notes
    -----
    The catalogue's ``RAJ2000``/``DEJ2000`` are J2000 equatorial coordinates; the FK5 J2000 to
    ICRS frame offset (< 0.03 arcsec) is far below the HGPS position errors (arcminutes), so the
    values are taken as ICRS without transformation.

    References
    ----------
    .. [1] H.E.S.S. Collaboration 2018, A&A 612, A1, doi:10.1051/0004-6361/201732098
    """
    if table is None:
        table = read_table(data_dir)
    yield from table_targets(base, table, CATALOG_SLUG, alt_columns=("Identified_Object",), class_columns=("Source_Class",))


def positions(base, table):
    """Return the target IRIs and sky positions of the HGPS sources, for cross-matching.

    Parameters
    ----------
    base : str
        The catalog's base IRI.
    table : `~astropy.table.Table`, shape (N,)
        The table from `read_table`.

    Returns
    -------
    iris : list of rdflib.URIRef, length N
    coords : `~astropy.coordinates.SkyCoord`, shape (N,)
        ICRS positions.
    """
    iris = [target_iri(base, text(name)) for name in table["Source_Name"]]
    coords = SkyCoord(
        ra=u.Quantity(table["RAJ2000"], u.deg), dec=u.Quantity(table["DEJ2000"], u.deg), frame="icrs"
    )
    return iris, coords
