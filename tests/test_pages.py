"""The gallery pages: home, lists with facets, detail pages, search and cone search, sky pictures."""

import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup

from .conftest import BASE


def soup_of(client, path, status=200):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == status, (path, response.data[:500])
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.data, "html.parser")


def test_home_page_counts_what_the_catalog_holds(client):
    soup = soup_of(client, "/")
    stats = {a["href"]: a.strong.text for a in soup.select(".stats a")}
    assert stats["/targets/"] == "1,636"
    assert stats["/observations/"] == "8"
    assert stats["/instruments/"] == "16"
    assert soup.select_one('img[src="/sky.svg"]') is not None
    messengers = [h.text.strip() for h in soup.select(".cards .card h3")]
    assert {"neutrinos", "gravitational waves", "very-high-energy gamma rays"} <= {m.lower() for m in messengers}


def test_all_sky_map_is_an_svg_with_every_target(client):
    response = client.get("/sky.svg")
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag.endswith("svg")
    assert b"1636 targets" in response.data


def test_targets_list_with_facets(client):
    soup = soup_of(client, "/targets/")
    facets = {s.h2.text: [a.select_one(".label").text for a in s.select("a")] for s in soup.select(".facet")}
    assert "Fermi-LAT Third Catalog of Hard Sources (3FHL)" in " ".join(facets["Source catalog"])
    assert "pwn" in facets["Class"]
    pwn = soup_of(client, "/targets/?class=pwn")
    assert pwn.select_one(".page-head .muted").text.startswith("29 records")
    rows = pwn.select("table.data tbody tr")
    assert 0 < len(rows) <= 29
    active = pwn.select(".facet li.active .label")
    assert [a.text for a in active] == ["pwn"]


def test_facets_combine_and_filter_by_name(client):
    data = client.get("/targets/?class=pwn&q=hess", headers={"Accept": "application/json"}).json
    assert 0 < data["total"] < 29
    assert all("hess" in r["label"].lower() and r["class"] == "pwn" for r in data["rows"])
    hgps = f"{BASE}catalogs/hgps"
    data = client.get("/targets/", query_string={"catalog": hgps}, headers={"Accept": "application/json"}).json
    assert data["total"] == 78


def test_observations_by_target_facet(client):
    soup = soup_of(client, f"/observations/?target={BASE}targets/pks-2155-304")
    names = [a.text for a in soup.select("table.data tbody td:first-child a")]
    assert names == [f"H.E.S.S. run {n} (PKS 2155-304)" for n in (33787, 33788, 33789, 33790)]


def test_instruments_grouped_by_messenger(client):
    data = client.get("/instruments/?messenger=https://skyweave.org/ns%23Neutrinos",
                      headers={"Accept": "application/json"}).json
    assert [r["label"] for r in data["rows"]] == ["IceCube"]


def test_target_page_shows_observations_and_sky(client):
    soup = soup_of(client, "/targets/crab-nebula")
    assert soup.h1.text == "Crab Nebula"
    rows = soup.select("table.data tbody tr")
    observations = [r.select_one("a").text for r in rows if "run" in r.text]
    assert observations == [f"H.E.S.S. run {n} (Crab Nebula)" for n in (23523, 23526, 23559, 23592)]
    image = soup.select_one("figure.sky img")["src"]
    svg = client.get(image)
    assert svg.mimetype == "image/svg+xml" and b"Crab Nebula" in svg.data


def test_observation_page_links_target_instrument_and_file(client):
    soup = soup_of(client, "/observations/hess-23523")
    hrefs = {a["href"] for a in soup.select("dl.props a")}
    assert {"/targets/crab-nebula", "/instruments/hess"} <= hrefs
    file_link = next(h for h in hrefs if h.startswith("/files/"))
    with client.get(file_link) as download:
        assert download.status_code == 200 and download.data[:2] == b"\x1f\x8b"  # gzip'd FITS


