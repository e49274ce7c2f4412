"""Benchmark `pulse generate` against its own embedded broker (Tansu on a free port).

Prints three tables, all measured in this one run against the same broker:
1. rate control: achieved vs target rate (live mode, token bucket) at 1k, 5k and 20k msgs/s and at
   50 % and 80 % of the most one live-mode process sends (asked for UNPACED_TARGET);
2. the most one process sends (historical mode, unpaced: generation + keyed partitioning +
   delivery accounting) vs a bare kafka-python loop sending the very same pre-built bytes: with
   kafka-python's default settings, with the generator's batching settings, and with those
   settings plus each message's partition precomputed (the strictest floor: no murmur2 per send);
3. the same with --processes 2.

    .venv/bin/python bench/bench_generate.py [--dataset interactions] [--seconds 5] [--count 200000]

Not a test: nothing here asserts a timing. Goals: rate error <= 2 %, ratio >= 0.8.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
import uuid
from datetime import datetime
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ingest.config import load_settings  # noqa: E402
from pulse import broker  # noqa: E402
from pulse.generate import get_dataset  # noqa: E402
from pulse.generate.core import generated_records  # noqa: E402
from pulse.generate.faults import FaultCounts, Faults, items, kafka_messages  # noqa: E402
from pulse.generate.producer import PRODUCER_TUNING, ensure_topic, partitions_for_keys  # noqa: E402
from pulse.generate.runner import Options, build_plan, run  # noqa: E402

START = datetime(2024, 5, 1)


UNPACED_TARGET = 200_000  # msgs/s: far above what one process makes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def same_bytes(dataset: str, count: int, seed: int) -> list[tuple[bytes, bytes]]:
    """The messages `pulse generate <dataset> --start ... --count N --seed S` sends, pre-built."""
    cls = get_dataset(dataset)
    plan = build_plan(Options(dataset=dataset, start=START, count=count, seed=seed), cls).for_shard(0, 1)
    ds = cls(plan)
    stream = items(ds, generated_records(cls, plan, ds), Faults(), FaultCounts(), ())
    return list(islice(kafka_messages(ds, stream), count))


def bare_loop(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]], config: dict,
              partitions: list[int] | None = None) -> float:
    """A plain kafka-python producer loop: send(topic, value, key) each message, then flush.
    With `partitions`, each message's partition is given (precomputed, outside the timing)."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, **config)
    producer.send(topic, b"warm-up").get(timeout=30)  # metadata and connection, outside the timing
    t0 = time.perf_counter()
    if partitions is None:
        for key, value in messages:
            producer.send(topic, value=value, key=key)
    else:
        for (key, value), part in zip(messages, partitions, strict=True):
            producer.send(topic, value=value, key=key, partition=part)
    producer.flush()
    elapsed = time.perf_counter() - t0
    producer.close()
    return len(messages) / elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="interactions")
    ap.add_argument("--seconds", type=float, default=5.0, help="duration of each rate-control run")
    ap.add_argument("--count", type=int, default=200_000, help="messages per max-rate run")
    ap.add_argument("--rounds", type=int, default=2, help="max-rate runs of each kind (best is kept)")
    args = ap.parse_args()
    console = Console(width=130)

    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        own = load_settings({"PULSE_DATA_DIR": tmp, "PULSE_BROKER_PORT": str(free_port())})
        broker.start(own)
        try:
            settings = load_settings({"PULSE_DATA_DIR": tmp, "KAFKA_BOOTSTRAP_SERVERS": own.bootstrap})
            run_id = uuid.uuid4().hex[:6]

            # The most one live-mode process sends: asked for far more than it can make. Live mode
            # simulates sessions per event, so its maximum is below historical mode's (table 2).
            unpaced = max(run(Options(dataset=args.dataset, rate=UNPACED_TARGET, duration=args.seconds,
                                      topic=f"bench-live-max-{r}-{run_id}"), settings).achieved_rate
                          for r in range(args.rounds))
            rates = Table(title=f"1. rate control: {args.dataset}, live mode, {args.seconds:g} s per target; "
                                f"one live process unpaced: {unpaced:,.0f} msgs/s (best of {args.rounds})")
            for col in ("target msgs/s", "of unpaced", "sent", "achieved msgs/s", "error"):
                rates.add_column(col, justify="right")
            for target in sorted({1000, 5000, 20000, round(0.5 * unpaced, -2), round(0.8 * unpaced, -2)}):
                s = run(Options(dataset=args.dataset, rate=target, duration=args.seconds,
                                topic=f"bench-rate-{target:.0f}-{run_id}"), settings)
                err = (s.achieved_rate - target) / target
                rates.add_row(f"{target:,.0f}", f"{target / unpaced:.0%}", f"{s.sent:,}", f"{s.achieved_rate:,.0f}",
                              f"{err:+.2%}")
            console.print(rates)

            messages = same_bytes(args.dataset, args.count, seed=1)
            size = sum(len(k) + len(v) for k, v in messages) / len(messages)
            parts = partitions_for_keys([k for k, _ in messages], [0, 1, 2, 3])
            best: dict[str, float] = {}
            for r in range(args.rounds):
                for i, (name, config, given) in enumerate((
                        ("bare loop, kafka-python defaults", {}, None),
                        ("bare loop, generator's batching settings", PRODUCER_TUNING, None),
                        ("bare loop, same settings, partitions precomputed", PRODUCER_TUNING, parts))):
                    topic = f"bench-bare-{r}-{i}-{run_id}"
                    ensure_topic(settings, topic, 4)
                    rate = bare_loop(own.bootstrap, topic, messages, config, given)
                    best[name] = max(best.get(name, 0.0), rate)
                for n in (1, 2):
                    s = run(Options(dataset=args.dataset, start=START, count=args.count, seed=1, processes=n,
                                    topic=f"bench-gen{n}-{r}-{run_id}"), settings)
                    assert s.delivered == args.count, s
                    key = f"pulse generate --processes {n}"
                    best[key] = max(best.get(key, 0.0), s.achieved_rate)

            top = Table(title=f"2./3. max rate: {args.count:,} {args.dataset} messages (~{size:.0f} bytes), "
                              f"best of {args.rounds}")
            bases = ("bare loop, kafka-python defaults", "bare loop, generator's batching settings",
                     "bare loop, same settings, partitions precomputed")
            top.add_column("producer")
            top.add_column("msgs/s", justify="right")
            for col in ("vs bare defaults", "vs bare same settings", "vs bare precomputed"):
                top.add_column(col, justify="right")
            for name, rate in best.items():
                top.add_row(name, f"{rate:,.0f}", *(f"{rate / best[b]:.2f}" for b in bases))
            console.print(top)
            console.print("The bare loops send pre-built bytes (no generation); pulse generate builds each "
                          "message, picks its partition by key and tracks its delivery.")
        finally:
            broker.stop(own)
    return 0


if __name__ == "__main__":
    sys.exit(main())
