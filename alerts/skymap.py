"""HEALPix sky maps of alerts: read, check, credible areas, and the probability at given positions.

A multi-order sky map (as IGWN sends) is a FITS binary table of pixels named by ``UNIQ``
(``4 * nside**2 + ipix``, NESTED) with a ``PROBDENSITY`` per steradian; a flat map (as some GCN
notices link) has one ``PROB`` per pixel of one ``NSIDE``. Both become arrays ``(uniq, density)``.
The smallest region holding a probability ``p`` is made of the densest pixels, taken in
decreasing density until their summed probability reaches ``p``.

References
----------
.. [1] Multi-order coverage sky maps, LIGO/Virgo/KAGRA user guide,
   https://emfollow.docs.ligo.org/userguide/tutorial/multiorder_skymaps.html
.. [2] Gorski et al. 2005, ApJ 622, 759 (HEALPix); astropy-healpix, https://astropy-healpix.readthedocs.io/
"""

import io
from dataclasses import dataclass

import numpy as np

from .model import Unusable

__all__ = ["SkyMap", "read_skymap", "make_gaussian_skymap"]

SR_TO_DEG2 = (180.0 / np.pi) ** 2
"""Square degrees per steradian."""


@dataclass
class SkyMap:
    """A sky map as multi-order pixels.

    Attributes
    ----------
    uniq : ndarray of int64, shape (N,)
        NUNIQ pixel indices, sorted.
    density : ndarray of float, shape (N,)
        Probability per steradian.
    """

    uniq: np.ndarray
    density: np.ndarray

    def __post_init__(self):
        from astropy_healpix import uniq_to_level_ipix

        order = np.argsort(self.uniq)
        self.uniq, self.density = self.uniq[order], self.density[order]
        self.level, _ = uniq_to_level_ipix(self.uniq)
        self.area_sr = 4.0 * np.pi / (12.0 * 4.0 ** self.level)
        prob = self.density * self.area_sr
        by_density = np.argsort(-self.density, kind="stable")
        cumulative = np.cumsum(prob[by_density])
        self._before = np.empty_like(cumulative)  # probability of the denser pixels, per pixel
        self._before[by_density] = cumulative - prob[by_density]
        self._sorted_area = np.cumsum(self.area_sr[by_density])
        self._cumulative = cumulative

    @property
    def credible_levels(self):
        """ndarray of float, shape (N,): per pixel, the probability of the denser pixels (inside the ``p`` region when < p)."""
        return self._before

    @property
    def total(self):
        """Summed probability (1 for a valid map)."""
        return float(self._cumulative[-1]) if len(self._cumulative) else 0.0

    def area(self, p):
        """Return the area of the smallest region holding probability ``p`` (0 < p <= 1), in deg2."""
        i = min(int(np.searchsorted(self._cumulative, p * self.total)), len(self._cumulative) - 1)
        return float(self._sorted_area[i] * SR_TO_DEG2)

    def at(self, ra, dec):
        """Return the density (per deg2) and the credible level at sky positions.

        Parameters
        ----------
        ra, dec : array_like of float, shape (M,)
            ICRS degrees.

        Returns
        -------
        density : ndarray of float, shape (M,)
            Probability per square degree at each position.
        level : ndarray of float, shape (M,)
            Probability of the pixels denser than the one holding each position: a position lies
            inside the ``p`` credible region when ``level < p``. Positions not covered get 1.
        """
        import astropy.units as u
        from astropy_healpix import lonlat_to_healpix

        ra, dec = np.atleast_1d(np.asarray(ra, float)), np.atleast_1d(np.asarray(dec, float))
        index = np.full(ra.shape, -1)
        for level in np.unique(self.level):
            nside = 2 ** int(level)
            ipix = lonlat_to_healpix(ra * u.deg, dec * u.deg, nside, order="nested")
            key = 4 * nside ** 2 + ipix.astype(np.int64)
            pos = np.clip(np.searchsorted(self.uniq, key), 0, len(self.uniq) - 1)
            hit = self.uniq[pos] == key
            index[hit] = pos[hit]
        covered = index >= 0
        density = np.where(covered, self.density[index] / SR_TO_DEG2, 0.0)
        level = np.where(covered, self._before[index], 1.0)
        return density, level


