"""A topic that starts over, and offsets lost to retention, against a real broker (Tansu).

Offsets name messages only within one incarnation of a topic's log. These tests make the log start
over the ways it does in practice (the embedded broker restarted empty while `--follow` runs; the
topic deleted and recreated while no ingester runs, with more messages than before) and check
that every message of both incarnations lands once, as two epochs, and that `pulse lake audit`
tells ok / lost / reset apart.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from kafka import KafkaAdminClient, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from ingest.audit import add_broker_view, audit_lake
from ingest.config import load_settings
from ingest.kafka import epochs as kafka_epochs
from ingest.kafka import lander as kafka_ingest
from ingest.kafka.epochs import read_ledger
from ingest.kafka.lander import KafkaIngester, ingest_until_caught_up
from ingest.kafka.names import kafka_files, parse_name
from pulse import broker
from pulse.cli import main
from tests.conftest import REPO, free_port
from tests.ingest.test_kafka_ingest import _wait, lake_rows, log_start_said_to_be, make_topic, produce, web_event

pytestmark = pytest.mark.integration


def events(ids: range, tag: str) -> list[bytes]:
    return [json.dumps({**web_event(i), "device_id": f"{tag}{i}"}).encode() for i in ids]


def epochs_in_lake(settings) -> dict[int, int]:
    """epoch -> rows landed in it."""
    out: dict[int, int] = {}
    table = lake_rows(settings)
    names = [parse_name(p.name) for p, _ in kafka_files([settings.lake_dir / "web_events"])]
    for rng in names:
        out.setdefault(rng.epoch, 0)
    for rng, n in zip(names, [_rows(p) for p, _ in kafka_files([settings.lake_dir / "web_events"])], strict=True):
        out[rng.epoch] += n
    assert sum(out.values()) == table.num_rows
    return out


def _rows(path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def ensure_topic(bootstrap: str, topic: str) -> None:
    try:
        make_topic(bootstrap, topic, 1)
    except TopicAlreadyExistsError:
        pass


def delete_topic(bootstrap: str, topic: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.delete_topics([topic])
        deadline = time.monotonic() + 30
        while topic in admin.list_topics() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        admin.close()


def test_broker_restarted_empty_during_follow_with_more_messages_than_before(data_dir, monkeypatch):
    """`pulse ingest kafka --follow` keeps running while the embedded broker restarts empty and the
    new log grows past the offsets already landed: every message of both logs lands, as two epochs."""
    own = load_settings({"PULSE_DATA_DIR": str(data_dir.parent / "own_broker"), "PULSE_BROKER_PORT": str(free_port())})
    broker.start(own)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", own.bootstrap)
    settings = load_settings()
    topic = settings.topic("web_events")
    cmd = [sys.executable, "-m", "pulse.cli", "ingest", "kafka", "--follow", "--no-live", "--topics", "web_events",
           "--flush-interval", "0.2"]
    proc = None
    try:
        make_topic(own.bootstrap, topic, 1)
        produce(own.bootstrap, topic, events(range(300), "old"), 1)
        proc = subprocess.Popen(cmd, cwd=REPO, env=os.environ.copy(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        _wait(lambda: lake_rows(settings).num_rows == 300, 60, lambda: f"landed {lake_rows(settings).num_rows}")
        broker.stop(own)
        broker.start(own)
        ensure_topic(own.bootstrap, topic)  # the following ingester's metadata requests may create it first
        produce(own.bootstrap, topic, events(range(700), "new"), 1)  # past offset 300 at once
        _wait(lambda: lake_rows(settings).num_rows >= 1000, 90, lambda: f"landed {lake_rows(settings).num_rows}")
        time.sleep(1)  # anything landed twice would show now
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-3000:]
        assert "RESET" in err and "epoch 1" in err  # said loudly
        landed = sorted(lake_rows(settings)["device_id"].to_pylist())
        assert landed == sorted([f"old{i}" for i in range(300)] + [f"new{i}" for i in range(700)])
        assert epochs_in_lake(settings) == {0: 300, 1: 700}
        audits = audit_lake(settings, ["web_events"])
        add_broker_view(settings, audits, {topic: "web_events"})
        old, new = audits[(topic, 0, 0)], audits[(topic, 0, 1)]
        assert old.ok and old.status.startswith("reset: epoch 1 follows"), old.status
        assert new.ok and new.status == "ok" and new.produced == 700 and new.messages == 700, new
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        broker.stop(own)


@pytest.mark.parametrize("broker_gives_topic_ids", [True, False])
def test_topic_recreated_with_more_messages_while_no_ingester_ran(data_dir, kafka_broker, monkeypatch,
                                                                   broker_gives_topic_ids):
    """The topic is deleted and recreated between two runs and now holds more messages than were landed.
    With topic ids (Kafka >= 2.8, Tansu) the id tells; without them (older brokers: the id lookup is
    disabled here, the only fake in this test) the fingerprint of the last landed message does."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_broker)
    topic = f"we_reset_{free_port()}"
    monkeypatch.setenv("PULSE_TOPIC_WEB_EVENTS", topic)
    if not broker_gives_topic_ids:
        monkeypatch.setattr(kafka_ingest, "topic_id_of", lambda consumer, topic: None)
    settings = load_settings()
    make_topic(kafka_broker, topic, 1)
    produce(kafka_broker, topic, events(range(300), "old"), 1)
    ingest_until_caught_up(settings, ["web_events"], timeout_s=60)
    delete_topic(kafka_broker, topic)
    make_topic(kafka_broker, topic, 1)
    produce(kafka_broker, topic, events(range(600), "new"), 1)
    ingest_until_caught_up(settings, ["web_events"], timeout_s=60)
    landed = sorted(lake_rows(settings)["device_id"].to_pylist())
    assert landed == sorted([f"old{i}" for i in range(300)] + [f"new{i}" for i in range(600)])
    assert epochs_in_lake(settings) == {0: 300, 1: 600}
    _, resets = read_ledger(settings, ["web_events"])
    assert [(r.epoch, "topic id" in r.reason) for r in resets] == [(1, broker_gives_topic_ids)]
    # A third run changes nothing: the new epoch resumes where it ended.
    ingest_until_caught_up(settings, ["web_events"], timeout_s=60)
    assert epochs_in_lake(settings) == {0: 300, 1: 600}


