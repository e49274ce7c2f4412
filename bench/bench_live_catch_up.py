"""The live flush's catch-up with the logs' ends, two ways side by side in one run (not a test).

Runs an embedded broker on a free port, `bench_live.py`'s generators at `--rate` events/s and the
live loop's ingest thread (`pulse/live/ingester.py`), and asks it to flush about once a second, as
the loop's cycles do, for `--duration` seconds. The flushes alternate between the ingester's
catch-up (the ends from the high watermarks of fetches sent after the ask,
`ingest/kafka/fetch_ends.py`) and the baseline it replaced (the ends from a ListOffsets request,
then fetches up to them). Per minute of the run it prints, for each way, the mean seconds of the
whole flush (catch-up + landing) and of the catch-up alone, and how many of the sources caught up.

    .venv/bin/python bench/bench_live_catch_up.py --duration 420
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


def list_offsets_catch_up(self, timeout_s: float = 1.0) -> dict[str, float]:
    """The baseline: KafkaIngester.catch_up as it was, the ends asked by ListOffsets (latest)."""
    if self.group:
        return {}
    self._refresh_assignment()
    if not self.parts:
        return {}
    asked = time.time()
    ends = self.consumer.end_offsets(list(self.parts), timeout_ms=int(timeout_s * 1000))
    deadline = time.monotonic() + timeout_s

    def behind() -> set[str]:
        return {part.spec.name for tp, part in self.parts.items() if part.position < ends.get(tp, 0)}

    late = behind()
    while late and time.monotonic() < deadline:
        self.poll_once(min(0.05, max(deadline - time.monotonic(), 0.001)))
        late = behind()
    return {part.spec.name: asked for part in self.parts.values() if part.spec.name not in late}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5000)
    parser.add_argument("--duration", type=float, default=420)
    args = parser.parse_args()

    import bench_live

    work = Path(tempfile.mkdtemp(prefix="pulse-bench-catch-up-"))
    os.environ.update(bench_live.bench_env(work, "catchup"))
    from ingest.config import load_settings
    from ingest.kafka.lander import KafkaIngester
    from pulse import broker
    from pulse.live.ingester import IngestThread

    settings = load_settings()
    broker.start(settings)
    gens = bench_live.generators(dict(os.environ), work / "generators.log", args.rate, args.duration + 30)
    ways = {"fetched ends": KafkaIngester.catch_up, "ListOffsets": list_offsets_catch_up}
    turn = {"way": "ListOffsets", "seconds": 0.0, "caught": 0}

    def timed_catch_up(self, timeout_s: float = 1.0) -> dict[str, float]:
        t0 = time.perf_counter()
        caught = ways[turn["way"]](self, timeout_s)
        turn["seconds"], turn["caught"] = time.perf_counter() - t0, len(caught)
        return caught

    KafkaIngester.catch_up = timed_catch_up
    rows: list[tuple[int, str, float, float, int]] = []
    thread = IngestThread(settings, SOURCES)
    try:
        thread.start()
        thread.ready.wait(60)
        time.sleep(5)  # the generators' first records
        started = time.time()
        while time.time() - started < args.duration:
            turn["way"] = "fetched ends" if turn["way"] == "ListOffsets" else "ListOffsets"
            t0 = time.perf_counter()
            thread.flush()
            rows.append((int((time.time() - started) // 60), turn["way"], time.perf_counter() - t0,
                         turn["seconds"], turn["caught"]))
            time.sleep(0.8)  # about the rest of a live cycle
    finally:
        thread.stop()
        bench_live.stop(gens)
        broker.stop(settings)
    print(f"flushes at {args.rate:.0f} events/s, mean seconds per minute of the run "
          f"(flush = catch-up + landing; caught = sources caught up, of {len(SOURCES)})")
    print(f"{'minute':>6}" + "".join(f"  {way + ': flush, catch-up, caught':>38}" for way in ways))
    for minute in sorted({r[0] for r in rows}):
        line = f"{minute + 1:>6}"
        for way in ways:
            mine = [r for r in rows if r[0] == minute and r[1] == way]
            n = len(mine) or 1
            line += (f"  {sum(r[2] for r in mine) / n:>20.3f} {sum(r[3] for r in mine) / n:>9.3f}"
                     f" {sum(r[4] for r in mine) / n:>7.2f}")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
