"""Runs a dataset's generator into Kafka or files: modes, shards (--processes), progress, summary.

Live mode: event time starts at the wall clock and the token bucket paces sends at --rate.
Historical mode: the simulation covers --start..--end and runs as fast as it can (or at --rate).
With --processes N each process is one shard: its own producer, seed stream, slice of the users
(so one user's or session's events all come from one process, in order) and rate/count share.
"""

from __future__ import annotations

import contextlib
import gc
import math
import multiprocessing as mp
import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

from ingest.config import Settings
from pulse.generate import producer as kp
from pulse.generate.core import Plan, generated_records, to_epoch
from pulse.generate.faults import FaultCounts, Faults, items, kafka_messages

# Shared counters per shard: sent, failed, bad, late, duplicates.
N_COUNTERS = 5


@dataclass(frozen=True)
class Options:
    dataset: str
    to: str = "kafka"
    out: Path | None = None
    rate: float | None = None
    burst: float | None = None
    ramp: float = 0.0
    count: int | None = None
    duration: float | None = None
    start: datetime | None = None
    end: datetime | None = None
    seed: int = 1
    processes: int = 1
    users: int | None = None
    catalog: int | None = None
    faults: Faults = field(default_factory=Faults)
    topic: str | None = None
    partitions: int = 4
    campaigns_file: str | None = None
    producer_config: dict = field(default_factory=dict)

    @property
    def live(self) -> bool:
        return self.start is None


@dataclass
class ShardResult:
    shard: int
    sent: int = 0
    failed: int = 0
    not_sent: int = 0
    elapsed: float = 0.0
    bad: Counter = field(default_factory=Counter)
    late: int = 0
    duplicates: int = 0
    files: list[str] = field(default_factory=list)
    undelivered_file: str | None = None
    error: str | None = None
    first_event: float | None = None


@dataclass
class Summary:
    dataset: str
    to: str
    target: str
    mode: str
    shards: list[ShardResult]
    elapsed: float
    rate: float | None

    @property
    def sent(self) -> int:
        return sum(s.sent for s in self.shards)

    @property
    def failed(self) -> int:
        return sum(s.failed + s.not_sent for s in self.shards)

    @property
    def delivered(self) -> int:
        return sum(s.sent - s.failed for s in self.shards)

    @property
    def bad(self) -> Counter:
        return sum((s.bad for s in self.shards), Counter())

    @property
    def late(self) -> int:
        return sum(s.late for s in self.shards)

    @property
    def duplicates(self) -> int:
        return sum(s.duplicates for s in self.shards)

    @property
    def achieved_rate(self) -> float:
        """Messages per second while sending (each shard from its first send to its last ack)."""
        busy = max((s.elapsed for s in self.shards), default=0.0)
        return self.sent / busy if busy > 0 else 0.0

    @property
    def errors(self) -> list[str]:
        return [s.error for s in self.shards if s.error]


def build_plan(opts: Options, cls) -> Plan:
    if cls.static:
        return Plan(seed=opts.seed, count=opts.count, users=opts.users, catalog=opts.catalog)
    common = dict(seed=opts.seed, count=opts.count, users=opts.users, catalog=opts.catalog,
                  options={"campaigns_file": opts.campaigns_file} if opts.campaigns_file else {})
    if opts.live:
        rate = opts.rate or 100.0
        return Plan(live=True, start=time.time(), rate=rate, ramp_s=opts.ramp,
                    ramp_from=min(rate, max(rate * 0.05, 1.0)), **common)
    if opts.end is None and opts.count is not None:
        # --count without --end: a day's density, and exactly --count records (may pass the day).
        return Plan(start=to_epoch(opts.start), end=math.inf, rate=opts.rate or 0.0, **common)
    end = opts.end or (opts.start + timedelta(days=1))
    if end <= opts.start:
        raise ValueError(f"--end {end.isoformat()} must be after --start {opts.start.isoformat()}")
    return Plan(start=to_epoch(opts.start), end=to_epoch(end), rate=opts.rate or 0.0, **common)


