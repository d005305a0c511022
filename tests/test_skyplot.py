"""Tests for catalog.skyplot: the SVG sky pictures."""

import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from skyweave.catalog.skyplot import position_plot, sky_map

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


def group(svg, gid):
    """The <g id=gid> element of an SVG document (parsing it checks that it is well-formed XML)."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    found = root.find(f".//{SVG}g[@id='{gid}']")
    assert found is not None, f"no group {gid!r}"
    return found


def markers(g):
    """The plotted markers in a scatter group (each is a <use> of a shared marker path)."""
    return g.findall(f".//{SVG}use")


@pytest.fixture
def positions():
    rng = np.random.default_rng(42)
    n = 1700
    ra = rng.uniform(0, 360, n) * u.deg
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n))) * u.deg
    return ra, dec


def test_sky_map_is_svg_with_one_marker_per_position(positions):
    ra, dec = positions
    svg = sky_map(ra, dec, title="All targets")
    assert len(markers(group(svg, "targets"))) == len(ra)
    assert b"<title>All targets</title>" in svg


def test_sky_map_accepts_other_angle_units(positions):
    ra, dec = positions
    assert sky_map(ra[:10].to(u.rad), dec[:10].to(u.arcmin)) == sky_map(ra[:10], dec[:10])


def test_sky_map_is_deterministic_and_undated(positions):
    ra, dec = positions
    first = sky_map(ra[:50], dec[:50])
    assert first == sky_map(ra[:50], dec[:50])
    assert b"<dc:date>" not in first


def test_sky_map_empty_catalog():
    svg = sky_map([] * u.deg, [] * u.deg)
    ET.fromstring(svg)
    assert len(svg) > 1000  # axes, grid and Galactic plane are still drawn


def test_highlight_changes_output(positions):
    ra, dec = positions
    plain = sky_map(ra[:100], dec[:100])
    crab = SkyCoord(83.633 * u.deg, 22.014 * u.deg)
    marked = sky_map(ra[:100], dec[:100], highlight=crab, labels="Crab Nebula")
    assert marked != plain
    assert len(markers(group(marked, "highlight"))) == 1
    assert b"Crab Nebula" in marked
    assert len(markers(group(marked, "targets"))) == 100


def test_highlight_accepts_galactic_frame_and_several_positions():
    many = SkyCoord([0, 10] * u.deg, [0, -1] * u.deg, frame="galactic")
    svg = sky_map([1] * u.deg, [2] * u.deg, highlight=many, labels=["GC", "other"])
    assert len(markers(group(svg, "highlight"))) == 2


def test_urls_make_links(positions):
    ra, dec = positions
    urls = [f"/targets/t{i}" for i in range(5)]
    root = ET.fromstring(sky_map(ra[:5], dec[:5], urls=urls))
    hrefs = {a.get(f"{XLINK}href") for a in root.iter(f"{SVG}a")}
    assert set(urls) <= hrefs


@pytest.mark.parametrize(
    "ra, dec",
    [
        ([10, 20] * u.m, [1, 2] * u.deg),
        ([10, 20] * u.deg, [1, 2] * u.s),
        ([10, 20], [1, 2]),
        (np.array([10.0, 20.0]), [1, 2] * u.deg),
    ],
)
def test_rejects_non_angles(ra, dec):
    with pytest.raises(u.UnitsError):
        sky_map(ra, dec)


def test_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        sky_map([1, 2, 3] * u.deg, [1, 2] * u.deg)


def test_rejects_two_dimensional_input():
    with pytest.raises(ValueError, match="one-dimensional"):
        sky_map(np.ones((2, 2)) * u.deg, np.ones((2, 2)) * u.deg)


def test_rejects_labels_without_highlight_or_wrong_count():
    with pytest.raises(ValueError):
        sky_map([1] * u.deg, [1] * u.deg, labels="Crab")
    with pytest.raises(ValueError, match="labels"):
        sky_map([1] * u.deg, [1] * u.deg, highlight=SkyCoord(1 * u.deg, 1 * u.deg), labels=["a", "b"])
    with pytest.raises(TypeError):
        sky_map([1] * u.deg, [1] * u.deg, highlight=(1, 1))


def test_sky_map_is_fast(positions):
    ra, dec = positions
    sky_map(ra[:10], dec[:10])  # warm up font and transform caches
    start = time.perf_counter()
    sky_map(ra, dec, highlight=SkyCoord(83.633 * u.deg, 22.014 * u.deg), labels="Crab")
    assert time.perf_counter() - start < 3  # about 0.1 s on a laptop; generous for CI


def test_position_plot_shows_neighbours_inside_the_field():
    center = SkyCoord(266.42 * u.deg, -29.01 * u.deg)
    near = SkyCoord([266.0, 267.1, 280.0] * u.deg, [-29.5, -28.4, -29.0] * u.deg)
    svg = position_plot(center, near, radius=2 * u.deg, labels=["A", "B", "far"], center_label="Sgr A*")
    assert len(markers(group(svg, "neighbours"))) == 2  # the one 11 deg away is left out
    assert len(markers(group(svg, "center"))) == 1
    assert b"Sgr A*" in svg and b">far<" not in svg


def test_position_plot_across_ra_zero():
    center = SkyCoord(0.2 * u.deg, 10 * u.deg)
    near = SkyCoord([359.5, 0.8] * u.deg, [10.3, 9.6] * u.deg)
    svg = position_plot(center, near, labels=["west-of-zero", "east-of-zero"])
    assert len(markers(group(svg, "neighbours"))) == 2


def test_position_plot_without_neighbours_and_deterministic():
    center = SkyCoord(83.633 * u.deg, 22.014 * u.deg)
    svg = position_plot(center)
    assert svg == position_plot(center)
    assert markers(group(svg, "neighbours")) == []


def test_position_plot_validates_arguments():
    center = SkyCoord(83.633 * u.deg, 22.014 * u.deg)
    with pytest.raises(u.UnitsError):
        position_plot(center, radius=2)
    with pytest.raises(ValueError, match="radius"):
        position_plot(center, radius=90 * u.deg)
    with pytest.raises(ValueError, match="radius"):
        position_plot(center, radius=0 * u.deg)
    with pytest.raises(ValueError, match="scalar"):
        position_plot(SkyCoord([1, 2] * u.deg, [3, 4] * u.deg))
    with pytest.raises(TypeError):
        position_plot((83.6, 22.0))
    with pytest.raises(ValueError, match="labels"):
        position_plot(center, SkyCoord([84] * u.deg, [22] * u.deg), labels=["a", "b"])
