"""Targets and observation runs of the H.E.S.S. DL3 public test data release 1 (DR1).

Reads ``data/hess-dl3-dr1/obs-index.fits.gz`` (HDU ``OBS_INDEX``, one row per run) and
``hdu-index.fits.gz`` (HDU ``HDU_INDEX``, which file holds each run's HDUs). The bundled subset
has 8 runs: 4 on the Crab Nebula (2004 December) and 4 on PKS 2155-304 (the 2006 July 29/30
flare night).

- one ``sw:Target`` per distinct ``OBJECT`` at ``targets/<slug of OBJECT>`` (``crab-nebula``,
  ``pks-2155-304``), with ``skos:closeMatch`` to every HGPS and 3FHL target within 0.2 deg;
- one ``sw:Observation`` per run at ``observations/hess-<OBS_ID>``, with its run file as a
  ``dcat:Distribution`` at ``{base}files/hess-dl3-dr1/<FILE_DIR>/<FILE_NAME>``.

Run times: ``TSTART``/``TSTOP`` are seconds of Terrestrial Time (``TIMESYS = 'TT'``) since
``MJDREFI + MJDREFF`` (MJD 51910.000742870 TT, i.e. 2001-01-01T00:00:00 UTC). They are converted
to UTC with `astropy.time` (TT - UTC = 64.184 s in 2004, 65.184 s after the 2005-12-31 leap
second) and cross-checked against ``DATE-OBS``/``TIME-OBS``, which the file gives in TT too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astropy.time import Time, TimeDelta
from rdflib import BNode, Literal, URIRef

from ..vocab import DCAT, DCTERMS, PROV, RDF, RDFS, SKOS, SOSA, SW, XSD, iri_for
from .builders import CC_BY_4, DATA_DIR, double, new_graph, slugify, source_catalog_graph, target_graph, text

__all__ = [
    "RELEASE_DIR", "CATALOG_SLUG", "INSTRUMENT_SLUG", "MATCH_RADIUS", "read_obs_index",
    "read_hdu_index", "run_times", "catalog_record", "records", "xsd_datetime",
]

RELEASE_DIR = "hess-dl3-dr1"
"""Folder of the release inside the data folder, also the path segment of its file URLs."""
CATALOG_SLUG = "hess-dl3-dr1"
INSTRUMENT_SLUG = "hess"
"""Slug of the H.E.S.S. instrument record in ``data/instruments.ttl``."""
MATCH_RADIUS = 0.2 * u.deg
"""Largest separation at which a catalog source is recorded as a ``skos:closeMatch``."""
MEDIA_TYPE = "application/fits"
COMPRESS_FORMAT = "application/gzip"
UPSTREAM = URIRef("https://www.mpi-hd.mpg.de/hfm/HESS/pages/dl3-dr1/")
"""The release's upstream page (also on Zenodo, doi:10.5281/zenodo.1421099)."""

REFERENCE = (
    "H.E.S.S. collaboration 2018, H.E.S.S. DL3 public test data release 1 (HESS DL3 DR1), "
    "doi:10.5281/zenodo.1421099. Required attribution: \"This work made use of data from the "
    "H.E.S.S. DL3 public test data release 1 (HESS DL3 DR1, H.E.S.S. collaboration, 2018).\" "
    "Background models (BKG HDUs): Mohrmann L. et al. 2019, A&A 632, A72, "
    "doi:10.1051/0004-6361/201936452."
)
TERMS_OF_USE = (
    "H.E.S.S. terms of use (README.txt of the release): no scientific publications may be derived "
    "from the data; using the data for new claims about the astrophysical sources is not "
    "permitted; these terms must be included in all copies in full or part of the data."
)

_TIME_CHECK_TOLERANCE = 1 * u.s


def _table(data_dir, filename, hdu):
    path = Path(data_dir if data_dir is not None else DATA_DIR) / RELEASE_DIR / filename
    if not path.is_file():
        raise FileNotFoundError(f"H.E.S.S. DL3 DR1 index not found: {path}")
    return Table.read(path, hdu=hdu)


