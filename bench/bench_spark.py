"""Benchmark `fct_web_sessions` on Spark (not a test: nothing here asserts a timing).

One lake of web events (generated as in bench_web_sessions.py, 10M by default), then in this one
run, each a full build of the same sessions:

1. the dbt model on DuckDB               (`dbt run`, the model's time from run_results.json)
2. the dbt model on Spark local[2]       (`dbt run --target spark`, same)
3. a hand-written Spark SQL query        (the same rule in one query, read from and written to
                                          Parquet in a pyspark session like dbt's, after one warm-up
                                          query; JVM start apart)

and the ratios 2/1 and 2/3: what running the project on Spark costs on one machine, and what dbt
adds on Spark. Wall times (dbt start, Spark session start) are printed too.

    .venv/bin/python bench/bench_spark.py                    # 10M events over 10 days
    .venv/bin/python bench/bench_spark.py --events 1000000   # smaller, faster
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_web_sessions import EVENTS_PER_USER_DAY, dbt_run, write_history  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).parent / "dbt")
MASTER = "local[2]"

HAND_WRITTEN_SPARK = """
import sys, time
from pyspark.sql import SparkSession
lake, out = sys.argv[1], sys.argv[2]
started = time.perf_counter()
spark = (SparkSession.builder.master("{master}").appName("pulse-bench-hand")
         .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.shuffle.partitions", "4").getOrCreate())
session = time.perf_counter() - started
# dbt's session has planned and run queries before the model; so does this one (JIT warm-up).
spark.sql(f"select count(*) from parquet.`{{lake}}`").collect()
started = time.perf_counter()
spark.sql(f'''
    with events as (
        select distinct event_name, user_id, app_version, event_time, device_id, client
        from parquet.`{{lake}}`
    ),
    flagged as (
        select *, case when event_time - lag(event_time) over w <= interval 30 minutes then 0 else 1 end as starts
        from events
        window w as (partition by user_id order by event_time)
    ),
    numbered as (
        select *, sum(starts) over (partition by user_id order by event_time
                                    rows between unbounded preceding and current row) as n
        from flagged
    )
    select
        md5(user_id || '|' || cast(min(event_time) as string)) as session_id,
        user_id,
        min_by(device_id, event_time) as device_id,
        min(event_time) as session_start,
        max(event_time) as session_end,
        count(*) as event_count,
        count(distinct device_id) as device_count
    from numbered
    group by user_id, n
''').write.mode("overwrite").parquet(out)
query = time.perf_counter() - started
rows = spark.read.parquet(out).count()
print(session, query, rows)
"""


def timed_dbt_run(data_dir: Path, *args: str) -> tuple[float, float]:
    """bench_web_sessions' dbt run of fct_web_sessions; returns (the model's time, the command's)."""
    started = time.perf_counter()
    model = dbt_run(data_dir, *args)
    return model, time.perf_counter() - started


def spark_rows(data_dir: Path, out: Path) -> int:
    """fct_web_sessions as Spark wrote it, read back through dbt's own export of the marts."""
    env = {**os.environ, "PULSE_DATA_DIR": str(data_dir), "DBT_LOG_PATH": str(data_dir.parent / "logs")}
    subprocess.run([DBT, "run-operation", "export_schema_to_parquet", "--target", "spark",
                    "--args", f"{{schema: marts, path: '{out}'}}", "--profiles-dir", str(REPO),
                    "--project-dir", str(REPO), "--target-path", str(data_dir.parent / "target")],
                   env=env, cwd=data_dir.parent, capture_output=True, check=True)
    return duckdb.sql(f"select count(*) from read_parquet('{out}/fct_web_sessions/*.parquet')").fetchall()[0][0]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=10_000_000, help="web events (default 10M)")
    p.add_argument("--days", type=int, default=10, help="days they span")
    p.add_argument("--keep", action="store_true", help="keep the temporary data dirs")
    args = p.parse_args()
    os.environ["PULSE_SPARK_MASTER"] = MASTER  # dbt's Spark session, in the child dbt processes

    users = max(1, args.events // (args.days * EVENTS_PER_USER_DAY))
    root = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    duck, spark = root / "duckdb" / "data", root / "spark" / "data"
    try:
        started = time.perf_counter()
        n = write_history(duck / "lake" / "web_events", users, args.days, 0)
        shutil.copytree(duck / "lake", spark / "lake")
        print(f"generated {n:,} web events ({users:,} users x {args.days} days) in "
              f"{time.perf_counter() - started:.1f} s under {root}; Spark master {MASTER}")

        duck_model, duck_wall = timed_dbt_run(duck)
        with duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True) as con:
            duck_rows = con.execute("select count(*) from marts.fct_web_sessions").fetchall()[0][0]
        spark_model, spark_wall = timed_dbt_run(spark, "--target", "spark")
        rows_on_spark = spark_rows(spark, root / "spark-marts")
        proc = subprocess.run([sys.executable, "-c", HAND_WRITTEN_SPARK.format(master=MASTER),
                               str(spark / "lake" / "web_events"), str(root / "hand")],
                              capture_output=True, text=True, check=True)
        session, hand, hand_rows = proc.stdout.split()[-3:]
        session, hand = float(session), float(hand)

        print(f"\nfull build of fct_web_sessions from {n:,} events")
        print(f"   1. dbt on DuckDB            {duck_model:8.2f} s   ({duck_rows:,} sessions; "
              f"dbt command {duck_wall:.1f} s)")
        print(f"   2. dbt on Spark {MASTER}    {spark_model:8.2f} s   ({rows_on_spark:,} sessions; "
              f"dbt command {spark_wall:.1f} s)")
        print(f"   3. hand-written Spark SQL   {hand:8.2f} s   ({int(hand_rows):,} sessions; "
              f"Spark session start {session:.1f} s)")
        print(f"\n   Spark / DuckDB (2/1)        {spark_model / duck_model:6.2f}x")
        print(f"   dbt on Spark / hand (2/3)   {spark_model / hand:6.2f}x")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
