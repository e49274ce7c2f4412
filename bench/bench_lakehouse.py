"""Lakehouse marts on ~1M interactions: a full build vs a one-day incremental run vs a backfill.

    .venv/bin/python bench/bench_lakehouse.py [--users 480] [--workdir /tmp/pulse-bench-lakehouse]

Generates a year (2023) of user_interactions with `pulse generate` (480 users give ~1M rows) and
the users' metadata, lands them, then measures in one process, side by side:
  1. full     dbt run --full-refresh of every lakehouse model (the baseline);
  2. one day  a new day (2024-01-01) lands, then an incremental dbt run;
  3. no-op    an incremental run with nothing new (only the newest-day lookback is redone);
  4. backfill an incremental run with backfill_start/backfill_end over 30 days.
Each figure is the wall time of the dbt invocation and the summed model execution time (the
wall time also holds dbt's start-up and partial parse), with the ratio to the full build.
Incremental runs use lake_ingest_lookback_seconds 0: everything was landed seconds earlier, and
the default 300 s landing lookback would (correctly, but uselessly here) redo it all.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SELECT = "stg_lakehouse__user_interactions+ stg_lakehouse__user_metadata+"
PULSE = str(Path(sys.executable).parent / "pulse")


def pulse(*args: str) -> None:
    subprocess.run([PULSE, *args], check=True, stdout=subprocess.DEVNULL)


def timed_run(*extra: str) -> tuple[float, float, int]:
    from pulse.dbt import run_dbt

    started = time.perf_counter()
    result = run_dbt("run", "--select", SELECT, *extra, quiet=True)
    wall = time.perf_counter() - started
    return wall, sum(r.execution_time for r in result.result.results), len(result.result.results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=480)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pulse-bench-lakehouse"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    extracts, data = args.workdir / "extracts", args.workdir / "data"
    os.environ.update(PULSE_DATA_DIR=str(data), DBT_TARGET_PATH=str(args.workdir / "target"),
                      DBT_LOG_PATH=str(args.workdir / "logs"))

    users = str(args.users)
    pulse("generate", "user_interactions", "--start", "2023-01-01", "--end", "2024-01-01", "--users", users,
          "--out", str(extracts / "year"), "--quiet")
    pulse("generate", "user_metadata", "--users", users, "--out", str(extracts / "year"), "--quiet")
    pulse("generate", "user_interactions", "--start", "2024-01-01", "--end", "2024-01-02", "--users", users,
          "--seed", "2", "--out", str(extracts / "day"), "--quiet")
    rows = sum(1 for _ in open(extracts / "year" / "user_interactions.csv")) - 1
    day_rows = sum(1 for _ in open(extracts / "day" / "user_interactions.csv")) - 1
    pulse("ingest", "files", "user_interactions", str(extracts / "year" / "user_interactions.csv"))
    pulse("ingest", "files", "user_metadata", str(extracts / "year" / "user_metadata.csv"))

    no_lookback = "lake_ingest_lookback_seconds: 0"
    timed_run("--full-refresh")  # warm-up: parse the project, fill the OS cache
    figures = {"full build (--full-refresh)": timed_run("--full-refresh")}
    pulse("ingest", "files", "user_interactions", str(extracts / "day" / "user_interactions.csv"))
    figures[f"one new day ({day_rows} rows) incremental"] = timed_run("--vars", f"{{{no_lookback}}}")
    figures["nothing new, incremental"] = timed_run("--vars", f"{{{no_lookback}}}")
    figures["backfill 30 days (2023-06-01..06-30)"] = timed_run(
        "--vars", f"{{{no_lookback}, backfill_start: 2023-06-01, backfill_end: 2023-06-30}}")

    full_wall, full_models, model_count = figures["full build (--full-refresh)"]
    print(f"\nlakehouse marts, {rows:,} interactions over 2023 ({args.users} users), dbt-duckdb, {model_count} models")
    print(f"{'run':42} {'wall s':>8} {'models s':>9} {'wall/full':>10} {'models/full':>12}")
    for name, (wall, models, _) in figures.items():
        print(f"{name:42} {wall:8.2f} {models:9.2f} {wall / full_wall:10.2f} {models / full_models:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
