"""Tests of catalog.ingest: the records made from the bundled real data (data/SOURCES.md).

Known values are read back from the FITS files rather than typed in where possible. The HGPS
covers only the inner Galactic plane, so the Crab Nebula is a 3FHL source (3FHL J0534.5+2201)
and has no HGPS counterpart; the tests check that too.
"""

import doctest
from collections import Counter
from pathlib import Path

import astropy.units as u
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astropy.time import Time
from rdflib import BNode, Graph, Literal, URIRef

import skyweave.catalog.ingest as ingest
from skyweave.catalog.ingest import fermi3fhl, hess_dl3, hgps, instruments, load_all
from skyweave.catalog.ingest.builders import slugify
from skyweave.catalog.vocab import (
    DCAT, DCTERMS, PROV, RDF, RDFS, SDO, SH, SKOS, SOSA, SW, XSD, iri_for, split_iri,
)

BASE = "http://127.0.0.1:5000/"
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHAPES_DIR = ROOT / "ontology" / "shapes"


def iri(collection, slug):
    return iri_for(BASE, collection, slug)


@pytest.fixture(scope="module")
def records():
    return list(load_all(BASE))


@pytest.fixture(scope="module")
def by_iri(records):
    return dict(records)


def source_of(graph, subject):
    return graph.value(subject, DCTERMS.source)


def position(by_iri, target):
    graph = by_iri[target]
    return SkyCoord(float(graph.value(target, SW.ra)) * u.deg, float(graph.value(target, SW.dec)) * u.deg)


# ---------------------------------------------------------------------------------------------
# (a) counts and structure


def test_counts_match_the_files(records):
    n_hgps = len(Table.read(DATA / hgps.FILENAME, hdu=hgps.HDU))
    n_3fhl = len(Table.read(DATA / fermi3fhl.FILENAME, hdu=fermi3fhl.HDU))
    obs_index = Table.read(DATA / "hess-dl3-dr1/obs-index.fits.gz", hdu="OBS_INDEX")
    assert (n_hgps, n_3fhl, len(obs_index), len(set(obs_index["OBJECT"]))) == (78, 1556, 8, 2)

    collections = Counter(split_iri(BASE, record_iri)[0] for record_iri, _ in records)
    targets_by_catalog = Counter(
        source_of(graph, record_iri)
        for record_iri, graph in records
        if (record_iri, RDF.type, SW.Target) in graph
    )
    assert targets_by_catalog == {
        iri("catalogs", "hgps"): 78, iri("catalogs", "3fhl"): 1556, iri("catalogs", "hess-dl3-dr1"): 2,
    }
    assert collections["observations"] == 8
    assert collections["catalogs"] == 3
    assert collections["observatories"] == 11
    assert collections["instruments"] == 16
    assert len(records) == len({record_iri for record_iri, _ in records}) == 1674


def test_order_of_records(records):
    kinds = []
    for record_iri, graph in records:
        collection = split_iri(BASE, record_iri)[0]
        if collection == "targets":  # targets by catalog of origin
            collection = str(source_of(graph, record_iri)).rsplit("/", 1)[-1]
        kind = collection
        if not kinds or kinds[-1] != kind:
            kinds.append(kind)
    assert kinds == [
        "observatories", "instruments", "catalogs", "hgps", "3fhl", "hess-dl3-dr1", "observations",
    ]


def test_each_graph_holds_only_its_record(records):
    for record_iri, graph in records:
        subjects = set(graph.subjects())
        assert record_iri in subjects
        assert all(s == record_iri or isinstance(s, BNode) for s in subjects), record_iri
        collection, slug = split_iri(BASE, record_iri)
        assert record_iri == iri(collection, slug)


def test_slugify():
    assert slugify("HESS J0534+220") == "hess-j0534-220"
    assert slugify("3FHL J0534.5+2201") == "3fhl-j0534-5-2201"
    assert slugify("3FHL J0534.5+2201e") == "3fhl-j0534-5-2201e"
    assert slugify("PKS 2155-304") == "pks-2155-304"
    with pytest.raises(ValueError):
        slugify(" + ")


def test_doctests_of_the_ingest_modules():
    for module in (ingest, hgps, fermi3fhl, hess_dl3, instruments):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__


# ---------------------------------------------------------------------------------------------
# (b) known values


