"""`pulse generate` into a real broker (Tansu over the Kafka protocol): what is reported is what a
consumer reads back, keys keep a user's events on one partition, faults reconcile exactly, and a
broker that is down or goes away is reported, never silently lost."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime

import pytest
from kafka import KafkaConsumer, TopicPartition

from ingest.config import load_settings
from pulse import broker
from pulse.cli import main as pulse
from pulse.generate.faults import Faults
from pulse.generate.runner import Options, run
from tests.conftest import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def kafka_settings(kafka_broker, data_dir, monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_broker)
    return load_settings()


def read_topic(bootstrap: str, topic: str, expect: int, timeout: float = 90.0) -> list:
    """Every record of `topic` (all partitions), polling until `expect` arrived and a quiet spell."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    try:
        assigned: list = []
        records: list = []
        deadline = time.monotonic() + timeout
        quiet_until = None
        refreshed = 0.0
        while time.monotonic() < deadline:
            # The broker's metadata may list a new topic's partitions a few at a time: keep adding.
            # partitions_for_topic answers from the consumer's cache once it knows the topic, and
            # an assigned consumer refreshes that cache only every 5 minutes: while records are
            # missing, ask the broker again (once a second).
            if len(records) < expect and time.monotonic() - refreshed >= 1.0:
                consumer.topics()
                refreshed = time.monotonic()
            parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
            new = [tp for tp in parts if tp not in assigned]
            if new:  # (re)assigning resets positions: read every partition from the start again
                assigned += new
                consumer.assign(assigned)
                # Offset 0, not seek_to_beginning(): the topic is new, and the embedded broker
                # answers ListOffsets(earliest) with the batch stored first, which two producers
                # writing one partition at once can make a later one (a fresh-clone run read
                # partition 0 from offset 479: 2522 of 3001 records).
                for tp in assigned:
                    consumer.seek(tp, 0)
                records, quiet_until = [], None
            if not assigned:
                consumer.poll(timeout_ms=100)  # refreshes metadata
                continue
            batch = consumer.poll(timeout_ms=300)
            got = [r for rs in batch.values() for r in rs]
            records += got
            if len(records) >= expect:
                quiet_until = quiet_until or time.monotonic() + 1.0  # anything extra would show up now
                if time.monotonic() >= quiet_until:
                    break
        return records
    finally:
        consumer.close()


