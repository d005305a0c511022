"""Reproduce published results and flag drift: ``skyweave verify [WORKFLOW]``.

A reference (``sw:Reference``) holds a published value of one output of a workflow run with given
parameter values, with its source. `verify` re-runs the newest version of every workflow that has
references in a fresh kernel (bypassing the cache), compares, and files a ``sw:Verification``
record: ``reproduced`` when the re-computed value agrees within the errors, ``drift`` when it does
not, ``failed`` when the run did not complete. It also re-runs a sample of cached runs and flags
those whose output files or values no longer match what was stored (a changed package version or
data file).

Agreement, for a published value v with 1-sigma uncertainty s and a re-computed m with uncertainty
t (0 when the workflow gives none): ``|m - v| <= sqrt(s**2 + t**2)``; for a published range
[lo, hi] (several published analyses of the same data): ``lo - t <= m <= hi + t``.
"""

import math
import uuid
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef

from skyweave.catalog.resources import bundled
from skyweave.catalog.vocab import DCTERMS, PROV, RDF, RDFS, SDO, SW

from .provenance import now, workflow_of, xsd_time
from .registry import latest_version
from .values import literal

__all__ = ["Check", "CacheCheck", "Report", "agrees", "load_references", "verify", "verifications"]

VERIFIER = "skyweave verify"
"""The user named on the runs `verify` makes (they are never sampled as cached runs)."""

REFERENCES = "references.ttl"
"""The bundled references, in ``workflows/`` (relative IRIs, resolved against ``BASE_IRI``)."""


@dataclass(frozen=True)
class Check:
    """One reference compared with a fresh run.

    Attributes
    ----------
    reference, workflow, run : str
        IRIs (run is None when no run could be made).
    output : str
    published : dict
        ``value`` and ``uncertainty``, or ``min`` and ``max``.
    measured, measured_uncertainty : float or None
    outcome : str
        ``reproduced``, ``drift`` or ``failed``.
    citation : str
    """

    reference: str
    workflow: str
    run: str | None
    output: str
    published: dict
    measured: float | None
    measured_uncertainty: float | None
    outcome: str
    citation: str


@dataclass(frozen=True)
class CacheCheck:
    """A cached run re-computed: ``same`` is False when an output's content or value changed."""

    run: str
    rerun: str
    same: bool
    changed: tuple = ()


@dataclass
class Report:
    """What `verify` found."""

    checks: list = field(default_factory=list)
    cache: list = field(default_factory=list)


def agrees(measured, published, uncertainty=0.0):
    """Return True if a re-computed value agrees with a published one within the errors.

    Parameters
    ----------
    measured : float
    published : dict
        ``{"value": v, "uncertainty": s}`` or ``{"min": lo, "max": hi}`` (a ``unit`` key is ignored:
        ``measured`` must be in the published unit).
    uncertainty : float or None
        1-sigma uncertainty of ``measured`` (None or 0 if unknown).

    Examples
    --------
    >>> agrees(2.59, {"min": 2.59, "max": 2.64}, 0.11), agrees(2.40, {"min": 2.59, "max": 2.64}, 0.05)
    (True, False)
    >>> agrees(3.6e-11, {"value": 3.5e-11, "uncertainty": 0.1e-11})
    True
    """
    t = float(uncertainty or 0.0)
    if "min" in published:
        return published["min"] - t <= measured <= published["max"] + t
    return abs(measured - published["value"]) <= math.hypot(published["uncertainty"], t)


def load_references(store, base):
    """Store the bundled references (``workflows/references.ttl``); return their IRIs.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    base : str
        ``BASE_IRI``; the file's relative IRIs are resolved against it.

    Returns
    -------
    list of str

    Raises
    ------
    skyweave.catalog.exceptions.ValidationFailed
        If a reference breaks the shapes.
    """
    data = Graph().parse(data=(bundled("workflows") / REFERENCES).read_text(encoding="utf-8"),
                         format="turtle", publicID=base)
    out = []
    for iri in sorted(set(data.subjects(RDF.type, SW.Reference))):
        record = Graph()
        for triple in data.triples((iri, None, None)):
            record.add(triple)
            _closure(data, triple[2], record)
        store.put(iri, record)
        out.append(str(iri))
    return out


def _closure(data, node, record):
    if isinstance(node, BNode):
        for triple in data.triples((node, None, None)):
            record.add(triple)
            _closure(data, triple[2], record)