def test_3fhl_crab(by_iri):
    crab = iri("targets", "3fhl-j0534-5-2201")
    graph = by_iri[crab]
    assert str(graph.value(crab, RDFS.label)) == "3FHL J0534.5+2201"
    assert float(graph.value(crab, SW.ra)) == pytest.approx(83.63, abs=0.01)
    assert float(graph.value(crab, SW.dec)) == pytest.approx(22.02, abs=0.01)
    assert any("Crab" in str(label) for label in graph.objects(crab, SKOS.altLabel))
    assert set(graph.objects(crab, SW.objectClass)) == {Literal("pwn")}
    assert source_of(graph, crab) == iri("catalogs", "3fhl")
    for value in graph.objects(crab, SKOS.altLabel):
        assert str(value) and str(value) != "--"


def test_hgps_vela_x(by_iri):
    vela = iri("targets", "hess-j0835-455")
    graph = by_iri[vela]
    assert str(graph.value(vela, RDFS.label)) == "HESS J0835-455"
    assert set(map(str, graph.objects(vela, SKOS.altLabel))) == {"Vela X"}
    assert set(map(str, graph.objects(vela, SW.objectClass))) == {"pwn"}
    assert float(graph.value(vela, SW.ra)) == pytest.approx(128.8867, abs=1e-4)
    assert float(graph.value(vela, SW.dec)) == pytest.approx(-45.6589, abs=1e-4)
    assert graph.value(vela, SW.ra).datatype == XSD.double
    unidentified = iri("targets", "hess-j1018-589-b")
    assert set(map(str, by_iri[unidentified].objects(unidentified, SW.objectClass))) == {"unid"}
    assert (unidentified, SKOS.altLabel, None) not in by_iri[unidentified]


def test_hgps_has_no_crab_nor_pks_2155():
    """HGPS: Galactic plane only, so no HESS J0534+220 target, and no HGPS closeMatch for the Crab."""
    iris, coords = hgps.positions(BASE, hgps.read_table(DATA))
    assert iri("targets", "hess-j0534-220") not in iris
    for ra, dec in ((83.63333, 22.014444), (329.71667, -30.225555)):
        assert coords.separation(SkyCoord(ra * u.deg, dec * u.deg)).min() > 5 * u.deg


def test_dr1_targets_close_matches(by_iri):
    crab, pks = iri("targets", "crab-nebula"), iri("targets", "pks-2155-304")
    assert str(by_iri[crab].value(crab, RDFS.label)) == "Crab Nebula"
    assert str(by_iri[pks].value(pks, RDFS.label)) == "PKS 2155-304"
    assert source_of(by_iri[crab], crab) == iri("catalogs", "hess-dl3-dr1")
    assert set(by_iri[crab].objects(crab, SKOS.closeMatch)) == {iri("targets", "3fhl-j0534-5-2201")}
    assert set(by_iri[pks].objects(pks, SKOS.closeMatch)) == {iri("targets", "3fhl-j2158-8-3013")}
    # every match is a real target within 0.2 deg
    for target in (crab, pks):
        for match in by_iri[target].objects(target, SKOS.closeMatch):
            assert position(by_iri, target).separation(position(by_iri, match)) <= 0.2 * u.deg


def test_close_match_uses_the_given_candidates():
    far = ([iri("targets", "far")], SkyCoord([10.0] * u.deg, [10.0] * u.deg))
    near = ([iri("targets", "near")], SkyCoord([83.7] * u.deg, [22.1] * u.deg))
    crab = dict(hess_dl3.records(BASE, DATA, candidates=[far, near]))[iri("targets", "crab-nebula")]
    assert set(crab.objects(None, SKOS.closeMatch)) == {iri("targets", "near")}


def test_run_23523(by_iri):
    obs_index = Table.read(DATA / "hess-dl3-dr1/obs-index.fits.gz", hdu="OBS_INDEX")
    row = obs_index[obs_index["OBS_ID"] == 23523][0]
    run = iri("observations", "hess-23523")
    graph = by_iri[run]
    assert str(graph.value(run, RDFS.label)) == "H.E.S.S. run 23523 (Crab Nebula)"
    assert graph.value(run, SW.obsId) == Literal(23523, datatype=XSD.integer)
    assert graph.value(run, SOSA.madeBySensor) == iri("instruments", "hess")
    assert graph.value(run, SW.target) == iri("targets", "crab-nebula")
    assert graph.value(run, DCTERMS.isPartOf) == iri("catalogs", "hess-dl3-dr1")
    live_time = float(graph.value(run, SW.liveTime))
    assert live_time == pytest.approx(float(row["LIVETIME"]), rel=1e-6)
    assert live_time == pytest.approx(1581.74, abs=0.01)
    start, end = graph.value(run, PROV.startedAtTime), graph.value(run, PROV.endedAtTime)
    assert start.datatype == XSD.dateTime
    assert str(start) == "2004-12-04T22:07:06Z"  # DATE-OBS/TIME-OBS 2004-12-04 22:08:10.184 are TT
    assert str(end) == "2004-12-04T22:35:13Z"
    assert float(graph.value(run, SW.pointingRa)) == pytest.approx(float(row["RA_PNT"]), abs=1e-5)
    assert float(graph.value(run, SW.pointingDec)) == pytest.approx(float(row["DEC_PNT"]), abs=1e-5)

    (distribution,) = graph.objects(run, DCAT.distribution)
    assert (distribution, RDF.type, DCAT.Distribution) in graph
    name = "hess_dl3_dr1_obs_id_023523.fits.gz"
    assert graph.value(distribution, DCAT.downloadURL) == URIRef(f"{BASE}files/hess-dl3-dr1/data/{name}")
    assert str(graph.value(distribution, DCAT.mediaType)) == "application/fits"
    size = graph.value(distribution, DCAT.byteSize)
    assert size.datatype == XSD.integer
    assert int(size) == (DATA / "hess-dl3-dr1/data" / name).stat().st_size


