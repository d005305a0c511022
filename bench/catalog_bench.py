"""Benchmark of the catalog store and its SPARQL endpoint, against rdflib in memory.

For each catalog size (about 10 thousand, 300 thousand and 3 million triples) the benchmark

1. generates a synthetic catalog that follows ``ontology/README.md``: the real observatories,
   instruments and source catalogs of `catalog.ingest.load_all`, plus targets and observations
   in a fixed ratio (`OBS_PER_TARGET`), the bundled workflows, and workflow runs with their
   results and alerts with their events in proportion to the targets (`RUNS_PER_TARGET`,
   `ALERTS_PER_TARGET`), seeded so every run builds the same triples, one named graph per record;
2. bulk-loads it into an on-disk `catalog.store.EmbeddedStore`, then serves that folder with the
   real application (`skyweave.catalog.web.app.create_app`) through waitress on a free ``127.0.0.1`` port, and
   parses the same triples into an rdflib ``Graph`` in memory;
3. runs the same queries (`QUERIES`) through the SPARQL endpoint over HTTP (``requests``, JSON
   results parsed) and with ``graph.query`` in-process, checks that both return the same number of
   rows (and the number the generator predicts), and reports the median times and their ratio;
4. times validated single-record writes: ``store.put`` on the store object and ``PUT`` through
   HTTP with an editor token.

Run ``.venv/bin/python bench/catalog_bench.py --help``; ``bench/README.md`` explains the output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

import page_bench  # noqa: E402
import pyoxigraph as ox  # noqa: E402
import requests  # noqa: E402
from rdflib import Graph, URIRef  # noqa: E402

from skyweave.catalog.ingest.builders import slugify  # noqa: E402
from skyweave.catalog.vocab import DCAT, DCTERMS, PROV, RDF, RDFS, SKOS, SOSA, SW, XSD, split_iri  # noqa: E402

__all__ = [
    "BASE", "SIZES", "OBS_PER_TARGET", "SEED", "QUERIES", "Query", "SyntheticCatalog", "parse_sizes",
    "RUNS_PER_TARGET", "ALERTS_PER_TARGET", "POPULAR_WORKFLOW", "POPULAR_SHARE", "INFORMED_SHARE",
    "GENERATOR_VERSION", "workflow_records", "real_records", "generate", "build_store", "build_rdflib_graph", "Server", "serve", "queries", "time_endpoint",
    "time_rdflib", "time_writes", "run_size", "format_size", "summary_line", "main",
]

BASE = "http://127.0.0.1:5000/"
"""Base IRI of every record (the default ``BASE_IRI`` setting)."""

SIZES = {"10k": 10_000, "300k": 300_000, "3M": 3_000_000}
"""Named catalog sizes, in triples (approximate: the generator rounds to whole records)."""

OBS_PER_TARGET = 4
"""Observations generated per target (the fixed ratio of the synthetic catalog)."""

SEED = 20241121
"""Seed of the generator: the same size always gives the same triples."""

TARGET_GEOMEAN = 20.0
"""The endpoint should beat in-memory rdflib by at least this factor (geometric mean, at 300k)."""

TARGET_WRITE_RATIO = 1.5
"""A validated write at the largest size should cost at most this many times one at the smallest."""

REAL_COLLECTIONS = ("observatories", "instruments", "catalogs")
"""The kinds of real records the synthetic catalogs reuse."""

QUERY_INSTRUMENT = "hess"
"""Slug of the instrument of the "observations by instrument" query."""

TEXT_NEEDLE = "pks"
"""Lower-case text the text-filter query looks for in labels."""

CONE_BOX = (80.0, 95.0, 10.0, 30.0)
"""RA min, RA max, Dec min, Dec max (deg) of the box query."""

TIME_RANGE = ("2012-01-01T00:00:00Z", "2012-04-01T00:00:00Z")
"""Start (inclusive) and end (exclusive) of the time-range query, UTC."""

WRITES = 20
"""Timed single-record writes per size and path (half targets, half observations)."""

_XSD_DOUBLE = f"<{XSD.double}>"
_XSD_INTEGER = f"<{XSD.integer}>"
_XSD_DATETIME = f"<{XSD.dateTime}>"
_P = {
    "type": f"<{RDF.type}>", "label": f"<{RDFS.label}>", "altLabel": f"<{SKOS.altLabel}>",
    "ra": f"<{SW.ra}>", "dec": f"<{SW.dec}>", "objectClass": f"<{SW.objectClass}>",
    "source": f"<{DCTERMS.source}>", "obsId": f"<{SW.obsId}>", "sensor": f"<{SOSA.madeBySensor}>",
    "target": f"<{SW.target}>", "pointingRa": f"<{SW.pointingRa}>", "pointingDec": f"<{SW.pointingDec}>",
    "started": f"<{PROV.startedAtTime}>", "ended": f"<{PROV.endedAtTime}>", "liveTime": f"<{SW.liveTime}>",
    "isPartOf": f"<{DCTERMS.isPartOf}>", "distribution": f"<{DCAT.distribution}>",
    "downloadURL": f"<{DCAT.downloadURL}>", "mediaType": f"<{DCAT.mediaType}>",
    "compressFormat": f"<{DCAT.compressFormat}>", "byteSize": f"<{DCAT.byteSize}>",
}
_C = {"Target": f"<{SW.Target}>", "Observation": f"<{SW.Observation}>", "Distribution": f"<{DCAT.Distribution}>"}

# Object classes as the real catalogs give them (HGPS and 3FHL), with weights from their counts.
_GALACTIC_CLASSES = {"pwn": 29, "snr": 38, "psr": 59, "unid": 47, "composite": 8, "hmb": 5, "binary": 3,
                     "spp": 9, "glc": 2, "sfr": 2, "unknown": 10}
_EXTRAGALACTIC_CLASSES = {"bll": 750, "bcu": 290, "fsrq": 172, "rdg": 13, "agn": 1, "sbg": 4, "nlsy1": 1,
                          "unknown": 13}
# Relative share of observations per instrument slug (others get 1).
_INSTRUMENT_WEIGHTS = {"hess": 3.0, "fermi-lat": 2.0, "swift-xrt": 2.0, "ctao-south": 1.5, "ctao-north": 1.5,
                       "integral-ibis-isgri": 1.5, "ztf": 1.5}


# -- the synthetic catalog ----------------------------------------------------------------------

def _lit(text):
    """Return an N-Triples plain literal (``xsd:string``)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _double(value):
    return f'"{float(value)!r}"^^{_XSD_DOUBLE}'


def _designation(ra, dec, prefix):
    """IAU-style designation ``{prefix} Jhhmm.m+ddmm`` of an ICRS position (deg)."""
    tenths = int(ra / 15.0 * 600.0) % (24 * 600)
    arcmin = int(abs(dec) * 60.0)
    sign = "-" if dec < 0 else "+"
    return f"{prefix} J{tenths // 600:02d}{(tenths % 600) // 10:02d}.{tenths % 10}{sign}{arcmin // 60:02d}{arcmin % 60:02d}"


def _association(kind, ra, dec, glon, glat, number):
    """An association name (a ``skos:altLabel``) of a made-up counterpart, in a real catalog's style."""
    minutes = int(ra / 15.0 * 60.0) % (24 * 60)
    hhmm = f"{minutes // 60:02d}{minutes % 60:02d}"
    sign = "-" if dec < 0 else "+"
    tenths = f"{int(abs(dec) * 10):03d}"
    arcmin = int(abs(dec) * 60.0)
    ddmm = f"{arcmin // 60:02d}{arcmin % 60:02d}"
    names = {
        0: f"PKS {hhmm}{sign}{tenths}", 1: f"1ES {hhmm}{sign}{tenths}", 2: f"B2 {hhmm}{sign}{ddmm[:2]}",
        3: f"NVSS J{hhmm}{sign}{ddmm}", 4: f"Mrk {number % 1000 + 1}", 5: f"NGC {number % 7840 + 1}",
        10: f"PSR J{hhmm}{sign}{ddmm}", 11: f"SNR G{glon:05.1f}{glat:+05.1f}", 12: f"HESS J{hhmm}{sign}{tenths}",
        13: f"G{glon:.1f}{glat:+.1f}",
    }
    return names[kind]


