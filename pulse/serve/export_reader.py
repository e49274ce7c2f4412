"""Reading exports that the live loop replaces every cycle.

An export is swapped atomically (written to a temporary file, renamed over the old one), but
DuckDB opens a Parquet file more than once per query (footer at bind time, data in the scan,
per thread), so a query that straddles a swap can read the old footer and the new data and fail
("TProtocolException: Invalid data"). Measured: ~3% of back-to-back queries during a swap loop.
The cure is on the reader's side: when a query fails and one of the files it reads was replaced
meanwhile, run it again (it then reads one version). A failure with the files unchanged is real
and raised at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import duckdb

T = TypeVar("T")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def stable_query(paths: Iterable[Path], run: Callable[[], T], attempts: int = 5) -> T:
    """`run()`, re-run when it failed while one of `paths` was swapped."""
    paths = list(paths)
    for attempt in range(attempts):
        before = [_identity(p) for p in paths]
        try:
            return run()
        except duckdb.Error:
            if attempt == attempts - 1 or [_identity(p) for p in paths] == before:
                raise
    raise AssertionError("unreachable")