def test_run_times_agree_with_date_obs_in_tt(by_iri):
    """TSTART/TSTOP (TT seconds since MJDREF) -> UTC; back in TT they equal DATE-OBS/TIME-OBS etc."""
    obs_index = Table.read(DATA / "hess-dl3-dr1/obs-index.fits.gz", hdu="OBS_INDEX")
    assert obs_index.meta["TIMESYS"].strip() == "TT"
    for row in obs_index:
        run = iri("observations", f"hess-{row['OBS_ID']}")
        graph = by_iri[run]
        start = Time(str(graph.value(run, PROV.startedAtTime)).rstrip("Z"), scale="utc")
        end = Time(str(graph.value(run, PROV.endedAtTime)).rstrip("Z"), scale="utc")
        stated_start = Time(f"{row['DATE-OBS'].strip()}T{row['TIME-OBS'].strip()}", scale="tt")
        stated_end = Time(f"{row['DATE-END'].strip()}T{row['TIME-END'].strip()}", scale="tt")
        assert abs((start - stated_start).to_value(u.s)) < 1e-3
        assert abs((end - stated_end).to_value(u.s)) < 1e-3
        assert (end - start).to_value(u.s) == pytest.approx(row["TSTOP"] - row["TSTART"])
        assert float(graph.value(run, SW.liveTime)) <= (end - start).to_value(u.s)
    # TT - UTC: 64.184 s in 2004, 65.184 s after the 2005-12-31 leap second
    run = iri("observations", "hess-33787")
    assert str(by_iri[run].value(run, PROV.startedAtTime)) == "2006-07-29T20:24:33Z"


def test_run_times_reject_an_inconsistent_header():
    obs_index = hess_dl3.read_obs_index(DATA)
    obs_index.meta["TIMESYS"] = "UTC"  # DATE-OBS would then be 64 s off
    with pytest.raises(ValueError, match="differs from DATE-OBS"):
        hess_dl3.run_times(obs_index)


def test_catalog_records(by_iri):
    expected = {
        "hgps": ("https://creativecommons.org/licenses/by/4.0/", "10.1051/0004-6361/201732098"),
        "3fhl": ("https://creativecommons.org/publicdomain/zero/1.0/", "10.3847/1538-4365/aa8221"),
        "hess-dl3-dr1": ("https://creativecommons.org/licenses/by/4.0/", "10.5281/zenodo.1421099"),
    }
    for slug, (licence, doi) in expected.items():
        record = iri("catalogs", slug)
        graph = by_iri[record]
        assert (record, RDF.type, SW.SourceCatalog) in graph
        assert graph.value(record, DCTERMS.license) == URIRef(licence)
        assert str(graph.value(record, SDO.identifier)) == doi
        assert doi in str(graph.value(record, DCTERMS.bibliographicCitation))
        assert isinstance(graph.value(record, DCTERMS.source), URIRef)
        assert str(graph.value(record, DCTERMS.title))
    dr1 = iri("catalogs", "hess-dl3-dr1")
    assert "no scientific publications" in str(by_iri[dr1].value(dr1, DCTERMS.rights)).lower()


