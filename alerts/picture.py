"""The sky picture of an alert's localisation: its error circle or ellipse around the centre, or its
sky map's 50 % and 90 % credible regions on the whole sky, with the matched catalogued targets.

Drawn with matplotlib as a standalone SVG (no ``pyplot``, so thread-safe), styled like the
catalog's other pictures (`skyweave.catalog.skyplot`).
"""

import io

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from skyweave.catalog.skyplot import HIGHLIGHT_COLOR, POINT_COLOR, RC

__all__ = ["localization_svg"]


def _svg(fig, title):
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Title": title})
    return buf.getvalue()


def localization_svg(title, ra=None, dec=None, radius=None, ellipse=None, skymap=None, targets=()):
    """Draw an alert's localisation.

    Parameters
    ----------
    title : str
    ra, dec : float or None
        Centre, ICRS degrees.
    radius : float or None
        Error-circle radius in degrees.
    ellipse : tuple of float or None
        ``(a, b, pa)`` in degrees, position angle east of north.
    skymap : skyweave.alerts.skymap.SkyMap or None
        Drawn on the whole sky (Mollweide) when given.
    targets : iterable of (str, float, float)
        Matched targets: label, RA and Dec in degrees.

    Returns
    -------
    bytes
        An SVG document. Targets are the group with ``id="targets"``.

    Examples
    --------
    >>> svg = localization_svg("IceCube-250101A", 83.7, 22.0, radius=0.5, targets=[("Crab Nebula", 83.63, 22.01)])
    >>> b"Crab Nebula" in svg and b"<svg" in svg
    True
    """
    targets = list(targets)
    with rc_context(RC):
        fig = Figure(figsize=(5.2, 3.4) if skymap is not None else (4.2, 4.2))
        if skymap is not None:
            ax = fig.add_subplot(projection="mollweide")
            _skymap(ax, skymap)
            lon = lambda r: -np.deg2rad(((np.asarray(r, float) + 180.0) % 360.0) - 180.0)  # noqa: E731  (east left)
            xs, ys = lon([t[1] for t in targets]), np.deg2rad([t[2] for t in targets])
            ax.set_xticklabels([])
            ax.grid(True, lw=0.3, alpha=0.6)
        else:
            ax = fig.add_subplot()
            half = max(2.5 * (radius or (ellipse[0] if ellipse else 0.5)), 0.2)
            scale = 1.0 / max(np.cos(np.deg2rad(dec)), 0.05)
            ax.set_xlim(ra + half * scale, ra - half * scale)  # east left
            ax.set_ylim(dec - half, dec + half)
            ax.set_aspect(scale)
            if ellipse is not None:
                a, b, pa = ellipse
                patch = Ellipse((ra, dec), 2 * b * scale, 2 * a, angle=-pa, fill=False, ec=HIGHLIGHT_COLOR, lw=1.4)
            else:
                patch = Ellipse((ra, dec), 2 * radius * scale, 2 * radius, fill=False, ec=HIGHLIGHT_COLOR, lw=1.4)
            ax.add_patch(patch)
            ax.plot([ra], [dec], marker="+", color=HIGHLIGHT_COLOR, ms=10)
            ax.set_xlabel("Right ascension (deg)")
            ax.set_ylabel("Declination (deg)")
            xs, ys = [t[1] for t in targets], [t[2] for t in targets]
        points = ax.scatter(xs, ys, s=18, marker="*", color=POINT_COLOR, zorder=5)
        points.set_gid("targets")
        for (label, *_), x, y in list(zip(targets, xs, ys))[:12]:
            ax.annotate(label, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=7, color=POINT_COLOR)
        fig.suptitle(title, fontsize=9, fontweight="bold")
        return _svg(fig, title)


def _skymap(ax, skymap):
    """Fill the 90 % and 50 % credible regions of a sky map on a Mollweide axis (east left)."""
    import astropy.units as u
    from astropy_healpix import healpix_to_lonlat, uniq_to_level_ipix

    inside = skymap.credible_levels < 0.9
    level, ipix = uniq_to_level_ipix(skymap.uniq[inside])
    lons, lats = [], []
    for lv in np.unique(level):
        lon, lat = healpix_to_lonlat(ipix[level == lv], 2 ** int(lv), order="nested")
        lons.append(lon.to_value(u.deg))
        lats.append(lat.to_value(u.deg))
    lon, lat = np.concatenate(lons), np.concatenate(lats)
    core = (skymap.credible_levels < 0.5)[inside]
    x = -np.deg2rad(((lon + 180.0) % 360.0) - 180.0)
    ax.scatter(x[~core], np.deg2rad(lat[~core]), s=1, color="#f59f00", alpha=0.5, lw=0, label="90 %")
    ax.scatter(x[core], np.deg2rad(lat[core]), s=1, color=HIGHLIGHT_COLOR, alpha=0.8, lw=0, label="50 %")
    ax.legend(loc="lower right", fontsize=6, markerscale=6, frameon=False)