def _reference(store, iri):
    g = store.get(iri)
    ref = URIRef(iri)
    value = g.value(ref, SW.publishedValue)
    get = lambda p: g.value(value, p)  # noqa: E731
    published = ({"min": get(SDO.minValue).toPython(), "max": get(SDO.maxValue).toPython()}
                 if get(SDO.minValue) is not None else
                 {"value": get(SDO.value).toPython(), "uncertainty": get(SW.uncertainty).toPython()})
    if get(SDO.unitText) is not None:
        published["unit"] = str(get(SDO.unitText))
    parameters = {str(g.value(p, SDO.name)): g.value(p, SDO.value).toPython()
                  for p in g.objects(ref, SDO.additionalProperty)}
    return (str(g.value(ref, SW.workflowName)), str(get(SDO.name)), published, parameters,
            str(g.value(ref, DCTERMS.bibliographicCitation)))


def _references(store, slug=None):
    rows = store.select("PREFIX sw: <https://skyweave.org/ns#> SELECT ?r ?w WHERE { ?r a sw:Reference ; "
                        "sw:workflowName ?w } ORDER BY ?r")
    return [str(r["r"]) for r in rows if slug is None or str(r["w"]) == slug]


def _quantity(store, run_iri, name, unit=None):
    """A run's output value and uncertainty, in ``unit`` (an astropy string) when given.

    Raises
    ------
    astropy.units.UnitsError, ValueError
        If the run's unit for the output cannot be converted to ``unit``.
    """
    g = store.get(run_iri)
    for node in g.objects(URIRef(run_iri), SDO.result):
        if str(g.value(node, SDO.name)) == name and g.value(node, SDO.value) is not None:
            error = g.value(node, SW.uncertainty)
            value, error = float(g.value(node, SDO.value).toPython()), (None if error is None else float(error.toPython()))
            have = g.value(node, SDO.unitText)
            if unit is not None and have is not None and str(have) != unit:
                import astropy.units as u

                scale = u.Unit(str(have)).to(u.Unit(unit))
                value, error = value * scale, (None if error is None else error * scale)
            return value, error
    return None, None


def verify(store, jobs, base, workflow=None, sample=0, timeout_s=1800, progress=None):
    """Re-run every workflow with references in fresh kernels, compare, and file the outcomes.

    References with the same workflow version and parameter values share one fresh run (never a
    cached one). A published value with a ``schema:unitText`` is compared with the run's value
    converted to that unit.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    jobs : runners.jobs.JobManager
    base : str
        ``BASE_IRI``.
    workflow : str or None
        Only this workflow's references (its slug, e.g. ``hess-spectrum``).
    sample : int
        Completed cached runs to re-compute and compare with their stored outputs.
    timeout_s : float
        Longest wait for one run.
    progress : callable or None
        Called with a short message at each step.

    Returns
    -------
    Report
        One `Check` per reference (a ``sw:Verification`` record is stored for each), one
        `CacheCheck` per sampled run.
    """
    say = progress or (lambda message: None)
    load_references(store, base)
    report = Report()
    runs = {}  # one fresh run per workflow version and parameter values, shared by its references
    for ref in _references(store, workflow):
        slug, output, published, parameters, citation = _reference(store, ref)
        version = latest_version(store, base, slug)
        run = measured = error = None
        outcome = "failed"
        if version is not None:
            key = (version, tuple(sorted((k, repr(v)) for k, v in parameters.items())))
            if key not in runs:
                say(f"{slug}: re-running {version.rsplit('/', 1)[-1]} in a fresh kernel for {output}")
                run = jobs.submit(version, parameters, user=VERIFIER, fresh=True).run_iri
                runs[key] = (run, jobs.wait(run, timeout_s))
            run, phase = runs[key]
            if phase == "COMPLETED":
                try:
                    measured, error = _quantity(store, run, output, published.get("unit"))
                except (ValueError, TypeError) as exc:  # astropy's UnitsError is a ValueError
                    say(f"{slug} {output}: the run's unit does not convert to the published one: {exc}")
                if measured is not None:
                    outcome = "reproduced" if agrees(measured, published, error) else "drift"
        check = Check(ref, version or "", run, output, published, measured, error, outcome, citation)
        _file(store, base, check)
        say(f"{slug} {output}: {outcome} (measured {measured}, published {published}; {citation})")
        report.checks.append(check)
    for run_iri in _sample(store, sample):
        report.cache.append(_recompute(store, jobs, run_iri, timeout_s))
        say(f"cached {run_iri}: {'same' if report.cache[-1].same else 'CHANGED ' + ', '.join(report.cache[-1].changed)}")
    return report


def _file(store, base, check):
    iri = URIRef(f"{base}verifications/{uuid.uuid4().hex[:12]}")
    g = Graph()
    g.add((iri, RDF.type, SW.Verification))
    g.add((iri, RDF.type, PROV.Activity))
    g.add((iri, RDFS.label, Literal(f"{check.output}: {check.outcome} ({check.citation})")))
    g.add((iri, SW.reference, URIRef(check.reference)))
    if check.run:
        g.add((iri, SW.verifiedRun, URIRef(check.run)))
    g.add((iri, SW.outcome, Literal(check.outcome)))
    g.add((iri, PROV.endedAtTime, xsd_time(now())))
    if check.measured is not None:
        node = BNode()
        g.add((iri, SDO.result, node))
        g.add((node, RDF.type, SDO.QuantitativeValue))
        g.add((node, SDO.name, Literal(check.output)))
        g.add((node, SDO.value, literal(check.measured)))
        if check.measured_uncertainty is not None:
            g.add((node, SW.uncertainty, literal(check.measured_uncertainty)))
    store.put(iri, g)


