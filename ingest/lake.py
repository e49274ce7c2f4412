"""Lake I/O: typed Parquet written atomically into hive partitions, and the quarantine.

Layout (docs/architecture.md):
    <data>/lake/<source>/date=YYYY-MM-DD/<name>.parquet        landed rows, lake columns included
    <data>/lake/_quarantine/<source>/date=YYYY-MM-DD/<name>.parquet   bad records with the reason
Files are written to a hidden temporary name in the same folder and renamed into place, so a reader
(or a crash) never sees half a file. Names are deterministic, so a replay overwrites, never doubles.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingest.config import Settings
from ingest.sources.base import LAKE_FIELDS, SourceSpec

# Every lake folder holds this zero-row file carrying the schema, so `read_parquet` over the
# folder works (and dbt builds) before anything was ingested. The leading underscore makes
# Spark and Hive skip it; DuckDB reads it as zero rows.
PLACEHOLDER_DAY = date(1970, 1, 1)
PLACEHOLDER_NAME = "_schema.parquet"
# ... and Spark finds the schema of a folder with no data yet in Parquet's summary file at its
# root (the hive `date` column included), which DuckDB's `*/*.parquet` glob never matches.
SUMMARY_NAME = "_common_metadata"

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
    return _replace_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def write_hidden(table: pa.Table, path: Path) -> Path:
    """Write `table` to a hidden, synced file beside `path` (no lake glob matches it); renaming it
    to `path` later publishes it whole. Returns the hidden file's path."""
    return _write_hidden(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def _write_hidden(path: Path, write: Callable[[Path], object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    with open(tmp, "rb") as fh:  # the rename must not overtake the data on a crash
        os.fsync(fh.fileno())
    return tmp


def _replace_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """`write` a temporary file beside `path`, then rename it over `path`."""
    os.replace(_write_hidden(path, write), path)
    return path


def ensure_placeholders(settings: Settings, specs: Iterable[SourceSpec]) -> dict[Path, int]:
    """Give every source and its quarantine a typed, zero-row file carrying its current schema, and
    bring the files an older pulse landed to that schema first (idempotent). Every caller (dbt's
    plugin, file and Kafka ingestion, `pulse run`) may be the one that meets an older lake, so it
    says itself, on stderr, what it rewrote; returns the folders whose files it rewrote, with how many."""
    upgraded: dict[Path, int] = {}
    for spec in specs:
        for root, schema in (
            (source_dir(settings, spec.name), spec.schema),
            (quarantine_dir(settings, spec.name), QUARANTINE_SCHEMA),
        ):
            path = partition_dir(root, PLACEHOLDER_DAY) / PLACEHOLDER_NAME
            summary = root / SUMMARY_NAME
            current = _columns(path) == _columns_of(schema)
            if not current:  # a new lake, or this pulse added columns to the source
                if rewritten := conform_files(root, schema):
                    upgraded[root] = rewritten
                write_table_atomic(schema.empty_table(), path)
            if not current or not summary.exists():
                with_day = schema.append(pa.field("date", pa.date32()))
                _replace_atomic(summary, lambda tmp, s=with_day: pq.write_metadata(s, tmp))
    if note := upgrade_note(upgraded):
        print(note, file=sys.stderr)
    return upgraded


def upgrade_note(upgraded: dict[Path, int]) -> str | None:
    """One line saying which lake folders were brought to their source's schema, or None."""
    if not upgraded:
        return None
    folders = ", ".join(f"{root} ({n} file{'s' if n != 1 else ''})" for root, n in sorted(upgraded.items()))
    return f"lake: files landed by an older pulse given the columns their source has since gained, as nulls: {folders}"


def conform_files(root: Path, schema: pa.Schema) -> int:
    """Rewrite each Parquet file under `root` that lacks a column of `schema` with that column
    added as nulls (every other column and the footer's metadata kept); returns how many.

    Models read a source's files as one glob without `union_by_name` (binding it reads one
    schema, not every file's, docs/architecture.md), so every file must hold every column; the
    files landed before a column existed (e.g. the Kafka record timestamp) then read it as null."""
    rewritten = 0
    for path in sorted(root.glob("*/*.parquet")):
        if path.name == PLACEHOLDER_NAME:
            continue  # written anew with the schema (ensure_placeholders)
        try:
            names = set(pq.read_schema(path).names)
        except FileNotFoundError:
            continue  # merged away by a compaction meanwhile: its rows are in a file of this glob
        except (OSError, pa.ArrowInvalid) as exc:
            raise ValueError(f"{path}: not a readable Parquet file, cannot bring it to the source's "
                             f"schema ({exc})") from None
        missing = [f for f in schema if f.name not in names]
        if not missing:
            continue
        table = pq.ParquetFile(path).read()  # the file alone: no hive column from the path
        for f in missing:
            table = table.append_column(f, pa.nulls(table.num_rows, f.type))
        write_table_atomic(table, path)
        rewritten += 1
    return rewritten


def _columns(path: Path) -> list[tuple[str, pa.DataType]] | None:
    try:
        return _columns_of(pq.read_schema(path))
    except (OSError, pa.ArrowInvalid):
        return None


def _columns_of(schema: pa.Schema) -> list[tuple[str, pa.DataType]]:
    return [(f.name, f.type) for f in schema]


def ensure_data_dirs(settings: Settings) -> dict[Path, int]:
    """Create the data folders and every registered source's placeholder files (idempotent);
    returns the lake folders whose files were brought to their source's schema (ensure_placeholders)."""
    from ingest.sources import SOURCES  # late import: sources import nothing from here, keep it that way

    for folder in (settings.data_dir, settings.exports_dir, settings.reports_dir):
        folder.mkdir(parents=True, exist_ok=True)
    return ensure_placeholders(settings, SOURCES.values())


def days_of(table: pa.Table, day_field: str | None, default: date = PLACEHOLDER_DAY) -> Iterator[tuple[date, pa.Table]]:
    """`table` split by the UTC date of `day_field`; rows without one (or no field) go to `default`.

    The one rule every landing path splits rows by: Kafka flushes, file chunks and test rows.
    """
    if day_field is None:
        yield default, table
        return
    days = pc.fill_null(pc.cast(table[day_field], pa.date32()), pa.scalar(default, pa.date32()))
    for day in pc.unique(days).to_pylist():
        yield day, table.filter(pc.equal(days, pa.scalar(day, pa.date32())))


def write_table_by_day(settings: Settings, spec: SourceSpec, table: pa.Table, name: str,
                       skip_existing: bool = False, metadata: dict[bytes, bytes] | None = None) -> dict[date, int]:
    """Land typed rows as `<name>.parquet` in the date folder of each row's partition field, each
    file atomically; `skip_existing` leaves files already there (a replay). Returns rows per date
    written."""
    written = {}
    for day, part in days_of(table, spec.partition_field):
        path = partition_dir(source_dir(settings, spec.name), day) / f"{name}.parquet"
        if skip_existing and path.exists():
            continue
        write_table_atomic(part, path, metadata)
        written[day] = part.num_rows
    return written


def write_rows(settings: Settings, spec: SourceSpec, rows: Iterable[Mapping[str, Any]], name: str) -> dict[date, int]:
    """Land typed rows given as mappings (tests, small landings), like `write_table_by_day`."""
    return write_table_by_day(settings, spec, pa.Table.from_pylist(list(rows), schema=spec.schema), name)


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
