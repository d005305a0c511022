"""Cone searches over the HEALPix pixels of the indexed sky positions.

Each position is stored with its pixel number in the NESTED scheme at ``nside = 2**LEVEL``
(about 3.4 arcmin pixels). In that scheme the pixels of a coarser level are contiguous ranges of
fine pixel numbers, so a cone becomes: the coarse pixels overlapping it (astropy-healpix), a
range scan per pixel on the index, then the exact great-circle separation (astropy) of the few
candidates.

References
----------
.. [1] Gorski et al. 2005, ApJ 622, 759, "HEALPix: a framework for high-resolution discretization
   and fast analysis of data distributed on the sphere".
.. [2] astropy-healpix, https://astropy-healpix.readthedocs.io/
"""

import math

import astropy.units as u
import numpy as np
from astropy.coordinates import Longitude, Latitude

__all__ = ["LEVEL", "pixel_of", "pixels_of", "cone_ranges", "cone_candidates"]

LEVEL = 10
"""HEALPix order of the stored pixel numbers (nside 1024)."""

_HEALPIX = {}


def _healpix(level):
    from astropy_healpix import HEALPix

    if level not in _HEALPIX:
        _HEALPIX[level] = HEALPix(nside=2 ** level, order="nested")
    return _HEALPIX[level]


def pixel_of(ra_deg, dec_deg):
    """Return the NESTED HEALPix pixel at order `LEVEL` holding an ICRS position.

    Parameters
    ----------
    ra_deg, dec_deg : float
        Right ascension and declination in degrees (RA taken modulo 360).

    Returns
    -------
    int

    Examples
    --------
    >>> pixel_of(360.0, 1.0) == pixel_of(0.0, 1.0) == pixels_of([0.0], [1.0])[0]
    True
    """
    hp = _healpix(LEVEL)
    return int(hp.lonlat_to_healpix(Longitude(ra_deg * u.deg), Latitude(dec_deg * u.deg)))


def pixels_of(ra_deg, dec_deg):
    """Vectorised `pixel_of`.

    Parameters
    ----------
    ra_deg, dec_deg : array_like of float, shape (N,)

    Returns
    -------
    list of int
    """
    from astropy_healpix import lonlat_to_healpix

    if len(ra_deg) == 0:
        return []
    lon = Longitude(np.asarray(ra_deg, dtype=float) * u.deg)
    lat = Latitude(np.asarray(dec_deg, dtype=float) * u.deg)
    return lonlat_to_healpix(lon, lat, 2 ** LEVEL, order="nested").tolist()


def cone_ranges(ra_deg, dec_deg, radius_deg):
    """Return half-open ranges of order-`LEVEL` pixel numbers that together cover a cone.

    The covering order is the finest at which the cone overlaps at most a few dozen pixels, so the
    number of ranges stays small whatever the radius.

    Parameters
    ----------
    ra_deg, dec_deg : float
        Cone centre, ICRS degrees.
    radius_deg : float
        Cone radius in degrees, > 0.

    Returns
    -------
    list of (int, int)
        Sorted, merged ``[start, stop)`` ranges.

    Examples
    --------
    >>> sum(b - a for a, b in cone_ranges(10.0, 20.0, 180.0)) == 12 * 4 ** LEVEL
    True
    """
    # pixel size at order k is about 58.6 deg / 2**k: aim for pixels near a quarter of the radius
    level = int(np.clip(math.floor(math.log2(58.6 / max(radius_deg / 4, 1e-6))), 0, LEVEL))
    hp = _healpix(level)
    pixels = np.sort(hp.cone_search_lonlat(Longitude(ra_deg * u.deg), Latitude(dec_deg * u.deg), radius_deg * u.deg))
    shift = 2 * (LEVEL - level)
    ranges = []
    for p in pixels.tolist():
        start, stop = p << shift, (p + 1) << shift
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], stop)
        else:
            ranges.append((start, stop))
    return ranges


def cone_candidates(index, collection, ra_deg, dec_deg, radius_deg, ranges=None):
    """Return the indexed positions of ``collection`` in the pixels covering a cone (a superset).

    Parameters
    ----------
    index : skyweave.catalog.indexes.CatalogIndex
    collection : str
        ``targets`` or ``observations``.
    ra_deg, dec_deg, radius_deg : float
        Cone centre and radius, degrees.
    ranges : list of (int, int) or None
        The cone's `cone_ranges`, when the caller has them already (several collections).

    Returns
    -------
    list of (str, str, float, float)
        ``(iri, label, ra_deg, dec_deg)``; the exact separation check is the caller's.
    """
    out = []
    for start, stop in cone_ranges(ra_deg, dec_deg, radius_deg) if ranges is None else ranges:
        out.extend(index.execute(
            "SELECT p.iri, r.label, p.ra, p.dec FROM positions p JOIN records r ON r.coll = p.coll AND r.iri = p.iri "
            "WHERE p.coll = ? AND p.hpix >= ? AND p.hpix < ?", (collection, start, stop)))
    return out
