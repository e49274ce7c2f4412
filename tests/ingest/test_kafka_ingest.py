"""`pulse ingest kafka` against a real broker: quarantine, audit, explode, scale-out, compaction,
a broker restart. Each test lands its own uniquely named topic into a fresh data dir."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

from ingest.audit import add_broker_view, audit_lake
from ingest.compact import compact_lake
from ingest.config import load_settings
from ingest.kafka.lander import KafkaIngester, ingest_until_caught_up
from ingest.kafka.names import kafka_files, parse_name, source_roots
from ingest.metrics import read_metrics
from ingest.sources import SOURCES
from ingest.sources.base import Field, RecordError, SourceSpec
from ingest.sources.parsers import integer, text, utc_timestamp
from pulse import broker
from pulse.cli import main
from tests.conftest import free_port

pytestmark = pytest.mark.integration


def web_event(i: int, day: int = 1) -> dict:
    return {"event_name": "click", "user_id": f"u{i % 13}", "app_version": "1.0",
            "event_time": f"2024-05-0{day}T10:00:{i % 60:02d}.123Z", "device_id": f"d{i}", "client": "web"}


def make_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        admin.close()


def produce(bootstrap: str, topic: str, values: list[bytes | None], partitions: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    for i, v in enumerate(values):
        producer.send(topic, v, key=b"k", partition=i % partitions)
    producer.flush()
    producer.close()


@pytest.fixture
def topic_settings(data_dir, kafka_broker, monkeypatch):
    """Settings whose web_events topic is a fresh, uniquely named topic on the session broker."""
    topic = f"we_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_broker)
    monkeypatch.setenv("PULSE_TOPIC_WEB_EVENTS", topic)
    return load_settings(), topic


def lake_rows(settings, source: str = "web_events", quarantine: bool = False) -> pa.Table:
    root = (settings.quarantine_dir if quarantine else settings.lake_dir) / source
    tables = [pq.ParquetFile(p).read() for p, _ in kafka_files([root])]
    schema = SOURCES[source].schema if not quarantine and source in SOURCES else None
    if not tables:
        return schema.empty_table() if schema else pa.table({"_offset": pa.array([], pa.int64())})
    return pa.concat_tables(tables, promote_options="default")


def offsets_of(table: pa.Table) -> list[tuple[int, int]]:
    return sorted(zip(table["_partition"].to_pylist(), table["_offset"].to_pylist(), strict=True))


def test_bad_messages_are_quarantined_with_reasons_and_audit_reconciles(topic_settings, capsys):
    settings, topic = topic_settings
    make_topic(settings.bootstrap, topic, 2)
    good = [json.dumps(web_event(i)).encode() for i in range(40)]
    bad = {
        b"\xff\xfe\x00 not utf-8": "not UTF-8",
        b"{not json": "not JSON",
        b"[1, 2, 3]": "expected a JSON object, got an array",
        json.dumps({"event_name": "click", "event_time": "2024-05-01T10:00:00Z"}).encode(): "missing user_id",
        json.dumps({**web_event(1), "user_id": {"nested": 1}}).encode(): "bad user_id",
        json.dumps({**web_event(1), "event_time": "yesterday-ish"}).encode(): "bad event_time",
        json.dumps({**web_event(1), "event_time": "1970-01-01T00:00:01Z"}).encode(): "plausible range",
        json.dumps({**web_event(1), "event_time": "2999-01-01T00:00:00Z"}).encode(): "plausible range",
        json.dumps({**web_event(1), "device_id": "x" * 3000}).encode(): "oversized message",
        None: "null value",
    }
    values = good[:20] + list(bad) + good[20:]
    produce(settings.bootstrap, topic, values, 2)

    stats = ingest_until_caught_up(settings, ["web_events"], max_message_bytes=2000, timeout_s=60)
    assert sum(p.landed_messages for p in stats.partitions.values()) == len(values)

    landed = lake_rows(settings)
    quarantined = lake_rows(settings, quarantine=True)
    assert landed.num_rows == 40
    assert quarantined.num_rows == len(bad)
    raw_to_reason = dict(zip(quarantined["raw"].to_pylist(), quarantined["reason"].to_pylist(), strict=True))
    for raw, expected in bad.items():
        assert expected in raw_to_reason[raw], (raw, raw_to_reason[raw])
    assert set(quarantined["_topic"].to_pylist()) == {topic}
    assert len(set(offsets_of(landed)) | set(offsets_of(quarantined))) == len(values)

    audits = audit_lake(settings, ["web_events"])
    add_broker_view(settings, audits, {topic: "web_events"})
    assert all(a.ok and a.not_yet_landed == 0 and a.produced == a.messages for a in audits.values())
    assert sum(a.landed_messages for a in audits.values()) == 40
    assert sum(a.quarantined_messages for a in audits.values()) == len(bad)

    # The command agrees and exits 0; running the ingester again lands nothing twice.
    assert main(["lake", "audit", "--sources", "web_events"]) == 0
    assert "ok" in capsys.readouterr().out
    ingest_until_caught_up(settings, ["web_events"], max_message_bytes=2000, timeout_s=60)
    assert lake_rows(settings).num_rows == 40
    assert lake_rows(settings, quarantine=True).num_rows == len(bad)


def test_catch_up_consumes_every_batch_the_broker_held_when_asked(topic_settings):
    """The live loop's flush: consume up to the logs' ends (the high watermarks of the consumer's own
    fetches sent after the ask, ingest/kafka/fetch_ends.py), then land; the source is through the
    time the ends were asked."""
    settings, topic = topic_settings
    make_topic(settings.bootstrap, topic, 3)
    produce(settings.bootstrap, topic, [json.dumps(web_event(i)).encode() for i in range(3000)], 3)
    ing = KafkaIngester(settings, ["web_events"], flush_interval_s=1e9, flush_records=10**9)

    def list_offsets(*args, **kwargs):  # a stand-in that fails: the catch-up must not ask ListOffsets
        raise AssertionError("the catch-up asked ListOffsets")

    ing.consumer.end_offsets = list_offsets
    try:
        asked = time.time()
        caught = ing.catch_up(timeout_s=30)
        assert set(caught) == {"web_events"} and caught["web_events"] >= asked
        assert sum(p.position for p in ing.parts.values()) == 3000  # nothing polled before: all by catch_up
        ing.flush()
        assert lake_rows(settings).num_rows == 3000
        produce(settings.bootstrap, topic, [json.dumps(web_event(i)).encode() for i in range(3000, 3500)], 3)
        again = ing.catch_up(timeout_s=30)
        assert again["web_events"] > caught["web_events"]
        ing.flush()
        assert lake_rows(settings).num_rows == 3500
    finally:
        ing.close()


def test_audit_reports_a_missing_range(topic_settings):
    settings, topic = topic_settings
    make_topic(settings.bootstrap, topic, 1)
    produce(settings.bootstrap, topic, [json.dumps(web_event(i)).encode() for i in range(30)], 1)
    ingest_until_caught_up(settings, ["web_events"], flush_records=10, timeout_s=60)
    files = sorted(kafka_files(source_roots(settings, ["web_events"])), key=lambda f: f[1].first)
    assert [(r.first, r.last) for _, r in files] == [(0, 9), (10, 19), (20, 29)]
    files[1][0].unlink()  # lose the middle flush
    audits = audit_lake(settings, ["web_events"])
    add_broker_view(settings, audits, {topic: "web_events"})
    [audit] = audits.values()
    assert audit.missing == [(10, 19)] and not audit.ok
    assert main(["lake", "audit", "--sources", "web_events"]) == 1


def log_start_said_to_be(monkeypatch, offset: int) -> None:
    """Fakes the broker's ListOffsets(earliest) answer as `offset` at least: what the embedded broker
    answers when it stored a later batch first, or a real Kafka after retention."""
    real = KafkaConsumer.beginning_offsets
    monkeypatch.setattr(KafkaConsumer, "beginning_offsets", lambda self, partitions, timeout_ms=None: {
        tp: max(start, offset) for tp, start in real(self, partitions, timeout_ms).items()})


def test_audit_reports_a_missing_first_range_whatever_the_log_start_is_said_to_be(topic_settings, monkeypatch):
    """The embedded broker can answer ListOffsets(earliest) with a later batch than its first (the
    one it stored first); the audit's broker view must not take that for the log's start, or a lost
    first flush would look like offsets retention removed. The fake is that answer."""
    settings, topic = topic_settings
    make_topic(settings.bootstrap, topic, 1)
    produce(settings.bootstrap, topic, [json.dumps(web_event(i)).encode() for i in range(30)], 1)
    ingest_until_caught_up(settings, ["web_events"], flush_records=10, timeout_s=60)
    files = sorted(kafka_files(source_roots(settings, ["web_events"])), key=lambda f: f[1].first)
    files[0][0].unlink()  # lose the first flush
    log_start_said_to_be(monkeypatch, 10)
    audits = audit_lake(settings, ["web_events"])
    add_broker_view(settings, audits, {topic: "web_events"})
    [audit] = audits.values()
    assert audit.broker_first == 0 and audit.broker_highwater == 30
    assert audit.missing == [(0, 9)] and not audit.ok


BATCH = SourceSpec(
    name="test_batches",
    partition_field="ts",
    fields=(Field("item", pa.string(), text), Field("qty", pa.int64(), integer), Field("ts", pa.timestamp("us"),
                                                                                      utc_timestamp)),
    explode=lambda msg: _explode(msg),
)


def _explode(msg):
    if not isinstance(msg, dict) or not isinstance(msg.get("events"), list):
        raise RecordError("expected a batch object with an events array")
    return [{**e, "ts": msg.get("ts")} if isinstance(e, dict) else e for e in msg["events"]]


def test_exploded_messages_keep_offsets_and_rows_traceable(data_dir, kafka_broker, monkeypatch):
    """One message -> several rows numbered by _row; the audit counts messages, not rows."""
    topic = f"batches_{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(SOURCES, "test_batches", BATCH)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_broker)
    settings = load_settings()
    settings.topics["test_batches"] = topic
    make_topic(kafka_broker, topic, 1)
    ts = "2024-05-01T10:00:00Z"
    msgs = [
        {"ts": ts, "events": [{"item": "a", "qty": 1}, {"item": "b", "qty": 2}, {"item": "c", "qty": 3}]},
        {"ts": ts, "events": [{"item": "d", "qty": 1}, {"item": "e", "qty": "many"}]},  # one bad event
        {"ts": ts, "events": []},  # nothing to land: accounted in the quarantine
        {"ts": ts},  # not a batch
    ]
    produce(kafka_broker, topic, [json.dumps(m).encode() for m in msgs], 1)
    ingest_until_caught_up(settings, ["test_batches"], timeout_s=60)
    landed = lake_rows(settings, "test_batches")
    assert sorted(zip(landed["_offset"].to_pylist(), landed["_row"].to_pylist(), landed["item"].to_pylist(),
                      strict=True)) == [(0, 0, "a"), (0, 1, "b"), (0, 2, "c"), (1, 0, "d")]
    bad = lake_rows(settings, "test_batches", quarantine=True)
    assert sorted(zip(bad["_offset"].to_pylist(), bad["_row"].to_pylist(), strict=True)) == [
        (1, 1), (2, None), (3, None)]
    audits = audit_lake(settings, ["test_batches"])
    add_broker_view(settings, audits, {topic: "test_batches"})
    [audit] = audits.values()
    assert audit.ok and audit.produced == 4 and audit.messages == 4 and audit.landed_rows == 4


def test_two_ingesters_in_a_group_cover_every_partition_once(topic_settings):
    """Two `pulse ingest kafka --follow --group` processes share a topic; SIGTERM stops them cleanly."""
    settings, topic = topic_settings
    make_topic(settings.bootstrap, topic, 4)
    n = 2000
    produce(settings.bootstrap, topic, [json.dumps(web_event(i)).encode() for i in range(n)], 4)
    group = f"g_{uuid.uuid4().hex[:6]}"
    cmd = [sys.executable, "-m", "pulse.cli", "ingest", "kafka", "--follow", "--no-live", "--topics", "web_events",
           "--group", group, "--flush-records", "100"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    lines: list[list[str]] = [[], []]  # each ingester's log, read as it is written
    tails = [threading.Thread(target=_tail, args=(p.stderr, out), daemon=True)
             for p, out in zip(procs, lines, strict=True)]
    for t in tails:
        t.start()
    try:
        _wait(lambda: lake_rows(settings).num_rows >= n, 120, lambda: f"landed {lake_rows(settings).num_rows}")
        # The group has settled once both members were given partitions (each logs where it resumes).
        _wait(lambda: all(any("resuming at offset" in line for line in out) for out in lines), 120,
              lambda: f"logs {lines}")
        produce(settings.bootstrap, topic, [json.dumps(web_event(i)).encode() for i in range(n, 2 * n)], 4)
        _wait(lambda: lake_rows(settings).num_rows >= 2 * n, 120, lambda: f"landed {lake_rows(settings).num_rows}")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p, t in zip(procs, tails, strict=True):
            p.wait(60)
            t.join(30)
    logs = ["".join(out) for out in lines]
    assert [p.returncode for p in procs] == [0, 0], logs
    keys = offsets_of(lake_rows(settings))
    assert len(keys) == len(set(keys)) == 2 * n  # nothing twice, nothing missing
    assert {p for p, _ in keys} == {0, 1, 2, 3}
    flushed_by = {(m["pid"], m["partition"]) for m in read_metrics(settings) if m["last"] >= n // 4}
    assert {pid for pid, _ in flushed_by} == {p.pid for p in procs}, "both ingesters landed partitions"


def test_static_partitions_split_a_topic(topic_settings):
    settings, topic = topic_settings
    make_topic(settings.bootstrap, topic, 3)
    produce(settings.bootstrap, topic, [json.dumps(web_event(i)).encode() for i in range(300)], 3)
    ingest_until_caught_up(settings, ["web_events"], partitions=[0, 2], timeout_s=60)
    assert {p for p, _ in offsets_of(lake_rows(settings))} == {0, 2}
    ingest_until_caught_up(settings, ["web_events"], partitions=[1], timeout_s=60)
    keys = offsets_of(lake_rows(settings))
    assert len(keys) == len(set(keys)) == 300


def test_compaction_merges_old_files_and_keeps_offsets_exact(topic_settings):
    settings, topic = topic_settings
    make_topic(settings.bootstrap, topic, 2)
    values = [json.dumps(web_event(i, day=1 + (i // 2) % 2)).encode() for i in range(200)]
    values[17] = b"garbage"
    produce(settings.bootstrap, topic, values, 2)
    ingest_until_caught_up(settings, ["web_events"], flush_records=10, timeout_s=60)
    before = sorted(kafka_files([settings.lake_dir / "web_events"]))
    old = time.time() - 3 * 3600
    for path, _ in before:
        os.utime(path, (old, old))
    result = compact_lake(settings, ["web_events"], older_than_s=3600)
    after = sorted(kafka_files([settings.lake_dir / "web_events"]))
    # Per partition and date folder one merged file, plus the newest range left for the resume.
    assert result.merged_files == 4 and len(after) < len(before)
    names = {p.name for p, _ in after}
    for rng in {r for _, r in before}:
        newest = max((r for _, r in before if r.key == rng.key), key=lambda r: r.last)
        if rng == newest:
            assert f"{rng.file_stem()}.parquet" in names  # the resume anchor stays untouched
    landed = lake_rows(settings)
    assert len(offsets_of(landed)) == len(set(offsets_of(landed))) == 199
    audits = audit_lake(settings, ["web_events"])
    add_broker_view(settings, audits, {topic: "web_events"})
    assert all(a.ok and a.messages == a.produced for a in audits.values())

    # An interrupted compaction (merged written, originals still there) is finished by the next run.
    merged_path, merged = next((p, r) for p, r in after if r.last - r.first > 20)
    table = pq.ParquetFile(merged_path).read()
    leftover = merged_path.with_name(f"{merged.topic}+{merged.partition}+{merged.first}-{merged.first}.parquet")
    pq.write_table(table.slice(0, 1), leftover)
    os.utime(leftover, (old, old))
    compact_lake(settings, ["web_events"], older_than_s=3600)
    assert not leftover.exists()

    # Ingestion resumes after compaction without duplicates.
    produce(settings.bootstrap, topic, [json.dumps(web_event(i)).encode() for i in range(200, 260)], 2)
    ingest_until_caught_up(settings, ["web_events"], flush_records=10, timeout_s=60)
    keys = offsets_of(lake_rows(settings))
    assert len(keys) == len(set(keys)) == 259


def test_broker_down_for_10s_and_restarted_empty(data_dir, monkeypatch):
    """Tansu keeps topics in memory: after the restart the offsets start again at 0. The ingester
    survives the outage and lands the new log as epoch 1, beside (not over) epoch 0's files."""
    env = {"PULSE_DATA_DIR": str(data_dir.parent / "own_broker"), "PULSE_BROKER_PORT": str(free_port())}
    own = load_settings(env)
    broker.start(own)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", own.bootstrap)
    settings = load_settings()
    topic = settings.topic("web_events")
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with KafkaIngester(settings, ["web_events"]) as ing:
                while not stop.is_set():
                    ing.poll_once(0.2)
        except BaseException as exc:  # the test fails on any
            errors.append(exc)

    try:
        make_topic(own.bootstrap, topic, 2)
        produce(own.bootstrap, topic, [json.dumps(web_event(i)).encode() for i in range(100)], 2)
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        _wait(lambda: lake_rows(settings).num_rows == 100, 120)
        broker.stop(own)
        time.sleep(10)
        assert thread.is_alive() and not errors
        broker.start(own)
        make_topic(own.bootstrap, topic, 2)
        produce(own.bootstrap, topic, [json.dumps(web_event(i)).encode() for i in range(100, 140)], 2)
        _wait(lambda: lake_rows(settings).num_rows == 140, 120)
        stop.set()
        thread.join(30)
        assert not errors, errors
    finally:
        stop.set()
        broker.stop(own)
    ranges = [parse_name(p.name) for p, _ in kafka_files([settings.lake_dir / "web_events"])]
    assert {r.epoch for r in ranges} == {0, 1}
    landed = lake_rows(settings)
    assert sorted(landed["device_id"].to_pylist()) == sorted(f"d{i}" for i in range(140))
    audits = audit_lake(settings, ["web_events"])
    assert all(a.ok for a in audits.values())
    assert sum(a.messages for k, a in audits.items() if k[2] == 1) == 40


