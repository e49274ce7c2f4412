"""Which day partitions changed: a row count and an order-free digest of the rows per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb


@dataclass(frozen=True)
class DayState:
    rows: int
    fingerprint: str  # sum of the rows' hashes: any changed, added or removed row changes it


def day_states(con: duckdb.DuckDBPyConnection, select_sql: str, day_column: str) -> dict[date, DayState]:
    """Per day of `day_column`, the count and digest of the rows `select_sql` returns."""
    rows = con.execute(
        f'select "{day_column}", count(*), cast(sum(cast(hash(loaded) as hugeint)) as varchar) '
        f'from ({select_sql}) as loaded group by all'
    ).fetchall()
    return {day: DayState(count, digest) for day, count, digest in rows}


def changed_days(current: dict[date, DayState], loaded: dict[date, DayState]) -> list[date]:
    """Days whose rows differ from the loaded ones, including days that have no rows any more."""
    return sorted(day for day in current.keys() | loaded.keys() if current.get(day) != loaded.get(day))
