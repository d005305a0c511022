"""Sky pictures for the catalog pages, rendered by matplotlib as standalone SVG documents.

Two pictures: `sky_map`, an all-sky map in Galactic coordinates (home page, target lists), and
`position_plot`, a few-degree field around one target with its catalogued neighbours (target pages).

Both build a `matplotlib.figure.Figure` directly, never through ``pyplot``, so they keep no global
state and are safe in a threaded web server. Styling goes through `matplotlib.rc_context`, which
also fixes ``svg.hashsalt`` so that the same input gives byte-identical SVG (good for ETags and
tests); the SVG metadata carries no date.
"""

import io

import numpy as np
from astropy import units as u
from astropy.coordinates import Angle, SkyCoord
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

__all__ = ["sky_map", "position_plot"]

#: rcParams shared by every picture: deterministic ids, real ``<text>`` (smaller, selectable), small fonts.
RC = {
    "svg.hashsalt": "skyweave",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 8,
    "axes.edgecolor": "#5a6476",
    "axes.labelcolor": "#1a2130",
    "text.color": "#1a2130",
    "xtick.color": "#5a6476",
    "ytick.color": "#5a6476",
    "path.simplify": True,
}
POINT_COLOR = "#1f5bc4"
HIGHLIGHT_COLOR = "#d9480f"
PLANE_COLOR = "#7e22ce"
MAX_RADIUS = 30 * u.deg


def _angles(name, value):
    """Return ``value`` as a 1-D `~astropy.units.Quantity` in degrees, or raise."""
    try:
        q = u.Quantity(value)
    except TypeError as exc:
        raise u.UnitsError(f"{name} must be an angle Quantity, got {type(value).__name__}") from exc
    if q.unit.physical_type != "angle":
        raise u.UnitsError(f"{name} must have angular units (e.g. deg), got {q.unit.to_string() or 'dimensionless'!r}")
    q = np.atleast_1d(q.to(u.deg))
    if q.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {q.shape}")
    return q


def _coords(name, value):
    """Return ``value`` as a 1-D ICRS `~astropy.coordinates.SkyCoord`, or raise."""
    if not isinstance(value, SkyCoord):
        raise TypeError(f"{name} must be an astropy SkyCoord, got {type(value).__name__}")
    value = value.icrs
    if value.ndim > 1:
        raise ValueError(f"{name} must be a scalar or one-dimensional SkyCoord, got shape {value.shape}")
    return value.reshape(-1) if value.ndim else value.reshape((1,))


def _labels(labels, n, what):
    """Return ``labels`` as a list of ``n`` strings (or ``n`` Nones), or raise ValueError."""
    if labels is None:
        return [None] * n
    labels = [labels] if isinstance(labels, str) else [None if s is None else str(s) for s in labels]
    if len(labels) != n:
        raise ValueError(f"got {len(labels)} labels for {n} {what}")
    return labels