def _tail(stream, out: list[str]) -> None:
    for line in stream:
        out.append(line)


def _wait(cond, timeout_s: float, state=lambda: "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError(f"condition not met within {timeout_s}s {state()}")


def test_cli_until_caught_up_and_metrics(topic_settings, capsys):
    settings, topic = topic_settings
    make_topic(settings.bootstrap, topic, 1)
    produce(settings.bootstrap, topic, [json.dumps(web_event(i)).encode() for i in range(25)], 1)
    assert main(["ingest", "kafka", "--topics", "web_events", "--until-caught-up"]) == 0
    assert lake_rows(settings).num_rows == 25
    metrics = [json.loads(line) for line in
               Path(settings.data_dir, "metrics", "kafka_ingest.jsonl").read_text().splitlines()]
    assert metrics and metrics[-1]["topic"] == topic and metrics[-1]["last"] == 24
    assert main(["ingest", "kafka", "--topics", "nope"]) == 2  # bad usage


def test_every_row_carries_its_kafka_record_timestamp(topic_settings):
    """The record's own timestamp (its arrival, for lateness) lands with the row, exploded rows
    included; file rows and files landed before the columns existed read it as null."""
    settings, topic = topic_settings
    make_topic(settings.bootstrap, topic, 1)
    stamps = [1_714_557_600_000 + 1_500 * i for i in range(5)]  # 2024-05-01 10:00:00 UTC on
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap)
    for i, ms in enumerate(stamps):
        producer.send(topic, json.dumps(web_event(i)).encode(), timestamp_ms=ms)
    producer.flush()
    producer.close()
    ingest_until_caught_up(settings, ["web_events"], timeout_s=60)
    rows = sorted(lake_rows(settings).to_pylist(), key=lambda r: r["_offset"])
    assert [r["_kafka_timestamp"] for r in rows] == [datetime(1970, 1, 1) + timedelta(milliseconds=ms) for ms in stamps]
    assert {r["_kafka_timestamp_type"] for r in rows} == {"CreateTime"}