def read_obs_index(data_dir=None):
    """Read the observation index of the release.

    Parameters
    ----------
    data_dir : str or pathlib.Path, optional
        The data folder; default `catalog.ingest.DATA_DIR`.

    Returns
    -------
    table : `~astropy.table.Table`, shape (N_runs,)
        ``OBS_ID``, ``OBJECT``, ``RA_OBJ``/``DEC_OBJ``/``RA_PNT``/``DEC_PNT`` (deg), ``LIVETIME``
        (s), ``TSTART``/``TSTOP`` (s since the reference time), ...; ``table.meta`` holds the
        header (``MJDREFI``, ``MJDREFF``, ``TIMESYS``, ``TIMEUNIT``).

    Raises
    ------
    FileNotFoundError
        If ``obs-index.fits.gz`` is missing.

    References
    ----------
    .. [1] Data formats for gamma-ray astronomy, observation index table.
       https://gamma-astro-data-formats.readthedocs.io/en/latest/data_storage/obs_index/
    """
    return _table(data_dir, "obs-index.fits.gz", "OBS_INDEX")


def read_hdu_index(data_dir=None):
    """Read the HDU index of the release (which file holds which HDU of each run).

    Parameters
    ----------
    data_dir : str or pathlib.Path, optional
        The data folder; default `catalog.ingest.DATA_DIR`.

    Returns
    -------
    table : `~astropy.table.Table`, shape (N_hdus,)
        ``OBS_ID``, ``HDU_TYPE``, ``FILE_DIR``, ``FILE_NAME``, ``HDU_NAME``, ``SIZE``.

    Raises
    ------
    FileNotFoundError
        If ``hdu-index.fits.gz`` is missing.

    References
    ----------
    .. [1] Data formats for gamma-ray astronomy, HDU index table.
       https://gamma-astro-data-formats.readthedocs.io/en/latest/data_storage/hdu_index/
    """
    return _table(data_dir, "hdu-index.fits.gz", "HDU_INDEX")


def run_times(obs_index):
    """Return the start and stop times of every run, checked against ``DATE-OBS``/``TIME-OBS``.

    Parameters
    ----------
    obs_index : `~astropy.table.Table`, shape (N,)
        The table from `read_obs_index`, with ``MJDREFI``, ``MJDREFF`` (or ``MJDREF``),
        ``TIMESYS`` and ``TIMEUNIT`` in ``meta``.

    Returns
    -------
    start, stop : `~astropy.time.Time`, shape (N,)
        Run start and stop, in the UTC scale.

    Raises
    ------
    ValueError
        If the header lacks the reference time, a run stops before it starts, or a start or stop
        time differs from ``DATE-OBS``/``TIME-OBS`` or ``DATE-END``/``TIME-END`` (read in
        ``TIMESYS``) by more than 1 s.

    References
    ----------
    .. [1] Rots A. H. et al. 2015, "Representations of time coordinates in FITS", A&A 574, A36,
       doi:10.1051/0004-6361/201424653 (MJDREF, TIMESYS, DATE-OBS are in TIMESYS).

    Examples
    --------
    >>> start, stop = run_times(read_obs_index())
    >>> start[0].isot, start.scale
    ('2004-12-04T22:07:06.000', 'utc')
    """
    meta = obs_index.meta
    scale = str(meta.get("TIMESYS", "TT")).strip().lower()
    unit = u.Unit(str(meta.get("TIMEUNIT", "s")).strip())
    if "MJDREFI" in meta:
        reference = Time(meta["MJDREFI"], meta.get("MJDREFF", 0.0), format="mjd", scale=scale)
    elif "MJDREF" in meta:
        reference = Time(meta["MJDREF"], format="mjd", scale=scale)
    else:
        raise ValueError("the observation index header has no MJDREFI/MJDREFF or MJDREF")
    delta_scale = None if scale == "utc" else scale  # TimeDelta has no UTC scale
    start = reference + TimeDelta(np.asarray(obs_index["TSTART"], dtype=float) * unit, scale=delta_scale)
    stop = reference + TimeDelta(np.asarray(obs_index["TSTOP"], dtype=float) * unit, scale=delta_scale)
    if np.any(stop <= start):
        raise ValueError("a run of the observation index stops before it starts (TSTOP <= TSTART)")
    for which, times, date_col, time_col in (
        ("start", start, "DATE-OBS", "TIME-OBS"), ("stop", stop, "DATE-END", "TIME-END"),
    ):
        if date_col not in obs_index.colnames or time_col not in obs_index.colnames:
            continue
        stated = Time(
            [f"{text(d)}T{text(t)}" for d, t in zip(obs_index[date_col], obs_index[time_col])],
            format="isot", scale=scale,
        )
        offset = np.abs((times - stated).to(u.s))
        if np.any(offset > _TIME_CHECK_TOLERANCE):
            worst = int(np.argmax(offset))
            raise ValueError(
                f"run {obs_index['OBS_ID'][worst]}: {which} time from the reference time "
                f"({times[worst].isot} {scale.upper()}) differs from {date_col}/{time_col} "
                f"({stated[worst].isot}) by {offset[worst]:.3f}"
            )
    return start.utc, stop.utc


