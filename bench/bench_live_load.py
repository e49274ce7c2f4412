"""The load `bench_live.py` puts on the machine besides the loop (not a test): the embedded broker,
the bench's three generators and the Kafka ingester (`pulse ingest kafka --follow`), and the cores
each of them used in every 15 s of the run.

The loop shares its 2 cores with this load, so what the load costs is freshness lost. The broker's
fetches cost more with every record batch a topic holds; how many batches there are depends on
the producers' linger, so the run is repeated for each `--linger-ms` given (the generators' own
setting is in pulse/generate/producer.py), one after the other, each on a new broker. With
`--no-consumer` nothing fetches: what producing alone costs the broker.

    .venv/bin/python bench/bench_live_load.py                        # 20 ms, then 100 ms
    .venv/bin/python bench/bench_live_load.py --linger-ms 100 --duration 300
    .venv/bin/python bench/bench_live_load.py --linger-ms 100 --duration 300 --no-consumer
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_live import bench_env, cpu_seconds, generators, stop  # noqa: E402
from ingest.config import load_settings  # noqa: E402
from pulse import broker  # noqa: E402

WINDOW_S = 15.0


def one_run(linger_ms: int, rate: float, duration: float, consumer: bool = True) -> None:
    work = Path(tempfile.mkdtemp(prefix="pulse-bench-load-"))
    env = bench_env(work, "load")
    settings = load_settings(env)
    log = work / "bench.log"
    procs: list[subprocess.Popen] = []
    broker_pid = broker.start(settings).pid
    try:
        gens = generators(env, log, rate, duration, linger_ms)
        procs = list(gens)
        groups = {"broker": [broker_pid], "generators": [p.pid for p in gens]}
        if consumer:
            time.sleep(2)  # the generators create the topics
            ingester = subprocess.Popen([sys.executable, "-m", "pulse.cli", "ingest", "kafka", "--follow", "--no-live"],
                                        env=env, cwd=REPO, stdout=log.open("a"), stderr=subprocess.STDOUT)
            procs.append(ingester)
            groups["ingester"] = [ingester.pid]
        print(f"linger {linger_ms} ms, {rate:.0f} messages/s (logs: {log}); cores per {WINDOW_S:.0f} s:")
        print(f"{'s':>6}" + "".join(f"{name:>12}" for name in groups))
        before = {name: sum(cpu_seconds(p) or 0.0 for p in pids) for name, pids in groups.items()}
        started = time.monotonic()
        window = 1
        while any(p.poll() is None for p in gens):
            time.sleep(0.5)
            if time.monotonic() - started < window * WINDOW_S:
                continue
            now = {name: sum(cpu_seconds(p) or 0.0 for p in pids) for name, pids in groups.items()}
            print(f"{window * WINDOW_S:>6.0f}" + "".join(f"{(now[n] - before[n]) / WINDOW_S:>12.2f}" for n in groups),
                  flush=True)
            before, window = now, window + 1
    finally:
        stop(procs)
        broker.stop(settings)


def lingers(text: str) -> list[int]:
    """`--linger-ms`: a comma-separated list of whole milliseconds."""
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a comma-separated list of whole milliseconds") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: a linger is 0 ms or more")
    return values


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=5000, help="messages/s across the three topics (default 5000)")
    ap.add_argument("--duration", type=float, default=120, help="seconds per run (default 120)")
    ap.add_argument("--linger-ms", type=lingers, default=[20, 100], help="the producers' linger per run, in order")
    ap.add_argument("--no-consumer", action="store_true", help="no ingester: the broker's cost of producing alone")
    args = ap.parse_args()
    for linger in args.linger_ms:
        one_run(linger, args.rate, args.duration, consumer=not args.no_consumer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