def test_restart_replays_the_newest_range_without_rewriting_or_splitting_it(topic_settings):
    """On restart the newest range is read again: files a crash left out are written, whole files
    are kept as they are (same `_ingested_at`), and flush() calls during the replay (the live loop
    calls it every second) never cut a shorter, overlapping range."""
    settings, topic = topic_settings
    make_topic(settings.bootstrap, topic, 1)
    produce(settings.bootstrap, topic, [json.dumps(web_event(i, day=1 + i % 2)).encode() for i in range(300)], 1)
    ingest_until_caught_up(settings, ["web_events"], timeout_s=60)
    files = sorted(p for p, _ in kafka_files([settings.lake_dir / "web_events"]))
    assert [p.name for p in files] == [f"{topic}+0+0-299.parquet"] * 2  # one per event date
    kept, lost = files
    kept_stamp = (kept.stat().st_mtime_ns, pq.ParquetFile(kept).read()["_ingested_at"].to_pylist())
    lost.unlink()  # as if the ingester died between the two renames of that flush

    produce(settings.bootstrap, topic, [json.dumps(web_event(i)).encode() for i in range(300, 320)], 1)
    new_range = lost.parent.parent / "date=2024-05-01" / f"{topic}+0+300-319.parquet"
    with KafkaIngester(settings, ["web_events"], consumer_config={"max_poll_records": 50}) as ing:
        deadline = time.monotonic() + 120
        while not new_range.exists() and time.monotonic() < deadline:
            ing.poll_once(0.1)
            ing.flush()
    names = sorted(p.name for p, _ in kafka_files([settings.lake_dir / "web_events"]))
    assert names == sorted([f"{topic}+0+0-299.parquet"] * 2 + [f"{topic}+0+300-319.parquet"])
    assert lost.exists()
    assert (kept.stat().st_mtime_ns, pq.ParquetFile(kept).read()["_ingested_at"].to_pylist()) == kept_stamp
    keys = offsets_of(lake_rows(settings))
    assert len(keys) == len(set(keys)) == 320
