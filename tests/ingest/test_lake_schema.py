"""One schema per lake source: files an older pulse landed, without a column the source has since
gained, are brought to the current schema, so a source's glob reads without `union_by_name` (as
the dbt sources do). Real Parquet files and DuckDB; no broker (nothing here talks to one)."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.lake import (
    PLACEHOLDER_DAY,
    PLACEHOLDER_NAME,
    SUMMARY_NAME,
    ensure_data_dirs,
    partition_dir,
    upgrade_note,
    write_table_atomic,
)
from ingest.sources import SOURCES

SPEC = SOURCES["interactions"]
NEW = ("_kafka_timestamp", "_kafka_timestamp_type")  # the columns a later pulse added


def older(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f for f in schema if f.name not in NEW])


def rows(n: int, first_offset: int, stamped: bool) -> list[dict]:
    out = []
    for i in range(n):
        row = {"user_id": f"u{i}", "item_id": f"i{i}", "interaction_type": "view",
               "timestamp": datetime(2024, 5, 1, 10, 0, i), "_source": "interactions",
               "_ingested_at": datetime(2024, 5, 1, 10, 1), "_topic": "interactions", "_partition": 0,
               "_offset": first_offset + i}
        if stamped:
            row |= {"_kafka_timestamp": datetime(2024, 5, 1, 10, 0, i), "_kafka_timestamp_type": "CreateTime"}
        out.append(row)
    return out


def read_like_dbt(settings) -> list[tuple]:
    """The source's glob as the dbt sources read it: hive partitions, no union_by_name."""
    glob = settings.lake_dir / "interactions" / "*" / "*.parquet"
    return duckdb.sql(f"select _offset, user_id, _kafka_timestamp, _kafka_timestamp_type "
                      f"from read_parquet('{glob}', hive_partitioning = true) order by _offset").fetchall()


def test_an_older_lake_is_brought_to_the_current_schema(settings):
    root = settings.lake_dir / "interactions"
    day = partition_dir(root, datetime(2024, 5, 1).date())
    # An older pulse's lake: its placeholder and a landed file without the Kafka timestamp columns.
    write_table_atomic(older(SPEC.schema).empty_table(), partition_dir(root, PLACEHOLDER_DAY) / PLACEHOLDER_NAME)
    legacy = day / "interactions+0+0-2.parquet"
    write_table_atomic(pa.Table.from_pylist(rows(3, 0, stamped=False), schema=older(SPEC.schema)), legacy,
                       metadata={b"pulse.kept": b"yes"})
    # ... then this pulse lands a file with every column.
    write_table_atomic(pa.Table.from_pylist(rows(2, 3, stamped=True), schema=SPEC.schema),
                       day / "interactions+0+3-4.parquet")
    with pytest.raises(duckdb.Error):  # the glob binds the old placeholder's columns: no _kafka_timestamp
        read_like_dbt(settings)

    upgraded = ensure_data_dirs(settings)

    assert upgraded == {root: 1}  # the legacy file
    assert f"{root} (1 file)" in upgrade_note(upgraded)
    assert read_like_dbt(settings) == [
        (0, "u0", None, None), (1, "u1", None, None), (2, "u2", None, None),
        (3, "u0", datetime(2024, 5, 1, 10, 0, 0), "CreateTime"),
        (4, "u1", datetime(2024, 5, 1, 10, 0, 1), "CreateTime"),
    ]
    conformed = pq.ParquetFile(legacy)
    assert set(conformed.schema_arrow.names) == set(SPEC.schema.names)
    assert conformed.schema_arrow.metadata[b"pulse.kept"] == b"yes"  # the footer's metadata is kept
    placeholder = partition_dir(root, PLACEHOLDER_DAY) / PLACEHOLDER_NAME
    assert pq.read_schema(placeholder).names == SPEC.schema.names
    assert "_kafka_timestamp" in pq.read_schema(root / SUMMARY_NAME).names  # Spark's summary too

    # Idempotent: with the placeholder current, nothing is read or rewritten again.
    stamps = {p: p.stat().st_mtime_ns for p in root.rglob("*.parquet")}
    assert ensure_data_dirs(settings) == {}
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*.parquet")} == stamps


def test_an_unreadable_file_is_named(settings):
    root = settings.lake_dir / "interactions"
    write_table_atomic(older(SPEC.schema).empty_table(), partition_dir(root, PLACEHOLDER_DAY) / PLACEHOLDER_NAME)
    broken = partition_dir(root, datetime(2024, 5, 1).date()) / "interactions+0+0-9.parquet"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"not parquet")
    with pytest.raises(ValueError, match=r"interactions\+0\+0-9\.parquet: not a readable Parquet file"):
        ensure_data_dirs(settings)