def test_audit_says_reset_not_landed_yet_and_fails(data_dir, kafka_broker, monkeypatch, capsys):
    """Before an ingester has seen a recreated topic, the audit must not compare the new log with the
    old epoch and call it ok."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_broker)
    topic = f"we_audit_{free_port()}"
    monkeypatch.setenv("PULSE_TOPIC_WEB_EVENTS", topic)
    settings = load_settings()
    make_topic(kafka_broker, topic, 1)
    produce(kafka_broker, topic, events(range(100), "old"), 1)
    ingest_until_caught_up(settings, ["web_events"], timeout_s=60)
    assert main(["lake", "audit", "--sources", "web_events"]) == 0
    delete_topic(kafka_broker, topic)
    make_topic(kafka_broker, topic, 1)
    produce(kafka_broker, topic, events(range(500), "new"), 1)
    capsys.readouterr()
    assert main(["lake", "audit", "--sources", "web_events"]) == 1
    assert "reset not landed yet" in capsys.readouterr().out
    ingest_until_caught_up(settings, ["web_events"], timeout_s=60)
    assert main(["lake", "audit", "--sources", "web_events"]) == 0
    out = capsys.readouterr().out
    assert "reset: epoch 1 follows" in out and "ok" in out


def test_retention_gap_is_recorded_as_lost_by_range_and_fails_the_audit(data_dir, kafka_broker, monkeypatch,
                                                                        capsys):
    """Retention removed offsets 200..349 before they were landed. Tansu implements neither
    retention nor DeleteRecords (its in-memory engine answers DeleteRecords with a panic), so the one
    fake here is the broker's answer to ListOffsets(earliest): the log start a real Kafka reports
    after retention. Everything else is real: the broker, the fetches, the lake, the audit."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_broker)
    topic = f"we_gap_{free_port()}"
    monkeypatch.setenv("PULSE_TOPIC_WEB_EVENTS", topic)
    settings = load_settings()
    make_topic(kafka_broker, topic, 1)
    produce(kafka_broker, topic, events(range(200), "a"), 1)
    ingest_until_caught_up(settings, ["web_events"], timeout_s=60)
    produce(kafka_broker, topic, events(range(200, 500), "a"), 1)

    real = KafkaIngester._log_starts

    def after_retention(self, tps):
        return {tp: max(start, 350) for tp, start in real(self, tps).items()}

    monkeypatch.setattr(KafkaIngester, "_log_starts", after_retention)
    ingest_until_caught_up(settings, ["web_events"], timeout_s=60)
    landed = sorted(int(d[1:]) for d in lake_rows(settings)["device_id"].to_pylist())
    assert landed == list(range(200)) + list(range(350, 500))
    lost, _ = read_ledger(settings, ["web_events"])
    assert [(x.epoch, x.first, x.last) for x in lost] == [(0, 200, 349)] and "retention" in lost[0].reason
    audits = audit_lake(settings, ["web_events"])
    a = audits[(topic, 0, 0)]
    assert not a.ok and a.lost_count == 150 and a.missing == [] and a.status.startswith("lost 150 (200..349")
    capsys.readouterr()
    assert main(["lake", "audit", "--sources", "web_events", "--no-broker"]) == 1
    assert "150 message(s) lost" in capsys.readouterr().out


