"""Benchmark the campaign minute report in batch mode (not a test: nothing asserts a timing).

How long after a minute's window closes is its report on disk? In batch mode the minute's views
are landed (one lake file, as the ingester writes it), then dbt runs the report's models
incrementally; the time from the run's start to the minute's report files existing is measured.

Measured side by side in one run, on a lake of generated history (DuckDB SQL, lake-shaped
Parquet in arrival order, `--days` days at `--per-minute` views a minute, 40 campaigns on 6
networks): the full build of the report over the whole history (`--full-refresh`, the baseline,
as a cold `dbt run` process and warm in-process), against the incremental run that reports one
new minute, as a cold `dbt run` process (parse included) and warm (dbt in-process on a parsed
manifest, as `pulse run` does) for each of `--minutes` new minutes.

    .venv/bin/python bench/bench_campaign_report.py                 # 1 day x 1000 views/minute (1.44M)
    .venv/bin/python bench/bench_campaign_report.py --days 7        # 10M views (slow: 60k report folders)
"""

from __future__ import annotations

import argparse
import os
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
FIRST = datetime(2024, 5, 1)
CAMPAIGNS = 40
MODELS = ["int_campaign_views_deduplicated", "int_campaign_minutes_to_report", "int_campaign_views_to_report",
          "fct_campaign_views_minute"]


def lake_views_sql(first_minute: datetime, minutes: int, per_minute: int, ingested_at: str) -> str:
    """Views ending in [first_minute, + minutes): lognormal-ish durations, lake columns of a file landing."""
    return f"""
        select
            uuid()::varchar as view_id,
            end_timestamp - to_microseconds(cast(duration * 1e6 as bigint)) as start_timestamp,
            end_timestamp,
            cast(campaign_id * 100 + 1 as bigint) as banner_id,
            cast(campaign_id as integer) as campaign_id,
            'view_log' as _source,
            timestamp '{ingested_at}' as _ingested_at,
            cast(null as varchar) as _topic, cast(null as integer) as _partition, cast(null as bigint) as _offset,
            'bench' as _file, i as _row
        from (
            select
                i,
                timestamp '{first_minute:%Y-%m-%d %H:%M:%S}'
                    + to_microseconds(cast(floor(random() * {minutes} * 60e6) as bigint)) as end_timestamp,
                1000 + cast(floor(pow(random(), 2) * {CAMPAIGNS}) as integer) as campaign_id,
                least(exp(2.0 + 0.9 * (random() + random() + random() - 1.5)), 600.0) as duration
            from range({minutes * per_minute}) as r(i)
        )
    """


def land(con, lake: Path, sql: str, name: str) -> None:
    """One lake file per event date, in arrival (= end_timestamp) order as the ingester writes them,
    to a temporary name then renamed (as lake.py does)."""
    days = [r[0] for r in con.execute(f"select distinct cast(end_timestamp as date) from ({sql})").fetchall()]
    con.execute(f"create or replace temp table landing as {sql}")
    for day in days:
        folder = lake / "view_log" / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.tmp"
        con.execute(f"copy (select * from landing where cast(end_timestamp as date) = date '{day}' "
                    f"order by end_timestamp) "
                    f"to '{tmp}' (format parquet, compression zstd)")
        os.replace(tmp, folder / f"{name}.parquet")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--per-minute", type=int, default=1000)
    ap.add_argument("--minutes", type=int, default=3, help="new minutes landed and reported one by one")
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench_campaign_"))
    data_dir = root / "data"
    os.environ.update(PULSE_DATA_DIR=str(data_dir), DBT_TARGET_PATH=str(root / "target"),
                      DBT_LOG_PATH=str(root / "logs"))
    sys.path.insert(0, str(REPO))
    from ingest.config import load_settings
    from ingest.files import ingest_files
    from ingest.lake import ensure_data_dirs
    from pulse.dbt import dbt_args

    settings = load_settings()
    ensure_data_dirs(settings)
    campaigns = root / "campaigns.csv"
    campaigns.write_text("network_id,campaign_id,campaign_name\n" + "".join(
        f'{1 + i % 6},{1000 + i},"Campaign {i}"\n' for i in range(CAMPAIGNS)))
    ingest_files(settings, "campaigns", [str(campaigns)])

    con = duckdb.connect()
    con.execute("select setseed(0.17)")
    history_minutes = args.days * 1440
    started = time.perf_counter()
    land(con, settings.lake_dir, lake_views_sql(FIRST, history_minutes, args.per_minute, "2024-04-01 00:00:00"),
         "bench-history")
    total = history_minutes * args.per_minute
    print(f"history: {total:,} views over {args.days} days ({args.per_minute}/minute), "
          f"landed in {time.perf_counter() - started:.1f} s")

    reports = settings.reports_dir / "campaign_minute"
    minute = FIRST + timedelta(minutes=history_minutes)

    def cli_run(*extra: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([DBT, "run", "--quiet", "--select", *MODELS, *extra, "--profiles-dir", str(REPO),
                        "--project-dir", str(REPO)], check=True, cwd=REPO)
        return time.perf_counter() - t0

    def land_minute(name: str) -> None:
        now = datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S")
        land(con, settings.lake_dir, lake_views_sql(minute, 1, args.per_minute, now), name)

    def reported(at: datetime) -> bool:
        return bool(list(reports.glob(f"network=*/minute={at:%Y%m%dT%H%M}/*.parquet")))

    # Cold: `dbt run` processes (parse included). The in-process runner below keeps the warehouse
    # open until this script ends, so the CLI runs come first.
    subprocess.run([DBT, "run", "--quiet", "--select", "stg_campaigns__views", "stg_campaigns__campaigns",
                    "--profiles-dir", str(REPO), "--project-dir", str(REPO)], check=True, cwd=REPO)
    full_cold = cli_run("--full-refresh")
    print(f"full build of the report over the history, cold `dbt run`: {full_cold:.2f} s")
    land_minute("bench-minute-cold")
    cold = cli_run()
    assert reported(minute), f"no report for {minute}"
    minute += timedelta(minutes=1)

    from dbt.cli.main import dbtRunner

    parsed = dbtRunner().invoke(["--quiet", *dbt_args("parse")])
    runner = dbtRunner(manifest=parsed.result)

    def run(*extra: str) -> float:
        t0 = time.perf_counter()
        res = runner.invoke(["--quiet", *dbt_args("run", "--select", *MODELS, *extra)])
        if not res.success:
            raise RuntimeError(f"dbt run failed: {res.exception}")
        return time.perf_counter() - t0

    warm: list[float] = []
    for k in range(args.minutes):
        land_minute(f"bench-minute-{k}")
        warm.append(run())
        assert reported(minute), f"no report for {minute}"
        minute += timedelta(minutes=1)
    full = run("--full-refresh")

    median = statistics.median(warm)
    print(f"\nminute report after its window closes (batch: land the minute, run dbt), {args.per_minute} views/minute:")
    print(f"  incremental, warm (in-process, parsed manifest): median {median:.2f} s, "
          f"min {min(warm):.2f} s, max {max(warm):.2f} s over {len(warm)} minutes")
    print(f"  incremental, cold `dbt run` process (parse included): {cold:.2f} s")
    print(f"  full build (baseline), warm: {full:.2f} s; cold: {full_cold:.2f} s")
    print(f"  incremental warm / full build = {median / full:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
