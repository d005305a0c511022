"""Real alert samples for the tests: GCN's schema examples (fetched at setup), the bundled real
circulars, voevent-parse's VOEvent fixtures, and sky maps made with astropy-healpix."""

import base64
import json
import os
from pathlib import Path

import pytest

from skyweave.alerts.schemas import load, schema_dir
from skyweave.alerts.skymap import make_gaussian_skymap
from skyweave.catalog.resources import bundled

CIRCULARS = bundled("data") / "alerts" / "gcn-circulars"


SCHEMA_DIR = os.environ.get("SKYWEAVE_TEST_GCN_SCHEMA_DIR") or str(Path(__file__).resolve().parent.parent / ".cache" / "npm")
"""Where ``.ci/dev.py test`` fetched ``@nasa-gcn/schema`` (``node_modules/@nasa-gcn/schema`` below it)."""


def gcn_schemas():
    """The `SchemaSet` of the pinned ``@nasa-gcn/schema`` (skip locally when not fetched; CI must have it)."""
    folder = schema_dir(SCHEMA_DIR)
    if folder is None:
        if os.environ.get("CI") == "true":
            pytest.fail("@nasa-gcn/schema is missing: .ci/dev.py fetches it with npm")
        pytest.skip("@nasa-gcn/schema is not fetched (python3 .ci/dev.py test fetches it with npm)")
    return load(str(folder))


def example(relative):
    """Return the bytes of one GCN example notice, e.g. ``swift/bat/Guano.example.json``."""
    return (gcn_schemas().folder / "gcn" / "notices" / relative).read_bytes()


def igwn_alert(superevent="S250101ab", kind="PRELIMINARY", ra=83.63, dec=22.01, sigma=2.0, nside=64,
               created="2025-01-01T00:00:10Z", skymap=None):
    """Return an IGWN alert (JSON bytes) whose sky map is a Gaussian at (ra, dec), as IGWN's schema lays it out."""
    event = None
    if kind != "RETRACTION":
        data = skymap if skymap is not None else make_gaussian_skymap(ra, dec, sigma, nside=nside)
        event = {"time": "2025-01-01T00:00:00.123Z", "far": 1e-10, "significant": True,
                 "instruments": ["H1", "L1", "V1"], "group": "CBC", "pipeline": "gstlal", "search": "AllSky",
                 "properties": {"HasNS": 0.9}, "classification": {"BNS": 0.95},
                 "skymap": base64.b64encode(data).decode("ascii")}
    return json.dumps({"alert_type": kind, "time_created": created, "superevent_id": superevent,
                       "urls": {"gracedb": f"https://gracedb.ligo.org/superevents/{superevent}/view/"},
                       "event": event, "external_coinc": None}).encode()
