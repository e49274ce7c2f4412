"""What the live ingest thread's polls between flushes cost, two cadences side by side (not a test).

Runs an embedded broker on a free port, `bench_live.py`'s generators at `--rate` events/s and the
live loop's ingest thread (`pulse/live/ingester.py`), and asks it to flush about once a second, as
the loop's cycles do, for `--duration` seconds. In alternating blocks of `--block` seconds the
thread polls between flushes every `--baseline-poll` seconds (0.5: the cadence it had before) or
only when the flush asks (its `IDLE_POLL_S`, longer than a cycle). The embedded broker lists every
record batch a partition holds to answer each fetch with new records, so what the polls cost shows
in its cores, more with every minute. Per minute of the run it prints, for each cadence, the
broker's cores, this process's (the ingest thread's), the flush's mean seconds (catch-up + landing),
the catch-up's alone and how many sources caught up.

    .venv/bin/python bench/bench_live_polls.py --duration 420
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

SOURCES = ["interactions", "watch_events", "view_log"]  # bench_live.py's generators


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5000)
    parser.add_argument("--duration", type=float, default=420)
    parser.add_argument("--block", type=float, default=20.0, help="seconds of one cadence before the other")
    parser.add_argument("--baseline-poll", type=float, default=0.5, help="the baseline's seconds between polls")
    args = parser.parse_args()

    import bench_live

    work = Path(tempfile.mkdtemp(prefix="pulse-bench-polls-"))
    os.environ.update(bench_live.bench_env(work, "polls"))
    from ingest.config import load_settings
    from pulse import broker
    from pulse.live.ingester import IDLE_POLL_S, IngestThread

    settings = load_settings()
    broker_pid = broker.start(settings).pid
    gens = bench_live.generators(dict(os.environ), work / "generators.log", args.rate, args.duration + 30)
    ways = {f"poll every {args.baseline_poll:g} s": args.baseline_poll, "poll at the flush": IDLE_POLL_S}
    rows: list[tuple[int, str, float, float, int]] = []  # minute, way, flush s, catch-up s, caught
    cores: list[tuple[int, str, float, float]] = []  # minute, way, broker cores, this process's
    thread = IngestThread(settings, SOURCES)
    try:
        thread.start()
        thread.ready.wait(60)
        time.sleep(5)  # the generators' first records
        started = time.time()
        names = list(ways)
        block = 0
        while time.time() - started < args.duration:
            way = names[block % 2]
            thread.idle_poll_s = ways[way]
            mark = time.monotonic(), bench_live.cpu_seconds(broker_pid) or 0.0, time.process_time()
            block_end = time.monotonic() + args.block
            while time.monotonic() < block_end:
                t0 = time.perf_counter()
                thread.flush()
                rows.append((int((time.time() - started) // 60), way, time.perf_counter() - t0,
                             thread.catch_up_seconds, len(thread.caught_up)))
                time.sleep(0.8)  # about the rest of a live cycle
            wall = time.monotonic() - mark[0]
            cores.append((int((time.time() - started) // 60), way,
                          ((bench_live.cpu_seconds(broker_pid) or 0.0) - mark[1]) / wall,
                          (time.process_time() - mark[2]) / wall))
            block += 1
    finally:
        thread.stop()
        bench_live.stop(gens)
        broker.stop(settings)
    print(f"flushes at {args.rate:.0f} events/s in blocks of {args.block:g} s, means per minute of the run "
          f"(cores: the broker's, the ingest thread's process; flush = catch-up + landing; caught = sources "
          f"caught up, of {len(SOURCES)})")
    print(f"{'':>6}" + "".join(f"  | {way:<42}" for way in ways))
    columns = f"{'broker':>6} {'ingest':>6} {'flush':>6} {'catch-up':>8} {'caught':>6}"
    print(f"{'minute':>6}" + f"  | {columns:<42}" * len(ways))
    for minute in sorted({r[0] for r in rows}):
        line = f"{minute + 1:>6}"
        for way in ways:
            mine = [r for r in rows if r[0] == minute and r[1] == way]
            used = [c for c in cores if c[0] == minute and c[1] == way]
            if not mine or not used:  # the run ended before this cadence's block of the minute
                line += f"  | {'-':<42}"
                continue
            n, m = len(mine), len(used)
            cells = (f"{sum(c[2] for c in used) / m:>6.2f} {sum(c[3] for c in used) / m:>6.2f}"
                     f" {sum(r[2] for r in mine) / n:>6.3f} {sum(r[3] for r in mine) / n:>8.3f}"
                     f" {sum(r[4] for r in mine) / n:>6.2f}")
            line += f"  | {cells:<42}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
