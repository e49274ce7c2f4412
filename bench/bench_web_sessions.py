"""Benchmark `fct_web_sessions` (not a test: nothing here asserts a timing).

Generates web events with DuckDB SQL straight into lake-shaped Parquet (the web_events spec's
columns plus the lake columns, hive-partitioned by date), then measures in this one run:

1. full build, same events, same machine:
   the dbt model (`dbt run --full-refresh`, model time from run_results.json)
   vs one hand-written DuckDB query                   goal: dbt <= 1.3x hand-written
   vs pandas (read, drop_duplicates, sort, groupby diff, cumsum, agg)   goal: >= 3x faster
2. incremental: 1% new events (the next slice of activity: 1 user in 10 continues or joins late
   their last session) landed after the build;
   the incremental `dbt run` vs the full build        goal: <= 10%
3. the same increment on a lake with `--history-factor` times less history (1 day instead of
   N days): incremental cost should be about the same (it follows new data, not history).

    .venv/bin/python bench/bench_web_sessions.py                   # 10M events over 10 days
    .venv/bin/python bench/bench_web_sessions.py --events 2000000  # smaller, faster
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).parent / "dbt")
EVENTS_PER_USER_DAY = 5
# History lands continuously, a minute after each event (as the Kafka ingester does); the new
# events land together, after all of it.
NEW_LANDED = "2024-03-01 00:00:00"

LAKE_COLUMNS = """
    'web_events' as _source,
    cast(null as varchar) as _topic, cast(null as integer) as _partition, cast(null as bigint) as _offset,
    'bench' as _file
