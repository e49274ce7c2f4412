"""`pulse run` merges old small lake files (pulse/live/compaction.py): prepared in a background
thread without changing anything readers see, published by a commit between cycles: fewer files,
the same rows, and the lake watch counts none of them as new again."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from ingest.config import load_settings
from ingest.kafka.lander import ingest_until_caught_up
from ingest.kafka.names import kafka_files
from ingest.sources import SOURCES
from pulse.live.compaction import LiveCompaction, Tier
from pulse.live.lake_watch import LakeWatch

pytestmark = pytest.mark.integration


def view(i: int) -> bytes:
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=5) + timedelta(seconds=i)
    return json.dumps({"view_id": str(uuid.UUID(int=i + 1)),
                       "start_timestamp": start.isoformat(timespec="milliseconds") + "Z",
                       "end_timestamp": (start + timedelta(seconds=3)).isoformat(timespec="milliseconds") + "Z",
                       "banner_id": 7, "campaign_id": 1}).encode()


def lake_keys(settings) -> list[tuple[int, int]]:
    tables = [pq.ParquetFile(p).read(columns=["_partition", "_offset", "_ingested_at"])
              for p, _ in kafka_files([settings.lake_dir / "view_log"])]
    table = pa.concat_tables(tables)
    return sorted(zip(table["_partition"].to_pylist(), table["_offset"].to_pylist(),
                      table["_ingested_at"].to_pylist(), strict=True))


def test_live_compaction_merges_seen_files_without_changing_rows(data_dir, kafka_broker, monkeypatch):
    topic = f"vl_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_broker)
    monkeypatch.setenv("PULSE_TOPIC_VIEW_LOG", topic)
    settings = load_settings()
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker)
    admin.create_topics([NewTopic(topic, 2, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=kafka_broker, linger_ms=5)
    for i in range(120):
        producer.send(topic, view(i), partition=i % 2)
    producer.flush()
    producer.close()
    # Small flushes: many files per partition, as a live run's one flush per cycle makes.
    ingest_until_caught_up(settings, ["view_log"], flush_records=10, timeout_s=60)
    watch = LakeWatch(settings, [SOURCES["view_log"]])
    assert watch.scan()["view_log"].rows == 120
    before_files = list(kafka_files([settings.lake_dir / "view_log"]))
    before_rows = lake_keys(settings)
    assert len(before_files) >= 12

    compaction = LiveCompaction(settings, ["view_log"], tiers=(Tier(3600, 60, 256 * 1024),))
    assert not compaction.maybe_start()  # not due yet
    old = time.time() - 120
    for path, _ in before_files:
        os.utime(path, (old, old))
    compaction._next = [0.0]  # due now
    assert compaction.maybe_start()
    deadline = time.monotonic() + 120
    while not compaction.ready():
        assert time.monotonic() < deadline, "the compaction pass did not finish"
        time.sleep(0.05)
    # Prepared, not published: the lake a model would read is the one before the pass.
    assert list(kafka_files([settings.lake_dir / "view_log"])) == before_files
    assert lake_keys(settings) == before_rows
    assert not compaction.maybe_start()  # one pass at a time
    result = compaction.commit_ready()

    after_files = list(kafka_files([settings.lake_dir / "view_log"]))
    # Per partition: one merged file and the newest range, which the ingester resumes from.
    assert result is not None and result.merged_files == 2
    assert len(after_files) == 4
    # No hidden file is left behind.
    assert not [p for p in (settings.lake_dir / "view_log").rglob(".*") if p.is_file()]
    # The same rows, with the landing time they had: no landing window sees them again.
    assert lake_keys(settings) == before_rows
    # And the loop's watch counts nothing twice.
    assert watch.scan()["view_log"].rows == 0
    assert compaction.commit_ready() is None  # nothing further to publish
