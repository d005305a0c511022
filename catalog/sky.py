"""Astronomy helpers on astropy: parsing sky positions and radii, and cone searches over the store.

astropy and numpy are imported by the functions that use them, not with this module: the web app
imports it at start, and only the search and target pages need them.
"""

from .exceptions import BadRequest

__all__ = ["parse_position", "parse_radius", "cone_search", "box_query", "find_in_cone", "neighbours",
           "target_resolver"]

MAX_RADIUS_DEG = 30.0
"""Largest cone radius the site accepts, degrees (larger cones would list most of the sky)."""


def parse_position(ra, dec):
    """Parse user-given RA and Dec into an ICRS position.

    Parameters
    ----------
    ra : str
        Degrees (``"83.63"``) or any astropy angle string (``"5h34m31.9s"``, ``"05:34:31.9"`` in hours).
    dec : str
        Degrees (``"22.01"``) or an angle string (``"+22d00m52s"``, ``"22:00:52"`` in degrees).

    Returns
    -------
    astropy.coordinates.SkyCoord
        ICRS, scalar.

    Raises
    ------
    BadRequest
        If a value does not parse or lies outside 0 <= RA < 360 deg, -90 <= Dec <= 90 deg.

    Examples
    --------
    >>> c = parse_position("5h34m31.94s", "22d00m52.2s")
    >>> print(f"{c.ra.deg:.3f} {c.dec.deg:.4f}")
    83.633 22.0145
    """
    import astropy.units as u
    from astropy.coordinates import Angle, SkyCoord

    try:
        ra_angle = Angle(float(ra), u.deg) if _is_number(ra) else Angle(ra, unit=u.hourangle if ":" in ra else None)
        dec_angle = Angle(float(dec), u.deg) if _is_number(dec) else Angle(dec, unit=u.deg)
    except (ValueError, u.UnitsError) as exc:
        raise BadRequest(f"Cannot read the position RA={ra!r}, Dec={dec!r}: {exc}") from None
    if not 0 <= ra_angle.deg < 360:
        raise BadRequest(f"RA must lie in [0, 360) deg; got {ra_angle.deg:g} deg.")
    if not -90 <= dec_angle.deg <= 90:
        raise BadRequest(f"Dec must lie in [-90, 90] deg; got {dec_angle.deg:g} deg.")
    return SkyCoord(ra_angle, dec_angle, frame="icrs")


def parse_radius(text, default_unit="deg"):
    """Parse a cone radius such as ``"1.5"``, ``"30 arcmin"`` or ``"0.5 deg"``.

    Parameters
    ----------
    text : str
    default_unit : astropy.units.Unit or str
        Unit of a bare number.

    Returns
    -------
    astropy.units.Quantity ['angle']
        In degrees.

    Raises
    ------
    BadRequest
        If it does not parse, is not an angle, or is not in (0, 30] deg.

    Examples
    --------
    >>> parse_radius("30 arcmin")
    <Quantity 0.5 deg>
    """
    import astropy.units as u

    try:
        q = u.Quantity(text) if not _is_number(text) else float(text) * u.Unit(default_unit)
        q = q.to(u.deg)
    except (TypeError, ValueError, u.UnitsError) as exc:
        raise BadRequest(f"Cannot read the radius {text!r} as an angle: {exc}") from None
    if not 0 * u.deg < q <= MAX_RADIUS_DEG * u.deg:
        raise BadRequest(f"The radius must be in (0, {MAX_RADIUS_DEG:g} deg]; got {q:g}.")
    return q