def topic_holding(kafka_broker: str, monkeypatch, prefix: str, messages: list[bytes]):
    """Settings whose web_events topic is a new one-partition topic holding `messages`; and its name."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_broker)
    topic = f"{prefix}_{free_port()}"
    monkeypatch.setenv("PULSE_TOPIC_WEB_EVENTS", topic)
    make_topic(kafka_broker, topic, 1)
    produce(kafka_broker, topic, messages, 1)
    return load_settings(), topic


def test_a_partition_never_landed_is_read_from_offset_0_whatever_its_log_start_is_said_to_be(
        data_dir, kafka_broker, monkeypatch):
    """The embedded broker answers ListOffsets(earliest) with the record batch it stored first, which
    is a later batch when two producers wrote the partition at once (a fresh-clone run read a topic
    from offset 479). The fake is that answer; the broker, the fetches and the lake are real. A
    partition the lake holds nothing of must not start there: offsets 0..299 would be skipped unseen."""
    settings, _ = topic_holding(kafka_broker, monkeypatch, "we_first", events(range(500), "f"))
    log_start_said_to_be(monkeypatch, 300)
    ingest_until_caught_up(settings, ["web_events"], timeout_s=60)
    landed = sorted(int(d[1:]) for d in lake_rows(settings)["device_id"].to_pylist())
    assert landed == list(range(500))
    assert read_ledger(settings, ["web_events"])[0] == []


def test_a_log_that_starts_after_retention_is_landed_from_its_start_and_nothing_is_owed(
        data_dir, kafka_broker, monkeypatch):
    """A topic whose first offsets retention removed before pulse first read it: the lake owes
    nothing of them, so nothing is recorded lost (the audit would fail for ever). Tansu has neither
    retention nor DeleteRecords, so two answers are faked, as a fetch at offset 0 and the
    ListOffsets after it would give them: out of range, and a log starting at 350."""
    settings, topic = topic_holding(kafka_broker, monkeypatch, "we_late", events(range(500), "r"))
    log_start_said_to_be(monkeypatch, 350)
    with KafkaIngester(settings, ["web_events"]) as ing:
        ing._refresh_assignment()
        tp = TopicPartition(topic, 0)
        assert ing.parts[tp].position == 0
        ing._out_of_range({tp: 0})  # what poll() hands it when the fetch at 0 is out of range
        assert ing.parts[tp].position == 350
        deadline = time.monotonic() + 60
        while ing.parts[tp].position < 500 and time.monotonic() < deadline:
            ing.poll_once(0.2)
    landed = sorted(int(d[1:]) for d in lake_rows(settings)["device_id"].to_pylist())
    assert landed == list(range(350, 500))
    assert read_ledger(settings, ["web_events"])[0] == []
    assert audit_lake(settings, ["web_events"])[(topic, 0, 0)].ok


def test_a_quiet_topic_is_not_lagging_while_its_newest_range_is_replayed(data_dir, kafka_broker, monkeypatch):
    """The live loop's ingest-lag alert fired for quiet topics: on start the ingester re-reads the
    lake's newest range, and those already-landed, old messages counted as lag with their age."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_broker)
    topic = f"we_quiet_{free_port()}"
    monkeypatch.setenv("PULSE_TOPIC_WEB_EVENTS", topic)
    settings = load_settings()
    make_topic(kafka_broker, topic, 1)
    producer = KafkaProducer(bootstrap_servers=kafka_broker)
    old = int(time.time() * 1000) - 1_300_000  # produced 21 minutes ago, nothing since
    for value in events(range(500), "q"):
        producer.send(topic, value, partition=0, timestamp_ms=old)
    producer.flush()
    producer.close()
    ingest_until_caught_up(settings, ["web_events"], timeout_s=60)
    seen = []
    with KafkaIngester(settings, ["web_events"], flush_interval_s=1e9, flush_records=10**9,
                       consumer_config={"max_poll_records": 50}) as ing:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            p = ing.poll_once(0.1).partitions.get((topic, 0))
            if p is not None and p.highwater is not None:
                seen.append((p.lag, p.behind_s))
                if p.position >= p.highwater:
                    break
    assert seen and all(lag == 0 and behind is None for lag, behind in seen), seen[:5]


def test_new_admin_client_sees_ids(kafka_broker):
    """The broker gives topic ids and kafka-python exposes them (what reset detection relies on)."""
    topic = f"ids_{free_port()}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker)
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        admin.close()
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=kafka_broker)
    try:
        assert topic in consumer.topics()
        assert kafka_epochs.topic_id_of(consumer, topic)
    finally:
        consumer.close()