def default_window(opts: Options) -> Options:
    """Files default to historical mode over yesterday (UTC) when no --start is given."""
    if opts.to == "files" and opts.start is None:
        today = datetime.now(UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
        return replace(opts, start=today - timedelta(days=1), end=opts.end or (today if opts.count is None else None))
    return opts


# -------------------------------------------------------------------------------------- one shard

def run_shard(opts: Options, settings: Settings, topic: str | None, shard: int, shards: int,
              counters=None) -> ShardResult:
    from pulse.generate import get_dataset

    cls = get_dataset(opts.dataset)
    plan = build_plan(opts, cls).for_shard(shard, shards)
    ds = cls(plan)
    records = generated_records(cls, plan, ds)  # opens the warm sessions
    with _quiet_gc():
        return _run_shard(opts, settings, topic, plan, cls, ds, records, counters)


@contextlib.contextmanager
def _quiet_gc():
    """The open sessions live for the whole run: keep the cyclic GC from re-scanning them (and
    from running every few hundred allocations of the hot loop's small tuples)."""
    gc.collect()
    gc.freeze()
    old = gc.get_threshold()
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _run_shard(opts, settings, topic, plan, cls, ds, records, counters) -> ShardResult:
    counts = FaultCounts()
    kinds = cls.bad_kinds if opts.to == "kafka" else (cls.file_kinds or cls.bad_kinds)
    stream = items(ds, records, opts.faults, counts, kinds)
    shard = plan.shard
    result = ShardResult(shard)
    base = shard * N_COUNTERS

    def publish(sent: int, failed: int) -> None:
        if counters is not None:
            counters[base], counters[base + 1] = sent, failed
            counters[base + 2], counters[base + 3] = counts.bad_total, counts.late
            counters[base + 4] = counts.duplicates

    t0 = time.monotonic()
    if opts.to == "files":
        if cls.static:
            stream = islice(stream, opts.count) if opts.count and opts.dataset != "campaigns" else stream
        elif plan.count is not None:
            stream = islice(stream, plan.count)
        out = opts.out or settings.data_dir / "extracts"
        seen = [0]

        def counted(it):
            for item in it:
                seen[0] += 1
                if not seen[0] % 5000:
                    publish(seen[0], 0)
                yield item

        result.files = [str(p) for p in ds.write_files(counted(stream), out)]
        result.sent = seen[0]
    else:
        result = _produce(opts, settings, topic, plan, ds, stream, counts, publish)
    if opts.to == "files":
        result.elapsed = time.monotonic() - t0
    result.bad, result.late, result.duplicates = counts.bad, counts.late, counts.duplicates
    publish(result.sent, result.failed)
    return result


def _produce(opts, settings, topic, plan, ds, stream, counts, publish) -> ShardResult:
    result = ShardResult(plan.shard)
    producer = kp.make_producer(settings, **opts.producer_config)
    stats = kp.SendStats()
    try:
        partitions = kp.topic_partitions(producer, topic, settings)
        paced = plan.live or bool(opts.rate)
        burst = (opts.burst / plan.shards if opts.burst else max(plan.rate * 0.1, 10.0)) if paced else None
        bucket = kp.TokenBucket(plan.rate_at, burst) if paced else None
        deadline = time.monotonic() + opts.duration if opts.duration else None
        last = [0.0]

        def on_chunk(st: kp.SendStats) -> None:
            now = time.monotonic()
            if now - last[0] > 0.1:
                last[0] = now
                publish(st.sent, st.failed)

        t0 = time.monotonic()
        try:
            kp.send_all(producer, topic, partitions, kafka_messages(ds, stream), stats, count=plan.count,
                        bucket=bucket, chunk=kp.chunk_size(plan.rate if paced else None, burst),
                        deadline=deadline, on_chunk=on_chunk)
        except KeyboardInterrupt:  # a deliberate stop: flush what was sent and report it
            if plan.shards > 1:  # a worker may get the signal twice (its group and the parent)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
    finally:
        kp.finish(producer, stats)
    result.elapsed = time.monotonic() - t0  # first send to last acknowledgement
    result.sent, result.failed, result.not_sent, result.error = stats.sent, stats.failed, stats.not_sent, stats.error
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = kp.write_undelivered(stats, settings.data_dir / "undelivered" / f"{topic}-{plan.shard}-{stamp}.jsonl")
    result.undelivered_file = str(path) if path else None
    return result


def _shard_entry(opts, settings, topic, shard, shards, counters, queue) -> None:
    try:
        queue.put(run_shard(opts, settings, topic, shard, shards, counters))
    except KeyboardInterrupt:
        queue.put(ShardResult(shard, error="interrupted"))
    except Exception as exc:  # reported by the parent as this shard's error
        queue.put(ShardResult(shard, error=f"{type(exc).__name__}: {exc}"))


# --------------------------------------------------------------------------------------- the run

def prepare(opts: Options, settings: Settings) -> tuple[Options, str | None]:
    """Checked options (files default to yesterday) and the topic, created if it is missing."""
    from pulse.generate import get_dataset

    cls = get_dataset(opts.dataset)
    opts = default_window(opts)
    _validate(opts, cls)
    topic = None
    if opts.to == "kafka":
        topic = opts.topic or settings.topic(opts.dataset)
        kp.ensure_topic(settings, topic, opts.partitions)
    return opts, topic


def run(opts: Options, settings: Settings, progress=None, prepared: str | None = None) -> Summary:
    """Generate `opts.dataset`; `progress(sent, rate, failed, bad, late, dup)` is called ~4x/s.
    `prepared`: the topic from an earlier `prepare` (skips the checks)."""
    from pulse.generate import get_dataset

    cls = get_dataset(opts.dataset)
    if prepared is None:
        opts, topic = prepare(opts, settings)
    else:
        opts, topic = default_window(opts), prepared or None
    target = topic if topic else str(opts.out or settings.data_dir / "extracts")
    shards = opts.processes
    counters = mp.RawArray("q", shards * N_COUNTERS) if shards > 1 else [0] * (shards * N_COUNTERS)
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(counters, shards, progress, stop), daemon=True)
    t0 = time.monotonic()
    if shards == 1:
        if progress:
            watcher.start()
        try:
            results = [run_shard(opts, settings, topic, 0, 1, counters)]
        finally:
            stop.set()
    else:
        results = _run_processes(opts, settings, topic, shards, counters, watcher if progress else None, stop)
    elapsed = time.monotonic() - t0
    if progress:
        watcher.join(timeout=1)
        _watch_once(counters, shards, progress, elapsed)
    mode = "live" if opts.live and not cls.static else ("static" if cls.static else "historical")
    return Summary(opts.dataset, opts.to, target, mode, sorted(results, key=lambda r: r.shard), elapsed,
                   opts.rate if (opts.live or opts.rate) else None)


