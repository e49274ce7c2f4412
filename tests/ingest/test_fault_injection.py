"""Exactly-once under crashes: SIGKILL the ingester at random moments while a producer writes,
restart it each time; in the end every produced offset is in the lake exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
from kafka import KafkaProducer

from ingest.audit import add_broker_view, audit_lake
from ingest.kafka.lander import ingest_until_caught_up
from ingest.kafka.names import resume_points
from tests.ingest.test_kafka_ingest import lake_rows, make_topic, offsets_of, topic_settings, web_event

__all__ = ["topic_settings"]  # the fixture, shared with the Kafka ingestion tests

pytestmark = pytest.mark.integration

KILLS = 12
PARTITIONS = 3


def landed_high(settings) -> int:
    """Sum over partitions of the highest landed offset, from the file names."""
    return sum(r.next_offset for r in resume_points(settings, ["web_events"]).values())


def test_sigkill_at_random_moments_loses_and_doubles_nothing(topic_settings):
    settings, topic = topic_settings
    make_topic(settings.bootstrap, topic, PARTITIONS)
    rng = random.Random(7)
    produced: list[int] = [0]
    stop = threading.Event()

    def producer() -> None:
        p = KafkaProducer(bootstrap_servers=settings.bootstrap, linger_ms=5)
        i = 0
        while not stop.is_set():
            for _ in range(100):
                value = b"\x00bad" if i % 97 == 0 else json.dumps(web_event(i)).encode()
                p.send(topic, value, key=str(i).encode(), partition=i % PARTITIONS)
                i += 1
            p.flush()
            produced[0] = i
            time.sleep(0.05)
        p.close()

    thread = threading.Thread(target=producer, daemon=True)
    thread.start()
    env = {**os.environ}
    cmd = [sys.executable, "-m", "pulse.cli", "ingest", "kafka", "--follow", "--no-live", "--topics", "web_events",
           "--flush-records", "200", "--flush-interval", "0.1"]
    killed_with_files = 0
    try:
        for _ in range(KILLS):
            before = landed_high(settings)
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if rng.random() < 0.25:
                time.sleep(rng.uniform(0.2, 1.5))  # early: during startup or the replay of the newest range
            else:  # once it lands again (startup takes longer on a busy machine), anywhere in that
                deadline = time.monotonic() + 90
                while landed_high(settings) <= before and time.monotonic() < deadline:
                    time.sleep(0.05)
                time.sleep(rng.uniform(0.0, 0.8))
            proc.send_signal(signal.SIGKILL)
            proc.wait(60)
            killed_with_files += landed_high(settings) > before
    finally:
        stop.set()
        thread.join(30)
    assert killed_with_files >= KILLS // 2, "the ingester was mostly killed before it landed anything"

    ingest_until_caught_up(settings, ["web_events"], timeout_s=120)
    landed, quarantined = lake_rows(settings), lake_rows(settings, quarantine=True)
    keys = offsets_of(landed) + offsets_of(quarantined)
    assert len(keys) == len(set(keys)), "an offset landed twice"
    per_partition = {p: sum(1 for i in range(produced[0]) if i % PARTITIONS == p) for p in range(PARTITIONS)}
    for p in range(PARTITIONS):
        assert sorted(o for q, o in keys if q == p) == list(range(per_partition[p])), f"partition {p} incomplete"
    assert quarantined.num_rows == sum(1 for i in range(produced[0]) if i % 97 == 0)
    audits = audit_lake(settings, ["web_events"])
    add_broker_view(settings, audits, {topic: "web_events"})
    assert all(a.ok and a.not_yet_landed == 0 and a.messages == a.produced for a in audits.values())