def xsd_datetime(time):
    """Return an ``xsd:dateTime`` literal in UTC with a ``Z`` suffix.

    Parameters
    ----------
    time : `~astropy.time.Time`, scalar
        Any scale; converted to UTC. Milliseconds are kept when not zero.

    Returns
    -------
    literal : rdflib.Literal

    Examples
    --------
    >>> from astropy.time import Time
    >>> str(xsd_datetime(Time("2004-12-04T22:08:10.184", scale="tt")))
    '2004-12-04T22:07:06Z'
    """
    iso = time.utc.isot  # precision 3
    if iso.endswith(".000"):
        iso = iso[:-4]
    return Literal(f"{iso}Z", datatype=XSD.dateTime, normalize=False)


def catalog_record(base):
    """Return the ``sw:SourceCatalog`` record of the data release.

    Parameters
    ----------
    base : str
        The catalog's base IRI, ending in ``/``.

    Returns
    -------
    iri : rdflib.URIRef
        ``{base}catalogs/hess-dl3-dr1``.
    graph : rdflib.Graph
        Title, citation and attribution, CC BY 4.0 licence, the H.E.S.S. terms of use
        (``dcterms:rights``), upstream page and the Zenodo DOI.

    References
    ----------
    .. [1] H.E.S.S. collaboration 2018, H.E.S.S. DL3 public test data release 1,
       https://www.mpi-hd.mpg.de/hfm/HESS/pages/dl3-dr1/ , doi:10.5281/zenodo.1421099
    """
    iri = iri_for(base, "catalogs", CATALOG_SLUG)
    graph = source_catalog_graph(iri, "H.E.S.S. DL3 public test data release 1 (HESS DL3 DR1)", REFERENCE, CC_BY_4,
                                 UPSTREAM, "10.5281/zenodo.1421099", rights=TERMS_OF_USE)
    return iri, graph


def _close_matches(coord, candidates, radius):
    """Return the IRIs of candidate targets within ``radius`` of ``coord``, nearest first."""
    matches = []
    for iris, coords in candidates:
        separation = coords.separation(coord)
        for index in np.flatnonzero(separation <= radius):
            matches.append((separation[index].to_value(u.deg), iris[index]))
    return [iri for _, iri in sorted(matches)]


def _default_candidates(base, data_dir):
    from . import fermi3fhl, hgps

    return [
        hgps.positions(base, hgps.read_table(data_dir)),
        fermi3fhl.positions(base, fermi3fhl.read_table(data_dir)),
    ]


