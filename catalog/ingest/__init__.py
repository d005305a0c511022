"""Turn the bundled real data (``data/``, see ``data/SOURCES.md``) into catalog records.

Each record is one small rdflib graph holding only that record's own triples (plus its blank-node
parts, such as an instrument's energy range or an observation's file distribution), named by the
record IRI ``{base}{collection}/{slug}`` of ``ontology/README.md``. One module per source:

- `catalog.ingest.instruments`: observatories and instruments from ``data/instruments.ttl``;
- `catalog.ingest.hgps`: the H.E.S.S. Galactic Plane Survey catalogue (78 targets);
- `catalog.ingest.fermi3fhl`: the Fermi-LAT 3FHL catalogue (1556 targets);
- `catalog.ingest.hess_dl3`: the H.E.S.S. DL3 DR1 targets and observation runs.

`load_all` yields every record in a fixed order, ready for ``store.put(iri, graph)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rdflib import Graph, URIRef

from .builders import DATA_DIR

__all__ = ["load_all"]


def load_all(base, data_dir=None) -> Iterator[tuple[URIRef, Graph]]:
    """Yield every real record of the bundled data, one ``(iri, graph)`` pair at a time.

    The order is fixed: observatories, instruments, the three source catalogs (HGPS, 3FHL,
    H.E.S.S. DL3 DR1), the HGPS targets, the 3FHL targets, then the H.E.S.S. DL3 DR1 targets
    and observation runs. Each catalog file is read once; the DR1 targets are cross-matched
    against the HGPS and 3FHL positions already read.

    Parameters
    ----------
    base : str
        The catalog's base IRI, ending in ``/`` (setting ``BASE_IRI``).
    data_dir : str or pathlib.Path, optional
        The data folder; default `DATA_DIR`.

    Yields
    ------
    iri : rdflib.URIRef
        The record IRI, also the name of its named graph.
    graph : rdflib.Graph
        The record's triples only.

    Raises
    ------
    FileNotFoundError
        If a data file is missing.
    ValueError
        If ``base`` does not end in ``/``, or the data contradict themselves (see the modules).

    References
    ----------
    .. [1] H.E.S.S. Collaboration 2018, "The H.E.S.S. Galactic plane survey", A&A 612, A1,
       doi:10.1051/0004-6361/201732098.
    .. [2] Ajello M. et al. 2017, "3FHL: The Third Catalog of Hard Fermi-LAT Sources", ApJS 232, 18,
       doi:10.3847/1538-4365/aa8221.
    .. [3] H.E.S.S. collaboration 2018, H.E.S.S. DL3 public test data release 1,
       doi:10.5281/zenodo.1421099.

    Examples
    --------
    >>> records = dict(load_all("http://127.0.0.1:5000/"))
    >>> len(records)
    1674
    """
    from . import fermi3fhl, hess_dl3, hgps, instruments

    if not str(base).endswith("/"):
        raise ValueError(f"base IRI must end in '/': {base!r}")
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    yield from instruments.records(base, data_dir)

    hgps_table = hgps.read_table(data_dir)
    fhl_table = fermi3fhl.read_table(data_dir)
    yield hgps.catalog_record(base)
    yield fermi3fhl.catalog_record(base)
    yield hess_dl3.catalog_record(base)
    yield from hgps.records(base, table=hgps_table)
    yield from fermi3fhl.records(base, table=fhl_table)
    candidates = [hgps.positions(base, hgps_table), fermi3fhl.positions(base, fhl_table)]
    yield from hess_dl3.records(base, data_dir, candidates=candidates)