def read_skymap(data, tolerance=0.01):
    """Read a sky map from FITS bytes and check that its probability sums to 1.

    Parameters
    ----------
    data : bytes
        FITS file (a multi-order table with ``UNIQ`` and ``PROBDENSITY``, or a flat ``PROB`` map
        with ``NSIDE`` and ``ORDERING`` in the header).
    tolerance : float
        Largest accepted ``|sum - 1|``.

    Returns
    -------
    SkyMap

    Raises
    ------
    skyweave.alerts.model.Unusable
        If the bytes are not such a FITS table, or the probability does not sum to 1.

    Examples
    --------
    >>> m = read_skymap(make_gaussian_skymap(120.0, -30.0, 2.0, nside=64))
    >>> round(m.total, 3), 20 < m.area(0.9) < 120
    (1.0, True)
    >>> density, level = m.at([120.0, 300.0], [-30.0, 10.0])
    >>> bool(level[0] < 0.1), bool(level[1] > 0.9)
    (True, True)
    """
    import warnings

    from astropy.io import fits
    from astropy_healpix import level_ipix_to_uniq, nside_to_level, nside_to_pixel_area

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fits.open(io.BytesIO(data)) as hdus:
                table = next((h for h in hdus[1:] if isinstance(h, fits.BinTableHDU)), None)
                if table is None:
                    raise Unusable("The sky map FITS file has no binary table.")
                names = [n.upper() for n in table.columns.names]
                header = table.header
                if "UNIQ" in names and "PROBDENSITY" in names:
                    uniq = np.asarray(table.data["UNIQ"], np.int64).ravel()
                    density = np.asarray(table.data["PROBDENSITY"], float).ravel()
                elif "PROB" in names:
                    prob = np.asarray(table.data["PROB"], float).ravel()
                    nside = int(header.get("NSIDE", 0)) or int(np.sqrt(len(prob) / 12))
                    ipix = np.arange(len(prob))
                    if str(header.get("ORDERING", "NESTED")).upper() == "RING":
                        from astropy_healpix import HEALPix

                        ipix = HEALPix(nside, order="ring").ring_to_nested(ipix)
                    uniq = level_ipix_to_uniq(nside_to_level(nside), ipix)
                    density = prob / nside_to_pixel_area(nside).to_value("sr")
                else:
                    raise Unusable(f"The sky map table has neither UNIQ/PROBDENSITY nor PROB columns ({names}).")
    except Unusable:
        raise
    except Exception as exc:  # astropy raises OSError, ValueError, KeyError, ... on bad FITS
        raise Unusable(f"The sky map is not a readable FITS table: {exc}") from None
    if not len(uniq) or not np.all(np.isfinite(density)) or np.any(density < 0):
        raise Unusable("The sky map is empty or has negative or non-finite probabilities.")
    skymap = SkyMap(uniq, density)
    if abs(skymap.total - 1.0) > tolerance:
        raise Unusable(f"The sky map's probability sums to {skymap.total:.4g}, not 1.")
    return skymap


def make_gaussian_skymap(ra, dec, sigma, nside=64):
    """Make a normalised multi-order sky map of a 2-D Gaussian (single order), as FITS bytes.

    For tests, demos and benchmarks. ``nside=256`` gives about 786,000 pixels (12 MB);
    ``nside=64`` about 49,000 (0.8 MB).

    Parameters
    ----------
    ra, dec : float
        Centre, ICRS degrees.
    sigma : float
        Gaussian width in degrees.
    nside : int
        HEALPix resolution (a power of 2).

    Returns
    -------
    bytes
    """
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astropy.table import Table
    from astropy_healpix import HEALPix, level_ipix_to_uniq, nside_to_level

    hp = HEALPix(nside, order="nested")
    ipix = np.arange(hp.npix)
    lon, lat = hp.healpix_to_lonlat(ipix)
    sep = SkyCoord(lon, lat).separation(SkyCoord(ra * u.deg, dec * u.deg)).deg
    prob = np.exp(-0.5 * (sep / sigma) ** 2)
    prob /= prob.sum()
    table = Table({"UNIQ": level_ipix_to_uniq(nside_to_level(nside), ipix),
                   "PROBDENSITY": prob / hp.pixel_area.to_value("sr") / u.sr})
    table.meta.update({"ORDERING": "NUNIQ", "COORDSYS": "C", "OBJECT": "gaussian test map"})
    out = io.BytesIO()
    table.write(out, format="fits")
    return out.getvalue()