@dataclass
class SyntheticCatalog:
    """A generated catalog: the real reference records plus synthetic targets, observations, runs,
    results, alerts and events, and the bundled workflows.

    Everything is kept as columns (one entry per record) and rendered to N-Triples on demand, so
    the N-Quads bulk load, the rdflib graph and single records all hold exactly the same triples.

    Attributes
    ----------
    base : str
        Base IRI of the records, ending in ``/``.
    real : list of (rdflib.URIRef, rdflib.Graph)
        The real observatory, instrument and source-catalog records.
    targets : dict of str to list or ndarray, each shape (N_targets,)
        ``iri``, ``name``, ``ra``, ``dec`` (deg), ``alt`` (tuple of str), ``classes`` (tuple of str),
        ``catalog`` (IRI of the source catalog).
    observations : dict of str to list or ndarray, each shape (N_observations,)
        ``iri``, ``obs_id``, ``instrument`` (index into ``instruments``), ``target`` (index into
        ``targets``), ``pra``, ``pdec`` (deg), ``start``, ``end`` (``xsd:dateTime`` text), ``start_s``
        (Unix seconds), ``live`` (s), ``part_of`` (IRI), ``url`` (IRI), ``size`` (bytes).
    instruments : list of (str, str, str)
        ``(iri, slug, label)`` of the real instruments.
    fresh_targets, fresh_observations : list of (rdflib.URIRef, str)
        Records that are not in the catalog, for the write benchmark: IRI and N-Triples text.
    workflows : list of (str, runners.annotations.WorkflowSpec, list of str)
        The bundled workflows' records (`workflow_records`): IRI, spec, N-Triples statements.
    runs : dict of str to list or ndarray, each shape (N_runs,)
        ``iri``, ``id`` (12 hex digits), ``workflow`` (index into ``workflows``), ``phase``,
        ``start``, ``end`` (Unix seconds), ``target`` (index into ``targets``, for the target
        parameters), ``scale`` (factor on the angle and energy defaults), ``window`` (Unix
        seconds, start of the time parameters), ``informed`` (index into ``alerts`` or -1), ``data``
        (indices into ``observations`` of the files read), ``values`` (shape (N_runs, 8), draws for
        the output values), ``cache_key``, ``code_sha`` (hex); ``data_sha`` has 2 entries per run.
    results : dict of str to list or ndarray, each shape (N_results,)
        ``iri``, ``run`` (index into ``runs``), ``output`` (its `~runners.annotations.OutputSpec`),
        ``name`` (file name), ``url``, ``media_type``, ``size`` (bytes).
    alerts : dict of str to list, each shape (N_alerts,)
        ``iri``, ``event`` (index into ``events``), ``type``, ``tense``, ``stream`` (index into
        `_STREAMS`), ``key`` and ``notice`` (hex or None), ``issued``, ``received``, ``trigger``
        (Unix seconds), ``offset``, ``title``, ``url`` and ``size`` of the payload, ``loc`` (IRI of
        its localisation or None), ``ra``, ``dec``, ``radius`` (deg) or ``areas`` (deg², 50 % and
        90 %) with ``skymap_url`` and ``skymap_size``, ``match`` (index into ``targets`` or None) and
        ``sep`` (deg).
    events : dict of str to list, each shape (N_events,)
        ``iri``, ``name``, ``alt`` (tuple of str), ``stream``, ``tense``, ``retracted``, ``trigger``
        (Unix seconds), ``alerts`` (tuple of indices into ``alerts``), ``loc`` (IRI of the latest
        localisation or None).
    """

    base: str
    real: list
    targets: dict
    observations: dict
    instruments: list
    fresh_targets: list = field(default_factory=list)
    fresh_observations: list = field(default_factory=list)
    workflows: list = field(default_factory=list)
    runs: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    alerts: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)

    @property
    def n_targets(self):
        """Number of synthetic targets."""
        return len(self.targets["iri"])

    @property
    def n_observations(self):
        """Number of synthetic observations."""
        return len(self.observations["iri"])

    def target_triples(self, i):
        """Return the N-Triples statements (without the final `` .``) of target ``i``.

        Parameters
        ----------
        i : int
            Index into ``targets``.

        Returns
        -------
        list of str
        """
        t = self.targets
        s = f"<{t['iri'][i]}>"
        out = [f"{s} {_P['type']} {_C['Target']}", f"{s} {_P['label']} {_lit(t['name'][i])}"]
        out += [f"{s} {_P['altLabel']} {_lit(alt)}" for alt in t["alt"][i]]
        out += [f"{s} {_P['objectClass']} {_lit(cls)}" for cls in t["classes"][i]]
        out += [
            f"{s} {_P['ra']} {_double(t['ra'][i])}",
            f"{s} {_P['dec']} {_double(t['dec'][i])}",
            f"{s} {_P['source']} <{t['catalog'][i]}>",
        ]
        return out

    def observation_label(self, j):
        """Return the ``rdfs:label`` of observation ``j``: ``{instrument} run {obsId} ({target name})``.

        The target name is its first association when it has one (as the H.E.S.S. DL3 records say
        "Crab Nebula"), else its designation.

        Parameters
        ----------
        j : int
            Index into ``observations``.

        Returns
        -------
        str
        """
        o, t = self.observations, self.targets
        target = o["target"][j]
        shown = t["alt"][target][0] if t["alt"][target] else t["name"][target]
        return f"{self.instruments[o['instrument'][j]][2]} run {o['obs_id'][j]} ({shown})"

    def observation_triples(self, j, bnode=None):
        """Return the N-Triples statements (without the final `` .``) of observation ``j``.

        Parameters
        ----------
        j : int
            Index into ``observations``.
        bnode : str or None
            Label of the distribution's blank node; default ``d{j}``.

        Returns
        -------
        list of str
        """
        o = self.observations
        s = f"<{o['iri'][j]}>"
        inst_iri = self.instruments[o["instrument"][j]][0]
        target = o["target"][j]
        d = f"_:{bnode or f'd{j}'}"
        return [
            f"{s} {_P['type']} {_C['Observation']}",
            f"{s} {_P['label']} {_lit(self.observation_label(j))}",
            f'{s} {_P["obsId"]} "{o["obs_id"][j]}"^^{_XSD_INTEGER}',
            f"{s} {_P['sensor']} <{inst_iri}>",
            f"{s} {_P['target']} <{self.targets['iri'][target]}>",
            f"{s} {_P['pointingRa']} {_double(o['pra'][j])}",
            f"{s} {_P['pointingDec']} {_double(o['pdec'][j])}",
            f'{s} {_P["started"]} "{o["start"][j]}"^^{_XSD_DATETIME}',
            f'{s} {_P["ended"]} "{o["end"][j]}"^^{_XSD_DATETIME}',
            f"{s} {_P['liveTime']} {_double(o['live'][j])}",
            f"{s} {_P['isPartOf']} <{o['part_of'][j]}>",
            f"{s} {_P['distribution']} {d}",
            f"{d} {_P['type']} {_C['Distribution']}",
            f"{d} {_P['downloadURL']} <{o['url'][j]}>",
            f"{d} {_P['mediaType']} {_lit('application/fits')}",
            f"{d} {_P['compressFormat']} {_lit('application/gzip')}",
            f'{d} {_P["byteSize"]} "{o["size"][j]}"^^{_XSD_INTEGER}',
        ]

    # -- runs, results, alerts and events ------------------------------------------------------

    @property
    def n_runs(self):
        """Number of synthetic workflow runs."""
        return len(self.runs.get("iri", ()))

    @property
    def n_results(self):
        """Number of synthetic results (run outputs)."""
        return len(self.results.get("iri", ()))

    @property
    def n_alerts(self):
        """Number of synthetic alerts."""
        return len(self.alerts.get("iri", ()))

    @property
    def n_events(self):
        """Number of synthetic events."""
        return len(self.events.get("iri", ()))

    def run_parameters(self, j):
        """Return the parameter values of run ``j`` as the run form normalises them, by name.

        The target, ``ra`` and ``dec`` parameters name one synthetic target; angles and energies are
        the workflow's defaults times 0.5, 1 or 2; ``time`` parameters a 12-hour window as ISOT text;
        the others keep their defaults.

        Parameters
        ----------
        j : int
            Index into ``runs``.

        Returns
        -------
        dict of str to object
        """
        r, t = self.runs, self.targets
        spec = self.workflows[r["workflow"][j]][1]
        target = r["target"][j]
        out = {}
        for p in spec.parameters:
            if p.kind == "target":
                out[p.name] = str(t["name"][target])
            elif p.kind in ("ra", "dec"):
                out[p.name] = float(t[p.kind][target])
            elif p.kind == "time":
                start = int(r["window"][j]) + (43_200 if p.name.endswith(("stop", "end")) else 0)
                out[p.name] = str(np.datetime64(start, "s"))
            elif p.kind in ("angle", "energy") and isinstance(p.default, float):
                out[p.name] = float(p.default * r["scale"][j])
            else:
                out[p.name] = p.default
        return out

    def run_values(self, j):
        """Return the output values (not files) of run ``j``, with ``X_err`` uncertainties, by name.

        Parameters
        ----------
        j : int
            Index into ``runs``.

        Returns
        -------
        dict of str to int or float
            Empty unless the run completed.
        """
        r = self.runs
        if r["phase"][j] != "COMPLETED":
            return {}
        spec = self.workflows[r["workflow"][j]][1]
        out = {}
        for k, output in enumerate(o for o in spec.outputs if not _is_file(o)):
            v = float(r["values"][j][k % 8])
            if str(output.type_iri).endswith("Integer"):
                out[output.name] = int(abs(v) * 50) + 1
            elif output.name.endswith("_err"):
                out[output.name] = round(abs(v) * 0.1 + 0.01, 6)
            else:
                out[output.name] = round(abs(v) * 10 + 1, 6)
        return out

    def run_triples(self, j):
        """Return the N-Triples statements of run ``j``, as `runners.provenance.run_graph` records a run.

        The run ``prov:used`` its workflow version, has a phase, start and end, one
        ``sw:parameterValue`` per workflow parameter (with its unit, and its ISOT text for a time),
        the user and the runner as agents, its cache key, the alert that started it (for some
        runs), its output values (``schema:result``), the notebook and software it ran, the two
        H.E.S.S. data files a H.E.S.S. workflow read (and their observations) and the executed notebook.

        Parameters
        ----------
        j : int
            Index into ``runs``.

        Returns
        -------
        list of str
        """
        from skyweave.catalog import __version__
        from skyweave.runners.oda import UNITS
        from skyweave.runners.provenance import RUNNER_NAME
        from skyweave.runners.values import literal, time_literal

        r = self.runs
        wf_iri, spec, _ = self.workflows[r["workflow"][j]]
        s = f"<{r['iri'][j]}>"
        b = f"_:r{j}"
        out = [f"{s} {_P['type']} {_K['Run']}", f"{s} {_P['type']} {_K['Activity']}",
               f"{s} {_P['label']} {_lit(spec.title + ': run ' + r['id'][j])}", f"{s} {_Q['used']} <{wf_iri}>",
               f"{s} {_Q['phase']} {_lit(str(r['phase'][j]))}"]
        params = {p.name: p for p in spec.parameters}
        for k, (name, value) in enumerate(self.run_parameters(j).items()):
            node = f"{b}p{k}"
            timed = params[name].kind == "time"
            out += [f"{s} {_Q['parameterValue']} {node}", f"{node} {_P['type']} {_K['ParameterValue']}",
                    f"{node} {_P['type']} {_K['Entity']}", f"{node} {_Q['parameter']} <{wf_iri}#param-{name}>",
                    f"{node} {_Q['schemaValue']} {(time_literal(value) if timed else literal(value)).n3()}"]
            if timed:
                out.append(f"{node} {_P['label']} {_lit(value)}")
            if params[name].unit in UNITS:
                out.append(f"{node} {_Q['unitText']} {_lit(UNITS[params[name].unit])}")
        agent = f"{RUNNER_NAME} {__version__} (local pool)"
        out += [f"{s} {_Q['associated']} {b}u", f"{b}u {_P['type']} {_K['Person']}",
                f"{b}u {_Q['schemaName']} {_lit('anonymous')}", f"{s} {_Q['associated']} {b}a",
                f"{b}a {_P['type']} {_K['SoftwareAgent']}",
                f"{b}a {_Q['schemaName']} {_lit(agent)}"]
        if r["informed"][j] >= 0:
            out.append(f"{s} {_Q['informedBy']} <{self.alerts['iri'][r['informed'][j]]}>")
        out += [f"{s} {_Q['cacheKey']} {_lit(r['cache_key'][j])}",
                f'{s} {_P["started"]} "{_xsd_time(r["start"][j])}"^^{_XSD_DATETIME}',
                f'{s} {_P["ended"]} "{_xsd_time(r["end"][j])}"^^{_XSD_DATETIME}']
        if r["phase"][j] == "ERROR":
            out.append(f"{s} {_Q['error']} {_lit('RuntimeError: no H.E.S.S. runs in the selected region')}")
        values = self.run_values(j)
        outputs = {o.name: o for o in spec.outputs}
        for k, (name, value) in enumerate(v for v in values.items() if not v[0].endswith("_err")):
            node = f"{b}v{k}"
            out += [f"{s} {_Q['result']} {node}", f"{node} {_Q['schemaName']} {_lit(name)}",
                    f"{node} {_P['type']} {_K['QuantitativeValue']}",
                    f"{node} {_Q['schemaValue']} {literal(value).n3()}"]
            unit = outputs[name].unit
            if unit in UNITS:
                out += [f"{node} {_Q['unitText']} {_lit(UNITS[unit])}", f"{node} {_Q['unitCode']} <{unit}>"]
            if name + "_err" in values:
                out.append(f"{node} {_Q['uncertainty']} {literal(float(values[name + '_err'])).n3()}")
        out += [f"{s} {_Q['codeUsed']} {b}c", f"{b}c {_P['type']} {_K['SoftwareSourceCode']}",
                f"{b}c {_Q['schemaName']} {_lit(Path(spec.notebook).name)}",
                f"{b}c {_Q['sha256']} {_lit(r['code_sha'][j])}"]
        for k, (name, version) in enumerate(_SOFTWARE):
            node = f"{b}s{k}"
            out += [f"{s} {_Q['softwareUsed']} {node}", f"{node} {_P['type']} {_K['SoftwareApplication']}",
                    f"{node} {_Q['schemaName']} {_lit(name)}", f"{node} {_Q['softwareVersion']} {_lit(version)}"]
        o = self.observations
        for k, obs in enumerate(r["data"][j]):
            node, url = f"{b}f{k}", o["url"][obs]
            out += [f"{s} {_Q['used']} {node}", f"{node} {_P['type']} {_K['Entity']}",
                    f"{node} {_P['type']} {_C['Distribution']}",
                    f"{node} {_Q['schemaName']} {_lit(url[len(self.base) + len('files/'):])}",
                    f"{node} {_Q['sha256']} {_lit(r['data_sha'][2 * j + k])}",
                    f'{node} {_P["byteSize"]} "{o["size"][obs]}"^^{_XSD_INTEGER}',
                    f"{node} {_P['downloadURL']} <{url}>", f"{node} {_P['isPartOf']} <{o['iri'][obs]}>",
                    f"{s} {_Q['used']} <{o['iri'][obs]}>"]
        notebook = f"{self.base}files/results/{r['code_sha'][j]}/{Path(spec.notebook).name}"
        out += [f"{s} {_Q['generated']} {b}n", f"{b}n {_P['type']} {_K['Entity']}",
                f"{b}n {_P['label']} {_lit('Executed notebook')}", f"{b}n {_P['downloadURL']} <{notebook}>",
                f"{b}n {_P['mediaType']} {_lit('application/x-ipynb+json')}"]
        return out

    def result_label(self, i):
        """Return the ``rdfs:label`` of result ``i``: ``{output label} — {workflow title}``."""
        x = self.results
        output = x["output"][i]
        spec = self.workflows[self.runs["workflow"][x["run"][i]]][1]
        return f"{output.label or output.name.replace('_', ' ')} — {spec.title}"

    def result_triples(self, i):
        """Return the N-Triples statements of result ``i``, as `runners.provenance.result_records` writes one.

        Parameters
        ----------
        i : int
            Index into ``results``.

        Returns
        -------
        list of str
        """
        from skyweave.runners.provenance import PRODUCT_TYPES

        x = self.results
        s, d, run = f"<{x['iri'][i]}>", f"_:x{i}", x["run"][i]
        output = x["output"][i]
        return [
            f"{s} {_P['type']} {_K['DataProduct']}", f"{s} {_P['type']} {_K['Entity']}",
            f"{s} {_P['type']} {_K['Dataset']}", f"{s} {_P['label']} {_lit(self.result_label(i))}",
            f"{s} {_Q['outputName']} {_lit(output.name)}", f"{s} {_Q['generatedBy']} <{self.runs['iri'][run]}>",
            f"{s} {_Q['productType']} <{PRODUCT_TYPES.get(output.type_iri, SW.Table)}>",
            f'{s} {_Q["generatedAt"]} "{_xsd_time(self.runs["end"][run])}"^^{_XSD_DATETIME}',
            f"{s} {_P['distribution']} {d}", f"{d} {_P['type']} {_C['Distribution']}",
            f"{d} {_P['downloadURL']} <{x['url'][i]}>", f"{d} {_P['mediaType']} {_lit(x['media_type'][i])}",
            f'{d} {_P["byteSize"]} "{x["size"][i]}"^^{_XSD_INTEGER}',
        ]

    def _stream_terms(self, s):
        """Messenger and instrument IRIs of alert stream ``s`` (an index into `_STREAMS`)."""
        from skyweave.alerts.records import MESSENGERS

        slugs = {slug: iri for iri, slug, _ in self.instruments}
        return str(MESSENGERS[_STREAMS[s][4]]), sorted(slugs[slug] for slug in _STREAMS[s][5])

    def alert_triples(self, i):
        """Return the N-Triples statements of alert ``i``, as `alerts.records.alert_triples` builds an alert.

        Its first delivery (topic, partition 0, offset, reception time) is on the alert and on one
        ``sw:MessageOrigin`` node; issue and trigger times with their texts; the GCN schema it
        conforms to (JSON notices); instruments and messenger; the raw payload as a distribution; a
        localisation (an error circle, or a sky map with its 50 % and 90 % areas; none for a
        retraction) and, inside a small circle, a cross-match with the catalogued target there.

        Parameters
        ----------
        i : int
            Index into ``alerts``.

        Returns
        -------
        list of str
        """
        a = self.alerts
        s, st = f"<{a['iri'][i]}>", a["stream"][i]
        stream, _, fmt, topic, _, _, _, media = _STREAMS[st]
        event = self.events["iri"][a["event"][i]]
        origin = f"<{a['iri'][i]}#origin-{a['key'][i][16:28]}>"
        received = f'"{_xsd_time(a["received"][i])}"^^{_XSD_DATETIME}'
        out = [f"{s} {_P['type']} {_K['Alert']}", f"{s} {_P['type']} {_K['Entity']}",
               f"{s} {_P['label']} {_lit(a['title'][i])}", f"{s} {_Q['about']} <{event}>",
               f"{s} {_Q['alertType']} {_lit(a['type'][i])}", f"{s} {_Q['alertTense']} {_lit(a['tense'][i])}",
               f"{s} {_Q['payloadFormat']} {_lit(fmt)}", f"{s} {_Q['contentKey']} {_lit(a['key'][i])}"]
        if a["notice"][i]:
            out.append(f"{s} {_Q['noticeKey']} {_lit(a['notice'][i])}")
        for node in (s, origin):
            out += [f"{node} {_Q['topic']} {_lit(topic)}", f'{node} {_Q["partition"]} "0"^^{_XSD_INTEGER}',
                    f'{node} {_Q["offset"]} "{a["offset"][i]}"^^{_XSD_INTEGER}', f"{node} {_Q['receivedAt']} {received}"]
        out += [f"{s} {_Q['origin']} {origin}", f"{origin} {_P['type']} {_K['MessageOrigin']}",
                f'{s} {_Q["generatedAt"]} "{_xsd_time(a["issued"][i])}"^^{_XSD_DATETIME}',
                f"{s} {_Q['issuedText']} {_lit(_xsd_time(a['issued'][i]))}",
                f'{s} {_Q["trigger"]} "{_xsd_time(a["trigger"][i])}"^^{_XSD_DATETIME}',
                f"{s} {_Q['triggerText']} {_lit(_xsd_time(a['trigger'][i], '.000'))}"]
        if fmt == "gcn-json":
            path = "swift/bat/guano" if stream == "Swift-BAT" else "icecube/gold_bronze_track_alerts"
            out.append(f"{s} {_Q['conformsTo']} <{_GCN_SCHEMA.format(path)}>")
        messenger, instruments = self._stream_terms(st)
        out += [f"{s} {_Q['instrument']} <{iri}>" for iri in instruments]
        out.append(f"{s} {_Q['messenger']} <{messenger}>")
        d = f"_:a{i}"
        out += [f"{s} {_P['distribution']} {d}", f"{d} {_P['type']} {_C['Distribution']}",
                f"{d} {_P['downloadURL']} <{a['url'][i]}>", f"{d} {_P['mediaType']} {_lit(media)}",
                f'{d} {_P["byteSize"]} "{a["size"][i]}"^^{_XSD_INTEGER}']
        if a["loc"][i]:
            node = f"<{a['loc'][i]}>"
            out += [f"{s} {_Q['localization']} {node}", f"{node} {_P['type']} {_K['Localization']}",
                    f"{node} {_P['type']} {_K['Entity']}"]
            if a["ra"][i] is not None:
                out += [f"{node} {_P['ra']} {_double(a['ra'][i])}", f"{node} {_P['dec']} {_double(a['dec'][i])}",
                        f"{node} {_Q['errorRadius']} {_double(a['radius'][i])}", f"{node} {_Q['containment']} {_double(0.9)}"]
            else:
                m = f"_:a{i}m"
                out += [f"{node} {_P['distribution']} {m}", f"{m} {_P['type']} {_C['Distribution']}",
                        f"{m} {_P['downloadURL']} <{a['skymap_url'][i]}>", f"{m} {_P['mediaType']} {_lit('application/fits')}",
                        f'{m} {_P["byteSize"]} "{a["skymap_size"][i]}"^^{_XSD_INTEGER}',
                        f"{node} {_Q['area50']} {_double(a['areas'][i][0])}", f"{node} {_Q['area90']} {_double(a['areas'][i][1])}"]
        if a["match"][i] is not None:
            node = f"<{a['iri'][i]}#match-1>"
            out += [f"{s} {_Q['crossMatch']} {node}", f"{node} {_P['type']} {_K['CrossMatch']}",
                    f"{node} {_P['target']} <{self.targets['iri'][a['match'][i]]}>",
                    f"{node} {_Q['separation']} {_double(a['sep'][i])}"]
        return out

    def event_triples(self, e):
        """Return the N-Triples statements of event ``e``, as `alerts.records.event_triples` builds an event.

        Parameters
        ----------
        e : int
            Index into ``events``.

        Returns
        -------
        list of str
        """
        v = self.events
        s = f"<{v['iri'][e]}>"
        out = [f"{s} {_P['type']} {_K['Event']}", f"{s} {_P['type']} {_K['Entity']}",
               f"{s} {_P['label']} {_lit(v['name'][e])}"]
        out += [f"{s} {_P['altLabel']} {_lit(name)}" for name in v["alt"][e]]
        out += [f'{s} {_Q["retracted"]} "{"true" if v["retracted"][e] else "false"}"^^{_XSD_BOOLEAN}',
                f"{s} {_Q['alertTense']} {_lit(v['tense'][e])}",
                f'{s} {_Q["trigger"]} "{_xsd_time(v["trigger"][e])}"^^{_XSD_DATETIME}',
                f"{s} {_Q['triggerText']} {_lit(_xsd_time(v['trigger'][e], '.000'))}"]
        if v["loc"][e]:
            out.append(f"{s} {_Q['localization']} <{v['loc'][e]}>")
        messenger, instruments = self._stream_terms(v["stream"][e])
        out += [f"{s} {_Q['instrument']} <{iri}>" for iri in instruments]
        out.append(f"{s} {_Q['messenger']} <{messenger}>")
        return out

    def activity_labels(self):
        """Return the ``rdfs:label`` values of the runs, results, alerts and events (for `expected_rows`).

        Returns
        -------
        list of str
            One per labelled node: each run, its time parameter values and its executed notebook,
            each result, alert and event.
        """
        out = []
        for j in range(self.n_runs):
            spec = self.workflows[self.runs["workflow"][j]][1]
            out.append(f"{spec.title}: run {self.runs['id'][j]}")
            times = [p.name for p in spec.parameters if p.kind == "time"]
            out += [v for k, v in self.run_parameters(j).items() if k in times]
            out.append("Executed notebook")
        out += [self.result_label(i) for i in range(self.n_results)]
        out += list(self.alerts.get("title", ())) + list(self.events.get("name", ()))
        return out

    def sample(self, per_kind=10):
        """Return up to ``per_kind`` records of each kind, spread evenly over each kind's records.

        Parameters
        ----------
        per_kind : int

        Returns
        -------
        list of (str, int)
            ``(kind, index)`` pairs for `record_graph`; every workflow is included.
        """
        out = [("workflow", k) for k in range(len(self.workflows))]
        for kind, n in (("target", self.n_targets), ("observation", self.n_observations), ("run", self.n_runs),
                        ("result", self.n_results), ("alert", self.n_alerts), ("event", self.n_events)):
            out += [(kind, i) for i in range(0, n, max(1, n // per_kind))][:per_kind]
        return out

    def records(self):
        """Yield every record of the catalog as ``(iri, statements)``.

        Yields
        ------
        iri : str
            The record IRI, also its graph name.
        statements : list of str
            Its triples in N-Triples syntax without the final `` .``.
        """
        for iri, graph in self.real:
            yield str(iri), [line[:-2] for line in graph.serialize(format="nt").splitlines() if line.strip()]
        for i in range(self.n_targets):
            yield self.targets["iri"][i], self.target_triples(i)
        for j in range(self.n_observations):
            yield self.observations["iri"][j], self.observation_triples(j)
        for iri, _, statements in self.workflows:
            yield iri, statements
        for j in range(self.n_runs):
            yield self.runs["iri"][j], self.run_triples(j)
        for i in range(self.n_results):
            yield self.results["iri"][i], self.result_triples(i)
        for e in range(self.n_events):
            yield self.events["iri"][e], self.event_triples(e)
        for i in range(self.n_alerts):
            yield self.alerts["iri"][i], self.alert_triples(i)

    def serialize(self):
        """Render the catalog as N-Quads (one graph per record) and N-Triples (the same triples).

        Returns
        -------
        nquads, ntriples : bytes
            UTF-8 text.
        """
        quads, triples = [], []
        for iri, statements in self.records():
            graph = f" <{iri}> .\n"
            quads.extend(s + graph for s in statements)
            triples.extend(s + " .\n" for s in statements)
        return "".join(quads).encode("utf-8"), "".join(triples).encode("utf-8")

    def record_graph(self, kind, index):
        """Return one synthetic record as an rdflib graph.

        Parameters
        ----------
        kind : {"target", "observation", "workflow", "run", "result", "alert", "event"}
        index : int

        Returns
        -------
        iri : rdflib.URIRef
        graph : rdflib.Graph
        """
        if kind == "workflow":
            iri, _, statements = self.workflows[index]
        else:
            columns, render = {
                "target": (self.targets, self.target_triples), "observation": (self.observations, self.observation_triples),
                "run": (self.runs, self.run_triples), "result": (self.results, self.result_triples),
                "alert": (self.alerts, self.alert_triples), "event": (self.events, self.event_triples),
            }[kind]
            iri, statements = columns["iri"][index], render(index)
        return URIRef(iri), Graph().parse(data="".join(s + " .\n" for s in statements), format="nt")

    def expected_rows(self, text_labels):
        """Predict the row count of each SELECT query of `QUERIES` from the generator's columns.

        Parameters
        ----------
        text_labels : list of str
            ``rdfs:label`` values of the store outside the synthetic records (real records and
            ontology), which the text query also sees.

        Returns
        -------
        dict of str to int
        """
        t, o = self.targets, self.observations
        slugs = [slug for _, slug, _ in self.instruments]
        inst = slugs.index(QUERY_INSTRUMENT)
        ra_lo, ra_hi, dec_lo, dec_hi = CONE_BOX
        t0, t1 = (_unix(x) for x in TIME_RANGE)
        groups = {(cat, cls) for cat, classes in zip(t["catalog"], t["classes"]) for cls in classes}
        labels = list(text_labels) + list(t["name"])
        labels += [self.observation_label(j) for j in range(self.n_observations)]
        labels += self.activity_labels()
        text = sum(TEXT_NEEDLE in label.lower() for label in labels)
        return {
            "obs_by_instrument": int(np.sum(o["instrument"] == inst)),
            "cone_box": int(np.sum((t["ra"] >= ra_lo) & (t["ra"] <= ra_hi) & (t["dec"] >= dec_lo) & (t["dec"] <= dec_hi))),
            "time_range": int(np.sum((o["start_s"] >= t0) & (o["start_s"] < t1))),
            "counts_per_group": len(groups),
            "text_filter": int(text),
        }


def _unix(text):
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def parse_sizes(text):
    """Parse a ``--sizes`` value such as ``10k,300k,3M``.

    Parameters
    ----------
    text : str
        Comma-separated sizes in triples, with an optional ``k`` (thousand) or ``M`` (million) suffix.

    Returns
    -------
    list of (str, int)
        The label as written and the number of triples, in the order given.

    Raises
    ------
    ValueError
        If a size does not parse or is below 1000 triples.

    Examples
    --------
    >>> parse_sizes("10k,3M")
    [('10k', 10000), ('3M', 3000000)]
    """
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        factor = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(part[-1], 1)
        number = part[:-1] if factor != 1 else part
        try:
            n = int(float(number) * factor)
        except ValueError:
            raise ValueError(f"cannot read the size {part!r}: use e.g. 10k, 300k, 3M") from None
        if n < 1000:
            raise ValueError(f"size {part!r} is too small: the reference records alone hold ~250 triples")
        out.append((part, n))
    return out


def real_records(base=BASE):
    """Return the real observatory, instrument and source-catalog records of `catalog.ingest.load_all`.

    Parameters
    ----------
    base : str
        Base IRI, ending in ``/``.

    Returns
    -------
    list of (rdflib.URIRef, rdflib.Graph)
        In the loader's order.

    Raises
    ------
    FileNotFoundError
        If the bundled data files are missing.
    """
    from skyweave.catalog.ingest import load_all

    out = []
    for iri, graph in load_all(base):
        parts = split_iri(base, iri)
        if parts and parts[0] in REAL_COLLECTIONS:
            out.append((iri, graph))
    return out


def _pick_classes(rng, n, weights):
    names = list(weights)
    p = np.array([weights[k] for k in names], dtype=float)
    return [names[k] for k in rng.choice(len(names), size=n, p=p / p.sum())]


def _target_columns(rng, n, prefix, catalogs, taken):
    """Generate ``n`` targets (positions, names, classes, associations, catalogs)."""
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    galactic = rng.random(n) < 0.3
    ra = rng.uniform(0.0, 360.0, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    n_gal = int(galactic.sum())
    if n_gal:
        lon = rng.uniform(-80.0, 80.0, n_gal) % 360.0
        lat = np.clip(rng.normal(0.0, 1.5, n_gal), -10.0, 10.0)
        icrs = SkyCoord(lon * u.deg, lat * u.deg, frame="galactic").icrs
        ra[galactic], dec[galactic] = icrs.ra.deg, icrs.dec.deg
    ra = np.round(ra % 360.0, 5) % 360.0
    dec = np.clip(np.round(dec, 5), -90.0, 90.0)
    gal = SkyCoord(ra * u.deg, dec * u.deg, frame="icrs").galactic
    glon, glat = gal.l.deg, gal.b.deg

    gal_classes = _pick_classes(rng, n, _GALACTIC_CLASSES)
    xgal_classes = _pick_classes(rng, n, _EXTRAGALACTIC_CLASSES)
    has_class = rng.random(n) < 0.9
    n_alt = rng.choice(3, size=n, p=[0.55, 0.35, 0.10])
    alt_kind = rng.integers(0, 4, size=(n, 2))
    xgal_kind = rng.integers(0, 6, size=(n, 2))
    numbers = rng.integers(0, 10**6, size=(n, 2))
    cat_draw = rng.random(n)

    names, iris, alts, classes, cats = [], [], [], [], []
    hgps, fhl, dr1 = catalogs
    for i in range(n):
        name = _designation(ra[i], dec[i], prefix)
        slug = slugify(name)
        suffix = 1
        while slug in taken:  # two sources in the same arcminute: "... b", "... c", like HGPS
            suffix += 1
            name = f"{_designation(ra[i], dec[i], prefix)} {chr(ord('a') + suffix - 1)}"
            slug = slugify(name)
        taken.add(slug)
        names.append(name)
        iris.append(f"{BASE}targets/{slug}")
        kinds = (alt_kind[i] + 10) if galactic[i] else xgal_kind[i]
        alt = []
        for k in range(n_alt[i]):
            candidate = _association(int(kinds[k]), ra[i], dec[i], glon[i], glat[i], int(numbers[i, k]))
            if candidate not in alt and candidate != name:
                alt.append(candidate)
        alts.append(tuple(alt))
        cls = (gal_classes if galactic[i] else xgal_classes)[i]
        classes.append((cls,) if has_class[i] else ())
        if galactic[i]:
            cats.append(hgps if cat_draw[i] < 0.4 else fhl)
        else:
            cats.append(dr1 if cat_draw[i] < 0.04 else fhl)
    return {"iri": iris, "name": names, "ra": ra, "dec": dec, "alt": alts, "classes": classes, "catalog": cats}


def _observation_columns(rng, n, targets, instruments, base, first_id, slug_prefix="", target=None):
    """Generate ``n`` observations of ``targets`` (random, or the indices ``target``) by ``instruments``."""
    slugs = [slug for _, slug, _ in instruments]
    weights = np.array([_INSTRUMENT_WEIGHTS.get(s, 1.0) for s in slugs])
    instrument = rng.choice(len(slugs), size=n, p=weights / weights.sum())
    n_t = len(targets["iri"])
    popularity = 1.0 / (np.arange(n_t) + 5.0)  # a few targets get many runs, most get few
    drawn = rng.choice(n_t, size=n, p=popularity / popularity.sum())
    target = drawn if target is None else np.asarray(target)
    obs_id = np.empty(n, dtype=np.int64)
    for k in range(len(slugs)):
        mask = instrument == k
        obs_id[mask] = first_id + np.arange(int(mask.sum()))
    offset = rng.choice([0.5, 0.7], size=n)
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    tdec = targets["dec"][target]
    pdec = np.clip(np.round(tdec + offset * np.sin(angle), 5), -90.0, 90.0)
    pra = np.round((targets["ra"][target] + offset * np.cos(angle) / np.maximum(np.cos(np.radians(tdec)), 0.05)) % 360.0, 5) % 360.0
    t0, t1 = _unix("2004-01-01T00:00:00Z"), _unix("2025-01-01T00:00:00Z")
    start_s = rng.integers(t0, t1, size=n)
    duration = rng.integers(600, 3000, size=n)
    live = np.round(duration * rng.uniform(0.85, 0.98, n), 4)
    size = rng.integers(200_000, 8_000_000, size=n)
    start = np.datetime_as_string(start_s.astype("datetime64[s]"), unit="s")
    end = np.datetime_as_string((start_s + duration).astype("datetime64[s]"), unit="s")
    iris, part_of, urls = [], [], []
    for j in range(n):
        slug = slugs[instrument[j]]
        iris.append(f"{base}observations/{slug_prefix}{slug}-{obs_id[j]}")
        if slug == "hess":
            part_of.append(f"{base}catalogs/hess-dl3-dr1")
            release = "hess-dl3-dr1"
        else:  # a data release outside the catalog: an external DOI IRI, one per instrument
            part_of.append(f"https://doi.org/10.5281/zenodo.{9100000 + instrument[j]}")
            release = f"{slug}-dr1"
        urls.append(f"{base}files/{release}/data/{slug}_obs_id_{obs_id[j]:07d}.fits.gz")
    return {
        "iri": iris, "obs_id": obs_id, "instrument": instrument, "target": target, "pra": pra, "pdec": pdec,
        "start": [s + "Z" for s in start], "end": [e + "Z" for e in end], "start_s": start_s, "live": live,
        "part_of": part_of, "url": urls, "size": size,
    }


# -- workflows, runs, results, alerts and events ---------------------------------------------------

RUNS_PER_TARGET = 0.05
"""Workflow runs generated per synthetic target (about 5 % of the triples; 9 at 10k, 2,400 at 3M)."""

ALERTS_PER_TARGET = 0.15
"""Alerts generated per synthetic target (about 7 % of the triples; 26 at 10k, 8,000 at 3M)."""

POPULAR_WORKFLOW = "hess-spectrum"
"""Slug (without ``-v1``) of the bundled workflow most runs use."""

POPULAR_SHARE = 0.6
"""Share of the runs that use `POPULAR_WORKFLOW`; the others are spread evenly over the other workflows."""

INFORMED_SHARE = 0.25
"""Share of the runs that an alert started (``prov:wasInformedBy``), as follow-up rules do."""

GENERATOR_VERSION = "3"
"""Bumped whenever the generator writes other triples for the same columns (part of the page cache key)."""

_SD = "https://schema.org/"
_Q = {
    "schemaName": f"<{_SD}name>", "schemaValue": f"<{_SD}value>", "unitText": f"<{_SD}unitText>",
    "unitCode": f"<{_SD}unitCode>", "result": f"<{_SD}result>", "sha256": f"<{_SD}sha256>",
    "softwareVersion": f"<{_SD}softwareVersion>", "used": f"<{PROV.used}>", "phase": f"<{SW.phase}>",
    "parameterValue": f"<{SW.parameterValue}>", "parameter": f"<{SW.parameter}>",
    "associated": f"<{PROV.wasAssociatedWith}>", "informedBy": f"<{PROV.wasInformedBy}>",
    "cacheKey": f"<{SW.cacheKey}>", "error": f"<{SW.error}>", "uncertainty": f"<{SW.uncertainty}>",
    "codeUsed": f"<{SW.codeUsed}>", "softwareUsed": f"<{SW.softwareUsed}>", "generated": f"<{PROV.generated}>",
    "generatedBy": f"<{PROV.wasGeneratedBy}>", "generatedAt": f"<{PROV.generatedAtTime}>",
    "outputName": f"<{SW.outputName}>", "productType": f"<{SW.productType}>",
    "about": f"<{SW.about}>", "alertType": f"<{SW.alertType}>", "alertTense": f"<{SW.alertTense}>",
    "payloadFormat": f"<{SW.payloadFormat}>", "contentKey": f"<{SW.contentKey}>", "noticeKey": f"<{SW.noticeKey}>",
    "topic": f"<{SW.topic}>", "partition": f"<{SW.partition}>", "offset": f"<{SW.offset}>",
    "receivedAt": f"<{SW.receivedAt}>", "origin": f"<{SW.origin}>", "issuedText": f"<{SW.issuedTimeText}>",
    "trigger": f"<{SW.triggerTime}>", "triggerText": f"<{SW.triggerTimeText}>",
    "conformsTo": f"<{DCTERMS.conformsTo}>", "instrument": f"<{SW.instrument}>", "messenger": f"<{SW.messenger}>",
    "localization": f"<{SW.localization}>", "errorRadius": f"<{SW.errorRadius}>",
    "containment": f"<{SW.containmentProbability}>", "area50": f"<{SW.area50}>", "area90": f"<{SW.area90}>",
    "crossMatch": f"<{SW.crossMatch}>", "separation": f"<{SW.separation}>", "retracted": f"<{SW.retracted}>",
}
_K = {
    "Run": f"<{SW.Run}>", "Activity": f"<{PROV.Activity}>", "ParameterValue": f"<{SW.ParameterValue}>",
    "Entity": f"<{PROV.Entity}>", "Person": f"<{PROV.Person}>", "SoftwareAgent": f"<{PROV.SoftwareAgent}>",
    "QuantitativeValue": f"<{_SD}QuantitativeValue>", "SoftwareSourceCode": f"<{_SD}SoftwareSourceCode>",
    "SoftwareApplication": f"<{_SD}SoftwareApplication>", "DataProduct": f"<{SW.DataProduct}>",
    "Dataset": f"<{DCAT.Dataset}>", "Alert": f"<{SW.Alert}>", "Event": f"<{SW.Event}>",
    "MessageOrigin": f"<{SW.MessageOrigin}>", "Localization": f"<{SW.Localization}>",
    "CrossMatch": f"<{SW.CrossMatch}>",
}
_XSD_BOOLEAN = f"<{XSD.boolean}>"

# What the runner records about the software of a run (`runners.provenance.run_graph`'s environment).
_SOFTWARE = (("astropy", "6.1.7"), ("numpy", "2.2.1"), ("python", "3.12.8"), ("python3", "6.29.5"))
_EXTENSIONS = {"ODAPictureProduct": ".png", "ODAAstropyTable": ".ecsv"}  # other file outputs are FITS

# Alert streams: (name, share of events, payload format, topic, messenger key of
# `alerts.records.MESSENGERS`, instrument slugs, localisation: error-circle radius range in deg or
# "skymap", media type of the payload).
_STREAMS = (
    ("Swift-BAT", 0.30, "gcn-json", "gcn.notices.swift.bat.guano", "EM", ("swift-bat",), (0.02, 0.08), "application/json"),
    ("Fermi-GBM", 0.30, "voevent", "gcn.classic.voevent.FERMI_GBM_FLT_POS", "EM", ("fermi-gbm",), (3.0, 15.0),
     "application/xml"),
    ("IceCube", 0.15, "gcn-json", "gcn.notices.icecube.gold_bronze_track_alerts", "Neutrino", ("icecube",),
     (0.3, 2.0), "application/json"),
    ("LVK", 0.25, "igwn-json", "igwn.gwalert", "GW", ("ligo", "virgo"), "skymap", "application/json"),
)
_GCN_SCHEMA = "https://gcn.nasa.gov/schema/v4.1.0/gcn/notices/{}.schema.json"


def _xsd_time(seconds, zone="Z"):
    """``xsd:dateTime`` lexical form of Unix ``seconds`` (UTC), ending in ``zone``."""
    return str(np.datetime64(int(seconds), "s")) + zone


def _hex(rng, n, nbytes=32):
    """``n`` hexadecimal strings of ``nbytes`` random bytes each."""
    raw = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
    return [row.tobytes().hex() for row in raw]


def workflow_records(base, commit="0" * 40):
    """Return the catalog records of the bundled workflows, as `runners.registry.register` writes them.

    Each notebook of the bundled ``workflows/`` folder (its test notebooks aside) is read with
    `runners.annotations.read_notebook` and described with `runners.describe.workflow_graph` as
    version 1 (``{base}workflows/{slug}-v1``), with the ``sw:commit``, ``sw:notebook`` and
    ``sw:testStatus`` that registration adds.

    Parameters
    ----------
    base : str
        Base IRI, ending in ``/``.
    commit : str
        The git commit recorded on every version (a fixed value: the benchmark has no repository).

    Returns
    -------
    list of (str, runners.annotations.WorkflowSpec, list of str)
        The version's IRI, its spec and its N-Triples statements (without the final `` .``), in
        file-name order.
    """
    from rdflib import Literal, URIRef

    from skyweave.catalog.resources import bundled
    from skyweave.runners.annotations import read_notebook
    from skyweave.runners.describe import workflow_graph

    folder = Path(bundled("workflows"))
    out = []
    for path in sorted(folder.glob("*.ipynb")):
        if path.name.startswith("test_"):
            continue
        spec = read_notebook(path, commit=commit)
        iri = URIRef(f"{base}workflows/{spec.slug}-v1")
        graph = workflow_graph(spec, iri, base)
        graph.set((iri, SW.notebook, Literal(f"workflows/{path.name}")))
        graph.set((iri, SW.testStatus, Literal("passed")))
        statements = sorted(line[:-2] for line in graph.serialize(format="nt").splitlines() if line.strip())
        out.append((str(iri), spec, statements))
    return out


def _is_file(output):
    """Whether a workflow output is a file (a result record) rather than a value."""
    from skyweave.runners.provenance import PRODUCT_TYPES

    return output.type_iri in PRODUCT_TYPES


def _run_columns(rng, n, workflows, targets, observations, instruments, n_alerts, base):
    """Generate ``n`` runs of ``workflows`` (most of `POPULAR_WORKFLOW`), some informed by an alert."""
    slugs = [spec.slug for _, spec, _ in workflows]
    popular = slugs.index(POPULAR_WORKFLOW)
    others = [k for k in range(len(slugs)) if k != popular]
    # exactly round(POPULAR_SHARE * n) runs of the popular workflow, in random places
    workflow = np.where(rng.permutation(n) < round(POPULAR_SHARE * n), popular, rng.choice(others, size=n))
    ids = [h[:12] for h in _hex(rng, n, 6)]
    t0, t1 = _unix("2023-01-01T00:00:00Z"), _unix("2025-01-01T00:00:00Z")
    start = np.sort(rng.integers(t0, t1, size=n))
    end = start + rng.integers(20, 900, size=n)
    phase = np.where(rng.random(n) < 0.92, "COMPLETED", "ERROR")
    n_t = len(targets["iri"])
    target = rng.integers(0, n_t, size=n)
    scale = rng.choice([0.5, 1.0, 1.0, 2.0], size=n)
    window = rng.integers(_unix("2004-01-01T00:00:00Z"), _unix("2020-01-01T00:00:00Z"), size=n)
    informed = np.where(rng.random(n) < INFORMED_SHARE, rng.integers(0, max(n_alerts, 1), size=n), -1)
    if not n_alerts:
        informed[:] = -1
    hess = [k for k, (_, slug, _) in enumerate(instruments) if slug == "hess"][0]
    hess_obs = np.flatnonzero(np.asarray(observations["instrument"]) == hess)
    data = [tuple(int(x) for x in rng.choice(hess_obs, size=2, replace=False)) if slugs[w].startswith("hess-")
            and len(hess_obs) >= 2 else () for w in workflow]
    values = rng.normal(0.0, 1.0, size=(n, 8))
    return {
        "iri": [f"{base}runs/{i}" for i in ids], "id": ids, "workflow": workflow, "phase": phase, "start": start,
        "end": end, "target": target, "scale": scale, "window": window, "informed": informed, "data": data,
        "values": values, "cache_key": _hex(rng, n), "code_sha": _hex(rng, n), "data_sha": _hex(rng, 2 * n),
    }


def _result_columns(rng, runs, workflows, base):
    """One result per file output of every completed run (as `runners.provenance.result_records`)."""
    from skyweave.runners.files import download_url, media_type

    out = {"iri": [], "run": [], "output": [], "name": [], "url": [], "media_type": [], "size": []}
    for j in np.flatnonzero(runs["phase"] == "COMPLETED"):
        spec = workflows[runs["workflow"][j]][1]
        for output in spec.outputs:
            if not _is_file(output):
                continue
            name = output.name + _EXTENSIONS.get(str(output.type_iri).rsplit("#", 1)[-1], ".fits")
            out["iri"].append(f"{base}results/{runs['id'][j]}-{output.name.replace('_', '-').lower()}")
            out["run"].append(int(j))
            out["output"].append(output)
            out["name"].append(name)
            out["media_type"].append(media_type(name))
    n = len(out["iri"])
    out["url"] = [download_url(base, digest, name) for digest, name in zip(_hex(rng, n), out["name"])]
    out["size"] = rng.integers(20_000, 2_000_000, size=n)
    return out


def _alert_columns(rng, n, targets, base):
    """Generate about ``n`` alerts grouped into events (1-5 alerts each) of the `_STREAMS`."""
    shares = np.array([s[1] for s in _STREAMS])
    alerts = {k: [] for k in ("iri", "event", "type", "stream", "key", "notice", "issued", "received", "trigger",
                              "offset", "loc", "ra", "dec", "radius", "areas", "match", "sep", "url", "size",
                              "skymap_url", "skymap_size", "title")}
    events = {k: [] for k in ("iri", "name", "alt", "stream", "tense", "retracted", "trigger", "alerts", "loc")}
    offsets = [0] * len(_STREAMS)
    t0, t1 = _unix("2019-01-01T00:00:00Z"), _unix("2025-01-01T00:00:00Z")
    n_t = len(targets["iri"])
    per_day = {}
    e = 0
    while len(alerts["iri"]) < n:
        s = int(rng.choice(len(_STREAMS), p=shares / shares.sum()))
        stream, _, fmt, topic, messenger, insts, loc, media = _STREAMS[s]
        trigger = int(rng.integers(t0, t1))
        day = str(np.datetime64(trigger, "s").astype("datetime64[D]")).replace("-", "")[2:]  # yymmdd
        k = per_day.get((s, day), 0)
        per_day[(s, day)] = k + 1
        letters = chr(ord("a") + k) if k < 26 else chr(ord("a") + k // 26 - 1) + chr(ord("a") + k % 26)
        trigger_id = 600_000_000 + e
        name = {"Swift-BAT": f"GRB {day}{letters.upper()}", "Fermi-GBM": f"Fermi GBM {trigger_id}",
                "IceCube": f"IceCube-{day}{letters.upper()}", "LVK": f"S{day}{letters}"}[stream]
        iri = f"{base}events/{slugify(name)}"
        count = int(rng.integers(1, 6))
        retracted = stream == "LVK" and count > 1 and rng.random() < 0.1
        tense = "current" if rng.random() < 0.95 else "test"
        issued = trigger + np.cumsum(rng.integers(20, 3600, size=count))
        keys = _hex(rng, count)
        first = len(alerts["iri"])
        loc_node = None
        for a in range(count):
            kind = "retraction" if retracted and a == count - 1 else ("initial" if a == 0 else "update")
            alerts["iri"].append(f"{base}alerts/{keys[a][:16]}")
            alerts["event"].append(e)
            alerts["type"].append(kind)
            alerts["stream"].append(s)
            alerts["key"].append(keys[a])
            alerts["notice"].append(None if fmt == "igwn-json" else _hex(rng, 1)[0])
            alerts["issued"].append(int(issued[a]))
            alerts["received"].append(int(issued[a] + rng.integers(2, 60)))
            alerts["trigger"].append(trigger)
            alerts["offset"].append(offsets[s])
            offsets[s] += 1
            alerts["title"].append(f"{name}: {kind} {stream} notice")
            alerts["url"].append(f"{base}files/alerts/{_hex(rng, 1)[0]}/message{'.xml' if fmt == 'voevent' else '.json'}")
            alerts["size"].append(int(rng.integers(1_000, 8_000)))
            ra = dec = radius = areas = match = sep = skymap_url = skymap_size = None
            if kind != "retraction":
                if loc == "skymap":
                    area90 = float(np.round(rng.uniform(20.0, 3000.0), 2))
                    areas = (float(np.round(area90 * rng.uniform(0.2, 0.35), 2)), area90)
                    skymap_url = f"{base}files/alerts/{_hex(rng, 1)[0]}/{name}.multiorder.fits"
                    skymap_size = int(rng.integers(200_000, 1_200_000))
                else:
                    radius = float(np.round(rng.uniform(*loc), 4))
                    t = int(rng.integers(0, n_t))
                    angle, off = rng.uniform(0.0, 2.0 * np.pi), rng.uniform(0.0, 0.8) * radius
                    dec = float(np.clip(np.round(targets["dec"][t] + off * np.sin(angle), 4), -90.0, 90.0))
                    cos = max(np.cos(np.radians(targets["dec"][t])), 0.05)
                    ra = float(np.round((targets["ra"][t] + off * np.cos(angle) / cos) % 360.0, 4) % 360.0)
                    if radius <= 2.0:  # the intake cross-matches catalogued targets inside small circles
                        match, sep = t, float(np.round(off, 4))
                loc_node = f"{alerts['iri'][-1]}#localization"
            for key, value in (("ra", ra), ("dec", dec), ("radius", radius), ("areas", areas), ("match", match),
                               ("sep", sep), ("skymap_url", skymap_url), ("skymap_size", skymap_size)):
                alerts[key].append(value)
            alerts["loc"].append(loc_node if kind != "retraction" else None)
        events["iri"].append(iri)
        events["name"].append(name)
        events["alt"].append((f"ivo://nasa.gsfc.gcn/Fermi#GBM_Flt_Pos_{trigger_id}",) if fmt == "voevent" else ())
        events["stream"].append(s)
        events["tense"].append(tense)
        events["retracted"].append(retracted)
        events["trigger"].append(trigger)
        events["alerts"].append(tuple(range(first, first + count)))
        events["loc"].append(loc_node)
        e += 1
    alerts["tense"] = [events["tense"][ev] for ev in alerts["event"]]
    return alerts, events


# Expected triples per target and per observation (see _target_columns and observation_triples), and
# per target for its share of runs with their results, and of alerts with their events (measured
# on the generated 300k catalog).
_TRIPLES_PER_TARGET = 5 + 0.9 + (0.35 + 2 * 0.10)
_TRIPLES_PER_OBSERVATION = 17
_TRIPLES_PER_RUN = 140
_TRIPLES_PER_ALERT = 44


def generate(n_triples, seed=SEED, base=BASE, real=None, ontology_triples=0, fresh=WRITES + 4):
    """Generate a synthetic catalog of about ``n_triples`` triples.

    Parameters
    ----------
    n_triples : int
        Wanted size, counting the real records and ``ontology_triples``.
    seed : int
        Seed of ``numpy.random.default_rng``; the catalog depends only on it and ``n_triples``.
    base : str
        Base IRI, ending in ``/``.
    real : list of (rdflib.URIRef, rdflib.Graph) or None
        The real reference records; default `real_records`.
    ontology_triples : int
        Triples the store holds besides the records (the ontology graph).
    fresh : int
        Number of fresh targets and fresh observations to prepare for the write benchmark; they are
        the same at every size (their own seed), and each fresh observation points to an existing
        target.

    Returns
    -------
    SyntheticCatalog
    """
    real = real_records(base) if real is None else real
    workflows = workflow_records(base)
    fixed = sum(len(g) for _, g in real) + ontology_triples + sum(len(s) for _, _, s in workflows)
    per_target = (_TRIPLES_PER_TARGET + OBS_PER_TARGET * _TRIPLES_PER_OBSERVATION
                  + RUNS_PER_TARGET * _TRIPLES_PER_RUN + ALERTS_PER_TARGET * _TRIPLES_PER_ALERT)
    n_t = max(1, int(round((n_triples - fixed) / per_target)))
    instruments = []
    catalogs = {}
    for iri, graph in real:
        collection, slug = split_iri(base, iri)
        if collection == "instruments":
            instruments.append((str(iri), slug, str(graph.value(iri, RDFS.label))))
        elif collection == "catalogs":
            catalogs[slug] = str(iri)
    catalog_iris = (catalogs["hgps"], catalogs["3fhl"], catalogs["hess-dl3-dr1"])
    rng = np.random.default_rng([seed, n_triples])
    taken = set()
    targets = _target_columns(rng, n_t, "SWC", catalog_iris, taken)
    observations = _observation_columns(rng, OBS_PER_TARGET * n_t, targets, instruments, base, first_id=10_000)
    cat = SyntheticCatalog(base, real, targets, observations, instruments, workflows=workflows)

    # Workflow runs and their results, alerts and their events: their own stream of numbers, so the
    # targets and observations are those an older generator drew for the same number of targets.
    arng = np.random.default_rng([seed, n_triples, 2])
    cat.alerts, cat.events = _alert_columns(arng, int(round(ALERTS_PER_TARGET * n_t)), targets, base)
    cat.runs = _run_columns(arng, max(1, int(round(RUNS_PER_TARGET * n_t))), workflows, targets, observations,
                            instruments, cat.n_alerts, base)
    cat.results = _result_columns(arng, cat.runs, workflows, base)

    # Fresh records for the writes: the same at every size (their own seed).
    frng = np.random.default_rng([seed, 1])
    fresh_t = _target_columns(frng, fresh, "SWX", catalog_iris, set())
    fresh_cat = SyntheticCatalog(base, real, fresh_t, {}, instruments)
    for i in range(fresh):
        cat.fresh_targets.append(
            (URIRef(fresh_t["iri"][i]), "".join(s + " .\n" for s in fresh_cat.target_triples(i)))
        )
    fresh_o = _observation_columns(frng, fresh, targets, instruments, base, first_id=9_000_000, slug_prefix="new-",
                                   target=np.arange(fresh) % n_t)  # existing targets, the same ones at every size
    fresh_cat = SyntheticCatalog(base, real, targets, fresh_o, instruments)
    for j in range(fresh):
        cat.fresh_observations.append(
            (URIRef(fresh_o["iri"][j]), "".join(s + " .\n" for s in fresh_cat.observation_triples(j, f"n{j}")))
        )
    return cat


# -- the two systems under test -----------------------------------------------------------------

def build_store(nquads, data_dir):
    """Create an on-disk `catalog.store.EmbeddedStore` in ``data_dir/store`` holding ``nquads``, then close it.

    Parameters
    ----------
    nquads : bytes
        The catalog as N-Quads (one graph per record).
    data_dir : str or pathlib.Path
        The ``DATA_DIR`` the application will be given.

    Returns
    -------
    int
        Number of quads in the store (records plus the ontology graph).

    Raises
    ------
    SyntaxError
        If ``nquads`` does not parse.
    """
    from skyweave.catalog.store import EmbeddedStore

    store = EmbeddedStore(Path(data_dir) / "store")
    store.install_ontology()
    store.bulk_load(nquads)  # and builds the side index (list order, facets, sky pixels, text)
    n = len(store.ox)
    store.close()
    del store
    gc.collect()
    return n


def build_rdflib_graph(ntriples, ontology):
    """Parse the catalog's triples and the ontology into one in-memory rdflib ``Graph``.

    The graph plays the endpoint's default graph (the union of the named graphs).

    Parameters
    ----------
    ntriples : bytes
        The catalog as N-Triples.
    ontology : rdflib.Graph
        The ontology graph the store holds too.

    Returns
    -------
    rdflib.Graph
    """
    graph = Graph()
    graph.parse(data=ntriples.decode("utf-8"), format="nt")
    graph += ontology
    return graph


@dataclass
class Server:
    """A waitress server running an app in a daemon thread.

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:{port}``, without a trailing slash.
    """

    url: str
    _server: object
    _thread: threading.Thread

    def close(self):
        """Stop accepting requests and wait for the serving thread."""
        server = self._server
        server.task_dispatcher.shutdown()  # waits for the worker threads to finish their requests

        def stop():  # runs in the serving thread, so its loop never polls a closed descriptor
            for channel in list(server._map.values()):
                if channel is not server and channel is not server.trigger:
                    channel.handle_close()
            server.close()  # the listening socket and the trigger: the map empties and run() returns

        server.trigger.pull_trigger(stop)
        self._thread.join(timeout=10)


def serve(app, threads=8):
    """Serve ``app`` with waitress on a free ``127.0.0.1`` port, as ``skyweave serve`` does.

    Parameters
    ----------
    app : flask.Flask
    threads : int
        Waitress worker threads (the CLI uses 8).

    Returns
    -------
    Server
    """
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads, ident="skyweave")
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    return Server(f"http://127.0.0.1:{server.effective_port}", server, thread)


# -- queries ------------------------------------------------------------------------------------

_PREFIXES = """PREFIX sw: <https://skyweave.org/ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX sosa: <http://www.w3.org/ns/sosa/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


@dataclass(frozen=True)
class Query:
    """One benchmark query.

    Attributes
    ----------
    name : str
    title : str
        What it asks, for the table.
    text : str
        The SPARQL text (SELECT or CONSTRUCT).
    construct : bool
        True for a CONSTRUCT (rows are then triples).
    """

    name: str
    title: str
    text: str
    construct: bool = False


def queries(catalog):
    """Return the benchmark queries for ``catalog`` (the describe query names one of its observations).

    Parameters
    ----------
    catalog : SyntheticCatalog

    Returns
    -------
    list of Query
    """
    base = catalog.base
    ra_lo, ra_hi, dec_lo, dec_hi = CONE_BOX
    slugs = [slug for _, slug, _ in catalog.instruments]
    hess = slugs.index(QUERY_INSTRUMENT)
    # The most observed target's first run by the query instrument (so its release is a catalog record).
    obs = catalog.observations
    chosen = next((j for j in range(catalog.n_observations) if obs["instrument"][j] == hess), 0)
    one = obs["iri"][chosen]
    return [
        Query("obs_by_instrument", f"observations by {QUERY_INSTRUMENT}, ordered by start", _PREFIXES + f"""
SELECT ?obs ?label ?start WHERE {{
  ?obs a sw:Observation ; sosa:madeBySensor <{base}instruments/{QUERY_INSTRUMENT}> ;
       rdfs:label ?label ; prov:startedAtTime ?start .
}} ORDER BY ?start"""),
        Query("cone_box", "targets in an RA/Dec box", _PREFIXES + f"""
SELECT ?target ?name ?ra ?dec WHERE {{
  ?target a sw:Target ; rdfs:label ?name ; sw:ra ?ra ; sw:dec ?dec .
  FILTER (?ra >= {ra_lo} && ?ra <= {ra_hi} && ?dec >= {dec_lo} && ?dec <= {dec_hi})
}} ORDER BY ?ra"""),
        Query("time_range", "observations started in a date range", _PREFIXES + f"""
SELECT ?obs ?start ?live WHERE {{
  ?obs a sw:Observation ; prov:startedAtTime ?start ; sw:liveTime ?live .
  FILTER (?start >= "{TIME_RANGE[0]}"^^xsd:dateTime && ?start < "{TIME_RANGE[1]}"^^xsd:dateTime)
}} ORDER BY ?start"""),
        Query("counts_per_group", "targets per catalog and objectClass", _PREFIXES + """
SELECT ?title ?class (COUNT(?target) AS ?targets) WHERE {
  ?target a sw:Target ; dcterms:source ?catalog ; sw:objectClass ?class .
  ?catalog dcterms:title ?title .
} GROUP BY ?title ?class ORDER BY DESC(?targets)"""),
        Query("text_filter", f'labels containing "{TEXT_NEEDLE}"', _PREFIXES + f"""
SELECT ?s ?label WHERE {{
  ?s rdfs:label ?label .
  FILTER (CONTAINS(LCASE(STR(?label)), "{TEXT_NEEDLE}"))
}}"""),
        Query("describe_one", "one observation with its provenance (CONSTRUCT)", _PREFIXES + f"""
CONSTRUCT {{
  <{one}> ?p ?o . ?part ?pp ?po .
  ?target rdfs:label ?targetName ; dcterms:source ?catalog . ?catalog dcterms:title ?catalogTitle .
  ?instrument rdfs:label ?instrumentName .
  ?release dcterms:title ?releaseTitle .
  ?version prov:specializationOf <{one}> ; prov:invalidatedAtTime ?replaced .
}} WHERE {{
  {{ <{one}> ?p ?o }}
  UNION {{ <{one}> dcat:distribution ?part . ?part ?pp ?po }}
  UNION {{ <{one}> sw:target ?target . ?target rdfs:label ?targetName ; dcterms:source ?catalog .
          ?catalog dcterms:title ?catalogTitle }}
  UNION {{ <{one}> sosa:madeBySensor ?instrument . ?instrument rdfs:label ?instrumentName }}
  UNION {{ <{one}> dcterms:isPartOf ?release . ?release dcterms:title ?releaseTitle }}
  UNION {{ ?version prov:specializationOf <{one}> ; prov:invalidatedAtTime ?replaced }}
}}""", construct=True),
    ]


QUERIES = ("obs_by_instrument", "cone_box", "time_range", "counts_per_group", "text_filter", "describe_one")
"""Names of the benchmark queries, in the order they run (see `queries`)."""


def _median_ms(times):
    return 1000.0 * statistics.median(times)


def time_endpoint(session, url, query, repeat):
    """Time a query through the SPARQL endpoint over HTTP, parsing the response.

    Parameters
    ----------
    session : requests.Session
    url : str
        The endpoint, ``http://127.0.0.1:{port}/sparql``.
    query : Query
    repeat : int
        Timed runs, after one untimed warm-up run.

    Returns
    -------
    median_ms : float
        Median wall time of a run, in milliseconds (request, query, serialisation, transfer, and the
        client's parsing: ``response.json()`` for SELECT, an N-Triples parse into rdflib for CONSTRUCT).
    rows : int
        Solutions (SELECT) or triples (CONSTRUCT) returned.
    times : list of float
        Every timed run, in seconds.

    Raises
    ------
    requests.HTTPError
        If the endpoint answers with an error status.

    References
    ----------
    .. [1] SPARQL 1.1 Protocol, https://www.w3.org/TR/sparql11-protocol/
    .. [2] SPARQL 1.1 Query Results JSON Format, https://www.w3.org/TR/sparql11-results-json/
    """
    accept = "application/n-triples" if query.construct else "application/sparql-results+json"

    def once():
        response = session.get(url, params={"query": query.text}, headers={"Accept": accept}, timeout=900)
        response.raise_for_status()
        if query.construct:
            return len(Graph().parse(data=response.text, format="nt"))
        return len(response.json()["results"]["bindings"])

    rows = once()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        n = once()
        times.append(time.perf_counter() - start)
        assert n == rows, f"{query.name}: the endpoint returned {rows} rows, then {n}"
    return _median_ms(times), rows, times


def time_rdflib(graph, query, repeat, budget_s=60.0, slow_s=2.0):
    """Time a query on an in-memory rdflib graph, materialising every row.

    Parameters
    ----------
    graph : rdflib.Graph
    query : Query
    repeat : int
        Wanted timed runs. The first run counts; when it takes longer than ``slow_s`` seconds,
        only as many runs as fit in ``budget_s`` are made (at least one), and no warm-up.
    budget_s, slow_s : float
        Seconds.

    Returns
    -------
    median_ms : float
        Median wall time of ``graph.query`` plus iterating its result, in milliseconds.
    rows : int
        Solutions (SELECT) or triples (CONSTRUCT).
    times : list of float
        Every timed run, in seconds.
    """

    def once():
        result = graph.query(query.text)
        return len(result.graph) if query.construct else len(list(result))

    start = time.perf_counter()
    rows = once()
    first = time.perf_counter() - start
    times = [first]
    runs = repeat if first <= slow_s else max(1, min(repeat, int(budget_s / first)))
    for _ in range(runs - 1):
        start = time.perf_counter()
        n = once()
        times.append(time.perf_counter() - start)
        assert n == rows
    return _median_ms(times), rows, times


# -- writes -------------------------------------------------------------------------------------

def time_writes(store, session, url, token, catalog, n=WRITES, warmup=2):
    """Time validated single-record writes of fresh targets and observations.

    One half of the fresh records go to ``store.put`` directly, the other half through
    ``PUT /{collection}/{slug}`` over HTTP (N-Triples body, editor token); targets and
    observations alternate. Each write creates a new record, validated against the shapes.

    Parameters
    ----------
    store : catalog.store.Store
        The application's store.
    session : requests.Session
    url : str
        The server's root, ``http://127.0.0.1:{port}``.
    token : str
        An API token with the editor role.
    catalog : SyntheticCatalog
        Provides ``fresh_targets`` and ``fresh_observations`` (at least ``n + warmup`` of each).
    n : int
        Timed writes per path.
    warmup : int
        Untimed writes per path first (the shapes are parsed on first use).

    Returns
    -------
    dict
        ``direct_ms``, ``http_ms`` (medians over all writes), ``direct_target_ms``,
        ``direct_observation_ms``, ``http_target_ms``, ``http_observation_ms`` (medians per kind),
        and ``n``.

    Raises
    ------
    AssertionError
        If a write is rejected (the record did not conform) or does not create a record.
    """
    per_kind = (n + warmup) // 2  # records of each kind per path
    need = 2 * per_kind
    assert min(len(catalog.fresh_targets), len(catalog.fresh_observations)) >= need, "too few fresh records"

    def interleave(start):
        out = []
        for k in range(start, start + per_kind):
            out.append(("target", *catalog.fresh_targets[k]))
            out.append(("observation", *catalog.fresh_observations[k]))
        return out

    direct, http = interleave(0), interleave(per_kind)

    out = {"direct": {"target": [], "observation": []}, "http": {"target": [], "observation": []}}
    for k, (kind, iri, nt) in enumerate(direct):
        graph = Graph().parse(data=nt, format="nt")
        start = time.perf_counter()
        result = store.put(iri, graph)
        elapsed = time.perf_counter() - start
        assert result.created, f"{iri} existed already"
        if k >= warmup:
            out["direct"][kind].append(elapsed)
    headers = {"Content-Type": "application/n-triples", "Authorization": f"Bearer {token}", "Accept": "application/json"}
    for k, (kind, iri, nt) in enumerate(http):
        path = str(iri)[len(catalog.base) - 1:]
        body = nt.encode("utf-8")
        start = time.perf_counter()
        response = session.put(url + path, data=body, headers=headers, timeout=120)
        elapsed = time.perf_counter() - start
        assert response.status_code == 201, f"PUT {path}: {response.status_code} {response.text[:500]}"
        if k >= warmup:
            out["http"][kind].append(elapsed)
    result = {"n": n}
    for path in ("direct", "http"):
        every = out[path]["target"] + out[path]["observation"]
        result[f"{path}_ms"] = _median_ms(every)
        for kind in ("target", "observation"):
            result[f"{path}_{kind}_ms"] = _median_ms(out[path][kind])
    return result


# -- one size -----------------------------------------------------------------------------------

def _close_app(app):
    """Close the app: `catalog.app.close_app` when the app has one (it also stops runners), else its store."""
    import skyweave.catalog.web.app

    closer = getattr(skyweave.catalog.web.app, "close_app", None)
    if closer is not None:
        closer(app)
    else:
        app.extensions["store"].close()


def _geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def _log(message):
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_size(label, n_triples, repeat, run_rdflib=True, rdflib_skip_reason=None, real=None, store_kind="embedded"):
    """Generate, load, query and write one catalog size.

    Parameters
    ----------
    label : str
        The size as the user wrote it (``10k``).
    n_triples : int
        Wanted number of triples.
    repeat : int
        Timed runs per endpoint query (and at most per rdflib query).
    run_rdflib : bool
        False skips the rdflib side (``rdflib_skip_reason`` says why).
    rdflib_skip_reason : str or None
    real : list of (rdflib.URIRef, rdflib.Graph) or None
        The real reference records (default `real_records`).
    store_kind : {"embedded", "memory"}
        The app's ``STORE`` setting: the on-disk store (what the benchmark is about) or, for
        comparison, the in-memory Oxigraph store (bulk-loaded after the app opened it).

    Returns
    -------
    dict
        Everything measured at this size (see ``bench/README.md``).

    Raises
    ------
    AssertionError
        If the endpoint and rdflib (or the generator's prediction) disagree on a row count, or a
        write fails.
    """
    from skyweave.catalog.web.app import create_app
    from skyweave.catalog.validate import ontology_graph

    ontology = ontology_graph()
    real = real_records() if real is None else real
    out = {"label": label, "requested_triples": n_triples, "timings_s": {}}
    t = time.perf_counter()
    catalog = generate(n_triples, real=real, ontology_triples=len(ontology))
    nquads, ntriples = catalog.serialize()
    out["timings_s"]["generate"] = time.perf_counter() - t
    out.update(targets=catalog.n_targets, observations=catalog.n_observations, runs=catalog.n_runs,
               results=catalog.n_results, alerts=catalog.n_alerts, events=catalog.n_events, real_records=len(real),
               ontology_triples=len(ontology))
    _log(f"{label}: generated {catalog.n_targets} targets, {catalog.n_observations} observations "
         f"in {out['timings_s']['generate']:.1f} s")

    token = "bench-editor-token"
    with tempfile.TemporaryDirectory(prefix=f"skyweave-bench-{label}-") as tmp:
        t = time.perf_counter()
        if store_kind == "embedded":
            out["triples"] = build_store(nquads, tmp)
            out["timings_s"]["bulk_load_and_index"] = time.perf_counter() - t
        t_open = time.perf_counter()
        app = create_app({
            "STORE": store_kind, "DATA_DIR": tmp, "BASE_IRI": BASE, "SPARQL_MAX_ROWS": 10**7,
            "SPARQL_TIMEOUT_S": 600, "API_TOKENS": {token: "editor"}, "SECRET_KEY": "bench",
        })
        store = app.extensions["store"]
        out["timings_s"]["open_app"] = time.perf_counter() - t_open
        if store_kind == "memory":
            store.bulk_load(nquads)
            out["triples"] = len(store.ox)
        out["store"] = store_kind
        out["timings_s"]["load_store"] = time.perf_counter() - t
        del nquads
        _log(f"{label}: {out['triples']} quads bulk-loaded into the {store_kind} store "
             f"in {out['timings_s']['load_store']:.1f} s")
        server = serve(app)
        session = requests.Session()
        try:
            # Every generated record kind conforms to the shapes: validate a sample against the store.
            t = time.perf_counter()
            sample = catalog.sample(10)
            for kind, index in sample:
                iri, graph = catalog.record_graph(kind, index)
                report = store.check(iri, graph)
                assert report.conforms, f"generated {kind} <{iri}> breaks a shape:\n{report.text()}"
            out["validated_sample"] = len(sample)
            _log(f"{label}: {len(sample)} sampled records conform ({time.perf_counter() - t:.1f} s)")

            # The endpoint first, before the rdflib graph exists: millions of Python objects would
            # make the garbage collector slow down the server, which runs in this process.
            extra_labels = [str(o) for _, g in real for o in g.objects(None, RDFS.label)]
            extra_labels += [str(o) for o in ontology.objects(None, RDFS.label)]
            expected = catalog.expected_rows(extra_labels)
            out["queries"] = {}
            the_queries = queries(catalog)
            for query in the_queries:
                ms, rows, times = time_endpoint(session, f"{server.url}/sparql", query, repeat)
                out["queries"][query.name] = {"title": query.title, "rows": rows, "endpoint_ms": ms,
                                              "endpoint_runs": len(times)}
                if query.name in expected:
                    assert rows == expected[query.name], (
                        f"{query.name}: the endpoint returned {rows} rows, the generator predicts {expected[query.name]}")
                _log(f"{label}: {query.name}: {rows} rows, endpoint {ms:.1f} ms")

            out["rdflib_skipped"] = None if run_rdflib else rdflib_skip_reason
            out["geomean_ratio"] = None
            if run_rdflib:
                t = time.perf_counter()
                graph = build_rdflib_graph(ntriples, ontology)
                out["timings_s"]["load_rdflib"] = time.perf_counter() - t
                out["rdflib_triples"] = len(graph)
                _log(f"{label}: rdflib graph of {len(graph)} triples in {out['timings_s']['load_rdflib']:.1f} s")
                assert len(graph) == out["triples"], "rdflib and the store hold different numbers of triples"
                gc.collect()
                gc.freeze()  # spare rdflib full collections over its own graph (in its favour)
                t_rdflib = time.perf_counter()
                try:
                    for query in the_queries:
                        entry = out["queries"][query.name]
                        rms, rrows, rtimes = time_rdflib(graph, query, repeat)
                        assert rrows == entry["rows"], (
                            f"{query.name}: rdflib returned {rrows} rows, the endpoint {entry['rows']}")
                        entry.update(rdflib_ms=rms, rdflib_runs=len(rtimes), ratio=rms / entry["endpoint_ms"])
                        _log(f"{label}: {query.name}: rdflib {rms:.1f} ms ({len(rtimes)} runs)")
                finally:
                    gc.unfreeze()
                out["timings_s"]["rdflib_queries"] = time.perf_counter() - t_rdflib
                out["geomean_ratio"] = _geomean([q["ratio"] for q in out["queries"].values()])
                del graph
            del ntriples
            gc.collect()

            t = time.perf_counter()
            out["writes"] = time_writes(store, session, server.url, token, catalog)
            out["timings_s"]["writes"] = time.perf_counter() - t
            _log(f"{label}: writes: store.put {out['writes']['direct_ms']:.1f} ms, "
                 f"HTTP PUT {out['writes']['http_ms']:.1f} ms")

            t = time.perf_counter()
            paths = page_bench.page_paths(catalog, store)
            out["pages"] = page_bench.time_pages(session, server.url, paths, repeat)
            out["timings_s"]["pages"] = time.perf_counter() - t
            _log(f"{label}: pages: " + ", ".join(f"{k} {v:.1f} ms" for k, v in out["pages"].items()))
        finally:
            session.close()
            server.close()
            _close_app(app)
            del store, app
            gc.collect()
        if store_kind == "embedded":
            t = time.perf_counter()
            out["served"] = serve_and_compare(tmp, catalog, paths, repeat)
            out["timings_s"]["served"] = time.perf_counter() - t
    return out


def _tree_rss_mb(pid, measure=None):
    """Resident memory of process ``pid`` and all its descendants, in MB (``measure``: default `page_bench.rss_mb`)."""
    import psutil

    measure = measure or page_bench.rss_mb
    children = psutil.Process(pid).children(recursive=True)
    return sum(measure(p) or 0 for p in [pid] + [c.pid for c in children])


def serve_and_compare(data_dir, catalog, paths, repeat, clients=8, duration_s=5.0):
    """Time ``skyweave serve`` and bare ``oxigraph serve-read-only`` on the store in ``data_dir``, one after the other.

    ``skyweave serve`` runs twice: with its query worker processes (``--workers``, default one per
    core: the pages are timed on this one) and with ``--workers 0`` (queries in threads of the
    server process, as before the workers existed), so the endpoint throughput of both paths is
    measured in the same run as the bare server's.

    Memory is read after equivalent work on each server: ours after the pages and the 8-client
    load, Oxigraph's after the same load and two passes of the SPARQL queries that fetch what each
    page shows (`page_bench.page_queries`). ``rss_mb`` sums the
    resident memory of the server and its worker processes; ``pss_mb`` counts each page shared
    between them (the libraries' code) once, which is what the processes together hold.

    Returns
    -------
    dict
        ``{skyweave: {ready_s, pages, rss_mb, pss_mb, throughput, workers}, skyweave_threads: {...},
        oxigraph: {ready_s, page_queries, rss_mb, pss_mb, throughput} or None}``.
    """
    from skyweave.catalog.query_workers import default_processes

    # The clients all come from 127.0.0.1: each may run a query at once, as distinct users would.
    env = {"SKYWEAVE_DATA_DIR": str(data_dir), "SKYWEAVE_BASE_IRI": BASE, "SKYWEAVE_STORE": "embedded",
           "SKYWEAVE_SPARQL_CLIENT_SLOTS": str(clients)}
    cheap = page_bench.cheap_queries(catalog)
    served = {}
    for key, workers in (("skyweave", default_processes()), ("skyweave_threads", 0)):
        command = page_bench.skyweave_command() + ["--workers", str(workers)]
        process, url, ready = page_bench.served_process(command, env, "/")
        try:
            ours = {"ready_s": ready, "workers": workers}
            with requests.Session() as session:
                ours["pages"] = page_bench.time_pages(session, url, paths, repeat)
            ours["throughput"] = page_bench.throughput(url + "/sparql", cheap, clients, duration_s)
            ours["rss_mb"] = _tree_rss_mb(process.pid)  # the server and its query workers
            ours["pss_mb"] = _tree_rss_mb(process.pid, page_bench.pss_mb)
        finally:
            page_bench.stop(process)
        served[key] = ours
        _log(f"skyweave serve --workers {workers}: ready in {ready:.2f} s, {ours['throughput']['qps']:.0f} q/s, "
             f"RSS {ours['rss_mb']:.0f} MB, PSS {ours['pss_mb']:.0f} MB")
    binary = Path(sys.executable).parent / "oxigraph"
    if not binary.exists():
        return {**served, "oxigraph": None}
    command = [str(binary), "serve-read-only", "--location", str(Path(data_dir) / "store"), "--bind",
               "127.0.0.1:{port}", "--union-default-graph"]
    process, url, ready = page_bench.served_process(command, None, "/query?query=ASK%7B%7D")
    try:
        bare = {"ready_s": ready, "throughput": page_bench.throughput(url + "/query", cheap, clients, duration_s)}
        with requests.Session() as session:
            # Two passes: the first fills Oxigraph's caches as the pages' first runs fill ours; at 3M
            # a pass takes about two minutes (every list sorts its whole class).
            bare["page_queries"] = page_bench.time_page_queries(
                session, url + "/query", page_bench.page_queries(catalog, paths), 1)
        bare["rss_mb"] = page_bench.rss_mb(process.pid)
        bare["pss_mb"] = page_bench.pss_mb(process.pid)
    finally:
        page_bench.stop(process)
    _log(f"oxigraph serve-read-only: ready in {ready:.2f} s, {bare['throughput']['qps']:.0f} q/s, "
         f"RSS {bare['rss_mb']:.0f} MB, PSS {bare['pss_mb']:.0f} MB (after the pages' queries)")
    return {**served, "oxigraph": bare}


# -- output -------------------------------------------------------------------------------------

def _fmt_ms(value):
    return "-" if value is None else (f"{value:,.1f}" if value < 1000 else f"{value:,.0f}")


def format_size(result):
    """Render one size's results as a text table.

    Parameters
    ----------
    result : dict
        As returned by `run_size`.

    Returns
    -------
    str
    """
    lines = [
        f"== {result['label']}: {result['triples']:,} triples in the {result['store']} store ({result['targets']:,} targets, "
        f"{result['observations']:,} observations, {result['runs']:,} runs, {result['results']:,} results, "
        f"{result['alerts']:,} alerts, {result['events']:,} events, {result['real_records']} real records, "
        f"{result['ontology_triples']} ontology triples) ==",
        f"{'query':18} {'rows':>8} {'rdflib ms':>11} {'endpoint ms':>12} {'rdflib/endpoint':>16}  what",
    ]
    for name, q in result["queries"].items():
        ratio = f"{q['ratio']:.1f}x" if q.get("ratio") else "-"
        runs = f" [{q['rdflib_runs']} runs]" if q.get("rdflib_runs") and q["rdflib_runs"] < q["endpoint_runs"] else ""
        lines.append(f"{name:18} {q['rows']:>8,} {_fmt_ms(q.get('rdflib_ms')):>11} {_fmt_ms(q['endpoint_ms']):>12} "
                     f"{ratio:>16}  {q['title']}{runs}")
    if result.get("geomean_ratio"):
        lines.append(f"geomean rdflib/endpoint: {result['geomean_ratio']:.1f}x")
    else:
        lines.append(f"rdflib skipped: {result.get('rdflib_skipped')}")
    w = result["writes"]
    lines.append(
        f"validated writes (median of {w['n']}): store.put {_fmt_ms(w['direct_ms'])} ms "
        f"(target {_fmt_ms(w['direct_target_ms'])}, observation {_fmt_ms(w['direct_observation_ms'])}); "
        f"HTTP PUT {_fmt_ms(w['http_ms'])} ms (target {_fmt_ms(w['http_target_ms'])}, "
        f"observation {_fmt_ms(w['http_observation_ms'])})"
    )
    if result.get("pages"):
        served = (result.get("served") or {}).get("skyweave") or {}
        lines.append(f"{'page':20} {'in-process ms':>14} {'skyweave serve ms':>18}")
        for name, ms in result["pages"].items():
            lines.append(f"{name:20} {_fmt_ms(ms):>14} {_fmt_ms(served.get('pages', {}).get(name)):>18}")
    if result.get("served"):
        ours, bare = result["served"]["skyweave"], result["served"].get("oxigraph")
        t = ours["throughput"]
        lines.append(f"skyweave serve --workers {ours.get('workers', '?')}: ready in {ours['ready_s']:.2f} s; "
                     f"RSS after the pages {ours['rss_mb']:.0f} MB (PSS {ours.get('pss_mb', 0):.0f}); "
                     f"8 clients: {t['qps']:.0f} q/s, p50 {t['p50_ms']:.1f} ms, p99 {t['p99_ms']:.1f} ms")
        threads = result["served"].get("skyweave_threads")
        if threads:
            h = threads["throughput"]
            lines.append(f"skyweave serve --workers 0 (threads): ready in {threads['ready_s']:.2f} s; RSS "
                         f"{threads['rss_mb']:.0f} MB (PSS {threads.get('pss_mb', 0):.0f}); 8 clients: {h['qps']:.0f} q/s, p50 {h['p50_ms']:.1f} ms, "
                         f"p99 {h['p99_ms']:.1f} ms  => workers/threads q/s {t['qps'] / h['qps']:.2f}")
        if bare:
            b = bare["throughput"]
            lines.append(f"oxigraph serve-read-only: ready in {bare['ready_s']:.2f} s; RSS after the pages' queries "
                         f"{bare['rss_mb']:.0f} MB (PSS {bare.get('pss_mb', 0):.0f}); "
                         f"8 clients: {b['qps']:.0f} q/s, p50 {b['p50_ms']:.1f} ms, p99 {b['p99_ms']:.1f} ms  "
                         f"=> skyweave/oxigraph q/s {t['qps'] / b['qps']:.2f} (goal >= 0.5), p99 {t['p99_ms'] / b['p99_ms']:.1f}x "
                         f"(goal <= 3), RSS {ours['rss_mb'] / bare['rss_mb']:.1f}x, PSS "
                         f"{ours.get('pss_mb', 0) / (bare.get('pss_mb') or 1):.1f}x (goal <= 3)")
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in result["timings_s"].items())
    lines.append(f"(setup and totals: {timings})")
    return "\n".join(lines)


def summary_line(results, quick=False):
    """Return the one-line summary: the geomean ratio at 300k (or the nearest size run) and the write ratio.

    Parameters
    ----------
    results : list of dict
        From `run_size`, smallest first.
    quick : bool
        True for ``--quick`` (one size: no write ratio).

    Returns
    -------
    str
    """
    with_ratio = [r for r in results if r.get("geomean_ratio")]
    pick = next((r for r in with_ratio if r["label"] == "300k"), None)
    if pick is None and with_ratio:
        pick = min(with_ratio, key=lambda r: abs(math.log(r["triples"] / 300_000)))
    if pick is None:
        part1 = "geomean rdflib/endpoint n/a (rdflib skipped)"
        head = results[-1]["label"]
    else:
        head = pick["label"]
        note = "" if pick["label"] == "300k" else " at 300k"
        part1 = f"geomean rdflib/endpoint = {pick['geomean_ratio']:.1f}x (target >= {TARGET_GEOMEAN:g}{note})"
    if quick or len(results) < 2:
        part2 = "write ratio n/a"
    else:
        small, large = results[0], results[-1]
        ratio = large["writes"]["direct_ms"] / small["writes"]["direct_ms"]
        http = large["writes"]["http_ms"] / small["writes"]["http_ms"]
        part2 = (f"write {large['label']}/{small['label']} = {ratio:.2f} (target <= {TARGET_WRITE_RATIO:g}; "
                 f"HTTP PUT {http:.2f})")
    part3 = ""
    if len(results) >= 2 and results[0].get("pages") and results[-1].get("pages"):
        small, large = results[0], results[-1]
        ratios = {k: large["pages"][k] / small["pages"][k] for k in large["pages"] if k in small["pages"]}
        worst = max(ratios, key=ratios.get)
        met = sum(r <= page_bench.PAGE_GOAL for r in ratios.values())
        part3 = (f"; pages {large['label']}/{small['label']}: {met}/{len(ratios)} within {page_bench.PAGE_GOAL:g}x "
                 f"(worst {worst} {ratios[worst]:.1f}x)")
    return f"SUMMARY {head}: {part1}; {part2}{part3}"


def main(argv=None):
    """Run the benchmark from the command line.

    Parameters
    ----------
    argv : list of str or None
        Arguments; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the 10k size (under a minute)")
    parser.add_argument("--sizes", default="10k,300k,3M", help="comma-separated sizes in triples (default 10k,300k,3M)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (default 5; fewer for slow rdflib runs)")
    parser.add_argument("--rdflib-budget", type=float, default=480.0, metavar="SECONDS",
                        help="skip rdflib at a size whose estimated rdflib load + query time exceeds this (default 480)")
    parser.add_argument("--store", choices=("embedded", "memory"), default="embedded",
                        help="the app's STORE: embedded (on disk, the default) or memory (for comparison)")
    parser.add_argument("--output", type=Path, default=None, help="JSON results file (default bench/results/catalog-<date>.json)")
    args = parser.parse_args(argv)
    sizes = [("10k", SIZES["10k"])] if args.quick else parse_sizes(args.sizes)
    sizes.sort(key=lambda s: s[1])

    started = time.perf_counter()
    real = real_records()
    results = []
    for label, n in sizes:
        run_rdflib, reason = True, None
        done = [r for r in results if r.get("timings_s", {}).get("load_rdflib")]
        if done:
            prev = done[-1]
            per_triple = (prev["timings_s"]["load_rdflib"] + prev["timings_s"]["rdflib_queries"]) / prev["triples"]
            estimate = per_triple * n
            if estimate > args.rdflib_budget:
                run_rdflib = False
                reason = (f"estimated {estimate / 60:.0f} min for rdflib at {label} (from {prev['label']}, linear), "
                          f"over the {args.rdflib_budget / 60:.0f} min budget (--rdflib-budget)")
                _log(f"{label}: skipping rdflib: {reason}")
        result = run_size(label, n, args.repeat, run_rdflib, reason, real=real, store_kind=args.store)
        results.append(result)
        print(format_size(result), flush=True)
        print(flush=True)
    total = time.perf_counter() - started
    line = summary_line(results, quick=args.quick)
    print(f"(total {total / 60:.1f} min)")
    print(line, flush=True)

    import pyshacl
    import rdflib

    output = args.output or PROJECT_DIR / "bench" / "results" / (
        f"catalog-{dt.date.today().isoformat()}{'-quick' if args.quick else ''}.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "argv": sys.argv[1:] if argv is None else list(argv),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "versions": {"rdflib": rdflib.__version__, "pyoxigraph": getattr(ox, "__version__", None),
                     "pyshacl": pyshacl.__version__},
        "seed": SEED, "obs_per_target": OBS_PER_TARGET, "repeat": args.repeat, "store": args.store,
        "targets": {"geomean_at_300k": TARGET_GEOMEAN, "write_ratio": TARGET_WRITE_RATIO},
        "sizes": results, "summary": line, "total_s": total,
    }, indent=2), encoding="utf-8")
    print(f"results written to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