def records(base, data_dir=None, candidates=None, radius=MATCH_RADIUS) -> Iterator[tuple]:
    """Yield the release's target records, then one observation record per run.

    Parameters
    ----------
    base : str
        The catalog's base IRI, ending in ``/``.
    data_dir : str or pathlib.Path, optional
        The data folder; default `catalog.ingest.DATA_DIR`.
    candidates : list of (list of rdflib.URIRef, `~astropy.coordinates.SkyCoord`), optional
        Targets to cross-match, each a list of IRIs with their positions, shape (N,); default the
        HGPS and 3FHL (read from ``data_dir``). Pass ``[]`` to skip cross-matching.
    radius : `~astropy.units.Quantity` ['angle'], scalar
        Match radius; default 0.2 deg.

    Yields
    ------
    iri : rdflib.URIRef
    graph : rdflib.Graph
        Targets (``targets/<slug of OBJECT>``: label ``OBJECT``, ``sw:ra``/``sw:dec`` from
        ``RA_OBJ``/``DEC_OBJ``, ``skos:closeMatch``), then observations
        (``observations/hess-<OBS_ID>``) in the order of the observation index.

    Raises
    ------
    FileNotFoundError
        If an index or a run file is missing.
    ValueError
        If the run times are inconsistent (see `run_times`), a live time is not positive, or a run
        has no file in the HDU index.

    References
    ----------
    .. [1] H.E.S.S. collaboration 2018, H.E.S.S. DL3 DR1, doi:10.5281/zenodo.1421099
    .. [2] W3C, Data Catalog Vocabulary (DCAT) Version 3, dcat:Distribution.
       https://www.w3.org/TR/vocab-dcat-3/#Class:Distribution
    """
    data_dir = Path(data_dir if data_dir is not None else DATA_DIR)
    obs_index = read_obs_index(data_dir)
    hdu_index = read_hdu_index(data_dir)
    if candidates is None:
        candidates = _default_candidates(base, data_dir)
    start, stop = run_times(obs_index)
    release_iri = iri_for(base, "catalogs", CATALOG_SLUG)
    instrument_iri = iri_for(base, "instruments", INSTRUMENT_SLUG)

    target_iris = {}
    for row in obs_index:
        name = text(row["OBJECT"])
        if name in target_iris:
            continue
        iri = iri_for(base, "targets", slugify(name))
        target_iris[name] = iri
        graph = target_graph(iri, name, row["RA_OBJ"], row["DEC_OBJ"], release_iri)
        coord = SkyCoord(float(row["RA_OBJ"]) * u.deg, float(row["DEC_OBJ"]) * u.deg, frame="icrs")
        for match in _close_matches(coord, candidates, radius):
            graph.add((iri, SKOS.closeMatch, match))
        yield iri, graph

    for index, row in enumerate(obs_index):
        obs_id = int(row["OBS_ID"])
        name = text(row["OBJECT"])
        live_time = float(row["LIVETIME"])
        if not live_time > 0:
            raise ValueError(f"run {obs_id}: LIVETIME {live_time} s is not positive")
        iri = iri_for(base, "observations", f"hess-{obs_id}")
        graph = new_graph()
        graph.add((iri, RDF.type, SW.Observation))
        graph.add((iri, RDFS.label, Literal(f"H.E.S.S. run {obs_id} ({name})")))
        graph.add((iri, SW.obsId, Literal(obs_id, datatype=XSD.integer)))
        graph.add((iri, SOSA.madeBySensor, instrument_iri))
        graph.add((iri, SW.target, target_iris[name]))
        graph.add((iri, SW.pointingRa, double(row["RA_PNT"] % 360.0, 5)))
        graph.add((iri, SW.pointingDec, double(row["DEC_PNT"], 5)))
        graph.add((iri, PROV.startedAtTime, xsd_datetime(start[index])))
        graph.add((iri, PROV.endedAtTime, xsd_datetime(stop[index])))
        graph.add((iri, SW.liveTime, double(row["LIVETIME"])))
        graph.add((iri, DCTERMS.isPartOf, release_iri))
        for file_dir, file_name in _run_files(hdu_index, obs_id):
            _add_distribution(graph, iri, base, data_dir, file_dir, file_name)
        yield iri, graph


def _run_files(hdu_index, obs_id):
    rows = hdu_index[hdu_index["OBS_ID"] == obs_id]
    files = sorted({(text(r["FILE_DIR"]), text(r["FILE_NAME"])) for r in rows})
    if not files:
        raise ValueError(f"run {obs_id} has no file in the HDU index")
    return files


def _add_distribution(graph, iri, base, data_dir, file_dir, file_name):
    relative = PurePosixPath(file_dir) / file_name
    path = data_dir / RELEASE_DIR / relative
    if not path.is_file():
        raise FileNotFoundError(f"run file listed in the HDU index is missing: {path}")
    distribution = BNode()
    graph.add((iri, DCAT.distribution, distribution))
    graph.add((distribution, RDF.type, DCAT.Distribution))
    graph.add((distribution, DCAT.downloadURL, URIRef(f"{base}files/{RELEASE_DIR}/{relative}")))
    graph.add((distribution, DCAT.mediaType, Literal(MEDIA_TYPE)))
    if path.suffix == ".gz":
        graph.add((distribution, DCAT.compressFormat, Literal(COMPRESS_FORMAT)))
    graph.add((distribution, DCAT.byteSize, Literal(path.stat().st_size, datatype=XSD.integer)))