def _is_number(text):
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def cone_search(ra, dec, center, radius):
    """Select catalog entries whose sky position lies inside a cone.

    Parameters
    ----------
    ra, dec : `~astropy.units.Quantity` ['angle'], shape (N,)
        ICRS right ascension and declination of each entry.
    center : `~astropy.coordinates.SkyCoord`, scalar
        Cone centre in any frame; transformed to ICRS.
    radius : `~astropy.units.Quantity` ['angle'], scalar
        Cone half-opening angle, 0 < radius <= 180 deg.

    Returns
    -------
    mask : ndarray of bool, shape (N,)
        True where the great-circle separation from ``center`` is <= ``radius``.
    separation : `~astropy.coordinates.Angle`, shape (N,)

    Raises
    ------
    astropy.units.UnitsError
        If ``ra``, ``dec`` or ``radius`` does not have angular units.
    ValueError
        If ``ra`` and ``dec`` differ in shape, or ``radius`` is out of range.

    References
    ----------
    .. [1] IVOA Simple Cone Search, Version 1.03. https://www.ivoa.net/documents/ConeSearch/

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.coordinates import SkyCoord
    >>> mask, _ = cone_search([10, 200] * u.deg, [-5, 30] * u.deg, SkyCoord(10 * u.deg, -5 * u.deg), 1 * u.deg)
    >>> mask
    array([ True, False])
    """
    import astropy.units as u
    import numpy as np
    from astropy.coordinates import Angle, SkyCoord

    ra = u.Quantity(ra)
    dec = u.Quantity(dec)
    if ra.shape != dec.shape:
        raise ValueError(f"ra and dec differ in shape: {ra.shape} vs {dec.shape}")
    radius = u.Quantity(radius).to(u.deg)
    if not 0 * u.deg < radius <= 180 * u.deg:
        raise ValueError(f"radius must be in (0, 180] deg, got {radius}")
    if ra.size == 0:
        return np.zeros(0, dtype=bool), Angle(np.zeros(0), u.deg)
    positions = SkyCoord(ra.to(u.deg), dec.to(u.deg), frame="icrs")
    separation = positions.separation(center.icrs)
    return np.asarray(separation <= radius), separation


def box_query(center, radius):
    """Return a SPARQL FILTER expression bounding a cone by an RA/Dec box (``?ra``, ``?dec`` in deg).

    The box is a superset of the cone: Dec +- radius, and RA +- radius / cos(Dec) with wrap-around
    at 0/360 deg; near a pole the RA range is unbounded.

    Parameters
    ----------
    center : astropy.coordinates.SkyCoord
    radius : astropy.units.Quantity ['angle']

    Returns
    -------
    str
    """
    import astropy.units as u
    import numpy as np

    c = center.icrs
    r = radius.to_value(u.deg)
    dec0, ra0 = c.dec.deg, c.ra.deg
    dmin, dmax = dec0 - r, dec0 + r
    parts = [f"?dec >= {dmin:.6f} && ?dec <= {dmax:.6f}"]
    if dmax < 89.9 and dmin > -89.9:
        half = r / np.cos(np.radians(max(abs(dmin), abs(dmax))))
        if half < 180:
            lo, hi = (ra0 - half) % 360, (ra0 + half) % 360
            joiner = "&&" if lo <= hi else "||"
            parts.append(f"(?ra >= {lo:.6f} {joiner} ?ra <= {hi:.6f})")
    return " && ".join(parts)


def find_in_cone(store, center, radius, kinds=("targets", "observations")):
    """Find targets (by position) and observations (by pointing) within a cone.

    Parameters
    ----------
    store : catalog.store.Store
    center : astropy.coordinates.SkyCoord
    radius : astropy.units.Quantity ['angle']
    kinds : tuple of str
        Which record kinds to search.

    Returns
    -------
    dict of str to list of dict
        ``{"targets": [...], "observations": [...]}``; each item has ``iri``, ``label``, ``ra_deg``,
        ``dec_deg``, ``separation_deg``, sorted by separation.
    """
    import astropy.units as u
    import numpy as np

    index = getattr(store, "index", None)
    if index is not None:
        return _find_in_cone_indexed(index, center, radius, kinds)
    box = box_query(center, radius)
    queries = {
        "targets": "?s a sw:Target ; rdfs:label ?label ; sw:ra ?ra ; sw:dec ?dec .",
        "observations": "?s a sw:Observation ; rdfs:label ?label ; sw:pointingRa ?ra ; sw:pointingDec ?dec .",
    }
    out = {}
    for kind in kinds:
        rows = store.select(
            "PREFIX sw: <https://skyweave.org/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
            f"SELECT ?s ?label ?ra ?dec WHERE {{ {queries[kind]} FILTER ({box}) }}"
        )
        if not rows:
            out[kind] = []
            continue
        ra = np.array([float(r["ra"]) for r in rows]) * u.deg
        dec = np.array([float(r["dec"]) for r in rows]) * u.deg
        mask, sep = cone_search(ra, dec, center, radius)
        hits = [
            {"iri": str(r["s"]), "label": str(r["label"]), "ra_deg": float(r["ra"]),
             "dec_deg": float(r["dec"]), "separation_deg": float(s.deg)}
            for r, m, s in zip(rows, mask, sep) if m
        ]
        out[kind] = sorted(hits, key=lambda h: h["separation_deg"])
    return out


