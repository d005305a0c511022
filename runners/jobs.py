"""Jobs: runs requested, queued, executed and filed, following the IVOA UWS phases.

``submit`` checks the parameter values (nothing is queued when one is bad), computes the run's
provenance key (workflow version + normalised values + input-data version) and either returns the
completed run with that key (a cache hit: nothing executes), joins the run with that key that is
already under way, or writes a QUEUED run record and hands the run to the executor. Every phase
change is written to the store, so job state survives a restart: `recover` marks runs whose worker
died as ERROR and queues the QUEUED ones again.

References
----------
.. [1] IVOA Universal Worker Service Pattern 1.1, https://www.ivoa.net/documents/UWS/
"""

import hashlib
import json
import logging
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal, URIRef

from skyweave.catalog import __version__
from skyweave.catalog.exceptions import Conflict, Forbidden
from skyweave.catalog.vocab import PROV, RDF, SDO, SW

from . import RunRequest
from .environment import code_digest, code_root, package_versions
from .oda import UNITS
from .limits import RunLimits, abort_key_matches, new_abort_key
from .provenance import data_used, now, result_records, run_graph, workflow_of, xsd_time
from .datacheck import DataCheck
from .files import stored_path
from .resources import resource_environment

__all__ = ["Submission", "JobManager", "FINAL_PHASES", "cache_key"]

log = logging.getLogger(__name__)

FINAL_PHASES = ("COMPLETED", "ERROR", "ABORTED")
"""UWS phases after which a run never changes."""


@dataclass(frozen=True)
class Submission:
    """The answer to a run request.

    Attributes
    ----------
    run_iri : str
    phase : str
        Its phase now.
    cached : bool
        True when an earlier completed run with the same provenance key was returned.
    shared : bool
        True when the request joined an identical run already under way.
    abort_key : str or None
        The key that lets this submitter abort the run (`JobManager.abort`); given only to the
        request that queued it, never for a cached or shared run, and never stored in clear.
    """

    run_iri: str
    phase: str
    cached: bool = False
    shared: bool = False
    abort_key: str | None = None


