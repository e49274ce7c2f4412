"""A mart's export as one Parquet file per hour, rewriting each cycle only the hours that may have changed.

`fct_streams`' export held every stream of the history in one file, so the COPY the loop ran each
cycle grew with the run (0.93 s at a day's 1.6M streams, bench/bench_streams_export.py) while a
cycle changes only the streams of its last minutes. A mart with config `meta: {export_by_hour:
{column, landed, open, new_in_run_of}}` is exported by `export_parquet_by_hour()` to
`exports/<mart>/<column>_hour=<hour>/data_0.parquet`: `dbt build` writes every hour; the live
loop's replay writes with this instead of replaying that COPY.

Which hours: a row may differ from the last export when its newest input landed in this run's
window (`landed` after the `landed_after` this run's bounds give `new_in_run_of`, the incremental
model the mart is built from: the rows it reads anew, the loop's landing lookback included) or
when it was open at the last export (`open`: it may close with the watermark alone). Neither
moves a row into an hour before its own; a row that disappears (two streams merged by a late
heartbeat) went into a row that starts no later. So the hours from the earliest such row on are
rewritten, each to a temporary file renamed over the old one (a reader sees an hour's old file or
its new one), and hours from there on left without rows are removed. The first write of a replay
(no last export known) rewrites every hour.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pulse.serve.export_reader import sql_quote

HOUR_FORMAT = "%Y-%m-%dT%H"  # the folders' hour, as export_parquet_by_hour() writes it
FILE_NAME = "data_0.parquet"  # DuckDB's name for a partition's one file
_TARGET = re.compile(r"\bto\s+'((?:[^']|'')+)'", re.I)


@dataclass(frozen=True)
class HourlySpec:
    relation: str  # the mart, quoted as dbt renders it
    folder: Path  # exports/<mart>
    column: str  # the time whose hour names a row's file
    landed: str  # when the row's newest input landed
    open: str  # true while the row may still change without new input
    bounds: str  # this run's bounds (bookkeeping.run_bounds)
    new_in_run_of: str  # the incremental model whose `landed_after` in them says which rows are new

    @classmethod
    def from_meta(cls, meta: Any, relation: str, copy_sql: str, bounds: str) -> HourlySpec | None:
        """The spec of a mart whose config meta has `export_by_hour`, with the folder its recorded
        COPY writes to (so the loop writes where `dbt build` does); None for any other mart."""
        spec = meta.get("export_by_hour") if isinstance(meta, dict) else None
        target = _TARGET.search(copy_sql)
        if not isinstance(spec, dict) or target is None or "partition_by" not in copy_sql.lower():
            return None
        return cls(relation=relation, folder=Path(target.group(1).replace("''", "'")),
                   column=spec["column"], landed=spec["landed"], open=spec["open"], bounds=bounds,
                   new_in_run_of=spec["new_in_run_of"])

    def hour_dir(self, hour: datetime) -> Path:
        return self.folder / f"{self.column}_hour={hour.strftime(HOUR_FORMAT)}"


def _literal(value: datetime) -> str:
    return f"timestamp '{value.isoformat(sep=' ')}'"


class HourlyExport:
    """The live loop's writer of one mart's hourly export; keeps what the last export held."""

    def __init__(self, spec: HourlySpec):
        self.spec = spec
        self._open_from: datetime | None = None  # earliest `column` of a row open at the last export
        self._written = False

    def write(self, con: duckdb.DuckDBPyConnection) -> int:
        """Rewrite the hours that may have changed since the last write; the number of hours written."""
        s = self.spec
        start = self._first_hour(con)
        if start is None:
            return 0
        since = "" if start == datetime.min else f" where {s.column} >= {_literal(start)}"
        hours = con.execute(
            f"select date_trunc('hour', {s.column}) as hour, min({s.column}) filter (where {s.open})"
            f" from {s.relation}{since} group by hour order by hour").fetchall()
        for hour, _ in hours:
            self._write_hour(con, hour)
        self._remove_emptied(start, {hour for hour, _ in hours})
        if not self._written:  # the one-file export an older pulse wrote: readers prefer the folder
            (s.folder.parent / f"{s.folder.name}.parquet").unlink(missing_ok=True)
        self._open_from = min((row[1] for row in hours if row[1] is not None), default=None)
        self._written = True
        return len(hours)

    def _first_hour(self, con: duckdb.DuckDBPyConnection) -> datetime | None:
        """The first hour to rewrite: datetime.min for every hour, None for none."""
        if not self._written:
            return datetime.min
        s = self.spec
        new_after = (f"(select landed_after from {s.bounds} where model_name = '{s.new_in_run_of}')")
        changed = con.execute(f"select min({s.column}) from {s.relation}"  # no bound: every row is new
                              f" where {s.landed} > coalesce({new_after}, timestamp '1970-01-01')").fetchall()[0][0]
        first = min((t for t in (changed, self._open_from) if t is not None), default=None)
        return None if first is None else first.replace(minute=0, second=0, microsecond=0)

    def _write_hour(self, con: duckdb.DuckDBPyConnection, hour: datetime) -> None:
        s = self.spec
        folder = s.hour_dir(hour)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / FILE_NAME
        con.execute(
            f"copy (select * from {s.relation} where {s.column} >= {_literal(hour)}"
            f" and {s.column} < {_literal(hour + timedelta(hours=1))})"
            f" to '{sql_quote(str(target))}' (format parquet, compression zstd, use_tmp_file true)")
        for other in folder.glob("*.parquet"):  # a batch COPY may have split an hour into more files
            if other.name != FILE_NAME:
                other.unlink(missing_ok=True)

    def _remove_emptied(self, start: datetime, hours: set[datetime]) -> None:
        if not self.spec.folder.is_dir():
            return
        prefix = f"{self.spec.column}_hour="
        for folder in self.spec.folder.iterdir():
            if not (folder.is_dir() and folder.name.startswith(prefix)):
                continue
            try:
                hour = datetime.strptime(folder.name[len(prefix):], HOUR_FORMAT)
            except ValueError:
                continue
            if hour >= start and hour not in hours:
                shutil.rmtree(folder, ignore_errors=True)