"""


def write_history(lake: Path, users: int, days: int, first_day: int) -> int:
    """`users` x `days` x 5 events: three a minute or so apart, two more four hours later 25 minutes
    apart, so sessions have 1-3 events; 64-hex ids like the real extract."""
    n = users * days * EVENTS_PER_USER_DAY
    lake.mkdir(parents=True, exist_ok=True)
    duckdb.sql(f"""
        copy (
            with numbered as (
                select
                    i,
                    i % {users} as u,
                    {first_day} + (i // {users}) // {EVENTS_PER_USER_DAY} as day,
                    (i // {users}) % {EVENTS_PER_USER_DAY} as k
                from range({n}) as t(i)
            ),
            timed as (
                select
                    *,
                    timestamp '2024-01-01' + to_days(cast(day as integer))
                    + to_seconds(cast(hash(u) % 36000 as bigint))
                    + to_seconds([0, 60, 200, 14400, 15900][k + 1])
                    + to_microseconds(cast(hash(i) % 1000000 as bigint)) as event_time
                from numbered
            )
            select
                ['page_view', 'click', 'search', 'add_to_cart', 'login'][cast(hash(i, 1) % 5 as integer) + 1]
                    as event_name,
                sha256(cast(u as varchar)) as user_id,
                '1.2.3' as app_version,
                event_time,
                sha256('device' || cast(u % 7919 as varchar)) as device_id,
                'web' as client,
                {LAKE_COLUMNS},
                event_time + interval 1 minute as _ingested_at,
                i as _row,
                cast(event_time as date) as date
            from timed
        ) to '{lake}' (format parquet, compression zstd, partition_by (date), overwrite_or_ignore,
                       filename_pattern 'history-{first_day}-{{i}}')
    """)
    return n


def write_increment(lake: Path, users: int, last_day: int, n: int) -> int:
    """`n` new events, the next slice of activity: n / 5 users send 5 events a minute apart, two
    in three continuing their last session 10 minutes after its end, one in three arriving late,
    20 minutes before their last session (which they join)."""
    duckdb.sql(f"""
        copy (
            with rows as (
                select i, ((i // 5) * 7) % {users} as u, i % 5 as k from range({n}) as t(i)
            ),
            timed as (
                select
                    *,
                    timestamp '2024-01-01' + to_days({last_day})
                    + to_seconds(cast(hash(u) % 36000 as bigint))
                    + to_seconds([15900 + 600, 15900 + 600, 14400 - 1200][cast(u % 3 as integer) + 1] + k * 60)
                    as event_time
                from rows
            )
            select
                'click' as event_name,
                sha256(cast(u as varchar)) as user_id,
                '1.2.3' as app_version,
                event_time,
                sha256('device' || cast(u % 7919 as varchar)) as device_id,
                'web' as client,
                {LAKE_COLUMNS},
                timestamp '{NEW_LANDED}' as _ingested_at,
                i as _row,
                cast(event_time as date) as date
            from timed
        ) to '{lake}' (format parquet, compression zstd, partition_by (date), overwrite_or_ignore,
                       filename_pattern 'new-{{i}}')
    """)
    return n


def dbt_run(data_dir: Path, *args: str) -> float:
    """Run dbt; return fct_web_sessions' own time from run_results.json (no dbt start-up)."""
    env = {**os.environ, "PULSE_DATA_DIR": str(data_dir), "DBT_LOG_PATH": str(data_dir.parent / "logs")}
    target = data_dir.parent / "target"
    cmd = [DBT, "run", "--select", "stg_web__events", "int_web_events_sessionized", "fct_web_sessions", *args,
           "--profiles-dir", str(REPO), "--project-dir", str(REPO), "--target-path", str(target)]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"dbt failed:\n{proc.stdout[-3000:]}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    return next(r["execution_time"] for r in results if r["unique_id"].endswith(".fct_web_sessions"))


HAND_WRITTEN = """
    create or replace table sessions as
    with events as (
        select distinct event_name, user_id, app_version, event_time, device_id, client
        from read_parquet('{lake}/*/*.parquet', hive_partitioning = true)
    ),
    flagged as (
        select
            *,
            case when event_time - lag(event_time) over w <= interval 30 minute then 0 else 1 end as starts
        from events
        window w as (partition by user_id order by event_time)
    ),
    numbered as (
        select *, sum(starts) over (partition by user_id order by event_time rows unbounded preceding) as n
        from flagged
    )
    select
        md5(user_id || '|' || cast(min(event_time) as varchar)) as session_id,
        user_id,
        arg_min(device_id, event_time) as device_id,
        min(event_time) as session_start,
        max(event_time) as session_end,
        count(*) as event_count,
        count(distinct device_id) as device_count
    from numbered
    group by user_id, n
"""


def hand_written(lake: Path, database: Path) -> tuple[float, int]:
    """The same sessions in one query, persisted to a DuckDB file like the dbt model's table."""
    con = duckdb.connect(str(database))
    started = time.perf_counter()
    con.execute(HAND_WRITTEN.format(lake=lake))
    elapsed = time.perf_counter() - started
    return elapsed, con.execute("select count(*) from sessions").fetchone()[0]


def pandas_sessions(lake: Path) -> tuple[float, int]:
    import pandas as pd

    started = time.perf_counter()
    df = pd.read_parquet(lake, columns=["event_name", "user_id", "app_version", "event_time", "device_id", "client"])
    df = df.drop_duplicates().sort_values(["user_id", "event_time"])
    new = (df.groupby("user_id")["event_time"].diff() > pd.Timedelta(minutes=30)) | df["user_id"].ne(
        df["user_id"].shift())
    df["n"] = new.astype("int64").groupby(df["user_id"]).cumsum()
    sessions = df.groupby(["user_id", "n"]).agg(
        session_start=("event_time", "min"), session_end=("event_time", "max"),
        event_count=("event_time", "size"), device_id=("device_id", "first"),
        device_count=("device_id", "nunique"))
    return time.perf_counter() - started, len(sessions)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=10_000_000, help="history events (default 10M)")
    p.add_argument("--days", type=int, default=10, help="days of history (= the history factor)")
    p.add_argument("--new-fraction", type=float, default=0.01)
    p.add_argument("--skip-pandas", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the temporary data dirs")
    args = p.parse_args()

    users = max(1, args.events // (args.days * EVENTS_PER_USER_DAY))
    new_events = int(args.events * args.new_fraction)
    root = Path(tempfile.mkdtemp(prefix="bench-web-sessions-"))
    big, small = root / "big" / "data", root / "small" / "data"
    try:
        started = time.perf_counter()
        n = write_history(big / "lake" / "web_events", users, args.days, 0)
        write_history(small / "lake" / "web_events", users, 1, args.days - 1)
        print(f"generated {n:,} events ({users:,} users x {args.days} days) + a 1-day lake in "
              f"{time.perf_counter() - started:.1f} s under {root}")

        full = dbt_run(big, "--full-refresh")
        hand, hand_rows = hand_written(big / "lake" / "web_events", root / "hand.duckdb")
        with duckdb.connect(str(big / "warehouse.duckdb"), read_only=True) as con:
            dbt_rows = con.execute("select count(*) from marts.fct_web_sessions").fetchone()[0]
        print(f"\n1. full build of {n:,} events -> {dbt_rows:,} sessions")
        print(f"   dbt fct_web_sessions       {full:8.2f} s")
        print(f"   hand-written DuckDB query  {hand:8.2f} s   ({hand_rows:,} sessions)   dbt / hand = "
              f"{full / hand:.2f}x  (goal <= 1.3x)")
        if not args.skip_pandas:
            pdt, pd_rows = pandas_sessions(big / "lake" / "web_events")
            print(f"   pandas                     {pdt:8.2f} s   ({pd_rows:,} sessions)   pandas / dbt = "
                  f"{pdt / full:.2f}x  (goal >= 3x)")

        write_increment(big / "lake" / "web_events", users, args.days - 1, new_events)
        inc_big = dbt_run(big)
        print(f"\n2. incremental run after {new_events:,} new events ({args.new_fraction:.0%})")
        print(f"   incremental {inc_big:6.2f} s vs full build {full:6.2f} s = {inc_big / full:.1%}  (goal <= 10%)")

        dbt_run(small, "--full-refresh")
        write_increment(small / "lake" / "web_events", users, args.days - 1, new_events)
        inc_small = dbt_run(small)
        print(f"\n3. the same increment on {args.days}x less history (1 day, {n // args.days:,} events)")
        print(f"   incremental {inc_small:6.2f} s with 1 day vs {inc_big:6.2f} s with {args.days} days "
              f"= {inc_big / inc_small:.2f}x  (goal ~1x)")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