def test_instruments(by_iri):
    instrument_iris = [record for record in by_iri if split_iri(BASE, record)[0] == "instruments"]
    for record in instrument_iris:
        graph = by_iri[record]
        host = graph.value(record, SOSA.isHostedBy)
        assert (host, RDF.type, SW.Observatory) in by_iri[host], record
        assert list(graph.objects(record, SW.messenger)), record
        ranges = [*graph.objects(record, SW.energyRange), *graph.objects(record, SW.frequencyRange)]
        assert len(ranges) == 1, record
        unit = u.Unit(str(graph.value(ranges[0], SDO.unitText)))
        low = float(graph.value(ranges[0], SDO.minValue)) * unit
        high = float(graph.value(ranges[0], SDO.maxValue)) * unit
        assert 0 < low <= high
        physical = "frequency" if (record, SW.messenger, SW.GravitationalWaves) in graph else "energy"
        assert low.unit.physical_type == physical, record
    hess = iri("instruments", "hess")
    (energy,) = by_iri[hess].objects(hess, SW.energyRange)
    assert float(by_iri[hess].value(energy, SDO.minValue)) * u.TeV == 30 * u.GeV
    assert (hess, SW.messenger, SW.VeryHighEnergyGammaRays) in by_iri[hess]
    lat = iri("instruments", "fermi-lat")
    (energy,) = by_iri[lat].objects(lat, SW.energyRange)
    assert float(by_iri[lat].value(energy, SDO.minValue)) * u.GeV == 20 * u.MeV


def test_instruments_rebased():
    other = "https://example.org/sky/"
    found = dict(instruments.records(other, DATA))
    assert iri_for(other, "instruments", "hess") in found
    for graph in found.values():
        for term in (t for triple in graph for t in triple):
            assert instruments.PLACEHOLDER_BASE not in str(term)
    with pytest.raises(ValueError):
        list(instruments.records("https://example.org/no-slash", DATA))


# ---------------------------------------------------------------------------------------------
# (c) SHACL conformance of a sample of the records


def _shape_files():
    return sorted(SHAPES_DIR.glob("*.ttl")) if SHAPES_DIR.is_dir() else []


def _sample(records, group):
    """Record IRIs of one validation group: all of a small kind, 20 spread-out targets of a catalog."""
    def of_catalog(slug):
        catalog_iri = iri("catalogs", slug)
        return [r for r, g in records if (r, RDF.type, SW.Target) in g and source_of(g, r) == catalog_iri]

    if group == "instruments":
        return [r for r, _ in records if split_iri(BASE, r)[0] in ("observatories", "instruments")]
    if group == "catalogs":
        return [r for r, _ in records if split_iri(BASE, r)[0] == "catalogs"]
    if group == "hgps":
        targets = of_catalog("hgps")
        return targets[:: len(targets) // 20][:20]
    if group == "3fhl":
        targets = of_catalog("3fhl")
        return targets[:: len(targets) // 20][:20] + [iri("targets", "3fhl-j0534-5-2201")]
    observations = [r for r, _ in records if split_iri(BASE, r)[0] == "observations"]
    return of_catalog("hess-dl3-dr1") + observations


@pytest.mark.parametrize("group", ["instruments", "catalogs", "hgps", "3fhl", "hess-dl3-dr1"])
def test_records_conform_to_the_shapes(records, by_iri, group):
    """One merged data graph per group, plus skyweave.ttl and messengers.ttl.

    Records the sample references (observatories, catalogs, matched targets) enter only as their
    ``?o a ?type`` triples, enough for ``sh:class``.
    """
    shape_files = _shape_files()
    if not shape_files:
        pytest.skip("ontology/shapes/*.ttl do not exist yet: nothing to validate against")
    pyshacl = pytest.importorskip("pyshacl")

    shapes = Graph()
    for path in shape_files:
        shapes.parse(path, format="turtle")
    ontology = Graph()
    for name in ("skyweave.ttl", "messengers.ttl"):
        if (ROOT / "ontology" / name).is_file():
            ontology.parse(ROOT / "ontology" / name, format="turtle")

    sample = _sample(records, group)
    assert sample
    data = Graph()
    for record in sample:
        data += by_iri[record]
    for node in set(data.objects()):
        if node in by_iri and node not in sample:
            for rdf_type in by_iri[node].objects(node, RDF.type):
                data.add((node, RDF.type, rdf_type))

    # pySHACL's ont_graph only "inoculates" class and property axioms, not the skos:Concept
    # individuals that sh:class skos:Concept needs, so the ontology goes into the data graph itself
    # (as in the store, which loads it beside the records).
    data += ontology
    conforms, report, text = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)
    # The type-only stand-ins of referenced records are focus nodes too (sh:targetClass) and lack
    # everything else, so only results about the sample's own nodes count.
    own_nodes = {s for record in sample for s in by_iri[record].subjects()}
    problems = [
        (report.value(result, SH.focusNode), report.value(result, SH.resultMessage))
        for result in report.subjects(RDF.type, SH.ValidationResult)
        if report.value(result, SH.focusNode) in own_nodes
    ]
    details = "\n".join(f"{node}: {message}" for node, message in problems[:20])
    assert not problems, details + "\n" + text[:3000]