def _svg(fig, title):
    """Serialise ``fig`` to SVG bytes with reproducible metadata."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, **({"Title": title} if title else {})})
    return buf.getvalue()


def _galactic_x(coord):
    """Aitoff x (radians) of Galactic longitude: l = 0 in the centre, increasing to the left."""
    return -coord.galactic.l.wrap_at(180 * u.deg).radian


def _break_wraps(x, y):
    """Insert NaNs where a curve jumps across the map edge, so it is not drawn across the map."""
    jumps = np.flatnonzero(np.abs(np.diff(x)) > np.pi) + 1
    return np.insert(x, jumps, np.nan), np.insert(y, jumps, np.nan)


def sky_map(ra, dec, highlight=None, labels=None, title=None, urls=None):
    """Draw catalog positions on an all-sky Aitoff map in Galactic coordinates.

    Each entry is a small dot. The Galactic plane (b = 0) is drawn as a line with a shaded
    |b| < 5 deg band, and the celestial equator as a dashed curve. Galactic longitude runs from
    l = 0 at the centre and increases to the left, as on the sky seen from inside.

    Parameters
    ----------
    ra, dec : `~astropy.units.Quantity` ['angle'], shape (N,)
        ICRS right ascension and declination of each entry, in any angular unit. N may be 0.
    highlight : `~astropy.coordinates.SkyCoord`, scalar or shape (M,), optional
        Positions to emphasise with a star marker, in any frame.
    labels : str or sequence of str, shape (M,), optional
        Text beside each highlighted position; requires ``highlight``.
    title : str, optional
        Title above the map; also written as the SVG document title.
    urls : sequence of str, shape (N,), optional
        Link for each dot; the SVG then wraps each dot in ``<a xlink:href>``, which works when the
        SVG is inlined in the page or embedded with ``<object>`` (not with ``<img>``).

    Returns
    -------
    svg : bytes
        A standalone UTF-8 SVG document, 8 x 4.5 inches at 72 points per inch. The dots are the
        children of the group with ``id="targets"``, the highlights of ``id="highlight"``.

    Raises
    ------
    astropy.units.UnitsError
        If ``ra`` or ``dec`` is not a Quantity with angular units.
    TypeError
        If ``highlight`` is not a `~astropy.coordinates.SkyCoord`.
    ValueError
        If ``ra`` and ``dec`` differ in shape or are not one-dimensional, if ``labels`` or ``urls``
        do not match the number of positions, or if ``labels`` is given without ``highlight``.

    References
    ----------
    .. [1] Snyder, J. P., *Map Projections: A Working Manual*, USGS Professional Paper 1395 (1987),
       "Aitoff" and "Hammer" projections. https://doi.org/10.3133/pp1395
    .. [2] Astropy coordinates: transforming between systems.
       https://docs.astropy.org/en/stable/coordinates/transforming.html
    .. [3] Matplotlib geographic projections.
       https://matplotlib.org/stable/gallery/subplots_axes_and_figures/geo_demo.html

    Examples
    --------
    >>> import astropy.units as u
    >>> svg = sky_map([83.63, 266.42] * u.deg, [22.01, -29.01] * u.deg, title="Two sources")
    >>> svg.startswith(b"<?xml")
    True
    """
    ra, dec = _angles("ra", ra), _angles("dec", dec)
    if ra.shape != dec.shape:
        raise ValueError(f"ra and dec must have the same shape, got {ra.shape} and {dec.shape}")
    if highlight is None and labels is not None:
        raise ValueError("labels annotate the highlighted positions; pass highlight too")
    if urls is not None and len(urls) != len(ra):
        raise ValueError(f"got {len(urls)} urls for {len(ra)} positions")
    marks = None if highlight is None else _coords("highlight", highlight)
    mark_labels = _labels(labels, 0 if marks is None else len(marks), "highlighted positions")

    with rc_context(RC):
        fig = Figure(figsize=(8, 4.5))
        ax = fig.add_subplot(projection="aitoff")
        fig.subplots_adjust(left=0.04, right=0.96, bottom=0.06, top=0.9 if title else 0.96)
        ax.grid(True, color="#c5ccd8", linewidth=0.5)
        ax.set_axisbelow(True)
        ticks = np.radians(np.arange(-150, 151, 30))
        ax.set_xticks(ticks)
        ax.set_xticklabels([])  # drawn below the plane instead, where they hide fewer sources
        for t in ticks:
            ax.text(t, np.radians(-14), f"{(-np.degrees(t)) % 360:.0f}°", ha="center", va="center",
                    fontsize=6.5, color="#5a6476", zorder=2)
        ax.tick_params(axis="y", labelsize=7)

        # Galactic plane band and line, celestial equator.
        # (Few vertices: the projection already interpolates each segment into a curve.)
        band = np.radians(5)
        ax.fill([-np.pi, np.pi, np.pi, -np.pi], [-band, -band, band, band], color=PLANE_COLOR, alpha=0.08,
                linewidth=0, zorder=1)
        ax.plot([-np.pi, np.pi], [0, 0], color=PLANE_COLOR, linewidth=0.8, alpha=0.6, zorder=1)
        equator = SkyCoord(np.linspace(0, 360, 721) * u.deg, np.zeros(721) * u.deg, frame="icrs")
        ex, ey = _break_wraps(_galactic_x(equator), equator.galactic.b.radian)
        ax.plot(ex, ey, color="#5a6476", linewidth=0.6, linestyle=(0, (4, 3)), alpha=0.7, zorder=1)
        ax.text(np.radians(-172), np.radians(9), "Galactic plane", color=PLANE_COLOR, fontsize=6.5, zorder=2)

        if len(ra):
            points = SkyCoord(ra, dec, frame="icrs")
            dots = ax.scatter(_galactic_x(points), points.galactic.b.radian, s=5, color=POINT_COLOR,
                              alpha=0.75, linewidths=0, zorder=3)
            dots.set_gid("targets")
            if urls is not None:
                dots.set_urls(list(urls))

        if marks is not None:
            mx, my = _galactic_x(marks), marks.galactic.b.radian
            star = ax.scatter(mx, my, s=140, marker="*", color=HIGHLIGHT_COLOR, edgecolors="white",
                              linewidths=0.8, zorder=5)
            star.set_gid("highlight")
            for x, y, text in zip(mx, my, mark_labels):
                if text:
                    right = x > np.radians(120)  # near the right edge: label on the left of the star
                    ax.annotate(text, (x, y), xytext=(-7 if right else 7, 5), textcoords="offset points",
                                ha="right" if right else "left", fontsize=8, fontweight="bold",
                                color=HIGHLIGHT_COLOR, zorder=6)
        if title:
            fig.suptitle(title, fontsize=10, fontweight="bold")
        fig.text(0.5, 0.015, "Galactic coordinates (l, b), Aitoff projection", ha="center", fontsize=6.5, color="#5a6476")
        return _svg(fig, title)


def position_plot(center, neighbours=None, radius=2 * u.deg, labels=None, center_label=None, title=None):
    """Draw the field around one target with its catalogued neighbours, in RA/Dec.

    The field is a square of half-width ``radius`` on the sky centred on ``center``: right ascension
    increases to the left (east left, north up), and the RA axis is stretched by 1/cos(dec) so that
    angles on the sky keep their shape. A bar in the lower left corner gives the angular scale.

    Parameters
    ----------
    center : `~astropy.coordinates.SkyCoord`, scalar
        The target, in any frame; drawn as a star.
    neighbours : `~astropy.coordinates.SkyCoord`, shape (M,), optional
        Other catalog sources, in any frame; those outside the field are left out.
    radius : `~astropy.units.Quantity` ['angle'], scalar
        Half-width of the field, 0 < radius <= 30 deg. Default 2 deg.
    labels : sequence of str, shape (M,), optional
        Names written beside the neighbours.
    center_label : str, optional
        Name written beside the target.
    title : str, optional
        Title above the plot; also the SVG document title.

    Returns
    -------
    svg : bytes
        A standalone UTF-8 SVG document, 4.2 x 4.2 inches. The target is the group with
        ``id="center"``, the neighbours that of ``id="neighbours"``.

    Raises
    ------
    TypeError
        If ``center`` or ``neighbours`` is not a `~astropy.coordinates.SkyCoord`.
    astropy.units.UnitsError
        If ``radius`` does not have angular units.
    ValueError
        If ``center`` is not scalar, ``radius`` is out of range, or ``labels`` does not match
        ``neighbours``.

    References
    ----------
    .. [1] Astropy coordinates: separations and offset frames.
       https://docs.astropy.org/en/stable/coordinates/matchsep.html
    .. [2] Calabretta, M. R. & Greisen, E. W., "Representations of celestial coordinates in FITS",
       A&A 395, 1077 (2002), on the orientation convention (east left). https://doi.org/10.1051/0004-6361:20021327

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.coordinates import SkyCoord
    >>> crab = SkyCoord(83.633 * u.deg, 22.014 * u.deg)
    >>> svg = position_plot(crab, SkyCoord([84.5] * u.deg, [21.0] * u.deg), labels=["other"])
    >>> b"other" in svg
    True
    """
    if not isinstance(center, SkyCoord):
        raise TypeError(f"center must be an astropy SkyCoord, got {type(center).__name__}")
    if not center.isscalar:
        raise ValueError(f"center must be a scalar SkyCoord, got shape {center.shape}")
    center = center.icrs
    radius = _angles("radius", radius)
    if radius.shape != (1,) or not 0 * u.deg < radius[0] <= MAX_RADIUS:
        raise ValueError(f"radius must be a scalar in (0, {MAX_RADIUS}], got {radius}")
    radius = radius[0]
    if neighbours is None:
        if labels is not None:
            raise ValueError("labels name the neighbours; pass neighbours too")
        neighbours = SkyCoord([] * u.deg, [] * u.deg, frame="icrs")
    others = _coords("neighbours", neighbours)
    names = _labels(labels, len(others), "neighbours")

    ra0, dec0, r = center.ra.deg, center.dec.deg, radius.to_value(u.deg)
    stretch = 1 / max(np.cos(np.radians(dec0)), 0.05)
    # RA unwrapped around the centre so that fields across RA = 0 stay contiguous.
    ora = ra0 + Angle(others.ra - center.ra).wrap_at(180 * u.deg).deg
    odec = others.dec.deg
    inside = (np.abs(ora - ra0) <= r * stretch) & (np.abs(odec - dec0) <= r)

    with rc_context(RC):
        fig = Figure(figsize=(4.2, 4.2))
        ax = fig.add_subplot()
        fig.subplots_adjust(left=0.17, right=0.95, bottom=0.13, top=0.9 if title else 0.95)
        ax.set_xlim(ra0 + r * stretch, ra0 - r * stretch)  # RA increases to the left
        ax.set_ylim(max(dec0 - r, -90), min(dec0 + r, 90))
        ax.set_aspect(stretch, adjustable="box")
        ax.grid(True, color="#dde2ea", linewidth=0.5)
        ax.set_axisbelow(True)
        ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v % 360:g}°"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}°"))
        ax.set_xlabel("Right ascension (ICRS)")
        ax.set_ylabel("Declination (ICRS)")

        near = ax.scatter(ora[inside], odec[inside], s=22, facecolors="none", edgecolors=POINT_COLOR,
                          linewidths=1.1, zorder=3)
        near.set_gid("neighbours")
        for x, y, name in zip(ora[inside], odec[inside], np.array(names, dtype=object)[inside]):
            if name:
                ax.annotate(name, (x, y), xytext=(5, 4), textcoords="offset points", fontsize=6.5,
                            color=POINT_COLOR, clip_on=True, zorder=4)
        star = ax.scatter([ra0], [dec0], s=160, marker="*", color=HIGHLIGHT_COLOR, edgecolors="white",
                          linewidths=0.8, zorder=5)
        star.set_gid("center")
        if center_label:
            ax.annotate(center_label, (ra0, dec0), xytext=(8, -10), textcoords="offset points", fontsize=8,
                        fontweight="bold", color=HIGHLIGHT_COLOR, zorder=6)

        # Scale bar: a round angle near half the field width, drawn along RA (stretched) at the bottom left.
        scale = min((s for s in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if s >= r / 2.5), default=20)
        x_start, y_bar = ra0 + 0.85 * r * stretch, dec0 - 0.85 * r
        ax.plot([x_start, x_start - scale * stretch], [y_bar, y_bar], color="#1a2130", linewidth=2,
                solid_capstyle="butt", zorder=6)
        ax.annotate(f"{scale:g}°", (x_start - scale * stretch / 2, y_bar), xytext=(0, 4), textcoords="offset points",
                    ha="center", fontsize=7, zorder=6)
        ax.text(0.96, 0.04, "N ↑  E ←", transform=ax.transAxes, ha="right", fontsize=6.5, color="#5a6476")
        if title:
            ax.set_title(title, fontsize=9, fontweight="bold")
        return _svg(fig, title)
