"""Benchmark of the live pipeline (not a test): freshness, where a cycle goes, the rate the loop keeps up with.

Runs an embedded broker on a free port, live generators for interactions, watch_events and
view_log (rate split 50/25/25), and `pulse run` as a subprocess, and samples the exports:

  (a) campaign minute report: wall time a minute's rows first appear, minus the
      minute's end + 10 s lateness                                           goal p95 <= 2 s
  (b) stream closing: wall time a stream is first seen closed, minus its last event + 60 s
                                                                             goal p95 <= 2 s
  (c) interaction aggregates: wall clock minus the newest interaction in the overview export,
      sampled every 0.25 s                                                   goal p95 <= 2 s

(a) times only minutes that start after the sampler does and are reported 70 s after they
start: a run of 360 s gives 4 or 5, one of 400 s (the default) 5 or 6.
Each cycle's per-stage split (land, detect, model, export, alerts, analyst) is read from the
loop's status file; the cycles of the first and the last minute are compared (a cycle's cost
should follow the new data, not the time the loop has run), and so is the trend over every cycle.
With `--pin` the loop has the first core and everything else the others. The cores each process used over the
run (the loop with its ingester, the broker, the generators) show what share of the machine the loop had.
Side by side in the same run, the baseline: a realtime cycle through dbt (a run on the reused
manifest) vs the compiled path (the statements of one dbt run replayed, pulse/live/compiled_run.py).
Then `--steps` rates for `--step-s` seconds each: the loop keeps up at a rate when its Kafka lag
stays bounded and the aggregates' freshness does not grow through the step.

    .venv/bin/python bench/bench_live.py                       # 5k events/s, 400 s, then steps
    .venv/bin/python bench/bench_live.py --rate 2000 --duration 120 --steps 1000,2000,4000
    .venv/bin/python bench/bench_live.py --duration 240 --steps '' --compare-threads 1,2
    .venv/bin/python bench/bench_live.py --duration 600 --steps '' --interval 1.0 --pin
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest.config import load_settings  # noqa: E402
from pulse import broker  # noqa: E402
from pulse.commands.run import thread_counts  # noqa: E402
from pulse.serve.export_reader import parquet_source  # noqa: E402

STOLEN = "stolen by the host"
SPLIT = {"interactions": 0.5, "watch_events": 0.25, "view_log": 0.25}
MINUTE_EXPORT = "fct_campaign_views_minute"
# The generators hand what is due to the producer every 10 ms at most: waking for each record (one
# every 0.4 ms at 2,500/s) and sending it alone took the generators 0.73 cores at 5k events/s
# instead of 0.34, from the machine the loop under test shares.
SEND_TICK_S = 0.01


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Sampler(threading.Thread):
    """Reads the exports every `every_s` seconds and records the three freshness series."""

    def __init__(self, exports: Path, every_s: float = 0.25):
        super().__init__(daemon=True)
        self.exports, self.every_s = exports, every_s
        self.since = utcnow()  # exports from before (the warm-up) are not timed
        self.stop = threading.Event()
        self.interactions: list[float] = []
        self.streams: list[float] = []
        self.minutes: list[float] = []
        self._open: dict = {}  # stream_id -> its last event when last seen open, until seen closed
        self._minutes_seen: set = set()  # minutes starting before `since` are not timed
        self._con = duckdb.connect()

    def q(self, name: str, sql: str) -> list[tuple] | None:
        source = parquet_source(self.exports, name)  # one file, or an hourly export's folder
        if source is None:
            return None
        try:
            return self._con.execute(sql.replace("{t}", source)).fetchall()
        except duckdb.Error:
            return None

    def run(self) -> None:
        while not self.stop.is_set():
            now = utcnow()
            rows = self.q("fct_interactions_overview", "select last_interaction_at from {t}")
            if rows and rows[0][0] is not None and rows[0][0] >= self.since:
                self.interactions.append((now - rows[0][0]).total_seconds())
            # The open streams, and the closed ones that may have been open at the last sample (a
            # stream's last event only moves on): not every stream the run closed, every sample.
            newer = min(self._open.values(), default=None)
            rows = self.q("fct_streams", "select stream_id, is_open, last_event_time from {t} where is_open"
                          + ("" if newer is None else f" or last_event_time >= timestamp '{newer.isoformat(sep=' ')}'"))
            if rows is not None:
                for stream_id, is_open, last in rows:
                    if is_open:
                        self._open[stream_id] = last
                    elif self._open.pop(stream_id, None) is not None:
                        self.streams.append((now - (last + timedelta(seconds=60))).total_seconds())
                # A stream seen open that is not among these rows went into another (a late
                # heartbeat merged two): it never closes, so it must not hold the filter back.
                for stream_id in self._open.keys() - {row[0] for row in rows}:
                    del self._open[stream_id]
            rows = self.q(MINUTE_EXPORT, "select distinct minute_timestamp from {t}")
            if rows is not None:
                for key in set(rows) - self._minutes_seen:
                    self._minutes_seen.add(key)
                    if key[0] >= self.since:
                        self.minutes.append((now - (key[0] + timedelta(seconds=70))).total_seconds())
            self.stop.wait(self.every_s)


def bench_env(work: Path, topic_prefix: str) -> dict:
    """The environment of a bench run in `work`: its own data dir, dbt target and logs, an embedded
    broker on a free port (never a configured cluster) and topics of its own."""
    env = {**os.environ, "PULSE_DATA_DIR": str(work / "data"), "DBT_TARGET_PATH": str(work / "target"),
           "DBT_LOG_PATH": str(work / "logs"), "PULSE_BROKER_PORT": str(free_port())}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    run_id = uuid.uuid4().hex[:6]
    for ds in SPLIT:
        env[f"PULSE_TOPIC_{ds.upper()}"] = f"{topic_prefix}_{run_id}_{ds}"
    return env


CHILDREN: list[subprocess.Popen] = []  # stopped on the way out, whatever happens


def spawn(env: dict, log: Path, *args: str, cpus: set[int] | None = None) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-m", "pulse.cli", *args], env=env, cwd=REPO,
                         stdout=log.open("a"), stderr=subprocess.STDOUT,
                         preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
    CHILDREN.append(p)
    return p


def generators(env: dict, log: Path, rate: float, duration: float,
               linger_ms: int | None = None) -> list[subprocess.Popen]:
    """One producer process per dataset (this script's --produce mode); `linger_ms`: the producer's
    linger instead of the generators' own (pulse/generate/producer.py)."""
    linger = [] if linger_ms is None else [str(linger_ms)]
    procs = [subprocess.Popen([sys.executable, __file__, "--produce", ds, f"{rate * share:.0f}", f"{duration:.0f}",
                               *linger], env=env, cwd=REPO, stdout=log.open("a"), stderr=subprocess.STDOUT)
             for ds, share in SPLIT.items()]
    CHILDREN.extend(procs)
    return procs


def produce(dataset: str, rate: float, duration: float, linger_ms: int | None = None) -> None:
    """The generator's live simulation, each record published when its event time comes.

    `pulse generate` paces by a token bucket, so its event times can drift seconds from the wall
    clock; freshness is measured against event time, so this producer keeps them equal."""
    from pulse.generate import Plan, get_dataset
    from pulse.generate.core import simulate
    from pulse.generate.producer import ensure_topic, make_producer, partitions_for_keys, topic_partitions

    settings = load_settings()
    topic = settings.topic(dataset)
    ensure_topic(settings, topic, 4)
    cls = get_dataset(dataset)
    plan = Plan(live=True, start=time.time(), rate=rate)
    ds = cls(plan)
    producer = make_producer(settings, **({} if linger_ms is None else {"linger_ms": linger_ms}))
    parts = topic_partitions(producer, topic, settings)
    end = time.time() + duration
    pending: list = []
    sent = 0

    def send_pending() -> None:
        nonlocal sent
        keys = [ds.kafka_key(r) for r in pending]
        for r, key, part in zip(pending, keys, partitions_for_keys(keys, parts), strict=True):
            producer.send(topic, ds.kafka_value(r), key, partition=part)
        sent += len(pending)
        pending.clear()

    for rec in simulate(cls, plan, ds):
        if rec[0] >= end:
            break
        wait = rec[0] - time.time()
        if wait > 0:  # not due yet: send what is due, then wait for it (at least a tick)
            if pending:
                send_pending()
            time.sleep(max(wait, SEND_TICK_S))
        pending.append(rec)
        if len(pending) >= 500:
            send_pending()
    if pending:
        send_pending()
    producer.flush()
    producer.close()
    print(f"bench producer {dataset}: {sent} messages in {duration:.0f} s ({sent / duration:.0f}/s)")


def status(data: Path) -> dict:
    try:
        return json.loads((data / "run" / "live_status.json").read_text())
    except (OSError, ValueError):
        return {}


def total_lag(st: dict) -> int | None:
    """Records in Kafka not landed yet over the sources this bench produces; None while the lag of
    one of them is unknown (no fetch has told the ingester its log end: `pulse run` shows `?`)."""
    lags = [st.get("sources", {}).get(source, {}).get("lag_records") for source in SPLIT]
    return None if any(lag is None for lag in lags) else sum(lags)


def lag_text(lags: list[int | None]) -> str:
    """The largest lag sampled; an unknown lag is not a lag of 0 (a consumer that hears nothing)."""
    known = [lag for lag in lags if lag is not None]
    text = f"max Kafka lag {max(known):,} records" if known else "Kafka lag never known"
    return text + (", unknown in the last sample" if known and lags[-1] is None else "")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far (Linux /proc), None when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def steal_seconds() -> float | None:
    """CPU seconds the hypervisor ran something else while this machine's cores had work (the
    `steal` of /proc/stat, all cores), None when unknown."""
    try:
        return int(Path("/proc/stat").read_text().split("\n", 1)[0].split()[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class CpuShare:
    """Cores each process of the run used from its creation to `stop()`: the machine is shared, and
    the loop's cycles slow down with what the broker and the generators take."""

    def __init__(self, pids: dict[str, list[int]]):
        self.pids = pids
        self.started = time.monotonic()
        self.marks: list[tuple[float, dict[str, list[float | None]]]] = []
        self.mark()

    def mark(self) -> None:
        """Note each process's CPU seconds now, and the host's steal (the first mark is the start;
        `by_minute` compares them)."""
        seconds = {name: [cpu_seconds(p) for p in ps] for name, ps in self.pids.items()}
        self.marks.append((time.monotonic(), {STOLEN: [steal_seconds()], **seconds}))

    def by_minute(self) -> list[dict[str, float]]:
        """Cores per process between consecutive marks, and the cores the host took (steal)."""
        out = []
        for (t0, a), (t1, b) in zip(self.marks, self.marks[1:], strict=False):
            row = {}
            for name in a:
                pairs = list(zip(b[name], a[name], strict=True))
                if all(x is not None and y is not None for x, y in pairs):
                    row[name] = sum(x - y for x, y in pairs) / (t1 - t0)
            out.append(row)
        return out

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self.started
        cores = {}
        for name, ps in self.pids.items():
            spent = [(cpu_seconds(p), b) for p, b in zip(ps, self.marks[0][1][name], strict=True)]
            if all(a is not None and b is not None for a, b in spent):
                cores[name] = sum(a - b for a, b in spent) / wall
        return cores


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()


def dbt_cycle_baseline(env: dict, cycles: int = 5) -> tuple[float, float]:
    """Seconds per realtime cycle: the compiled path vs a dbt run each cycle (in a child process)."""
    code = f"""
import json, time
from ingest.config import load_settings
from pulse.live.dbt_cycle import RealtimeDbt
warehouse = load_settings().warehouse_path
d = RealtimeDbt(warehouse)
d.run(with_parents=True)
d.run()  # records the statements
t = time.perf_counter()
paths = [d.run().path for _ in range({cycles})]
compiled = (time.perf_counter() - t) / {cycles}
d.close()
d = RealtimeDbt(warehouse, compiled=False)
t = time.perf_counter()
for _ in range({cycles}):
    d.run()
each = (time.perf_counter() - t) / {cycles}
assert set(paths) == {{"compiled"}}, paths
print(json.dumps([compiled, each]))
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True)
    return tuple(json.loads(out.stdout.strip().splitlines()[-1]))


def trend(rows: list[dict], key: str) -> float | None:
    """Least-squares slope of `key` (seconds) over the cycles' times, in seconds per minute of the run."""
    ts, xs = [(r["at"] - rows[0]["at"]) / 60 for r in rows], [r[key] for r in rows]
    if len(rows) < 3 or ts[-1] <= 0:
        return None
    return statistics.linear_regression(ts, xs).slope


class CycleLog(threading.Thread):
    """Reads the loop's status file and keeps one record per cycle (its stages and total)."""

    def __init__(self, data: Path):
        super().__init__(daemon=True)
        self.data = data
        self.stop = threading.Event()
        self.cycles: dict[int, dict] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            st = status(self.data)
            if st.get("cycle") and st.get("stages"):
                self.cycles.setdefault(st["cycle"], {"at": time.monotonic(), "seconds": st["cycle_seconds"],
                                                     "path": st.get("model_path"),
                                                     "threads": st.get("duckdb_threads"),
                                                     "records": st.get("cycle_records", 0), **st["stages"],
                                                     "models": st.get("model_seconds") or {}})
            self.stop.wait(0.1)

    def report(self) -> None:
        rows = [c for c in self.cycles.values() if c["path"] == "compiled"]
        if not rows:
            print("no compiled cycle recorded")
            return
        stages = [k for k in rows[0] if k not in ("at", "seconds", "path", "models", "threads", "records")]
        print(f"\nper-stage split over {len(rows)} compiled cycles (seconds)")
        print(f"{'stage':<10}{'mean':>8}{'p95':>8}")
        for k in [*stages, "seconds"]:
            xs = [r[k] for r in rows]
            print(f"{'cycle' if k == 'seconds' else k:<10}{statistics.mean(xs):>8.3f}{pct(xs, 95):>8.3f}")
        t0, t1 = rows[0]["at"], rows[-1]["at"]
        first = [r["seconds"] for r in rows if r["at"] - t0 <= 60]
        last = [r["seconds"] for r in rows if t1 - r["at"] <= 60]
        a, b = statistics.mean(first), statistics.mean(last)
        print(f"cycle cost, first minute {a:.3f} s ({len(first)} cycles) vs last minute {b:.3f} s "
              f"({len(last)} cycles): {b / a:.2f}x")
        # One minute against another is noisy (the minute models' current minute fills within each
        # minute; a neighbour's burst lands in one): the trend of every cycle of the run as well.
        slope = trend(rows, "seconds")
        if slope is not None:
            print(f"cycle cost trend over the run (least squares, every cycle): {slope * 1000:+.1f} ms per minute, "
                  f"{slope / statistics.mean(r['seconds'] for r in rows) * 100:+.1f}% of the mean cycle per minute")
        self.by_minute(rows, stages)
        # Where the growth is: each model's mean seconds per cycle, first minute vs last minute.
        early = [r["models"] for r in rows if r["at"] - t0 <= 60]
        late = [r["models"] for r in rows if t1 - r["at"] <= 60]
        names = sorted({m for r in late for m in r}, key=lambda m: -statistics.mean(r.get(m, 0.0) for r in late))
        print(f"\n{'model (statements incl. export)':<36}{'first min':>10}{'last min':>10}")
        for m in names[:10]:
            e, la = statistics.mean(r.get(m, 0.0) for r in early), statistics.mean(r.get(m, 0.0) for r in late)
            print(f"{m:<36}{e:>10.3f}{la:>10.3f}")
        self.compare_threads(rows)

    @staticmethod
    def by_minute(rows: list[dict], stages: list[str]) -> None:
        """Each stage's mean seconds per cycle in each whole minute of the run: whether a cycle's cost
        keeps growing or levels off once the state the models keep (the open minute, the open
        streams, the unsettled minutes) has filled."""
        t0 = rows[0]["at"]
        minutes: dict[int, list[dict]] = {}
        for r in rows:
            minutes.setdefault(int((r["at"] - t0) // 60), []).append(r)
        whole = [m for m in sorted(minutes) if (m + 1) * 60 <= rows[-1]["at"] - t0]
        print(f"\nmean seconds per cycle by minute of the run, and the trend over every cycle\n{'stage':<10}"
              + "".join(f"{f'min {m + 1}':>8}" for m in whole) + f"{'ms/min':>8}")
        for k in [*stages, "seconds"]:
            slope = trend(rows, k)
            print(f"{'cycle' if k == 'seconds' else k:<10}"
                  + "".join(f"{statistics.mean(r[k] for r in minutes[m]):>8.3f}" for m in whole)
                  + (f"{slope * 1000:>+8.1f}" if slope is not None else ""))
        # Cycles shorter than the loop's --interval take in about that many seconds of records; longer
        # ones run back to back and take in what arrived during the one before: more.
        print(f"{'records':<10}" + "".join(f"{statistics.mean(r['records'] for r in minutes[m]):>8.0f}"
                                              for m in whole))

    @staticmethod
    def compare_threads(rows: list[dict]) -> None:
        """With --compare-threads A,B the cycles alternate A and B: each A cycle's replay (model +
        export stages) against the mean of the B cycles either side of it, so both see the same load
        and the same lake."""
        counts = sorted({r["threads"] for r in rows if r["threads"]})
        if len(counts) != 2:
            return
        replay = [r["model"] + r["export"] for r in rows]
        a, b = counts
        ratios = [replay[i] / ((replay[i - 1] + replay[i + 1]) / 2) for i in range(1, len(rows) - 1)
                  if rows[i]["threads"] == a and rows[i - 1]["threads"] == rows[i + 1]["threads"] == b]
        if not ratios:
            return
        means = {n: statistics.mean(x for x, r in zip(replay, rows, strict=True) if r["threads"] == n) for n in counts}
        print(f"\nDuckDB threads, cycles alternating: replay mean {a} thread(s) {means[a]:.3f} s, {b} thread(s) "
              f"{means[b]:.3f} s; each {a}-thread cycle / its {b}-thread neighbours: median "
              f"{statistics.median(ratios):.2f}x over {len(ratios)} cycles")


def main() -> int:
    if len(sys.argv) in (5, 6) and sys.argv[1] == "--produce":
        produce(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) == 6 else None)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup below on SIGTERM too
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=5000, help="events/s across all topics (default 5000)")
    ap.add_argument("--duration", type=float, default=400,
                    help="seconds of the freshness run (default 400: at least 5 closed minutes for (a))")
    ap.add_argument("--steps", default="2000,5000,10000", help="rates for the keep-up search ('' to skip)")
    ap.add_argument("--step-s", type=float, default=40, help="seconds per step")
    ap.add_argument("--interval", type=float, default=0.5,
                    help="the loop's shortest time between two cycles' starts (`pulse run --interval`; default "
                         "0.5; the loop's own default, 1.0, gives every cycle about a second of records)")
    ap.add_argument("--compare-threads", type=thread_counts, default=(), metavar="A,B",
                    help="the freshness run's cycles alternate A and B DuckDB threads, compared side by side "
                         "(default: the loop's own setting)")
    ap.add_argument("--pin", action="store_true",
                    help="the loop on the first core, the broker, generators and this bench on the others "
                         "(as when the broker runs on its own machine): what the loop's cycle costs when "
                         "its neighbours' load does not reach its core")
    args = ap.parse_args()
    loop_cpus = None
    if args.pin:  # set before the broker starts: every child but the loop inherits the other cores
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) < 2:
            ap.error("--pin needs at least two cores")
        loop_cpus = {cores[0]}
        os.sched_setaffinity(0, set(cores[1:]))

    work = Path(tempfile.mkdtemp(prefix="pulse-bench-live-"))
    env = bench_env(work, "bench")
    settings = load_settings(env)
    broker_pid = broker.start(settings).pid
    log = work / "bench.log"
    print(f"work dir {work} (logs: {log})")
    try:
        # Warm-up: create topics and the warehouse so the baseline has models to run.
        for p in generators(env, log, 100, 3):
            p.wait()
        subprocess.run([sys.executable, "-m", "pulse.cli", "run", "--plain", "--cycles", "2", "--no-alerts"],
                       env=env, cwd=REPO, stdout=log.open("a"), stderr=subprocess.STDOUT, check=True)
        compiled, each = dbt_cycle_baseline(env)
        print(f"realtime cycle on the warm-up lake: compiled path {compiled:.3f} s, dbt run each cycle {each:.3f} s "
              f"-> compiled / dbt = {compiled / each:.2f}x")

        # Freshness at the target rate.
        threads = ["--threads", ",".join(map(str, args.compare_threads))] if args.compare_threads else []
        run = spawn(env, log, "run", "--plain", "--interval", str(args.interval), "--no-alerts", *threads,
                    cpus=loop_cpus)
        time.sleep(8)  # parse + first cycle
        sampler = Sampler(settings.exports_dir)
        cycle_log = CycleLog(settings.data_dir)
        gens = generators(env, log, args.rate, args.duration)
        cpu = CpuShare({"pulse run (loop + ingester)": [run.pid], "broker": [broker_pid],
                        "generators": [g.pid for g in gens], "bench sampler": [os.getpid()]})
        sampler.start()
        cycle_log.start()
        lags = []
        t_end = time.monotonic() + args.duration
        next_mark = time.monotonic() + 60
        while time.monotonic() < t_end and run.poll() is None:
            time.sleep(1)
            lags.append(total_lag(status(settings.data_dir)))
            if time.monotonic() >= next_mark:
                cpu.mark()
                next_mark += 60
        cores = cpu.stop()
        sampler.stop.set()
        cycle_log.stop.set()
        stop(gens)
        st = status(settings.data_dir)
        stop([run])
        rates = {s: v.get("records_total", 0) / args.duration for s, v in st.get("sources", {}).items()}
        print(f"\nfreshness at {args.rate:.0f} events/s target for {args.duration:.0f} s "
              f"(landed/s: {', '.join(f'{k} {v:.0f}' for k, v in rates.items() if v)}; "
              f"last cycle {st.get('cycle_seconds', 0):.2f} s, models {st.get('dbt_seconds', 0):.2f} s "
              f"({st.get('model_path')}); "
              f"{lag_text(lags)})")
        print(f"{'measure':<44}{'n':>6}{'p50 s':>9}{'p95 s':>9}{'goal':>7}{'p95/goal':>10}")
        for label, values, goal in (
            ("(a) minute report after window end + 10 s", sampler.minutes, 2.0),
            ("(b) stream closed after last event + 60 s", sampler.streams, 2.0),
            ("(c) interaction aggregates behind newest", sampler.interactions, 2.0),
        ):
            p50, p95 = pct(values, 50), pct(values, 95)
            if p95 is None:
                print(f"{label:<44}{0:>6}{'-':>9}{'-':>9}{goal:>7.0f}{'(no data)':>10}")
            else:
                print(f"{label:<44}{len(values):>6}{p50:>9.2f}{p95:>9.2f}{goal:>7.0f}{p95 / goal:>10.2f}")
        behind = {s: v.get("behind_clock", 0) for s, v in st.get("sources", {}).items()}
        print("records that landed stamped behind the arrival clock (their windows corrected): "
              + ", ".join(f"{k} {v:,}" for k, v in behind.items()))
        cycle_log.report()
        if cores:
            print(f"\nCPU over the run, cores of {os.cpu_count()}: "
                  + ", ".join(f"{name} {c:.2f}" for name, c in cores.items()) + f"; total {sum(cores.values()):.2f}")
            print(f"by minute ({STOLEN}: the cores the hypervisor ran something else on while ours had work)")
            for minute, row in enumerate(cpu.by_minute(), 1):
                print(f"  minute {minute}: " + ", ".join(f"{name} {c:.2f}" for name, c in row.items()))

        # Keep-up search: one fresh `pulse run` per rate (the lake keeps growing, as it would).
        # It keeps up when the aggregates' lag behind the newest event does not grow through the
        # step: median of the last quarter <= max(2x, +3 s) that of the second quarter.
        steps = [float(s) for s in args.steps.split(",") if s.strip()]
        if steps:
            print(f"\nkeep-up steps ({args.step_s:.0f} s each)")
            print(f"{'rate/s':>8}{'landed/s':>10}{'fresh q2 s':>12}{'fresh q4 s':>12}{'p95 s':>8}"
                  f"{'cycle s':>9}{'keeps up':>10}")
        best = None
        for rate in steps:
            run = spawn(env, log, "run", "--plain", "--interval", str(args.interval), "--no-alerts", cpus=loop_cpus)
            time.sleep(8)
            sampler = Sampler(settings.exports_dir)
            gens = generators(env, log, rate, args.step_s)
            sampler.start()
            time.sleep(args.step_s)
            sampler.stop.set()
            stop(gens)
            after = status(settings.data_dir)
            stop([run])
            landed = sum(s.get("records_total", 0) for s in after.get("sources", {}).values()) / args.step_s
            xs = sampler.interactions
            q = len(xs) // 4
            q2, q4 = pct(xs[q:2 * q], 50), pct(xs[3 * q:], 50)
            ok = q2 is not None and q4 is not None and q4 <= max(2 * q2, q2 + 3)
            best = rate if ok else best
            nan = float("nan")
            print(f"{rate:>8.0f}{landed:>10.0f}{q2 if q2 is not None else nan:>12.2f}"
                  f"{q4 if q4 is not None else nan:>12.2f}{pct(xs, 95) or nan:>8.2f}"
                  f"{after.get('cycle_seconds', nan):>9.2f}{'yes' if ok else 'no':>10}")
        if steps:
            print(f"highest rate tried that the loop keeps up with: {best or 'none'} events/s")
    finally:
        stop(CHILDREN)
        broker.stop(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
