"""The record store: one named graph per record, SHACL-validated writes, kept versions.

Two backends share this logic: `EmbeddedStore` (pyoxigraph, on disk or in memory; the default)
and `catalog.remote.RemoteStore` (any SPARQL 1.1 server through the SPARQL 1.1 Protocol, Update
and Graph Store HTTP Protocol). A backend supplies four primitives: ``_run_query`` (a query over the
union of the named graphs), ``_update`` (one atomic SPARQL Update request), ``_graph`` (one named
graph) and ``_quads`` (everything, for dumps).

Every write is one SPARQL Update request (drop the record's graph, insert its new content, insert
the version entity holding the earlier content), so it commits whole or not at all.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rdflib import Graph, URIRef

from . import validate as shacl
from .terms import nt_text
from .dataset import declared_dataset
from .content import check_record
from .fairshare import ClientShare
from .exceptions import BadRequest, CatalogError, NotFound, QueryTimeout, ValidationFailed
from .sparqlscan import check_query
from .oxquery import run_oxigraph_query, to_rdflib
from .vocab import PROV, RDF, SW, XSD

__all__ = ["Store", "EmbeddedStore", "WriteResult", "Version", "ONTOLOGY_GRAPH"]

ONTOLOGY_GRAPH = URIRef(str(SW._NS).rstrip("#"))
"""Named graph holding our vocabulary and concept schemes (loaded by `Store.install_ontology`)."""


@dataclass(frozen=True)
class WriteResult:
    """What a successful write did.

    Attributes
    ----------
    iri : str
        The record's IRI (and named graph).
    created : bool
        True if the record did not exist before.
    version : int or None
        Number of the version entity that now holds the earlier content, or None on creation.
    triples : int
        Number of triples stored for the record.
    """

    iri: str
    created: bool
    version: int | None
    triples: int


@dataclass(frozen=True)
class Version:
    """An earlier version of a record (``sw:RecordVersion``).

    Attributes
    ----------
    iri : str
        ``{record}/versions/{number}``.
    number : int
    invalidated : datetime
        When it was replaced (UTC).
    """

    iri: str
    number: int
    invalidated: datetime


def version_iri(iri, number):
    """Return the IRI of version ``number`` of record ``iri``: ``{iri}/versions/{number}``."""
    return URIRef(f"{iri}/versions/{number}")


def _nt(graph):
    """Serialise ``graph`` as N-Triples text (valid inside SPARQL ``INSERT DATA``)."""
    return graph.serialize(format="nt", encoding="utf-8").decode("utf-8")


def _now():
    return datetime.now(timezone.utc).replace(microsecond=0)


class Store:
    """A catalog of records, one named graph each, validated on write (abstract base).

    Parameters
    ----------
    timeout_s : float
        Time limit of one query, in seconds (setting ``SPARQL_TIMEOUT_S``).
    max_rows : int
        Largest number of solutions or triples a query may return (``SPARQL_MAX_ROWS``).
    workers : int
        How many queries may run at once (``SPARQL_WORKERS``).
    base_iri : str or None
        The catalog's ``BASE_IRI``: no record may make statements about other IRIs under it
        (see `skyweave.catalog.content.check_ownership`).
    max_literal_bytes : int or None
        Largest literal a write may hold (``MAX_LITERAL_BYTES``).
    trusted_services : iterable of str
        Endpoints a query may call with ``SERVICE`` (``SPARQL_TRUSTED_SERVICES``; none by default).
    client_slots : int or None
        Most queries one client may have running (``SPARQL_CLIENT_SLOTS``); default half the workers.
    """

    def __init__(self, timeout_s=10.0, max_rows=10000, workers=4, base_iri=None, max_literal_bytes=None,
                 trusted_services=(), client_slots=None):
        self.base_iri, self.max_literal_bytes = base_iri, max_literal_bytes
        self.trusted_services = frozenset(trusted_services or ())
        self.timeout_s = float(timeout_s)
        self.max_rows = int(max_rows)
        self._workers = max(1, int(workers))
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="sparql")
        self._slots = threading.BoundedSemaphore(self._workers)
        self._share = ClientShare(client_slots or max(1, self._workers // 2))
        self._write_lock = threading.Lock()
        self._marks = {}
        self._next_mark = 0
        self._marks_lock = threading.Lock()
        self.index = None  # a skyweave.catalog.indexes.CatalogIndex kept in step with writes, if any
        self.query_workers = None  # a skyweave.catalog.query_workers.QueryWorkers answering query(), if any

    def _journal(self, iris):
        """Tell the side index which records are about to be written (before the store changes)."""
        if self.index is not None:
            self.index.begin(iris)

    def _mark(self, iris, content=None, new=()):
        """Record that the records ``iris`` were written (see `write_mark`) and refresh the side index.

        ``content`` (dict of IRI to plain triples), when given, is what was written: the side index
        takes its rows from it instead of reading the records back; ``new`` names those of them that
        did not exist before.
        """
        iris = list(iris)
        if self.index is not None:
            if content is None:
                self.index.refresh(self, iris)
            else:
                from .indexes.extract import triple_pairs

                self.index.write({iri: triple_pairs(iri, content[iri]) for iri in iris}, new=new)
        with self._marks_lock:
            for iri in iris:
                self._next_mark += 1
                self._marks[str(iri)] = self._next_mark

    def write_mark(self, iri):
        """Return a number that changes whenever this process writes record ``iri`` (0 if never).

        Lets callers keep what they derived from a record until it is rewritten. Writes made by
        other processes to a shared remote store are not seen.
        """
        return self._marks.get(str(iri), 0)

    # -- backend primitives -------------------------------------------------------------
    def _run_query(self, text, deadline, max_rows, select_format=None, dataset=None, base_iri=None):  # pragma: no cover
        raise NotImplementedError

    def _update(self, text):  # pragma: no cover - abstract
        raise NotImplementedError

    def _graph(self, iri):  # pragma: no cover - abstract
        raise NotImplementedError

    def _nt_lines(self, iri):
        """Return the triples of record ``iri``'s graph as N-Triples lines (``"<s> <p> o ."``)."""
        graph = self._graph(iri)
        return [] if graph is None else [line for line in _nt(graph).splitlines() if line.strip()]

    def _quads(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self):
        """Release the query threads (and the backend's resources)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- reading ------------------------------------------------------------------------
    def query(self, text, timeout_s=None, max_rows=None, select_format=None, dataset=None, base_iri=None,
              client=None, graph_format=None, prefixes=None):
        """Run a read-only SPARQL 1.1 query over the union of the current records, or the graphs it names.

        Parameters
        ----------
        text : str
            The query (SELECT, ASK, CONSTRUCT or DESCRIBE).
        timeout_s : float or None
            Time limit in seconds; default the store's.
        max_rows : int or None
            Row (or triple) limit; default the store's.
        select_format : str or None
            For the SPARQL endpoint: the results format (``json``, ``xml``, ``csv``, ``tsv``) a
            SELECT should come in. A backend that can serialise natively then returns a
            `SerializedSelect` (and CONSTRUCT/DESCRIBE a `RawGraphResult`), skipping the
            conversion of every term to rdflib.
        dataset : skyweave.catalog.dataset.Dataset or None
            The graphs to query (the SPARQL Protocol's ``default-graph-uri`` and ``named-graph-uri``);
            None: the query's own ``FROM`` / ``FROM NAMED`` clauses if it has any, else the union of
            the records as default graph and every record as a named graph.
        base_iri : str or None
            Base IRI against which relative IRIs in the query resolve.
        client : str or None
            Who asks (the endpoint gives the client's address): one client may run at most its
            share of the query slots (`skyweave.catalog.fairshare.ClientShare`).
        graph_format, prefixes : str or None, dict or None
            With ``select_format``, for the endpoint: the RDF format (``ttl``, ``jsonld``, ``nt``,
            ``rdf``) and Turtle/JSON-LD prefixes a CONSTRUCT or DESCRIBE result is wanted in. The
            query worker processes then send back its bytes (`SerializedGraph`); other paths
            ignore them.

        Returns
        -------
        SelectResult, SerializedSelect, AskResult, GraphResult, RawGraphResult or SerializedGraph

        Raises
        ------
        BadRequest
            If the query does not parse (the parser's message is kept), is an update, or returns
            more than ``max_rows`` rows; if it uses ``SERVICE`` with an endpoint not in
            ``trusted_services`` (`skyweave.catalog.sparqlscan.check_query`): nothing is ever fetched.
        QueryTimeout
            If it runs longer than ``timeout_s``. The server keeps answering other clients.
        TooManyRequests
            If ``client`` already runs its share of the query slots.

        References
        ----------
        .. [1] SPARQL 1.1 Query Language, https://www.w3.org/TR/sparql11-query/
        .. [2] SPARQL 1.1 Protocol §2.1.4, https://www.w3.org/TR/sparql11-protocol/#dataset
        """
        if dataset is None:
            dataset = declared_dataset(text, base_iri)
        timeout_s = self.timeout_s if timeout_s is None else float(timeout_s)
        max_rows = self.max_rows if max_rows is None else int(max_rows)
        deadline = time.monotonic() + timeout_s
        check_query(text, self.trusted_services)  # SERVICE: refused unless trusted; nothing is fetched
        self._share.enter(client)
        if self.query_workers is not None:  # in a process that is killed at the time limit
            try:
                return self.query_workers.run(text, timeout_s, max_rows, select_format, dataset, base_iri,
                                              graph_format if select_format else None, prefixes)
            finally:
                self._share.leave(client)
        if not self._slots.acquire(timeout=timeout_s):
            self._share.leave(client)
            raise QueryTimeout(
                f"All {self._workers} query slots stayed busy for {timeout_s:g} s; try again shortly."
            )
        try:
            future = self._pool.submit(self._run_query, text, deadline, max_rows, select_format, dataset, base_iri)
        except BaseException:
            self._slots.release()
            self._share.leave(client)
            raise

        def release(_):
            self._slots.release()
            self._share.leave(client)

        future.add_done_callback(release)
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()) + 0.05)
        except FutureTimeout:
            # Streaming queries stop at their next row; a query that must finish one big step
            # (an aggregate, a sort) holds its slot until that step ends.
            raise QueryTimeout(
                f"The query ran longer than its time limit of {timeout_s:g} s and was stopped. "
                "Narrow it (a LIMIT, a more selective pattern) and try again."
            ) from None

    def select(self, text, **bindings):
        """Run a SELECT query written by the catalog itself (in the calling thread, without the endpoint's
        time and row limits) and return its rows as dicts.

        Parameters
        ----------
        text : str
            The query; ``$name`` placeholders are replaced by ``bindings`` rendered in N3.
        **bindings : rdflib term
            Values for the placeholders (IRIs, literals).

        Returns
        -------
        list of dict of str to rdflib term
        """
        for name, value in bindings.items():
            text = text.replace(f"${name}", value.n3())
        return self._run_query(text, time.monotonic() + 3600, 10**9).dicts()

    def ask(self, text, graphs=None):
        """Run an ASK query written by the catalog itself, in the calling thread (no query workers, no
        endpoint limits), over the union of the records or over the named graphs ``graphs`` only.

        Parameters
        ----------
        text : str
        graphs : iterable of str or None
            Records whose graphs make the default graph (e.g. one alert's own record); None: all.

        Returns
        -------
        bool

        Raises
        ------
        BadRequest
            If the query does not parse or is not an ASK.
        """
        from .dataset import Dataset
        from .results import AskResult

        dataset = None if graphs is None else Dataset(default=tuple(str(g) for g in graphs), named=())
        result = self._run_query(text, time.monotonic() + 60, 1, dataset=dataset)
        if not isinstance(result, AskResult):
            raise BadRequest("Store.ask takes an ASK query.")
        return bool(result.value)

    def get(self, iri):
        """Return the current graph of record ``iri``.

        Parameters
        ----------
        iri : str or rdflib.URIRef

        Returns
        -------
        rdflib.Graph

        Raises
        ------
        NotFound
            If no record has that IRI.
        """
        graph = self._graph(URIRef(iri))
        if graph is None or len(graph) == 0:
            raise NotFound(f"No record <{iri}> in the catalog.")
        return graph

    def exists(self, iri):
        """Return True if record ``iri`` exists."""
        return bool(self._run_query(f"ASK {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}", time.monotonic() + 60, 1).value)

    def versions(self, iri):
        """List the earlier versions of record ``iri``, newest first.

        Returns
        -------
        list of Version
        """
        rows = self.select(
            "PREFIX prov: <http://www.w3.org/ns/prov#> SELECT ?v ?t WHERE "
            "{ ?v prov:specializationOf $iri ; prov:invalidatedAtTime ?t }",
            iri=URIRef(iri),
        )
        out = [
            Version(str(r["v"]), int(str(r["v"]).rsplit("/", 1)[-1]), r["t"].toPython()) for r in rows
        ]
        return sorted(out, key=lambda v: -v.number)

    def version(self, iri, number):
        """Return the content of version ``number`` of record ``iri`` as a graph.

        Raises
        ------
        NotFound
            If there is no such version.
        """
        vgraph = self._graph(version_iri(iri, number))
        snapshot = vgraph.value(version_iri(iri, number), SW.snapshot) if vgraph else None
        if snapshot is None:
            raise NotFound(f"Record <{iri}> has no version {number}.")
        graph = Graph()
        graph.parse(data=str(snapshot), format="nt")
        return graph

    def types_of(self, iris):
        """Return a graph of ``?s rdf:type ?t`` for the given IRIs, as found in the store.

        Parameters
        ----------
        iris : iterable of rdflib.URIRef

        Returns
        -------
        rdflib.Graph
        """
        graph = Graph()
        iris = sorted(set(iris))
        for start in range(0, len(iris), 500):
            values = " ".join(i.n3() for i in iris[start:start + 500])
            rows = self.select(f"SELECT ?s ?t WHERE {{ VALUES ?s {{ {values} }} ?s a ?t }}")
            for row in rows:
                graph.add((row["s"], RDF.type, row["t"]))
        return graph

    def dump(self):
        """Return every quad of the store as sorted N-Quads lines (for comparisons in tests).

        Returns
        -------
        list of str
        """
        return sorted(self._quads())

    # -- writing ------------------------------------------------------------------------
    def check(self, iri, graph):
        """Validate one record against the shapes with the minimal context it references.

        Parameters
        ----------
        iri : str
            The record's IRI.
        graph : rdflib.Graph

        Returns
        -------
        catalog.validate.ValidationReport

        Raises
        ------
        BadRequest
            If the graph is empty or says nothing about ``iri``.
        """
        _require_description(iri, graph)
        return shacl.validate(graph, context=self.types_of(shacl.referenced_iris(graph)))

    def put(self, iri, graph, validate=True):
        """Create or replace record ``iri`` with ``graph``, keeping the earlier version.

        Parameters
        ----------
        iri : str or rdflib.URIRef
            The record's IRI; also the name of its graph.
        graph : rdflib.Graph
            The record's triples.
        validate : bool
            Check the shapes first (only the catalog's own loaders of pre-validated data skip it).

        Returns
        -------
        WriteResult

        Raises
        ------
        ValidationFailed
            If the record breaks a shape; the store is unchanged.
        BadRequest
            If the graph is empty or does not describe ``iri``.
        InvalidContent, PayloadTooLarge
            If it describes resources it does not own, holds characters that cannot be served in
            every format, or a literal over ``max_literal_bytes``
            (`skyweave.catalog.content.check_record`; checked even when ``validate`` is False).
        """
        iri = URIRef(iri)
        _require_description(iri, graph)
        check_record(iri, graph, self.max_literal_bytes, self.base_iri)
        if validate:
            report = self.check(iri, graph)
            if not report.conforms:
                raise ValidationFailed(report, record=str(iri))
        with self._write_lock:
            versioned = self._version_of(iri)
            version = None
            content = Graph()
            content += graph
            parts = [f"DROP SILENT GRAPH <{iri}>"]
            if versioned is not None:
                version, vtriples = versioned
                content.add((iri, PROV.wasRevisionOf, version_iri(iri, version)))
                parts.append(f"INSERT DATA {{ GRAPH <{version_iri(iri, version)}> {{ {nt_text(vtriples)} }} }}")
            parts.append(f"INSERT DATA {{ GRAPH <{iri}> {{ {_nt(content)} }} }}")
            self._journal([iri])
            self._update(" ;\n".join(parts))
            self._mark([iri])
        return WriteResult(str(iri), created=version is None, version=version, triples=len(content))

    def delete(self, iri):
        """Remove record ``iri`` from the current catalog, keeping its content as a version.

        Returns
        -------
        int
            The number of the version that now holds the removed content.

        Raises
        ------
        NotFound
            If there is no such record.
        """
        iri = URIRef(iri)
        with self._write_lock:
            versioned = self._version_of(iri)
            if versioned is None:
                raise NotFound(f"No record <{iri}> in the catalog.")
            version, vtriples = versioned
            self._journal([iri])
            self._update(
                f"DROP GRAPH <{iri}> ;\n"
                f"INSERT DATA {{ GRAPH <{version_iri(iri, version)}> {{ {nt_text(vtriples)} }} }}"
            )
            self._mark([iri])
        return version

    def _version_of(self, iri):
        """Build the version entity that keeps the current content of record ``iri`` (about to be
        replaced or removed), as plain triples (`skyweave.catalog.terms`).

        The entity is a ``sw:RecordVersion`` and ``prov:Entity``, ``prov:specializationOf`` the
        record, ``prov:invalidatedAtTime`` now, ``prov:wasRevisionOf`` the version before it, with
        the record's N-Triples lines, sorted, as its ``sw:snapshot``. Read straight from the store,
        without an rdflib graph: events that gather alerts are replaced batch after batch.

        Returns
        -------
        (int, list of (Iri, Iri, term)) or None
            The version's number and triples; None when the record has no triples.
        """
        from .terms import Iri, string, typed

        lines = self._nt_lines(iri)
        if not lines:
            return None
        start = f"<{iri}> <{PROV.wasRevisionOf}> <{iri}/versions/"
        previous = [int(n) for n in (line[len(start):].split(">", 1)[0] for line in lines if line.startswith(start))
                    if n.isdigit()]
        number = max(previous, default=0) + 1
        v = Iri(version_iri(iri, number))
        out = [(v, Iri(RDF.type), Iri(SW.RecordVersion)), (v, Iri(RDF.type), Iri(PROV.Entity)),
               (v, Iri(PROV.specializationOf), Iri(iri)),
               (v, Iri(PROV.invalidatedAtTime), typed(_now().isoformat().replace("+00:00", "Z"), str(XSD.dateTime)))]
        if previous:
            out.append((v, Iri(PROV.wasRevisionOf), Iri(version_iri(iri, max(previous)))))
        out.append((v, Iri(SW.snapshot), string("".join(line + "\n" for line in sorted(lines)))))
        return number, out

    def put_many(self, records, validate=True, batch_size=400, progress=None, validator=None):
        """Store many records, validating them in batches; records that break a shape are skipped.

        Only new records may be loaded this way (existing IRIs are replaced without keeping a
        version, as a fresh load). Each batch commits in one update.

        Parameters
        ----------
        records : iterable of (rdflib.URIRef, rdflib.Graph)
        validate : bool
        batch_size : int
            Records validated and written together.
        progress : callable or None
            Called with the number of records handled after each batch.
        validator : callable or None
            ``validate_many(records, context=...)`` to use instead of pySHACL's
            (`skyweave.catalog.validate.validate_many`), e.g. `skyweave.catalog.fastcheck.validate_many`.

        Returns
        -------
        stored : list of str
            IRIs stored.
        rejected : list of (str, catalog.validate.ValidationReport)
            IRIs rejected with the results that concern them.
        """
        stored, rejected = [], []
        batch = []

        def flush():
            if not batch:
                return
            good = batch
            if validate:
                good, bad = self._check_batch(batch, validator or shacl.validate_many)
                rejected.extend(bad)
            if good:
                text = " ;\n".join(
                    f"DROP SILENT GRAPH <{iri}> ;\nINSERT DATA {{ GRAPH <{iri}> {{ {_nt(g)} }} }}"
                    for iri, g in good
                )
                self._journal(iri for iri, _ in good)
                self._update(text)
                self._mark(iri for iri, _ in good)
                stored.extend(str(iri) for iri, _ in good)
            if progress:
                progress(len(batch))
            batch.clear()

        for iri, graph in records:
            try:
                check_record(iri, graph, self.max_literal_bytes, self.base_iri)
            except CatalogError as exc:
                rejected.append((str(iri), _refusal(iri, exc)))
                continue
            batch.append((URIRef(iri), graph))
            if len(batch) >= batch_size:
                flush()
        flush()
        return stored, rejected

    def put_triples(self, records, validator=None):
        """Create or replace records given as plain triples (`skyweave.catalog.terms`), all in one update.

        The batch write path of the alert intake: no rdflib graph is built for a record that passes.
        As `put`, a record that exists already is replaced and its earlier content kept as a version
        (``prov:wasRevisionOf``); as `put_many`, records that break a shape or a content check are
        left out and returned. The records kept are written by one SPARQL Update request, so they
        are stored whole or not at all; the side index takes their rows from the triples given, once
        for the batch (no read back).

        Parameters
        ----------
        records : list of (str, list of (Iri, Iri, term))
            Each record's IRI and triples; no two with the same IRI.
        validator : callable or None
            ``validator(records, context) -> dict of str to ValidationReport`` (e.g.
            `skyweave.catalog.fastcheck.validate_triples`), with ``context`` the plain ``rdf:type``
            triples of the IRIs the batch references and does not describe; None stores records as
            given (only the catalog's own builders of checked data may skip it).

        Returns
        -------
        stored : list of WriteResult
        rejected : list of (str, catalog.validate.ValidationReport)

        Raises
        ------
        ValueError
            If two records have the same IRI.
        Exception
            Whatever the backend raises when it cannot write; then nothing of the batch is stored.
        """
        from .terms import check_content, from_rdflib, referenced

        iris = [str(iri) for iri, _ in records]
        if len(set(iris)) != len(iris):
            raise ValueError("Two records of the batch have the same IRI.")
        rejected, good = [], []
        for iri, triples in records:
            try:
                if not any(s == iri for s, _, _ in triples):
                    raise BadRequest(f"The graph says nothing about <{iri}>: its triples must describe that IRI.")
                check_content(iri, triples, self.max_literal_bytes, self.base_iri)
            except CatalogError as exc:
                rejected.append((str(iri), _refusal(iri, exc)))
                continue
            good.append((str(iri), triples))
        if validator is not None and good:
            wanted, described = set(), set()
            for _, triples in good:
                wanted |= referenced(triples)
                described.update(s for s, _, _ in triples)
            context = [tuple(map(from_rdflib, t)) for t in self.types_of(URIRef(i) for i in wanted - described)]
            reports = validator(good, context)
            rejected += [(iri, reports[iri]) for iri, _ in good if not reports[iri].conforms]
            good = [(iri, triples) for iri, triples in good if reports[iri].conforms]
        if not good:
            return [], rejected
        stored = []
        with self._write_lock:
            values = " ".join(f"<{iri}>" for iri, _ in good)
            existing = {str(r["g"]) for r in self.select(f"SELECT DISTINCT ?g WHERE {{ VALUES ?g {{ {values} }} "
                                                         "GRAPH ?g { ?g ?p ?o } }")}
            parts, inserts = [], []
            for iri, triples in good:
                body = nt_text(triples)  # its terms passed check_content above
                version = None
                if iri in existing:
                    version, vtriples = self._version_of(iri)
                    parts.append(f"DROP SILENT GRAPH <{iri}>")
                    parts.append(f"INSERT DATA {{ GRAPH <{version_iri(iri, version)}> {{ {nt_text(vtriples)} }} }}")
                    body += f"\n<{iri}> <{PROV.wasRevisionOf}> <{version_iri(iri, version)}> ."
                inserts.append(f"GRAPH <{iri}> {{\n{body}\n}}")
                stored.append(WriteResult(iri, created=version is None, version=version,
                                          triples=len(set(triples)) + (version is not None)))
            parts.append("INSERT DATA {\n" + "\n".join(inserts) + "\n}")
            self._journal([iri for iri, _ in good])
            self._update(" ;\n".join(parts))
            self._mark([iri for iri, _ in good], content=dict(good), new={iri for iri, _ in good} - existing)
        return stored, rejected

    def _check_batch(self, batch, validate_many):
        """Validate a batch in one SHACL run and split it into good and rejected records."""
        # What the batch references and does not describe itself (no merged copy of the batch needed).
        referenced, described = set(), set()
        for _, graph in batch:
            referenced |= shacl.referenced_iris(graph)
            described.update(graph.subjects())
        context = self.types_of(referenced - described)
        reports = validate_many(batch, context=context)
        good = [(i, g) for i, g in batch if reports[str(i)].conforms]
        bad = [(str(i), reports[str(i)]) for i, _ in batch if not reports[str(i)].conforms]
        return good, bad

    def install_ontology(self):
        """Load our vocabulary and concept schemes into their own named graph, replacing it.

        Returns
        -------
        int
            Number of triples in the ontology graph.
        """
        graph = shacl.ontology_graph()
        self._update(
            f"DROP SILENT GRAPH <{ONTOLOGY_GRAPH}> ;\n"
            f"INSERT DATA {{ GRAPH <{ONTOLOGY_GRAPH}> {{ {_nt(graph)} }} }}"
        )
        return len(graph)


def _require_description(iri, graph):
    """Raise `BadRequest` if ``graph`` is empty or says nothing about ``iri``."""
    if len(graph) == 0:
        raise BadRequest("The record is empty: there are no triples to store.")
    if (URIRef(iri), None, None) not in graph:
        raise BadRequest(f"The graph says nothing about <{iri}>: its triples must describe that IRI.")


def _refusal(iri, error):
    """A one-result `ValidationReport` for a record refused by a content check (for `Store.put_many`)."""
    result = shacl.ValidationResult(focus=str(iri), path=None, message=error.detail,
                                    component="https://skyweave.org/ns#ContentCheck", severity="Violation")
    return shacl.ValidationReport(conforms=False, results=[result], graph=Graph())


class EmbeddedStore(Store):
    """The default store: Oxigraph embedded through pyoxigraph, on disk or in memory.

    Parameters
    ----------
    path : str or pathlib.Path or None
        Folder of the on-disk store, created on first use; None keeps everything in memory.
    memory_mirror : bool
        Answer reads from an in-memory copy of the on-disk store (filled at start; about 350 bytes
        per triple), writing to both. Several times faster queries for the memory it costs.
    processes : int
        On disk: answer `query` (the endpoint's queries) in this many worker processes holding
        read-only handles, killed and replaced when a query passes its time limit
        (`skyweave.catalog.query_workers`); 0 answers them in threads of this process.
    index : bool
        Keep the side indexes (`skyweave.catalog.indexes`: list order, facets, sky pixels, full
        text) in step with every write: in a SQLite file beside the store folder, or in memory.
    **kwargs
        `Store` options.

    Raises
    ------
    OSError
        If the folder cannot be created or is held by another process.

    References
    ----------
    .. [1] Oxigraph, https://github.com/oxigraph/oxigraph (pyoxigraph API:
       https://pyoxigraph.readthedocs.io/)
    """

    def __init__(self, path=None, memory_mirror=False, index=True, processes=0, **kwargs):
        import pyoxigraph as ox

        super().__init__(**kwargs)
        self._ox_module = ox
        if path is None:
            self.ox = ox.Store()
        else:
            Path(path).mkdir(parents=True, exist_ok=True)
            self.ox = ox.Store(str(path))
        self.path = path
        self.reader = self.ox
        if memory_mirror and path is not None:
            # Reads from an in-memory copy run several times faster than from RocksDB; every
            # write goes to the disk first (the record of truth), then to the copy.
            self.reader = ox.Store()
            self.reader.bulk_extend(self.ox.quads_for_pattern(None, None, None, None))
        if index:
            self.open_index()
        if path is not None and processes:
            from .query_workers import QueryWorkers

            self.query_workers = QueryWorkers(path, processes)

    def open_index(self, progress=None):
        """Open the side index beside the store (`skyweave.catalog.indexes`), building or repairing it.

        A missing index, or one of an older schema, is rebuilt from the store's records; one left
        with journalled writes by a killed process re-reads those records.

        Parameters
        ----------
        progress : callable or None
            Called with the number of records indexed, during a rebuild.
        """
        from .indexes import CatalogIndex

        if self.index is not None:
            self.index.close()
        where = None if self.path is None else Path(self.path).with_name(Path(self.path).name + "-index.sqlite")
        self.index = CatalogIndex(where)
        if self.index.needs_rebuild:
            self.index.rebuild(self, progress=progress)
        else:
            self.index.recover(self)

    def bulk_load(self, data, progress=None):
        """Load N-Quads without validation or versions (a fresh catalog), then rebuild the side index.

        Parameters
        ----------
        data : bytes
            N-Quads, one named graph per record.
        progress : callable or None
            Called with the number of records indexed, during the rebuild.

        Returns
        -------
        int
            Number of records indexed.

        Raises
        ------
        SyntaxError
            If ``data`` does not parse.
        """
        ox = self._ox_module
        self.ox.bulk_load(input=data, format=ox.RdfFormat.N_QUADS)
        if self.query_workers is not None:
            self.query_workers.changed()
        if self.reader is not self.ox:
            self.reader.bulk_load(input=data, format=ox.RdfFormat.N_QUADS)
        if self.index is None:
            return 0
        return self.index.rebuild(self, progress=progress)

    def install_ontology(self):
        """Install the ontology graph (see `Store.install_ontology`) unless the on-disk store already holds it.

        The SHA-256 of the ontology files installed last is kept beside the store; when it matches
        and the graph is there, nothing is parsed or written (a start-up on an existing store).

        Returns
        -------
        int
            Number of triples in the ontology graph.
        """
        import hashlib

        if self.path is None:
            return super().install_ontology()
        digest = hashlib.sha256(b"".join(p.read_bytes() for p in shacl.ONTOLOGY_FILES)).hexdigest()
        mark = Path(self.path).with_name(Path(self.path).name + "-ontology.sha256")
        held = self.ox.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}")
        n = int(next(iter(held))[0].value)
        if n and mark.exists() and mark.read_text().split() == [digest, str(n)]:
            return n
        n = super().install_ontology()
        mark.write_text(f"{digest} {n}\n")
        return n

    def record_pairs(self, iris):
        """Return each record's own (predicate, object) pairs for the side index (see
        `skyweave.catalog.indexes.source.record_pairs`)."""
        from .indexes.source import record_pairs

        return record_pairs(self.reader, iris)

    def all_record_pairs(self):
        """Yield ``(iri, pairs)`` for every record (see `skyweave.catalog.indexes.source.all_record_pairs`)."""
        from .indexes.source import all_record_pairs

        return all_record_pairs(self.reader)

    def _run_query(self, text, deadline, max_rows, select_format=None, dataset=None, base_iri=None):
        return run_oxigraph_query(self.reader, text, deadline, max_rows, select_format, dataset, base_iri)

    def _update(self, text):
        self.ox.update(text)
        if self.query_workers is not None:
            self.query_workers.changed()  # before the write is acknowledged: no stale read after it
        if self.reader is not self.ox:
            self.reader.update(text)

    def _nt_lines(self, iri):
        node = self._ox_module.NamedNode(str(iri))
        return [f"{q.subject} {q.predicate} {q.object} ." for q in self.reader.quads_for_pattern(None, None, None, node)]

    def _graph(self, iri):
        ox = self._ox_module
        node = ox.NamedNode(str(iri))
        graph = Graph()
        for q in self.reader.quads_for_pattern(None, None, None, node):
            graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
        return graph if len(graph) else None

    def _quads(self):
        return [str(q) for q in self.reader.quads_for_pattern(None, None, None, None)]

    def count_triples(self):
        """Return the number of quads in the store (all graphs)."""
        return len(self.ox)

    def close(self):
        """Flush and release the store (and its on-disk lock), stopping its query worker processes."""
        super().close()
        if self.query_workers is not None:
            self.query_workers.close()
        if getattr(self, "ox", None) is None:
            return
        if self.index is not None:
            self.index.close()
            self.index = None
        if self.path is not None:
            self.ox.flush()
        self.ox = self.reader = None
