"""Reading real alerts: GCN's unified notices against their schema, circulars, VOEvents, IGWN alerts;
bad input becomes a readable reason (https://github.com/skyweave issue 10)."""

import json

import pytest
import voeventparse.fixtures.datapaths as fixtures

from skyweave.alerts.model import Unusable
from skyweave.alerts.parse import parse_message
from skyweave.alerts.skymap import make_gaussian_skymap, read_skymap
from skyweave.alerts.times import BadTime, utc_time

from .alert_samples import CIRCULARS, example, gcn_schemas, igwn_alert

PLACEHOLDER_SKYMAPS = {"burstcube/alert.example.json", "burstcube/test.example.json",
                       "swift/bat/guano.loc_map.example.json"}
"""Examples whose ``healpix_file`` is a placeholder ("stuff", "hhhh..."), not base64 FITS."""


def test_every_mission_example_notice_is_read_or_refused_for_its_placeholder():
    schemas = gcn_schemas()
    read, refused = [], []
    for path in schemas.examples():
        relative = path.relative_to(schemas.folder / "gcn" / "notices").as_posix()
        if relative.startswith("core/") or relative == "boom/alert.example.json":
            continue  # building blocks, and BOOM's list of targets, name no single event
        try:
            alert = parse_message(path.read_bytes(), schemas)
        except Unusable as exc:
            refused.append((relative, str(exc)))
            continue
        read.append(alert)
        assert alert.format == "gcn-json" and alert.schema.startswith("https://gcn.nasa.gov/schema/v")
    assert {r for r, _ in refused} == PLACEHOLDER_SKYMAPS, refused
    assert all("healpix_file is not valid base64" in reason for _, reason in refused)
    assert len(read) >= 40
    assert {a.alert_type for a in read} == {"initial", "subsequent", "update", "retraction"}
    assert {a.tense for a in read} >= {"current", "test", "archival"}


def test_icecube_track_with_its_error_circle():
    alert = parse_message(example("icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json"), gcn_schemas())
    assert (alert.event_name, alert.messenger, alert.alert_type) == ("IceCube-230416A", "Neutrino", "initial")
    assert (alert.localization.ra, alert.localization.dec, alert.localization.radius) == (345.82, 9.01, 0.5)
    assert alert.trigger_time[0].isoformat() == "2023-04-16T05:22:26.150574+00:00"
    assert alert.trigger_time[1] == "2023-04-16T05:22:26.150574Z"


def test_swift_retraction_names_the_same_event_as_its_notice():
    schemas = gcn_schemas()
    notice = parse_message(example("swift/bat/Guano.example.json"), schemas)
    retraction = parse_message(example("swift/bat/Guano.Retraction.example.json"), schemas)
    assert notice.event_name == retraction.event_name == "Swift BAT-GUANO 694215995"
    assert retraction.alert_type == "retraction" and notice.content_key != retraction.content_key


def test_a_maxi_ellipse_is_kept_as_an_ellipse():
    alert = parse_message(example("maxi/gsc.unknown.ellipse.example.json"), gcn_schemas())
    assert alert.localization.ellipse is not None and alert.localization.radius is None
    a, b, _pa = alert.localization.ellipse
    assert a > b > 0


def test_a_notice_that_breaks_its_schema_is_refused_with_the_path():
    data = json.loads(example("icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json"))
    data["ra"] = "east"
    with pytest.raises(Unusable, match=r'does not conform to .*ra: "east" is not of type "number"'):
        parse_message(json.dumps(data).encode(), gcn_schemas())


@pytest.mark.parametrize("schema, message", [
    ("https://gcn.nasa.gov/schema/v7.2.3/gcn/notices/nowhere/Thing.schema.json", "Unknown \\$schema"),
    ("https://gcn.nasa.gov/schema/latest/gcn/notices/swift/bat/Guano.schema.json", "not a versioned GCN schema URL"),
])
def test_unknown_or_unversioned_schemas_are_refused(schema, message):
    data = json.loads(example("swift/bat/Guano.example.json"))
    data["$schema"] = schema
    with pytest.raises(Unusable, match=message):
        parse_message(json.dumps(data).encode(), gcn_schemas())


def test_an_older_schema_version_is_checked_against_the_pinned_one():
    data = json.loads(example("swift/bat/Guano.example.json"))
    data["$schema"] = data["$schema"].replace("v7.2.3", "v5.0.0")
    assert parse_message(json.dumps(data).encode(), gcn_schemas()).event_name == "Swift BAT-GUANO 694215995"


def test_every_real_circular_is_read():
    circulars = json.loads((CIRCULARS / "circulars.json").read_text())
    alerts = [parse_message(json.dumps(c).encode()) for c in circulars]
    assert len(alerts) == 508
    by_id = {c["circularId"]: a for c, a in zip(circulars, alerts)}
    assert by_id[34284].event_name == "IceCube-230724A"
    assert by_id[34277].event_name == "GCN Circular 34277"  # names no event
    assert all(a.issued_time[0].year >= 1997 for a in alerts)