def test_instrument_page_shows_energy_range(client):
    soup = soup_of(client, "/instruments/hess")
    props = {dt.text: dd.text for dt, dd in zip(soup.select("dl.props dt"), soup.select("dl.props dd"))}
    assert any("TeV" in v for v in props.values())
    assert len(soup.select("table.data tbody tr")) == 8


def test_text_search_finds_the_crab_first(client):
    soup = soup_of(client, "/search?q=crab")
    first = soup.select("table.data tbody tr")[0]
    assert first.select_one("a")["href"] == "/targets/crab-nebula"
    data = client.get("/search?q=crab", headers={"Accept": "application/json"}).json
    assert {"/targets/crab-nebula", "/targets/3fhl-j0534-5-2201"} <= {h["href"] for h in data["hits"]}


@pytest.mark.parametrize("ra, dec, radius", [("83.633", "22.0145", "2 deg"), ("5h34m31.9s", "+22d00m52s", "120 arcmin")])
def test_cone_search_with_units(client, ra, dec, radius):
    data = client.get("/search", query_string={"ra": ra, "dec": dec, "radius": radius},
                      headers={"Accept": "application/json"}).json
    targets = [h["href"] for h in data["cone"]["targets"]]
    assert targets[:2] == ["/targets/crab-nebula", "/targets/3fhl-j0534-5-2201"] or \
        set(targets[:2]) == {"/targets/crab-nebula", "/targets/3fhl-j0534-5-2201"}
    # The runs were pointed 0.5 deg (in Dec) and 1.5 deg (in RA) away from the Crab.
    assert [round(h["separation_deg"], 1) for h in data["cone"]["observations"]] == [0.5, 0.5, 1.5, 1.5]
    assert all(h["separation_deg"] <= 2 for h in data["cone"]["targets"])


def test_cone_search_across_ra_zero(client):
    data = client.get("/search", query_string={"ra": "359.9", "dec": "-7.8", "radius": "1 deg"},
                      headers={"Accept": "application/json"}).json
    assert "/targets/3fhl-j0001-2-0748" in [h["href"] for h in data["cone"]["targets"]]


@pytest.mark.parametrize("args, message", [
    ({"ra": "400", "dec": "0"}, "RA must lie in"),
    ({"ra": "10", "dec": "-91"}, "Dec must lie in"),
    ({"ra": "10", "dec": "0", "radius": "5 kg"}, "as an angle"),
    ({"ra": "ten", "dec": "0"}, "Cannot read the position"),
])
def test_bad_cone_input_is_a_clear_error(client, args, message):
    response = client.get("/search", query_string=args, headers={"Accept": "application/json"})
    assert response.status_code == 400 and message in response.json["detail"]
    soup = soup_of(client, "/search?" + "&".join(f"{k}={v}" for k, v in args.items()), status=400)
    assert message in soup.select_one(".problem").text


def test_unknown_page_is_a_friendly_404(client):
    soup = soup_of(client, "/targets/does-not-exist", status=404)
    assert "No record at this address" in soup.h1.text
    assert soup.select_one('form[action="/search"]') is not None


def test_ontology_page_and_downloads(client):
    soup = soup_of(client, "/ns")
    terms = [code.text for code in soup.select("dt code")]
    assert "https://skyweave.org/ns#Target" in terms and "http://odahub.io/ontology#label" in terms
    assert client.get("/ns.ttl").mimetype == "text/turtle"
    assert client.get("/ns/shapes.ttl").status_code == 200
    with client.get("/ns/context.jsonld") as response:
        assert response.json["@context"]["sw"] == "https://skyweave.org/ns#"


@pytest.mark.parametrize("path", ["/", "/targets/", "/targets/crab-nebula", "/sparql", "/search?q=crab", "/ns"])
def test_pages_load_nothing_from_other_hosts(client, path):
    soup = soup_of(client, path)
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
        for element in soup.find_all(tag):
            url = element.get(attr) or ""
            assert not url.startswith(("http://", "https://", "//")) or tag == "link" and element.get("rel") == ["alternate"], url
