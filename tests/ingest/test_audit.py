"""Offset bookkeeping from file names, the audit's range arithmetic and compaction's grouping rules,
on small hand-written lake files (no broker: the broker side is covered by the integration tests)."""

from __future__ import annotations

import os
import time

import numpy as np
import pyarrow as pa
import pytest

from ingest.audit import _ranges, audit_lake
from ingest.compact import compact_lake, parse_duration
from ingest.kafka.names import file_stem, kafka_files, parse_name, resume_points
from ingest.lake import write_table_atomic
from ingest.sources import SOURCES


def test_names_round_trip_with_and_without_epoch():
    assert file_stem("view_log", 3, 10, 99) == "view_log+3+10-99"
    assert file_stem("view_log", 3, 10, 99, epoch=2) == "view_log@2+3+10-99"
    r = parse_name("view_log@2+3+10-99.parquet")
    assert (r.topic, r.epoch, r.partition, r.first, r.last) == ("view_log", 2, 3, 10, 99)
    assert parse_name("my.topic-x+0+0-0.parquet").topic == "my.topic-x"
    for other in ("file-abc.parquet", "_schema.parquet", ".view_log+0+1-2.parquet.123.tmp", "view_log+0+1.parquet"):
        assert parse_name(other) is None


def land(settings, offsets: list[int], first: int, last: int, day: str = "2024-05-01", epoch: int = 0,
         age_s: float = 0.0, topic: str = "web_events", partition: int = 0):
    spec = SOURCES["web_events"]
    rows = [{"event_name": "e", "user_id": "u", "event_time": pa.scalar(0, pa.timestamp("us")).as_py(),
             "_topic": topic, "_partition": partition, "_offset": o} for o in offsets]
    name = f"{file_stem(topic, partition, first, last, epoch)}.parquet"
    path = settings.lake_dir / "web_events" / f"date={day}" / name
    write_table_atomic(pa.Table.from_pylist(rows, schema=spec.schema), path)
    if age_s:
        t = time.time() - age_s
        os.utime(path, (t, t))
    return path


def test_resume_point_is_the_newest_epoch_and_range(settings):
    land(settings, [0, 1], 0, 1)
    land(settings, [2, 3], 2, 3, day="2024-05-02")
    land(settings, [0], 0, 0, epoch=1)
    land(settings, [5], 5, 5, partition=1)
    points = resume_points(settings, ["web_events"])
    assert points[("web_events", 0)].epoch == 1 and points[("web_events", 0)].next_offset == 1
    assert points[("web_events", 1)].latest.first == 5


def test_ranges_and_gaps():
    assert _ranges(np.array([0, 1, 2, 5, 6, 9])) == [(0, 2), (5, 6), (9, 9)]
    assert _ranges(np.array([], dtype=np.int64)) == []


def test_audit_finds_gaps_duplicates_and_offsets_outside_the_name(settings):
    land(settings, [0, 1, 2], 0, 2)
    land(settings, [6, 7], 6, 7)
    land(settings, [7, 8], 8, 8, day="2024-05-02")  # 7 twice, and outside its name's 8..8
    [a] = audit_lake(settings, ["web_events"]).values()
    assert a.missing == [(3, 5)] and a.duplicates == 1 and a.outside_name and not a.ok
    assert (a.messages, a.lake_first, a.lake_last) == (6, 0, 8)


def test_compaction_merges_runs_of_old_files_and_spares_the_newest(settings):
    hours = 3 * 3600
    for i in range(5):
        land(settings, [2 * i, 2 * i + 1], 2 * i, 2 * i + 1, age_s=hours)
    land(settings, [10, 11], 10, 11)  # recent: stays, and splits nothing after it
    land(settings, [12], 12, 12, age_s=hours)  # old but the newest range: the resume anchor
    result = compact_lake(settings, ["web_events"], older_than_s=3600)
    names = sorted(p.name for p, _ in kafka_files([settings.lake_dir / "web_events"]))
    assert names == ["web_events+0+0-9.parquet", "web_events+0+10-11.parquet", "web_events+0+12-12.parquet"]
    assert (result.merged_files, result.removed_files, result.rows) == (1, 5, 10)
    [a] = audit_lake(settings, ["web_events"]).values()
    assert a.ok and a.messages == 13


def test_compaction_finishes_an_interrupted_run(settings):
    land(settings, list(range(6)), 0, 5, age_s=7200)  # merged file of a run that died before removing
    land(settings, [0, 1], 0, 1, age_s=7200)  # ... this original
    land(settings, [9], 9, 9)
    compact_lake(settings, ["web_events"], older_than_s=3600)
    names = sorted(p.name for p, _ in kafka_files([settings.lake_dir / "web_events"]))
    assert names == ["web_events+0+0-5.parquet", "web_events+0+9-9.parquet"]


def test_parse_duration():
    assert [parse_duration(t) for t in ("90s", "15m", "1h", "2d", "30")] == [90, 900, 3600, 172800, 30]
    with pytest.raises(ValueError, match="older-than"):
        parse_duration("soon")


def test_retention_warning_when_lag_nears_the_topic_retention():
    from ingest.metrics import retention_s, retention_warning

    assert retention_s("view_log", env={}) == 180.0
    assert retention_s("my-topic", env={"PULSE_RETENTION_S_MY_TOPIC": "60"}) == 60.0
    assert retention_warning("view_log", 0, lag=500, behind_s=100.0, retention=180.0).startswith("view_log[0] is 100s")
    assert retention_warning("view_log", 0, lag=500, behind_s=30.0, retention=180.0) is None
    assert retention_warning("view_log", 0, lag=0, behind_s=170.0, retention=180.0) is None  # caught up
    assert retention_warning("web_events", 0, lag=9, behind_s=1e6, retention=None) is None  # no retention known
