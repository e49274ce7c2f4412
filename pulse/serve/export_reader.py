"""Reading exports that the live loop replaces every cycle.

An export is swapped atomically (written to a temporary file, renamed over the old one), but
DuckDB opens a Parquet file more than once per query (footer at bind time, data in the scan,
per thread), so a query that straddles a swap can read the old footer and the new data and fail
("TProtocolException: Invalid data"). Measured: ~3% of back-to-back queries during a swap loop.
The cure is on the reader's side: when a query fails and one of the files it reads was replaced
meanwhile, run it again (it then reads one version). A failure with the files unchanged is real
and raised at once.

An hourly export (a folder of one file per hour, pulse/live/hourly_export.py) is swapped file by
file the same way: `export_files` lists its files, `parquet_source` reads them.

Partitioned exports (a folder of files per day) are rewritten in place instead: DuckDB's
partitioned COPY cannot write through a temporary file, so a reader may meet a file truncated
and half written. With `in_place=True` a query is also run again when a file changed while a run
succeeded (it may have read parts of two versions), and after a failure even with the files
unchanged (a rewrite may be paused halfway), with short pauses; what it returns was read while
no file changed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import duckdb

T = TypeVar("T")


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


# An hourly export's files (`<column>_hour=<hour>/data_0.parquet`); not the temporary files DuckDB
# writes beside them, nor a folder partitioned otherwise (ctr_hourly_answers, by day).
HOURLY_GLOB = "*_hour=*/data_*.parquet"


def export_files(exports_dir: Path, name: str) -> list[Path]:
    """The Parquet files export `name` has now: its hour folders' files when it is an hourly export,
    else its one file; [] when it has none yet."""
    folder = exports_dir / name
    if folder.is_dir():
        files = sorted(folder.glob(HOURLY_GLOB))
        if files:
            return files
    single = exports_dir / f"{name}.parquet"
    return [single] if single.exists() else []


def parquet_source(exports_dir: Path, name: str) -> str | None:
    """`read_parquet(...)` of export `name`, for a view that reads it as it is when queried (an
    hourly export by its folder's glob, so hours written later are read too); None without files."""
    files = export_files(exports_dir, name)
    if not files:
        return None
    if files[0].name == f"{name}.parquet":
        return f"read_parquet('{sql_quote(str(files[0]))}')"
    return f"read_parquet('{sql_quote(str(exports_dir / name))}/{HOURLY_GLOB}', hive_partitioning = false)"


def sql_quote(text: str) -> str:
    """`text` for inside a SQL string literal."""
    return text.replace("'", "''")


IN_PLACE_PATIENCE_S = 15.0  # how long a reader waits for a quiet moment between in-place rewrites


def stable_query(paths: Iterable[Path], run: Callable[[], T], attempts: int = 5, in_place: bool = False) -> T:
    """`run()`, re-run when it failed while one of `paths` was swapped (see the module's doc)."""
    paths = list(paths)
    deadline = time.monotonic() + IN_PLACE_PATIENCE_S
    attempt = 0
    while True:
        attempt += 1
        last = (time.monotonic() >= deadline) if in_place else attempt >= attempts
        before = [_identity(p) for p in paths]
        try:
            result = run()
        except duckdb.Error:
            if last or (not in_place and [_identity(p) for p in paths] == before):
                raise
        else:
            if not in_place or [_identity(p) for p in paths] == before:
                return result
            if last:
                raise duckdb.IOException(f"{', '.join(p.name for p in paths)}: rewritten continuously while read")
        if in_place:
            time.sleep(min(0.1, 0.002 * attempt))