def _find_in_cone_indexed(index, center, radius, kinds):
    """`find_in_cone` over the HEALPix pixels of the side index, then the exact separation.

    The separation is astropy's `~astropy.coordinates.angular_separation` (Vincenty's formula, the
    one `SkyCoord.separation` uses) on plain radians: one vectorised call for every candidate of
    every kind, without building coordinate objects per request.
    """
    import numpy as np
    from astropy.coordinates import angular_separation

    from .indexes.sky import cone_candidates, cone_ranges

    c = center.icrs
    ra0, dec0, radius_deg = c.ra.deg, c.dec.deg, radius.to_value("deg")
    ranges = cone_ranges(ra0, dec0, radius_deg)
    rows = {kind: cone_candidates(index, kind, ra0, dec0, radius_deg, ranges) for kind in kinds}
    every = [r for kind in kinds for r in rows[kind]]
    out = {kind: [] for kind in kinds}
    if not every:
        return out
    ra = np.radians(np.array([r[2] for r in every], dtype=float))
    dec = np.radians(np.array([r[3] for r in every], dtype=float))
    sep = np.degrees(angular_separation(np.radians(ra0), np.radians(dec0), ra, dec))
    inside = sep <= radius_deg
    k = 0
    for kind in kinds:
        for (iri, label, ra_deg, dec_deg) in rows[kind]:
            if inside[k]:
                out[kind].append({"iri": iri, "label": label, "ra_deg": ra_deg, "dec_deg": dec_deg,
                                  "separation_deg": float(sep[k])})
            k += 1
        out[kind].sort(key=lambda h: (h["separation_deg"], h["iri"]))
    return out


def neighbours(store, base, ra_deg, dec_deg, radius_deg, exclude=None):
    """Return the targets within ``radius_deg`` of a position (for a target page's sky plot).

    Parameters
    ----------
    store : catalog.store.Store
    base : str
        BASE_IRI, to turn IRIs into site links.
    ra_deg, dec_deg : float
        ICRS position, degrees.
    radius_deg : float
        Search radius, degrees.
    exclude : rdflib.URIRef or None
        A target to leave out (the page's own).

    Returns
    -------
    list of dict
        ``{href, label, ra_deg, dec_deg, separation_deg}``, nearest first.
    """
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    center = SkyCoord(ra_deg * u.deg, dec_deg * u.deg)
    hits = find_in_cone(store, center, radius_deg * u.deg, kinds=("targets",))["targets"]
    return [
        dict(h, href="/" + h["iri"][len(base):] if h["iri"].startswith(base) else h["iri"])
        for h in hits if h["iri"] != str(exclude)
    ]


def target_resolver(store):
    """Return a function resolving a target name against the catalog's own targets (offline).

    Parameters
    ----------
    store : catalog.store.Store

    Returns
    -------
    callable
        ``name -> (ra_deg, dec_deg)`` of the target whose label or other name equals ``name``
        (case-insensitive; a target from the H.E.S.S. release or HGPS first), or None.
    """
    from rdflib import Literal

    prologue = ("PREFIX sw: <https://skyweave.org/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> ")

    def resolve(name):
        name = Literal(name.strip())
        # The exact name uses the store's index; only an unknown spelling scans every name.
        rows = store.select(prologue + "SELECT ?t ?ra ?dec WHERE { ?t rdfs:label|skos:altLabel $name ; "
                            "a sw:Target ; sw:ra ?ra ; sw:dec ?dec } ORDER BY ?t", name=name)
        if not rows:
            rows = store.select(prologue + "SELECT ?t ?ra ?dec WHERE { ?t a sw:Target ; rdfs:label|skos:altLabel ?n ; "
                                "sw:ra ?ra ; sw:dec ?dec FILTER(LCASE(STR(?n)) = LCASE($name)) } ORDER BY ?t", name=name)
        if not rows:
            return None
        return float(rows[0]["ra"]), float(rows[0]["dec"])

    return resolve
