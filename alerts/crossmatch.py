"""Cross-match of an alert's localisation with the catalogued targets.

A target matches when it lies inside the error circle or ellipse (its separation from the centre
is kept) or inside the 90 % credible region of the sky map (the map's probability density at the
target is kept). The targets' positions are read from the store once and kept until the store
writes a target again (or for `TargetIndex.max_age_s`).

References
----------
.. [1] astropy coordinates, separations and offsets, https://docs.astropy.org/en/stable/coordinates/
"""

import threading
import time
from dataclasses import dataclass

import numpy as np

__all__ = ["Match", "TargetIndex", "in_error_region"]


@dataclass(frozen=True)
class Match:
    """A catalogued target inside an alert's localisation.

    Attributes
    ----------
    target : str
        The target's IRI.
    label : str
    separation : float or None
        Degrees from the localisation's centre (error circle or ellipse).
    density : float or None
        Sky-map probability per square degree at the target.
    """

    target: str
    label: str
    separation: float | None = None
    density: float | None = None


def in_error_region(ra, dec, centre_ra, centre_dec, radius=None, ellipse=None):
    """Select positions inside an error circle or ellipse.

    Parameters
    ----------
    ra, dec : array_like of float, shape (N,)
        ICRS degrees.
    centre_ra, centre_dec : float
        Centre of the region, ICRS degrees.
    radius : float or None
        Circle radius in degrees.
    ellipse : tuple of float or None
        ``(a, b, pa)``: semi-axes in degrees and the position angle of ``a``, degrees east of north.

    Returns
    -------
    inside : ndarray of bool, shape (N,)
    separation : ndarray of float, shape (N,)
        Great-circle distances from the centre in degrees.

    Examples
    --------
    >>> inside, sep = in_error_region([10.0, 10.0, 12.0], [0.0, 1.5, 0.0], 10.0, 0.0, ellipse=(2.0, 1.0, 0.0))
    >>> inside.tolist(), [round(float(s), 2) for s in sep]
    ([True, True, False], [0.0, 1.5, 2.0])
    """
    import astropy.units as u
    from astropy.coordinates import SkyCoord, angular_separation

    ra, dec = np.asarray(ra, float), np.asarray(dec, float)
    # SkyCoord.separation's own formula (Vincenty), on plain arrays: no frames to build for a circle
    separation = np.rad2deg(angular_separation(np.deg2rad(centre_ra), np.deg2rad(centre_dec),
                                               np.deg2rad(ra), np.deg2rad(dec)))
    if ellipse is not None:
        centre = SkyCoord(centre_ra * u.deg, centre_dec * u.deg)
        points = SkyCoord(ra * u.deg, dec * u.deg)
        a, b, pa = ellipse
        east, north = centre.spherical_offsets_to(points)
        theta = np.deg2rad(pa)
        along = north.deg * np.cos(theta) + east.deg * np.sin(theta)  # along the major axis
        across = -north.deg * np.sin(theta) + east.deg * np.cos(theta)
        inside = (along / a) ** 2 + (across / b) ** 2 <= 1.0
    elif radius is not None:
        inside = separation <= radius
    else:
        inside = np.zeros(separation.shape, bool)
    return inside, separation


def _unit_vectors(ra, dec):
    """Return unit vectors (shape (N, 3)) of ICRS positions in degrees."""
    ra, dec = np.deg2rad(ra), np.deg2rad(dec)
    return np.column_stack((np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)))


class TargetIndex:
    """The positions of the catalogued targets, read once from the store.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    max_age_s : float
        Read the targets again after this many seconds.
    """

    def __init__(self, store, max_age_s=300.0):
        self.store, self.max_age_s = store, float(max_age_s)
        self._loaded_at, self._lock = -1e18, threading.Lock()
        self.iris, self.labels = [], []
        self.ra, self.dec, self._xyz = np.empty(0), np.empty(0), np.empty((0, 3))

    def _refresh(self):
        with self._lock:
            if time.monotonic() - self._loaded_at < self.max_age_s:
                return
            rows = self.store.select(
                "PREFIX sw: <https://skyweave.org/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                "SELECT ?t ?label ?ra ?dec WHERE { ?t a sw:Target ; rdfs:label ?label ; sw:ra ?ra ; sw:dec ?dec }")
            self.iris = [str(r["t"]) for r in rows]
            self.labels = [str(r["label"]) for r in rows]
            self.ra = np.array([float(r["ra"]) for r in rows])
            self.dec = np.array([float(r["dec"]) for r in rows])
            self._xyz = _unit_vectors(self.ra, self.dec)
            self._loaded_at = time.monotonic()

    def match(self, localization, skymap=None, credible=0.9):
        """Return the targets inside a localisation.

        Parameters
        ----------
        localization : skyweave.alerts.model.Localization
        skymap : skyweave.alerts.skymap.SkyMap or None
            The localisation's sky map, read; used instead of the error region when given.
        credible : float
            Credible level of the sky-map region.

        Returns
        -------
        list of Match
            Nearest (or most probable) first.
        """
        self._refresh()
        if not self.iris:
            return []
        if skymap is not None:
            density, level = skymap.at(self.ra, self.dec)
            found = np.flatnonzero(level < credible)
            found = found[np.argsort(-density[found])]
            return [Match(self.iris[i], self.labels[i], density=float(density[i])) for i in found]
        if localization.ra is None:
            return []
        reach = localization.ellipse[0] if localization.ellipse is not None else localization.radius
        if reach is None:
            return []
        centre = _unit_vectors(np.array([localization.ra]), np.array([localization.dec]))[0]
        cosines = np.clip(self._xyz @ centre, -1.0, 1.0)
        near = np.flatnonzero(cosines >= np.cos(np.deg2rad(reach)) - 1e-12)  # within the circle or major axis
        if not len(near):
            return []
        inside, separation = in_error_region(self.ra[near], self.dec[near], localization.ra, localization.dec,
                                             localization.radius, localization.ellipse)
        order = np.argsort(separation[inside])
        found, seps = near[inside][order], separation[inside][order]
        return [Match(self.iris[i], self.labels[i], separation=float(s)) for i, s in zip(found, seps)]