def _sample(store, n):
    """The ``n`` most recent completed runs that users asked for."""
    if n <= 0:
        return []
    rows = store.select("PREFIX sw: <https://skyweave.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#> "
                        "PREFIX schema: <https://schema.org/> "
                        "SELECT ?run WHERE { ?run a sw:Run ; sw:phase \"COMPLETED\" ; sw:cacheKey ?k ; "
                        "prov:endedAtTime ?t FILTER NOT EXISTS { ?run prov:wasAssociatedWith/schema:name $me } } "
                        "ORDER BY DESC(?t) LIMIT " + str(int(n)), me=Literal(VERIFIER))
    return [str(r["run"]) for r in rows]


def _outputs(store, run_iri):
    """Name -> content digest (files) or value (numbers, text) of a run's outputs."""
    rows = store.select("PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX sw: <https://skyweave.org/ns#> "
                        "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?out ?url WHERE { ?r prov:wasGeneratedBy "
                        "$run ; sw:outputName ?out ; dcat:distribution/dcat:downloadURL ?url }", run=URIRef(run_iri))
    out = {str(r["out"]): str(r["url"]).rsplit("/", 2)[-2] for r in rows}
    g = store.get(run_iri)
    for node in g.objects(URIRef(run_iri), SDO.result):
        value = g.value(node, SDO.value) or g.value(node, SDO.maxValue)
        out[str(g.value(node, SDO.name))] = value.toPython()
    return out


def _recompute(store, jobs, run_iri, timeout_s):
    g = store.get(run_iri)
    run = URIRef(run_iri)
    workflow = str(workflow_of(g, run))
    values = {str(g.value(pv, SW.parameter)).rsplit("#param-", 1)[-1]: str(g.value(pv, RDFS.label) or "")
              or g.value(pv, SDO.value).toPython() for pv in g.objects(run, SW.parameterValue)}
    rerun = jobs.submit(workflow, values, user=VERIFIER, fresh=True).run_iri
    if jobs.wait(rerun, timeout_s) != "COMPLETED":
        return CacheCheck(run_iri, rerun, False, ("the re-run did not complete",))
    before, after = _outputs(store, run_iri), _outputs(store, rerun)
    changed = tuple(sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)))
    return CacheCheck(run_iri, rerun, not changed, changed)


def verifications(store, base, slug):
    """Return the newest verification of each reference of a workflow, for its page.

    Parameters
    ----------
    store : skyweave.catalog.store.Store
    base : str
        ``BASE_IRI`` (links are paths below it).
    slug : str
        The workflow's name without version.

    Returns
    -------
    list of dict
        ``output``, ``published`` and ``measured`` (display texts), ``outcome``, ``citation``,
        ``source`` (IRI), ``run`` (path or None), ``time`` (ISO 8601), by output.
    """
    from skyweave.catalog.pages import href_for

    from .values import display

    rows = store.select(
        "PREFIX sw: <https://skyweave.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#> "
        "PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?ref ?outcome ?t ?run ?cite ?src WHERE { "
        "?ref a sw:Reference ; sw:workflowName $slug ; dcterms:bibliographicCitation ?cite ; dcterms:source ?src . "
        "?v a sw:Verification ; sw:reference ?ref ; sw:outcome ?outcome ; prov:endedAtTime ?t "
        "OPTIONAL { ?v sw:verifiedRun ?run } } ORDER BY ?ref DESC(?t)", slug=Literal(slug))
    out, seen = [], set()
    for row in rows:
        ref = str(row["ref"])
        if ref in seen:
            continue
        seen.add(ref)
        _, output, published, _, _ = _reference(store, ref)
        run = str(row["run"]) if row.get("run") is not None else None
        unit = published.get("unit")
        try:
            measured, error = _quantity(store, run, output, unit) if run and store.exists(run) else (None, None)
        except (ValueError, TypeError):  # a unit that does not convert: the check failed, nothing to show
            measured, error = None, None
        out.append({
            "output": output, "outcome": str(row["outcome"]), "citation": str(row["cite"]), "source": str(row["src"]),
            "published": (f"{display(published['min'])} – {display(published['max'], unit)}" if "min" in published
                          else display(published["value"], unit, published["uncertainty"])),
            "measured": "–" if measured is None else display(measured, unit, error),
            "run": href_for(base, run) if run else None, "time": str(row["t"]),
        })
    return sorted(out, key=lambda item: item["output"])
