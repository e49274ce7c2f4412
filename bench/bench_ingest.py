"""Ingestion throughput, measured side by side in one run (not a test).

1. Kafka: landed records/s of `pulse ingest kafka --until-caught-up` (in-process
   `ingest_until_caught_up`) for view_log-shaped JSON vs a bare kafka-python consume loop (assign +
   poll, no decoding, stops at the known count) over the same topic with the same fetch settings;
   both timed from creating the consumer. Ratio = ingester / bare loop (goal >= 0.8).
2. Files: rows/s of `pulse ingest files user_interactions` on one CSV of 1M rows.
Each phase runs in its own process, so its peak RSS is its own. A private broker on a free port.

    .venv/bin/python bench/bench_ingest.py [--messages 200000] [--rows 1000000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TOPIC = "bench_view_log"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def view_messages(n: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    t0 = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    out = []
    for i in range(n):
        start = t0 + timedelta(milliseconds=i * 7)
        end = start + timedelta(milliseconds=rng.randint(200, 60_000))
        out.append(json.dumps({
            "view_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "start_timestamp": start.isoformat(timespec="milliseconds") + "Z",
            "end_timestamp": end.isoformat(timespec="milliseconds") + "Z",
            "banner_id": rng.randint(1, 5000), "campaign_id": rng.randint(1, 300)}).encode())
    return out


def produce(bootstrap: str, n: int, partitions: int = 4) -> None:
    from kafka import KafkaAdminClient, KafkaProducer
    from kafka.admin import NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(TOPIC, partitions, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, batch_size=512 * 1024,
                             max_request_size=4 * 1024 * 1024)
    for i, value in enumerate(view_messages(n)):
        producer.send(TOPIC, value, partition=i % partitions)
    producer.flush()
    producer.close()


def interactions_csv(path: Path, n: int) -> None:
    rng = random.Random(2)
    t0 = datetime(2023, 5, 1)
    actions = ["click", "scroll", "view", "purchase", "share"]
    with open(path, "w") as fh:
        fh.write("user_id,timestamp,action_type,page_id,duration_ms,app_version\n")
        for i in range(n):
            ts = (t0 + timedelta(seconds=i * 0.5)).strftime("%Y-%m-%d %H:%M:%S")
            fh.write(f"u{rng.randint(1, 50_000)},{ts},{rng.choice(actions)},p{rng.randint(1, 2000)},"
                     f"{rng.randint(10, 600_000)},3.{rng.randint(0, 9)}.0\n")


# -- phases, each run in a child process ------------------------------------------------------------
def phase_bare(bootstrap: str, n: int) -> dict:
    from kafka import KafkaConsumer, TopicPartition

    from ingest.kafka.lander import CONSUMER_TUNING

    t0 = time.perf_counter()  # like the ingester's, its time includes connecting
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, **{**CONSUMER_TUNING, "auto_offset_reset": "earliest"})
    tps = [TopicPartition(TOPIC, p) for p in consumer.partitions_for_topic(TOPIC)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    count = 0
    while count < n:
        for records in consumer.poll(timeout_ms=500).values():
            count += len(records)
    seconds = time.perf_counter() - t0
    consumer.close()
    return {"seconds": seconds, "count": count}


def phase_ingest(bootstrap: str, n: int, source: str) -> dict:
    from ingest.config import load_settings
    from ingest.kafka.lander import ingest_until_caught_up

    settings = load_settings()
    t0 = time.perf_counter()
    stats = ingest_until_caught_up(settings, [source])
    seconds = time.perf_counter() - t0
    landed = sum(p.landed_messages for p in stats.partitions.values())
    bad = sum(p.quarantined for p in stats.partitions.values())
    return {"seconds": seconds, "count": landed, "quarantined": bad}


def phase_files(path: str, source: str) -> dict:
    from ingest.config import load_settings
    from ingest.files import ingest_files

    t0 = time.perf_counter()
    [r] = ingest_files(load_settings(), source, [path])
    return {"seconds": time.perf_counter() - t0, "count": r.landed, "quarantined": r.quarantined}


def run_phase(args: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--phase", *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"phase {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        name, *rest = args.phase
        result = {"bare": lambda: phase_bare(rest[0], int(rest[1])),
                  "ingest": lambda: phase_ingest(rest[0], int(rest[1]), rest[2]),
                  "files": lambda: phase_files(rest[0], rest[1])}[name]()
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    from ingest.config import load_settings
    from ingest.sources import SOURCES
    from pulse import broker

    view_source = "view_log" if "view_log" in SOURCES else "web_events"
    file_source = "user_interactions" if "user_interactions" in SOURCES else None
    tmp = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    own = load_settings({"PULSE_DATA_DIR": str(tmp / "broker"), "PULSE_BROKER_PORT": str(free_port())})
    broker.start(own)
    try:
        t = time.perf_counter()
        produce(own.bootstrap, args.messages)
        print(f"produced {args.messages} view_log-shaped messages in {time.perf_counter() - t:.1f}s "
              f"(landed as source {view_source!r})")
        bare, ingest = [], []
        for r in range(args.rounds):
            env = {**os.environ, "PULSE_DATA_DIR": str(tmp / f"lake{r}"), "KAFKA_BOOTSTRAP_SERVERS": own.bootstrap,
                   f"PULSE_TOPIC_{view_source.upper()}": TOPIC}
            bare.append(run_phase(["bare", own.bootstrap, str(args.messages)], env))
            ingest.append(run_phase(["ingest", own.bootstrap, str(args.messages), view_source], env))
    finally:
        broker.stop(own)
    b = max(bare, key=lambda x: x["count"] / x["seconds"])
    i = max(ingest, key=lambda x: x["count"] / x["seconds"])
    b_rate, i_rate = b["count"] / b["seconds"], (i["count"] + i["quarantined"]) / i["seconds"]
    print(f"kafka bare consume loop : {b_rate:10,.0f} msg/s  ({b['count']} in {b['seconds']:.2f}s, "
          f"peak RSS {b['peak_rss_mb']:.0f} MB)")
    print(f"pulse ingest kafka      : {i_rate:10,.0f} msg/s  ({i['count']} landed + {i['quarantined']} quarantined "
          f"in {i['seconds']:.2f}s, peak RSS {i['peak_rss_mb']:.0f} MB)")
    print(f"ratio ingest / bare     : {i_rate / b_rate:10.2f}   (goal >= 0.8; best of {args.rounds} rounds each)")

    if file_source is None:
        print("user_interactions is not registered: file benchmark skipped")
        return
    csv_path = tmp / "user_interactions.csv"
    t = time.perf_counter()
    interactions_csv(csv_path, args.rows)
    print(f"wrote {args.rows} user_interactions rows ({csv_path.stat().st_size / 1e6:.0f} MB) in "
          f"{time.perf_counter() - t:.1f}s")
    env = {**os.environ, "PULSE_DATA_DIR": str(tmp / "files")}
    f = run_phase(["files", str(csv_path), file_source], env)
    print(f"pulse ingest files      : {(f['count'] + f['quarantined']) / f['seconds']:10,.0f} rows/s  "
          f"({f['count']} landed + {f['quarantined']} quarantined in {f['seconds']:.1f}s, "
          f"peak RSS {f['peak_rss_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