def cache_key(workflow_iri, commit, values, data_version, code="", packages=None):
    """Return the provenance key of a run request (SHA-256 hex).

    Parameters
    ----------
    workflow_iri : str
        The workflow version.
    commit : str or None
        Its code's commit.
    values : dict
        Normalised parameter values (`runners.params.check_values`).
    data_version : str
        Version of the input data (e.g. the digest of the bundled data's checksum file).
    code : str
        Digest of the notebook and its repository's files (`runners.environment.code_digest`).
    packages : dict of str to str or None
        Versions of the software that computes the products (`runners.environment.package_versions`).

    Returns
    -------
    str

    Examples
    --------
    >>> a = cache_key("w", "c1", {"x": 1}, "d", code="h", packages={"numpy": "2.0"})
    >>> a == cache_key("w", "c1", {"x": 1}, "d", code="h", packages={"numpy": "2.1"})
    False
    >>> a == cache_key("w", "c1", {"x": 1}, "d", code="h2", packages={"numpy": "2.0"})
    False
    """
    from .params import normalised_key  # params loads astropy: with the first run, not at start

    # "record": runs filed since their record names the data files they read (earlier ones are never served).
    payload = json.dumps({"record": "data-files", "workflow": str(workflow_iri), "commit": commit or "",
                          "parameters": normalised_key(values), "inputs": data_version, "code": code,
                          "packages": dict(packages or {})}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class _Job:
    def __init__(self, request, key, spec, user, title, informed_by=None, plan=None, client=None, abort_digest=None):
        self.request, self.key, self.spec, self.user, self.title = request, key, spec, user, title
        self.informed_by, self.plan = informed_by, plan
        self.client, self.abort_digest = client, abort_digest
        self.future = None
        self.stopping = None  # why the service stops it: None, "shutdown"
        self.filed = False
        self.abort = threading.Event()
        self.done = threading.Event()
        self.progress = (0, 0)
        self.started = None
        self.phase = "QUEUED"


class JobManager:
    """Accepts run requests and files their results.

    Parameters
    ----------
    store : catalog.store.Store
    base : str
        BASE_IRI.
    data_dir : str or pathlib.Path
        Where result files and workflow snapshots live.
    executor : runners.executors.LocalExecutor or runners.executors.DaskExecutor
    timeout_s : float
        Time limit of one run.
    env : dict of str to str or None
        Environment variables given to notebooks.
    data_version : str
        Version of the input data, part of every provenance key.
    resolve_target : callable or None
        ``name -> (ra_deg, dec_deg) or None`` for target-name parameters.
    limits : runners.limits.RunLimits or None
        Queue and storage bounds that every request is admitted against (default: `RunLimits()`).
    abort_wait_s : float
        How long an abort waits for the executor to stop a run before filing it ABORTED anyway.
    """

    def __init__(self, store, base, data_dir, executor, timeout_s=600.0, env=None, data_version="",
                 resolve_target=None, limits=None, abort_wait_s=10.0):
        self.limits = limits or RunLimits(files_dir=Path(data_dir) / "files")
        self.abort_wait_s = float(abort_wait_s)
        self._closing = False
        self.store, self.base, self.data_dir = store, base, Path(data_dir)
        self.executor, self.timeout_s = executor, float(timeout_s)
        self.env, self.data_version, self.resolve_target = dict(env or {}), data_version, resolve_target
        self.data_check = DataCheck(self.env)
        self._jobs, self._by_key = {}, {}
        self._workflows, self._digests = {}, {}
        self._lock = threading.Lock()

    # -- requests ---------------------------------------------------------------------------
    def workflow(self, workflow_iri):
        """Return ``(graph, spec)`` of a workflow version offered for runs.

        Raises
        ------
        NotFound
            If there is no such workflow.
        BadRequest
            If the version failed its tests (it is catalogued but not offered).
        """
        mark = self.store.write_mark(workflow_iri)
        cached = self._workflows.get(str(workflow_iri))
        if cached is not None and cached[0] == mark:
            graph, spec = cached[1]
        else:  # read and parse the record once per version of it
            from .describe import spec_from_graph  # the notebook machinery loads with the first run

            graph = self.store.get(workflow_iri)
            spec = spec_from_graph(graph, URIRef(workflow_iri))
            self._workflows[str(workflow_iri)] = (mark, (graph, spec))
        if str(graph.value(URIRef(workflow_iri), SW.testStatus) or "") == "failed":
            raise Conflict(f"<{workflow_iri}> failed its test notebooks, so it is not offered for runs; "
                           "see its page for the test log.", title="Workflow not offered")
        return graph, spec

    def key(self, workflow_iri, checked):
        """Return the cache key of a run of ``workflow_iri`` with checked values.

        It covers the version's commit, the digest of its notebook and repository files, the
        parameter values, the input-data version and the versions of the key packages now
        installed (`runners.environment.package_versions`), so that a change of any of them
        never serves an old product as new.

        Raises
        ------
        NotFound
            If there is no such workflow.
        """
        graph, _ = self.workflow(workflow_iri)
        commit = graph.value(URIRef(workflow_iri), SW.commit)
        return cache_key(workflow_iri, str(commit) if commit else None, checked, self.data_version,
                         code=self._code_digest(workflow_iri, graph), packages=package_versions())

    def _code_digest(self, workflow_iri, graph):
        """Digest of a version's notebook and repository files, computed once per version (snapshots never change)."""
        digest = self._digests.get(str(workflow_iri))
        if digest is None:
            notebook = str(graph.value(URIRef(workflow_iri), SW.notebook))
            try:
                digest = code_digest(code_root(self.data_dir, notebook), self.data_dir / notebook)
            except OSError:  # the snapshot is gone: the run will fail and say so
                digest = "missing"
            self._digests[str(workflow_iri)] = digest
        return digest

    def submit(self, workflow_iri, values, user="anonymous", informed_by=None, plan=None, fresh=False,
               client=None):
        """Request a run of a workflow version.

        Parameters
        ----------
        workflow_iri : str
        values : dict of str to object
            Raw values (strings from a form or the CLI, or JSON values), by parameter name.
        user : str
            Who asks.
        informed_by, plan : str or None
            The alert and the follow-up rule that requested the run (recorded in its provenance).
        fresh : bool
            Run even if a completed run with the same cache key exists (``skyweave verify``).
        client : str or None
            Who to count the request against in the queue bounds (an address, a token role).

        Returns
        -------
        Submission
            With the abort key when this request queued a new run.

        Raises
        ------
        runners.params.ParameterErrors
            If any value is bad (every bad parameter is listed); nothing is queued.
        skyweave.catalog.exceptions.NotConfigured
            If a resource the workflow requires is not available on this server; nothing is queued.
        NotFound, BadRequest
            See `workflow`.
        TooManyRequests, StorageFull
            If the client or the queue is at its bound, or the result store at its quota
            (`runners.limits.RunLimits.admit`); nothing is queued.
        """
        from .params import check_values

        graph, spec = self.workflow(workflow_iri)
        checked = check_values(spec, values, resolve_target=self.resolve_target)
        bindings = resource_environment(spec, self.env)  # a missing required resource stops here
        for param in spec.parameters:  # an uploaded file reaches a POSIXPath parameter as a path
            local = stored_path(self.base, self.data_dir, checked.get(param.name)) if param.kind == "file" else None
            if local is not None:
                checked[param.name] = str(local)
        key = self.key(workflow_iri, checked)
        with self._lock:
            if key in self._by_key and not fresh:
                run_iri = self._by_key[key]
                return Submission(run_iri, self._jobs[run_iri].phase, shared=True)
            cached = None if fresh else self._cached(key)
            if cached is not None:
                return Submission(cached, "COMPLETED", cached=True)
            if self._closing:
                raise Conflict("The service is stopping; request the run again in a moment.")
            self.limits.admit(client, [j.client for j in self._jobs.values() if not j.done.is_set()])
            run_iri = f"{self.base}runs/{uuid.uuid4().hex[:12]}"
            abort_key, digest = new_abort_key()
            job = self._job(run_iri, workflow_iri, graph, spec, checked, key, user, bindings, client, digest)
            job.informed_by, job.plan = informed_by, plan
        try:
            self._write(job, "QUEUED")
        except BaseException:
            with self._lock:
                self._jobs.pop(run_iri, None)
                self._by_key.pop(key, None)
            job.done.set()
            raise
        self._start(job)
        return Submission(run_iri, "QUEUED", abort_key=abort_key)

    def _cached(self, key):
        """Return the completed run with cache key ``key`` whose data files are all unchanged, or None.

        A run records the SHA-256 of each data file it read (`runners.provenance.DataFile`); one of
        them changed or gone means its products may differ now, so that run is not served.
        """
        rows = self.store.select(
            "PREFIX sw: <https://skyweave.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#> "
            "PREFIX schema: <https://schema.org/> SELECT ?run ?name ?sha WHERE "
            "{ ?run a sw:Run ; sw:cacheKey $key ; sw:phase \"COMPLETED\" "
            "OPTIONAL { ?run prov:used ?file . ?file schema:sha256 ?sha ; schema:name ?name } }", key=Literal(key))
        runs = {}
        for row in rows:
            files = runs.setdefault(str(row["run"]), {})
            if row.get("name") is not None:
                files[str(row["name"])] = str(row["sha"])
        return next((run for run, files in runs.items() if self.data_check.unchanged(files)), None)

    def _job(self, run_iri, workflow_iri, graph, spec, checked, key, user, bindings=None, client=None, digest=None):
        """Register a job (call with the lock held)."""
        from .spec import output_units  # spec loads astropy: with the first run, not at start

        relative = str(graph.value(URIRef(workflow_iri), SW.notebook))
        request = RunRequest(run_iri, str(workflow_iri), str(self.data_dir / relative), checked,
                             tuple(o.name for o in spec.outputs), self.timeout_s, {**self.env, **(bindings or {})},
                             str(code_root(self.data_dir, relative)), output_units(spec.outputs))
        job = _Job(request, key, spec, user, spec.title, client=client, abort_digest=digest)
        self._jobs[run_iri] = job
        self._by_key[key] = run_iri
        return job

    def _start(self, job):
        future = self.executor.submit(job.request, progress=lambda d, t: self._progress(job, d, t), abort=job.abort)
        job.future = future
        future.add_done_callback(lambda f: self._finish(job, f))

    def _progress(self, job, done, total):
        job.progress = (done, total)
        if job.phase == "QUEUED":
            job.started = now()
            self._write(job, "EXECUTING", started=job.started)  # the job says EXECUTING once its record does

    def _finish(self, job, future):
        with self._lock:
            if job.filed:  # an abort that the executor did not answer in time filed it already
                return
            job.filed = True
        if job.stopping == "shutdown" and future.cancelled():
            # Never started: it stays QUEUED in the store and is queued again at the next start.
            with self._lock:
                self._by_key.pop(job.key, None)
            job.done.set()
            return
        try:
            result = future.result()
        except BaseException as exc:  # the executor itself failed: the run is an ERROR, never lost
            from .executors import failed_result

            result = failed_result(f"{exc.__class__.__name__}: {exc}")
        if job.stopping == "shutdown":
            result.status = "ERROR"
            result.error = "The service stopped while this run was executing; request it again."
        elif job.abort.is_set():
            result.status, result.error = "ABORTED", result.error or "The run was aborted."
        try:
            outputs = {o.name: o for o in job.spec.outputs}
            records, notebook_url = result_records(self.base, job.request.run_iri, result, outputs,
                                                   self.data_dir, job.title)
            data = data_used(self.store, self.base, result.environment.get("data_files"))
            self._write(job, result.status, started=job.started or result.started_at, ended=result.ended_at,
                        log=result.log, error=result.error, values=result.values, notebook_url=notebook_url,
                        units=result.units, environment=result.environment, data=data)
            stored, rejected = self.store.put_many(records)
            self.limits.note_stored(sum(len(f.data) for f in result.files))
            for iri, report in rejected:
                log.error("result %s rejected: %s", iri, report.text())
        except Exception:
            log.exception("could not file the results of %s", job.request.run_iri)
            result.status = "ERROR"
            self._write(job, "ERROR", ended=now(), error="The results could not be filed; see the service log.")
        finally:
            with self._lock:
                job.phase = result.status
                self._by_key.pop(job.key, None)
            job.done.set()

    def _write(self, job, phase, **kwargs):
        """Store the run record in ``phase``; the job shows a final phase only once its results are filed."""
        params = job.spec.parameters
        graph = run_graph(job.request.run_iri, job.request.workflow_iri, phase, job.request.parameters, job.user,
                          self.executor.name, cache_key=job.key, label=f"{job.title}: run {job.request.run_iri[-12:]}",
                          version=__version__, informed_by=job.informed_by, plan=job.plan,
                          parameter_units={p.name: UNITS[p.unit] for p in params if p.unit in UNITS},
                          unit_codes={o.name: str(o.unit) for o in job.spec.outputs if o.unit is not None},
                          time_parameters={p.name for p in params if p.kind == "time" and p.format != "mjd"}, **kwargs)
        if job.abort_digest:  # the key's hash, never the key: aborting still works after a restart
            graph.add((URIRef(job.request.run_iri), SW.abortKeyDigest, Literal(job.abort_digest)))
        self.store.put(job.request.run_iri, graph)
        if phase not in FINAL_PHASES:
            job.phase = phase

    # -- control ----------------------------------------------------------------------------
    def may_abort(self, run_iri, key):
        """Return True if ``key`` is the abort key given to the submitter of run ``run_iri``.

        The key's SHA-256 is kept with the run (``sw:abortKeyDigest``), so this holds after a restart.
        """
        if not key:
            return False
        job = self._jobs.get(str(run_iri))
        digest = job.abort_digest if job is not None else None
        if digest is None:
            rows = self.store.select("PREFIX sw: <https://skyweave.org/ns#> "
                                     "SELECT ?digest WHERE { $run sw:abortKeyDigest ?digest } LIMIT 1",
                                     run=URIRef(str(run_iri)))
            digest = str(rows[0]["digest"]) if rows else None
        return abort_key_matches(key, digest)

    def abort(self, run_iri, key=None, privileged=False):
        """Abort a run that is queued or executing; return its phase afterwards (always a final one
        for a run under way here).

        A queued run is taken off the queue; an executing one is stopped (its kernel killed). If
        the executor has not stopped it after ``abort_wait_s``, it is filed ABORTED anyway and
        whatever it returns later is dropped.

        Parameters
        ----------
        run_iri : str
        key : str or None
            The run's abort key (`Submission.abort_key`).
        privileged : bool
            True when the caller holds an editor (or higher) token: no key needed.

        Raises
        ------
        Forbidden
            If neither ``privileged`` nor a matching ``key`` is given.
        NotFound
            If the run is unknown.
        """
        if not privileged and not self.may_abort(run_iri, key):
            raise Forbidden("Aborting a run needs an editor token or the run's abort key, which only its "
                            "submitter received.")
        job = self._jobs.get(str(run_iri))
        if job is None:
            return self.phase(run_iri)
        if job.phase not in FINAL_PHASES:
            job.abort.set()
            if job.future is not None:
                job.future.cancel()  # a run still queued never starts (and is filed at once)
            if not job.done.wait(self.abort_wait_s):
                self._file_aborted(job)
        return job.phase

    def _file_aborted(self, job):
        """File a run ABORTED when its executor did not stop it in time."""
        with self._lock:
            if job.filed:
                return
            job.filed = True
        log.warning("run %s did not stop within %g s of its abort; filed as ABORTED", job.request.run_iri,
                    self.abort_wait_s)
        try:
            self._write(job, "ABORTED", started=job.started, ended=now(),
                        error="The run was aborted (its worker did not stop in time and was abandoned).")
        finally:
            with self._lock:
                job.phase = "ABORTED"
                self._by_key.pop(job.key, None)
            job.done.set()

    def phase(self, run_iri):
        """Return the phase of a run (live for runs under way, else from the store).

        Raises
        ------
        NotFound
            If there is no such run.
        """
        job = self._jobs.get(str(run_iri))
        if job is not None:
            return job.phase
        graph = self.store.get(run_iri)
        return str(graph.value(URIRef(run_iri), SW.phase))

    def progress(self, run_iri):
        """Return ``(cells_done, cells_total)`` of a run under way, or None."""
        job = self._jobs.get(str(run_iri))
        return job.progress if job is not None and job.phase not in FINAL_PHASES else None

    def wait(self, run_iri, timeout_s=None):
        """Wait until a run started here ends; return its phase."""
        job = self._jobs.get(str(run_iri))
        if job is not None:
            job.done.wait(timeout_s)
        return self.phase(run_iri)

    def running(self):
        """Return the IRIs of the runs queued or executing in this process."""
        return [iri for iri, job in list(self._jobs.items()) if not job.done.is_set()]

    def recover(self):
        """After a restart: runs left EXECUTING are marked ERROR, QUEUED ones are queued again.

        Returns
        -------
        (int, int)
            Numbers of runs marked ERROR and re-queued.
        """
        rows = self.store.select(
            "PREFIX sw: <https://skyweave.org/ns#> PREFIX prov: <http://www.w3.org/ns/prov#> "
            "SELECT ?run ?phase WHERE { ?run a sw:Run ; sw:phase ?phase FILTER(?phase IN (\"QUEUED\", \"EXECUTING\")) }")
        errored = requeued = 0
        for row in rows:
            run_iri = str(row["run"])
            if run_iri in self._jobs:
                continue
            graph = self.store.get(run_iri)
            if str(row["phase"]) == "EXECUTING":
                graph.set((URIRef(run_iri), SW.phase, Literal("ERROR")))
                graph.set((URIRef(run_iri), SW.error, Literal("The worker running this job stopped (service restart).")))
                graph.set((URIRef(run_iri), PROV.endedAtTime, xsd_time(now())))
                self.store.put(run_iri, graph)
                errored += 1
            else:
                try:
                    self._requeue(run_iri, graph)
                    requeued += 1
                except Exception:
                    log.exception("could not queue %s again", run_iri)
        return errored, requeued

    def _requeue(self, run_iri, graph):
        """Queue a stored QUEUED run again under the same IRI."""
        run = URIRef(run_iri)
        workflow_iri = str(workflow_of(graph, run))
        user = next((str(graph.value(a, SDO.name)) for a in graph.objects(run, PROV.wasAssociatedWith)
                     if (a, RDF.type, PROV.Person) in graph), "anonymous")
        values = {str(graph.value(pv, SW.parameter)).rsplit("#param-", 1)[-1]: graph.value(pv, SDO.value).toPython()
                  for pv in graph.objects(run, SW.parameterValue)}
        from .params import check_values

        wgraph, spec = self.workflow(workflow_iri)
        checked = check_values(spec, values, resolve_target=self.resolve_target)
        with self._lock:
            digest = graph.value(run, SW.abortKeyDigest)
            job = self._job(run_iri, workflow_iri, wgraph, spec, checked, str(graph.value(run, SW.cacheKey)), user,
                            digest=str(digest) if digest is not None else None)
            job.informed_by, job.plan = graph.value(run, PROV.wasInformedBy), graph.value(run, PROV.wasInfluencedBy)
        self._start(job)

    def close(self):
        """Stop gracefully (on SIGTERM or exit): accept no more runs; queued runs stay QUEUED in the
        store (queued again at the next start, see `recover`); executing runs are stopped and filed
        as ERROR saying the service stopped; then the executor stops.

        Returns
        -------
        (int, int)
            Numbers of runs left queued and of executing runs stopped.
        """
        self._closing = True
        pending = [job for job in list(self._jobs.values()) if not job.done.is_set()]
        queued = executing = 0
        for job in pending:
            job.stopping = "shutdown"
            if job.future is not None and job.future.cancel():
                queued += 1
        for job in pending:
            if not job.done.is_set():
                executing += 1
                job.abort.set()
        for job in pending:
            if not job.done.wait(10):
                with self._lock:
                    abandoned = not job.filed
                    job.filed = True
                if abandoned:
                    self._write(job, "ERROR", started=job.started, ended=now(),
                                error="The service stopped while this run was executing; request it again.")
        self.executor.close()
        if pending:
            log.warning("stopped: %d queued runs left QUEUED, %d executing runs filed as ERROR", queued, executing)
        return queued, executing