def _run_processes(opts, settings, topic, shards, counters, watcher, stop) -> list[ShardResult]:
    # spawn, not fork: the parent may hold threads (progress, kafka-python) whose locks a fork copies.
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_shard_entry, args=(opts, settings, topic, i, shards, counters, queue))
             for i in range(shards)]
    for p in procs:
        p.start()
    if watcher:
        watcher.start()
    results: list[ShardResult] = []
    try:
        while len(results) < shards:
            try:
                results.append(queue.get(timeout=0.5))
            except Exception:  # queue.Empty: check the workers are alive
                dead = [i for i, p in enumerate(procs) if not p.is_alive() and p.exitcode not in (0, None)]
                if dead and len(results) + len(dead) >= shards:
                    results += [ShardResult(i, error=f"process exited with {procs[i].exitcode}") for i in dead
                                if i not in {r.shard for r in results}]
    except KeyboardInterrupt:
        for p in procs:  # pass the stop on (a terminal sends it to them too; `kill -INT` does not)
            if p.is_alive():
                os.kill(p.pid, signal.SIGINT)
        while len(results) < shards:  # each flushes what it sent and reports
            results.append(queue.get(timeout=90))
    finally:
        stop.set()
        for p in procs:
            p.join(timeout=10)
    return results


def _sums(counters, shards) -> list[int]:
    return [sum(counters[s * N_COUNTERS + k] for s in range(shards)) for k in range(N_COUNTERS)]


def _watch(counters, shards, progress, stop: threading.Event) -> None:
    t0 = time.monotonic()
    prev_sent, prev_t = 0, t0
    while not stop.wait(0.25):
        sent, failed, bad, late, dup = _sums(counters, shards)
        now = time.monotonic()
        rate = (sent - prev_sent) / (now - prev_t) if now > prev_t else 0.0
        prev_sent, prev_t = sent, now
        progress(sent, rate, failed, bad, late, dup)


def _watch_once(counters, shards, progress, elapsed) -> None:
    sent, failed, bad, late, dup = _sums(counters, shards)
    progress(sent, sent / elapsed if elapsed else 0.0, failed, bad, late, dup)


def _validate(opts: Options, cls) -> None:
    if opts.to not in ("kafka", "files"):
        raise ValueError(f"--to must be kafka or files, got {opts.to!r}")
    if opts.to == "kafka" and cls.sink == "files" and cls.static:
        raise ValueError(f"{cls.name} is a reference table written as a file; use --to files")
    if opts.to == "kafka" and opts.dataset == "orders":
        raise ValueError("orders is an extract of a SQL database (CSV files); use --to files")
    if opts.to == "files" and opts.processes > 1:
        raise ValueError("--processes applies to --to kafka; files are written by one process")
    if opts.processes < 1:
        raise ValueError(f"--processes must be at least 1, got {opts.processes}")
    for name in ("rate", "burst", "duration"):
        value = getattr(opts, name)
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise ValueError(f"--{name} must be a positive number, got {value}")
    if opts.count is not None and opts.count < 0:
        raise ValueError(f"--count must not be negative, got {opts.count}")
    if opts.live and opts.to == "kafka" and opts.count is None and opts.duration is None and cls.static:
        raise ValueError("nothing to stop at: give --count or --duration")