def test_an_edited_circular_is_another_revision():
    earlier = json.loads((CIRCULARS / "circulars-earlier-versions.json").read_text())
    current = {c["circularId"]: c for c in json.loads((CIRCULARS / "circulars.json").read_text())}
    for old in earlier:
        new = current[old["circularId"]]
        assert parse_message(json.dumps(old).encode()).content_key != parse_message(json.dumps(new).encode()).content_key


def test_voevent_fixtures():
    bat = parse_message(open(fixtures.swift_bat_grb_pos_v2, "rb").read())
    assert (bat.format, bat.event_name, bat.localization.radius) == ("voevent", "SWIFT BAT trigger 532871", 0.05)
    assert bat.trigger_time[1] == "2012-09-07T00:24:23.08"  # ISOTime: UTC without a zone
    assert bat.trigger_time[0].isoformat() == "2012-09-07T00:24:23.080000+00:00"
    with pytest.raises(Unusable, match="VOEvent 2.0"):
        parse_message(open(fixtures.swift_xrt_pos_v1, "rb").read())


def test_the_ligo_virgo_voevent_from_hop_client():
    from skyweave.catalog.resources import bundled  # noqa: F401  (the sample lives in tests/data)
    from pathlib import Path

    alert = parse_message((Path(__file__).parent / "data" / "alerts" / "example_voevent.xml").read_bytes())
    assert (alert.event_name, alert.messenger, alert.alert_type, alert.tense) == ("S200302c", "GW", "initial", "current")


def test_xml_entities_are_never_expanded():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE v [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b'<voe:VOEvent xmlns:voe="http://www.ivoa.net/xml/VOEvent/v2.0" version="2.0" ivorn="ivo://x/y#&b;"/>')
    with pytest.raises(Unusable, match="DOCTYPE"):
        parse_message(bomb)
    with pytest.raises(Unusable, match="malformed"):
        parse_message(b"<voe:VOEvent")


def test_igwn_alert_with_its_sky_map():
    alert = parse_message(igwn_alert("S250101ab", ra=120.0, dec=-30.0))
    assert (alert.event_name, alert.tense, alert.instrument) == ("S250101ab", "current", "LIGO,Virgo")
    skymap = read_skymap(alert.localization.skymap)
    assert 20 < skymap.area(0.9) < 120 and skymap.area(0.5) < skymap.area(0.9)


def test_two_identical_igwn_preliminaries_are_one_alert_and_mock_events_are_tests():
    first = parse_message(igwn_alert("MS250101ab", created="2025-01-01T00:00:10Z"))
    second = parse_message(igwn_alert("MS250101ab", created="2025-01-01T00:00:40Z"))
    assert first.content_key == second.content_key and first.tense == "test"


def test_a_sky_map_that_does_not_sum_to_one_is_refused():
    import io

    from astropy.table import Table

    table = Table.read(io.BytesIO(make_gaussian_skymap(10.0, 10.0, 3.0, nside=16)), format="fits")
    table["PROBDENSITY"] *= 2
    out = io.BytesIO()
    table.write(out, format="fits")
    with pytest.raises(Unusable, match="sums to 2"):
        read_skymap(out.getvalue())


@pytest.mark.parametrize("payload, reason", [
    (b"not json", "not valid JSON"),
    (b"[1, 2]", "not an object"),
    (b'{"hello": 1}', "Unknown message"),
    (b'{"$schema": "https://example.org/x.json"}', "Unknown \\$schema"),
    (b"\xff\xfe", "not valid JSON"),
])
def test_malformed_messages_get_a_reason(payload, reason):
    with pytest.raises(Unusable, match=reason):
        parse_message(payload)


def test_oversized_messages_are_refused():
    with pytest.raises(Unusable, match="over the limit of 100"):
        parse_message(b"{" + b" " * 200 + b"}", max_bytes=100)


def test_out_of_range_positions_and_bad_times_are_refused():
    data = json.loads(example("icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json"))
    with pytest.raises(Unusable, match="declination 95.0"):
        parse_message(json.dumps(dict(data, dec=95.0)).encode())
    with pytest.raises(Unusable, match="trigger_time: The time"):
        parse_message(json.dumps(dict(data, trigger_time="yesterday")).encode())


@pytest.mark.parametrize("value, kind, iso", [
    ("2023-04-16T05:22:26Z", "iso", "2023-04-16T05:22:26+00:00"),
    ("2012-09-07T00:24:23.08", "iso", "2012-09-07T00:24:23.080000+00:00"),
    (1693037110786, "epoch_ms", "2023-08-26T08:05:10.786000+00:00"),
    (2460000.5, "jd", "2023-02-25T00:00:00+00:00"),
    ((16177, 1463.08), "tjd", "2012-09-07T00:24:23.080000+00:00"),
])
def test_times_in_every_form(value, kind, iso):
    assert utc_time(value, kind).isoformat() == iso


def test_times_that_do_not_parse():
    for value, kind in (("2023-13-45T00:00:00Z", "iso"), ("soon", "iso"), (1e20, "epoch_ms"), (0, "jd")):
        with pytest.raises(BadTime):
            utc_time(value, kind)
