"""Lake I/O: typed Parquet written atomically into hive partitions, and the quarantine.

Layout (DESIGN.md):
    <data>/lake/<source>/date=YYYY-MM-DD/<name>.parquet        landed rows, lake columns included
    <data>/lake/_quarantine/<source>/date=YYYY-MM-DD/<name>.parquet   bad records with the reason
Files are written to a hidden temporary name in the same folder and renamed into place, so a reader
(or a crash) never sees half a file. Names are deterministic, so a replay overwrites, never doubles.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .config import Settings
from .sources.base import LAKE_FIELDS, SourceSpec

# Every lake folder holds this zero-row file carrying the schema, so `read_parquet` over the
# folder works (and dbt builds) before anything was ingested. The leading underscore makes
# Spark and Hive skip it; DuckDB reads it as zero rows.
PLACEHOLDER_DAY = date(1970, 1, 1)
PLACEHOLDER_NAME = "_schema.parquet"

QUARANTINE_SCHEMA = pa.schema(
    [
        *LAKE_FIELDS,
        pa.field("raw", pa.binary()),
        pa.field("reason", pa.string()),
    ]
)


def partition_dir(root: Path, day: date) -> Path:
    return root / f"date={day.isoformat()}"


def source_dir(settings: Settings, source: str) -> Path:
    return settings.lake_dir / source


def quarantine_dir(settings: Settings, source: str) -> Path:
    return settings.quarantine_dir / source


def write_table_atomic(table: pa.Table, path: Path, metadata: dict[bytes, bytes] | None = None) -> Path:
    """Write `table` to `path` so that readers see either nothing or the whole file (`metadata`:
    extra key-value pairs for the Parquet footer)."""
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as fh:  # the rename must not overtake the data on a crash
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def ensure_placeholders(settings: Settings, specs: Iterable[SourceSpec]) -> None:
    """Give every source and its quarantine a typed, zero-row file (idempotent)."""
    for spec in specs:
        for root, schema in (
            (source_dir(settings, spec.name), spec.schema),
            (quarantine_dir(settings, spec.name), QUARANTINE_SCHEMA),
        ):
            path = partition_dir(root, PLACEHOLDER_DAY) / PLACEHOLDER_NAME
            if not path.exists():
                write_table_atomic(schema.empty_table(), path)


def ensure_data_dirs(settings: Settings) -> None:
    """Create the data folders and every registered source's placeholder files (idempotent)."""
    from .sources import SOURCES  # late import: sources import nothing from here, keep it that way

    for folder in (settings.data_dir, settings.exports_dir, settings.reports_dir):
        folder.mkdir(parents=True, exist_ok=True)
    ensure_placeholders(settings, SOURCES.values())


def write_rows(
    settings: Settings, spec: SourceSpec, rows: Iterable[Mapping[str, Any]], name: str
) -> dict[date, int]:
    """Land typed rows, one file `<name>.parquet` per event date. Returns rows written per date."""
    by_day: dict[date, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_day[spec.partition_date(row)].append(row)
    for day, day_rows in by_day.items():
        table = pa.Table.from_pylist(day_rows, schema=spec.schema)
        write_table_atomic(table, partition_dir(source_dir(settings, spec.name), day) / f"{name}.parquet")
    return {day: len(day_rows) for day, day_rows in by_day.items()}


def write_quarantine(
    settings: Settings, source: str, records: list[Mapping[str, Any]], name: str, day: date,
    metadata: dict[bytes, bytes] | None = None,
) -> Path | None:
    """Write bad records (lake columns + `raw` bytes + `reason`); nothing when there are none."""
    if not records:
        return None
    table = pa.Table.from_pylist(records, schema=QUARANTINE_SCHEMA)
    return write_table_atomic(table, partition_dir(quarantine_dir(settings, source), day) / f"{name}.parquet",
                              metadata)
