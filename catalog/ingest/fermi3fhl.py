"""Targets from the Fermi-LAT Third Catalog of Hard Sources (3FHL).

Reads HDU ``LAT_Point_Source_Catalog`` of ``data/catalogs/fermi/gll_psch_v13.fit.gz`` (1556
sources above 10 GeV). Each source becomes a ``sw:Target`` at ``targets/<slug of Source_Name>``
(``3FHL J0534.5+2201`` -> ``targets/3fhl-j0534-5-2201``; extended sources keep their ``e``:
``3FHL J0534.5+2201e`` would be ``3fhl-j0534-5-2201e``). ``ASSOC1``, ``ASSOC2`` and ``ASSOC_TEV``
become ``skos:altLabel`` and ``CLASS`` lowercased becomes ``sw:objectClass``.

The 3FHL writes ``CLASS`` in capitals for firm identifications and in lower case for
associations (``PSR`` vs ``psr``); the data model keeps only the lowercased class, so that
distinction is not carried into the record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from rdflib import URIRef

from ..vocab import iri_for
from .builders import CC0_1, DATA_DIR, slugify, source_catalog_graph, table_targets, text

__all__ = ["FILENAME", "HDU", "CATALOG_SLUG", "read_table", "catalog_record", "records", "positions"]

FILENAME = "catalogs/fermi/gll_psch_v13.fit.gz"
"""Path of the catalogue file inside the data folder."""
HDU = "LAT_Point_Source_Catalog"
CATALOG_SLUG = "3fhl"
UPSTREAM = URIRef("https://fermi.gsfc.nasa.gov/ssc/data/access/lat/3FHL/")
"""The catalogue's upstream page at the Fermi Science Support Center."""

REFERENCE = (
    "Ajello M. et al. 2017, \"3FHL: The Third Catalog of Hard Fermi-LAT Sources\", ApJS 232, 18, "
    "doi:10.3847/1538-4365/aa8221"
)
ASSOCIATION_COLUMNS = ("ASSOC1", "ASSOC2", "ASSOC_TEV")


def read_table(data_dir=None):
    """Read the 3FHL point-source table.

    Parameters
    ----------
    data_dir : str or pathlib.Path, optional
        The data folder; default `catalog.ingest.DATA_DIR`.

    Returns
    -------
    table : `~astropy.table.Table`, shape (1556,)
        Columns as in the file; ``RAJ2000``, ``DEJ2000`` in degrees.

    Raises
    ------
    FileNotFoundError
        If the catalogue file is missing.

    References
    ----------
    .. [1] Ajello M. et al. 2017, ApJS 232, 18, doi:10.3847/1538-4365/aa8221
    """
    path = Path(data_dir if data_dir is not None else DATA_DIR) / FILENAME
    if not path.is_file():
        raise FileNotFoundError(f"3FHL catalogue not found: {path}")
    return Table.read(path, hdu=HDU)


def catalog_record(base):
    """Return the ``sw:SourceCatalog`` record of the 3FHL.

    Parameters
    ----------
    base : str
        The catalog's base IRI, ending in ``/``.

    Returns
    -------
    iri : rdflib.URIRef
        ``{base}catalogs/3fhl``.
    graph : rdflib.Graph

    References
    ----------
    .. [1] Ajello M. et al. 2017, ApJS 232, 18, doi:10.3847/1538-4365/aa8221
    """
    iri = iri_for(base, "catalogs", CATALOG_SLUG)
    graph = source_catalog_graph(iri, "Fermi-LAT Third Catalog of Hard Sources (3FHL)", REFERENCE, CC0_1, UPSTREAM,
                                 "10.3847/1538-4365/aa8221")
    return iri, graph


def target_iri(base, source_name):
    """Return the target IRI for a 3FHL ``Source_Name``.

    Examples
    --------
    >>> target_iri("http://x/", "3FHL J0534.5+2201")
    rdflib.term.URIRef('http://x/targets/3fhl-j0534-5-2201')
    """
    return iri_for(base, "targets", slugify(source_name))


def records(base, data_dir=None, table=None) -> Iterator[tuple]:
    """Yield one ``sw:Target`` record per 3FHL source, in catalogue order.

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
        ``rdfs:label`` the ``Source_Name``; ``skos:altLabel`` each non-empty ``ASSOC1``,
        ``ASSOC2``, ``ASSOC_TEV``; ``sw:objectClass`` the lowercased ``CLASS`` when given;
        ``sw:ra``/``sw:dec`` in degrees (``xsd:double``, 5 decimals); ``dcterms:source`` the
        catalogue record.

    Raises
    ------
    ValueError
        If two sources map to the same slug.

    Notes
    -----
    ``RAJ2000``/``DEJ2000`` are J2000 equatorial coordinates; the FK5 J2000 to ICRS frame offset
    (< 0.03 arcsec) is far below the 3FHL 95% position errors (arcminutes), so the values are
    taken as ICRS without transformation.

    References
    ----------
    .. [1] Ajello M. et al. 2017, ApJS 232, 18, doi:10.3847/1538-4365/aa8221
    """
    if table is None:
        table = read_table(data_dir)
    yield from table_targets(base, table, CATALOG_SLUG, alt_columns=ASSOCIATION_COLUMNS, class_columns=("CLASS",))


def positions(base, table):
    """Return the target IRIs and sky positions of the 3FHL sources, for cross-matching.

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
