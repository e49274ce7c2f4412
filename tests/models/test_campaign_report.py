"""The campaign minute report end to end: view_log lake rows (as the Kafka ingester lands them,
with their Kafka record timestamps) + campaigns.csv -> dbt -> Parquet reports read back with pyarrow.

Checks the report's exact schema and folder layout, that a late view (10.1 s after its minute
closed) is left out of the minute and reported in fct_late_views and the rollups, that a
duplicate counts once, and that a later run rewrites only the minute that changed.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ingest.files import ingest_files
from ingest.lake import write_rows
from ingest.sources import SOURCES
from tests.conftest import run_dbt_subprocess

REPORT_SCHEMA = pa.schema([
    ("campaign_id", pa.int32()), ("network_id", pa.int32()), ("minute_timestamp", pa.timestamp("us")),
    ("avg_duration", pa.float64()), ("total_count", pa.int32()),
])
MODELS = ("+fct_campaign_views_minute", "fct_late_views", "fct_campaign_views_hourly")
# No lookback re-reads: a run then recomputes exactly the minutes of newly landed rows.
VARS = ("--vars", json.dumps({"lake_ingest_lookback_seconds": 0}))


def t(s: str) -> datetime:
    return datetime.fromisoformat(f"2024-05-01 {s}")


def land_from_kafka(settings, views: list[tuple], first_offset: int) -> None:
    """Lake rows exactly as the Kafka ingester writes them: (view_id, start, end, campaign, arrived_at),
    the arrival being the Kafka record timestamp. All landed 30 minutes later (a backlog): when
    pulse landed a view must not change its lateness."""
    rows = [
        {"view_id": vid, "start_timestamp": t(start), "end_timestamp": t(end), "banner_id": campaign * 100,
         "campaign_id": campaign, "_source": "view_log", "_ingested_at": t("10:31:00"), "_topic": "view_log",
         "_partition": 0, "_offset": first_offset + i, "_file": None, "_row": None,
         "_kafka_timestamp": t(arrived), "_kafka_timestamp_type": "CreateTime"}
        for i, (vid, start, end, campaign, arrived) in enumerate(views)
    ]
    write_rows(settings, SOURCES["view_log"], rows, f"view_log+0+{first_offset}-{first_offset + len(rows) - 1}")


def report_files(settings) -> dict[str, pq.ParquetFile]:
    root = settings.reports_dir / "campaign_minute"
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*.parquet"))}


def test_minute_report_layout_lateness_dedup_and_idempotent_rewrite(settings, data_dir, tmp_path):
    campaigns = tmp_path / "campaigns.csv"
    campaigns.write_text('network_id,campaign_id,campaign_name\n1,11,"Spring, ""A"""\n2,22,"Summer"\n')
    ingest_files(settings, "campaigns", [str(campaigns)])
    land_from_kafka(settings, [
        ("a", "10:00:05", "10:00:15", 11, "10:00:15.5"),
        ("b", "10:00:29", "10:00:59.999", 11, "10:01:09.9"),    # 9.9 s after the close: on time
        ("b", "10:00:29", "10:00:59.999", 11, "10:01:20"),      # its duplicate: ignored
        ("c", "10:00:30", "10:00:40", 11, "10:01:10.1"),        # 10.1 s after the close: late
        ("d", "10:00:58", "10:01:00", 22, "10:01:00.2"),        # ends on the boundary: minute 10:01
    ], first_offset=0)
    run_dbt_subprocess(data_dir, "run", "--select", *MODELS, *VARS)

    files = report_files(settings)
    assert sorted(files) == [
        "network=1/minute=20240501T1000/data_0.parquet",
        "network=2/minute=20240501T1001/data_0.parquet",
    ]
    for path in files.values():  # names, order and types exactly (nullability is the writer's)
        assert [(f.name, f.type) for f in pq.read_schema(path)] == [(f.name, f.type) for f in REPORT_SCHEMA]
    [minute_10] = pq.read_table(files["network=1/minute=20240501T1000/data_0.parquet"]
                                ).to_pylist()
    assert minute_10 == {"campaign_id": 11, "network_id": 1, "minute_timestamp": t("10:00:00"),
                         "avg_duration": 20.4995, "total_count": 2}  # (10 + 30.999) / 2 exactly
    # The tree reads back as one hive-partitioned data set, the folder keys agreeing with the files.
    whole = ds.dataset(settings.reports_dir / "campaign_minute", format="parquet", partitioning="hive").to_table()
    assert whole.num_rows == 2 and sum(whole.column("total_count").to_pylist()) == 3
    assert sorted(whole.select(["network_id", "minute_timestamp", "network", "minute"]).to_pylist(),
                  key=lambda r: r["minute"]) == [
        {"network_id": 1, "minute_timestamp": t("10:00:00"), "network": 1, "minute": "20240501T1000"},
        {"network_id": 2, "minute_timestamp": t("10:01:00"), "network": 2, "minute": "20240501T1001"}]

    warehouse = data_dir / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        late = con.execute("select view_id, network_id, round(arrived_after_close_seconds, 3) "
                           "from marts.fct_late_views").fetchall()
        hourly = con.execute("select campaign_id, total_count, late_count from marts.fct_campaign_views_hourly "
                             "order by campaign_id").fetchall()
    assert late == [("c", 1, 10.1)]
    assert hourly == [(11, 3, 1), (22, 1, 0)]  # the late view is not lost: it counts in its hour

    # A backfilled view for minute 10:01 (campaign 11, network 1): only that minute's files are written.
    before = {name: p.stat().st_mtime_ns for name, p in report_files(settings).items()}
    backfill = tmp_path / "backfill.jsonl"
    backfill.write_text(json.dumps({"view_id": "e", "start_timestamp": "2024-05-01T10:01:20.000Z",
                                    "end_timestamp": "2024-05-01T10:01:30.000Z", "banner_id": 1100,
                                    "campaign_id": 11}) + "\n")
    ingest_files(settings, "view_log", [str(backfill)])
    run_dbt_subprocess(data_dir, "run", "--select", *MODELS, *VARS)
    after = report_files(settings)
    new = "network=1/minute=20240501T1001/data_0.parquet"
    assert sorted(after) == sorted([*before, new])
    untouched = {name: p.stat().st_mtime_ns for name, p in after.items() if "minute=20240501T1000" in name}
    assert untouched == {name: m for name, m in before.items() if "minute=20240501T1000" in name} and untouched
    assert pq.read_table(after[new]).to_pylist() == [
        {"campaign_id": 11, "network_id": 1, "minute_timestamp": t("10:01:00"), "avg_duration": 10.0,
         "total_count": 1}]

    # A rerun with nothing new rewrites nothing and changes nothing.
    stamps = {name: p.stat().st_mtime_ns for name, p in after.items()}
    run_dbt_subprocess(data_dir, "run", "--select", *MODELS, *VARS)
    assert {name: p.stat().st_mtime_ns for name, p in report_files(settings).items()} == stamps