def test_live_run_is_read_back_exactly_and_keys_keep_users_on_one_partition(kafka_settings, kafka_broker):
    topic = f"gen-{uuid.uuid4().hex[:8]}"
    summary = run(Options(dataset="interactions", rate=3000, count=4000, topic=topic), kafka_settings)
    assert summary.mode == "live" and summary.sent == summary.delivered == 4000 and summary.failed == 0
    records = read_topic(kafka_broker, topic, 4000)
    assert len(records) == summary.sent
    partitions = defaultdict(set)
    now = time.time()
    for r in records:
        msg = json.loads(r.value)
        assert set(msg) == {"user_id", "item_id", "interaction_type", "timestamp"}
        assert r.key == msg["user_id"].encode()
        partitions[msg["user_id"]].add(r.partition)
        # Live mode: event time is about now.
        ts = time.mktime(time.strptime(msg["timestamp"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        assert abs(ts - now) < 120
    assert all(len(p) == 1 for p in partitions.values())
    assert len({p for ps in partitions.values() for p in ps}) == 4  # topic created with 4 partitions


def test_two_processes_split_users_and_deliver_the_count(kafka_settings, kafka_broker):
    topic = f"gen-{uuid.uuid4().hex[:8]}"
    summary = run(Options(dataset="watch_events", start=datetime(2024, 5, 1), count=3001,
                          processes=2, topic=topic), kafka_settings)
    assert summary.sent == summary.delivered == 3001
    assert sorted(s.sent for s in summary.shards) == [1500, 1501]
    records = read_topic(kafka_broker, topic, 3001)
    assert len(records) == 3001
    by_session = defaultdict(set)
    for r in records:
        msg = json.loads(r.value)
        assert r.key == msg["session_id"].encode()
        by_session[msg["session_id"]].add(r.partition)
    assert all(len(p) == 1 for p in by_session.values())
    # Per partition, one session's heartbeats are in event-time order (each comes from one process).
    last: dict[str, str] = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        msg = json.loads(r.value)
        assert msg["event_time"] >= last.get(msg["session_id"], "")
        last[msg["session_id"]] = msg["event_time"]


def test_view_log_faults_reconcile_with_the_summary(kafka_settings, kafka_broker):
    topic = f"gen-{uuid.uuid4().hex[:8]}"
    faults = Faults(late_fraction=0.1, max_delay=10, duplicate_fraction=0.05, bad_fraction=0.1)
    # 5000 views in 10 minutes: dense enough that a view up to 10 s late lands out of order.
    summary = run(Options(dataset="view_log", start=datetime(2024, 5, 1), end=datetime(2024, 5, 1, 0, 10),
                          count=5000, topic=topic, faults=faults), kafka_settings)
    assert summary.sent == 5000
    records = read_topic(kafka_broker, topic, 5000)
    assert len(records) == 5000
    kinds: Counter = Counter()
    late = 0
    required = {"view_id", "start_timestamp", "end_timestamp", "banner_id", "campaign_id"}
    seen_values: Counter = Counter(r.value for r in records)
    latest: dict[int, str] = {}
    for r in records:
        try:
            msg = json.loads(r.value)
        except json.JSONDecodeError:
            kinds["malformed_json"] += 1
            continue
        if set(msg) != required:
            kinds["missing_field"] += 1
        elif not all(isinstance(msg[k], int) for k in ("banner_id", "campaign_id")) or msg["start_timestamp"] == "soon":
            kinds["wrong_type"] += 1
        elif msg["end_timestamp"] < msg["start_timestamp"]:
            kinds["negative_duration"] += 1
        else:
            if msg["end_timestamp"] < latest.get(r.partition, ""):
                late += 1
            latest[r.partition] = max(latest.get(r.partition, ""), msg["end_timestamp"])
    dup_copies = sum(c - 1 for c in seen_values.values())
    # Each bad record counted once even when its duplicate copy also arrived.
    copies_of_bad = sum(c - 1 for v, c in seen_values.items() if c > 1 and _is_bad(v, required))
    assert dup_copies == summary.duplicates
    assert sum(kinds.values()) - copies_of_bad == sum(summary.bad.values())
    assert set(kinds) == {"malformed_json", "missing_field", "wrong_type", "negative_duration"}
    originals = 5000 - summary.duplicates
    assert abs(sum(summary.bad.values()) / originals - 0.10) < 0.025
    assert abs(summary.late / originals - 0.10) < 0.025
    assert 0.5 * summary.late < late <= summary.late + dup_copies


def _is_bad(value: bytes, required: set) -> bool:
    try:
        msg = json.loads(value)
    except json.JSONDecodeError:
        return True
    return (set(msg) != required or not isinstance(msg["banner_id"], int) or not isinstance(msg["campaign_id"], int)
            or msg["start_timestamp"] == "soon" or msg["end_timestamp"] < msg["start_timestamp"])


def test_broker_down_is_a_clear_error(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    assert pulse(["generate", "interactions", "--count", "10", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach Kafka at 127.0.0.1:" in err and "KAFKA_BOOTSTRAP_SERVERS" in err


def test_broker_going_away_reports_what_was_not_delivered(tmp_path, data_dir):
    own = load_settings({"PULSE_DATA_DIR": str(tmp_path / "b"), "PULSE_BROKER_PORT": str(free_port())})
    settings = load_settings({"PULSE_DATA_DIR": str(data_dir), "KAFKA_BOOTSTRAP_SERVERS": own.bootstrap})
    pid = broker.start(own).pid
    killed = threading.Event()

    def kill_once_sending(sent: int, *_) -> None:
        """The broker goes away mid-run: once the first messages were sent, however long the start took.
        SIGKILL: Tansu's graceful SIGTERM waits for clients to leave, which the producer never does."""
        if sent > 0 and not killed.is_set():
            killed.set()
            os.kill(pid, signal.SIGKILL)

    try:
        summary = run(Options(dataset="interactions", rate=500, duration=4, topic="going-away",
                              producer_config={"delivery_timeout_ms": 3000, "request_timeout_ms": 1000,
                                               "linger_ms": 5, "max_block_ms": 2000, "retry_backoff_ms": 100}),
                      settings, progress=kill_once_sending)
    finally:
        broker.stop(own)
    assert killed.is_set(), "the broker was never killed: nothing was sent"
    shard = summary.shards[0]
    assert summary.failed > 0
    assert shard.undelivered_file
    lines = open(shard.undelivered_file).read().splitlines()
    assert len(lines) == shard.failed + shard.not_sent
    assert {"key", "value", "reason"} <= set(json.loads(lines[0]))
