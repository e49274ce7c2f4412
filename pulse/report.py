"""`pulse report <case>`: run a case's analysis (analyses/*.sql) on the marts and print it.

The analysis is compiled by dbt once and kept with a fingerprint of the project; later reports
run the compiled SQL straight on DuckDB, in well under a second. The warehouse is opened read-only;
while dbt holds it (`pulse run`, a build), the report reads the same marts from the Parquet exports
the live loop refreshes, so a reader never waits on a writer.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import duckdb
from rich.console import Console
from rich.table import Table

from ingest.config import Settings
from pulse.dbt import DbtError, dbt_args, project_fingerprint
from pulse.serve.export_reader import parquet_source

# case -> (analysis file, title). Each analysis returns the rows to print, in order.
REPORTS: dict[str, tuple[str, str]] = {
    "web": ("web_questions", "Web-app events: the four questions"),
    "streams": ("streams_questions", "Watch streams: durations, open streams, sessions per user per day"),
    "interactions": ("interactions_questions", "Interactions: per-user, per-minute and per-item aggregates"),
    "activity": ("activity_questions", "Lakehouse activity: DAU/MAU and app sessions"),
    "ctr": ("ctr_overview", "CTR: purchases / product views per platform and day (GMT-3)"),
    "campaigns": ("campaign_minute_report", "Campaign minute report: newest minutes per network, late views"),
}


def fetch_report(settings: Settings, case: str) -> tuple[list[str], list[tuple]]:
    if case not in REPORTS:
        raise ValueError(f"unknown report {case!r}; known: {', '.join(sorted(REPORTS))}")
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"{settings.warehouse_path}: no warehouse yet; run `dbt build` first")
    sql = compiled_analysis(settings, REPORTS[case][0])
    con = _marts_connection(settings, sql, case)
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description]
        return columns, cursor.fetchall()
    finally:
        con.close()


def compiled_analysis(settings: Settings, name: str) -> str:
    """The analysis' SQL as dbt compiles it, from the cache under <data>/run/reports while the
    project has not changed. One compile writes every analysis, in a process of its own (dbt-duckdb
    keeps its connection open in the process that ran it) and through the `report` target, whose
    scratch database never waits on the warehouse another process writes."""
    cache = settings.data_dir / "run" / "reports"
    stamp = cache / "fingerprint"
    fingerprint = project_fingerprint(settings.warehouse_path)
    if not (stamp.exists() and stamp.read_text() == fingerprint):
        cache.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([sys.executable, "-c", "from dbt.cli.main import cli; cli()",
                               *dbt_args("compile", "--select", "resource_type:analysis", "--target", "report",
                                         "--target-path", str(cache / "target"), "--log-level", "none")],
                              env={**os.environ, "PULSE_DATA_DIR": str(settings.data_dir)},
                              capture_output=True, text=True)
        if proc.returncode != 0:
            detail = (proc.stdout + proc.stderr).strip()[-500:] or f"exit code {proc.returncode}"
            raise DbtError(f"dbt compile of the analyses failed: {detail}")
        stamp.write_text(fingerprint)
    return (cache / "target" / "compiled" / "pulse" / "analyses" / f"{name}.sql").read_text()


def _marts_connection(settings: Settings, sql: str, case: str) -> duckdb.DuckDBPyConnection:
    """The warehouse read-only; while dbt holds it, the marts the SQL reads as views over their exports."""
    try:
        return duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.ConnectionException:  # this process holds it already (dbt ran in-process): share that
        return duckdb.connect(str(settings.warehouse_path))
    except duckdb.IOException:
        pass  # locked by another process, the one that writes it
    catalog = settings.warehouse_path.stem
    con = duckdb.connect()
    con.execute(f'attach \':memory:\' as "{catalog}"')
    for schema, relation in sorted(set(re.findall(rf'"{re.escape(catalog)}"\."(\w+)"\."(\w+)"', sql))):
        export = parquet_source(settings.exports_dir, relation)
        if export is None:
            con.close()
            raise RuntimeError(f"the warehouse is in use (pulse run or dbt) and {relation} has no export in "
                               f"{settings.exports_dir}: `pulse report {case}` answers once that run ends")
        con.execute(f'create schema if not exists "{catalog}"."{schema}"')
        con.execute(f'create view "{catalog}"."{schema}"."{relation}" as select * from {export}')
    return con


# The analyses say "none yet (reason)" themselves; this covers a value or a report they left empty.
NONE_YET = "none yet (nothing in the marts it reads)"


def print_report(settings: Settings, case: str, console: Console | None = None) -> list[tuple]:
    columns, rows = fetch_report(settings, case)
    table = Table(title=REPORTS[case][1], show_lines=True)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(NONE_YET if v is None or v == "" else str(v) for v in row))
    if not rows:
        table.add_row(*[NONE_YET, *([""] * (len(columns) - 1))])
    (console or Console()).print(table)
    return rows
