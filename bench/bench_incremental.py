"""What an incremental run costs on a long history, with bounds read from a table (not a test).

docs/incremental.md: models read this run's bounds from `bookkeeping.run_bounds` when they run,
where they used to be compile-time constants, because a constant lets DuckDB skip Parquet row
groups by their statistics. This measures, side by side in one process and on one lake:

1. the engine: the two reads every incremental model makes (rows landed since a time; every row
   from an event time on) with the bound as a constant ("before"), read from a one-row table
   ("after"), and absent; median time, Parquet row groups and files read, ratios;
2. dbt: the interaction models (`stg_interactions__events+`) over the history, a full refresh vs
   an incremental run after one new file landed; with `--baseline-rev REV` the same two runs of
   the project as it was at REV (e.g. the commit before the mechanism changed), side by side.

    .venv/bin/python bench/bench_incremental.py [--days 60] [--files-per-day 12] [--rows-per-file 10000]
    .venv/bin/python bench/bench_incremental.py --baseline-rev 272f352

Timings on a shared machine are noisy: read the ratios, run it twice.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).parent / "dbt")
FIRST_DAY = datetime(2024, 1, 1)
FIRST_LANDED = datetime(2024, 1, 1, 0, 5)


def land_history(lake: Path, days: int, files_per_day: int, rows: int) -> datetime:
    """interactions lake files, one per (day, hour slot), landed in event-time order as the ingester
    would; returns the newest landing time."""
    con = duckdb.connect()
    landed = FIRST_LANDED
    offset = 0
    for day in range(days):
        folder = lake / "interactions" / f"date={(FIRST_DAY + timedelta(days=day)).date()}"
        folder.mkdir(parents=True, exist_ok=True)
        for slot in range(files_per_day):
            start = FIRST_DAY + timedelta(days=day, hours=slot * 24 / files_per_day)
            landed = start + timedelta(hours=24 / files_per_day, minutes=1)
            con.execute(f"""
                copy (
                    select
                        'u' || (i % 5000) as user_id, 'i' || (i % 700) as item_id,
                        (['view', 'click', 'purchase'])[1 + i % 3] as interaction_type,
                        timestamp '{start}' + to_microseconds(cast(i * {24 / files_per_day * 3600e6 / rows} as bigint))
                            as timestamp,
                        'interactions' as _source, timestamp '{landed}' as _ingested_at,
                        'interactions' as _topic, 0 as _partition, {offset} + i as _offset,
                        cast(null as varchar) as _file, cast(null as bigint) as _row,
                        cast(null as timestamp) as _kafka_timestamp, cast(null as varchar) as _kafka_timestamp_type
                    from range({rows}) as r(i)
                ) to '{folder}/interactions+0+{day}-{slot}.parquet' (format parquet, compression zstd)
            """)
            offset += rows
    return landed


def scan_figures(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, str, str]:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - t0)
    plan = con.execute("explain analyze " + sql).fetchall()[0][1]
    groups = re.search(r"Row Groups Scanned: (\d+ / \d+)", plan)
    files = re.search(r"Total Files Read: (\d+)", plan)
    return statistics.median(times), groups.group(1) if groups else "?", files.group(1) if files else "?"


def engine(lake: Path, newest_landed: datetime) -> None:
    con = duckdb.connect()
    con.execute(f"create view lake as select * from read_parquet('{lake}/interactions/*/*.parquet', "
                "hive_partitioning = true, union_by_name = true)")
    after = newest_landed - timedelta(hours=3)  # the last few files are new
    since = newest_landed - timedelta(days=2)  # their keys' rows reach two days back
    con.execute(f"create table bounds as select timestamp '{after}' as landed_after, timestamp '{since}' as since")
    reads = {
        "rows landed since the last run": (
            f"_ingested_at > timestamp '{after}'",
            "_ingested_at > (select landed_after from bounds)",
        ),
        "rows from an event time on (+ date partition)": (
            f"timestamp >= timestamp '{since}' and date >= date '{since.date()}'",
            "timestamp >= (select since from bounds) and date >= cast((select since from bounds) as date)",
        ),
    }
    print("engine: count(*), max(timestamp) over the lake with the bound as ...")
    for name, (constant, from_table) in reads.items():
        figures = {label: scan_figures(con, f"select count(*), max(timestamp) from lake where {where}")
                   for label, where in (("a constant (before)", constant), ("a table (after)", from_table),
                                        ("no bound", "true"))}
        print(f"  {name}:")
        for label, (seconds, groups, files) in figures.items():
            print(f"    {label:<20} {seconds * 1000:8.1f} ms  row groups {groups:>11}  files {files}")
        base = figures["a constant (before)"][0]
        print(f"    table / constant = {figures['a table (after)'][0] / base:.2f}x, "
              f"no bound / constant = {figures['no bound'][0] / base:.2f}x")


def dbt_runs(project: Path, data_dir: Path, lake: Path, select: str) -> tuple[float, float]:
    """(full refresh s, incremental s after one new file) of `select` in `project` on a copy of the lake."""
    env = {**os.environ, "PULSE_DATA_DIR": str(data_dir), "DBT_TARGET_PATH": str(data_dir.parent / "target"),
           "DBT_LOG_PATH": str(data_dir.parent / "logs")}
    (data_dir / "lake").mkdir(parents=True)
    os.symlink(lake / "interactions", data_dir / "lake" / "interactions")

    def run(*args: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([DBT, "run", "--quiet", "--select", select, *args, "--profiles-dir", str(project),
                        "--project-dir", str(project)], check=True, cwd=project, env=env)
        return time.perf_counter() - t0

    run("--full-refresh")  # creates everything once
    full = run("--full-refresh")
    day = max(p.name for p in (lake / "interactions").iterdir())
    newest = duckdb.sql(f"select max(timestamp) from read_parquet('{lake}/interactions/{day}/*.parquet')"
                        ).fetchall()[0][0]
    duckdb.sql(f"""copy (select 'late' as user_id, 'i1' as item_id, 'view' as interaction_type,
                   timestamp '{newest}' as timestamp, 'interactions' as _source,
                   cast(timezone('UTC', now()) as timestamp) as _ingested_at, cast(null as varchar) as _topic,
                   cast(null as integer) as _partition, cast(null as bigint) as _offset,
                   'bench.csv' as _file, 1::bigint as _row)
                   to '{lake}/interactions/{day}/bench-new-{project.name}.parquet' (format parquet)""")
    incremental = run()
    return full, incremental


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--files-per-day", type=int, default=12)
    ap.add_argument("--rows-per-file", type=int, default=10_000)
    ap.add_argument("--baseline-rev", help="also run the dbt part on the project as it was at this git revision")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    lake = work / "lake"
    t0 = time.perf_counter()
    newest = land_history(lake, args.days, args.files_per_day, args.rows_per_file)
    total = args.days * args.files_per_day * args.rows_per_file
    print(f"history: {total:,} interactions in {args.days * args.files_per_day} files over {args.days} days "
          f"(landed in {time.perf_counter() - t0:.1f} s); work dir {work}\n")
    engine(lake, newest)

    projects = {"this tree": REPO}
    if args.baseline_rev:
        baseline = work / "baseline"
        baseline.mkdir()
        archive = subprocess.run(["git", "archive", args.baseline_rev], cwd=REPO, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive.stdout, check=True)
        projects = {f"baseline {args.baseline_rev}": baseline, **projects}
    print("\ndbt: stg_interactions__events+ over the history (cold `dbt run` processes, parse included)")
    figures = {}
    for name, project in projects.items():
        full, incremental = dbt_runs(project, work / f"data-{len(figures)}" / "data", lake, "stg_interactions__events+")
        figures[name] = (full, incremental)
        print(f"  {name:<24} full refresh {full:6.2f} s  incremental (one new file) {incremental:6.2f} s  "
              f"incremental / full = {incremental / full:.2f}x")
    if len(figures) == 2:
        (_, (_, before)), (_, (_, after)) = figures.items()
        print(f"  incremental run, this tree / baseline = {after / before:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
