"""The same dbt project on Apache Spark (the `spark` target in profiles.yml) gives the same marts
as on DuckDB, row for row, over the same lake: the fixture extracts landed once, the lake copied to
a second data dir, `dbt build` on DuckDB in one and on Spark (local[2], pyspark in dbt's process,
models and unit tests) in the other, then the marts that stay incremental on Spark run once more.
Spark's marts are read back as Parquet (`export_schema_to_parquet`) and compared with the
warehouse's, doubles to 6 decimals; the campaign minute report folders must hold the same rows
with the same Parquet types.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO, run_dbt_subprocess

pytestmark = pytest.mark.integration

REPORT_COLUMNS = ["campaign_id", "network_id", "minute_timestamp", "avg_duration", "total_count"]
# Incremental on Spark too (macros/spark/incremental.sql): whole days replaced as partitions.
SPARK_INCREMENTAL = ["fct_app_interactions", "fct_app_sessions", "fct_app_active_user_days"]
# The one mart that records when pulse ran (its wall clock), not what the data says.
RUN_CLOCK_COLUMNS = {"fct_campaign_minute_report_log": ["first_reported_at", "last_reported_at"]}


def _normal(value: object) -> object:
    """One value as both engines must agree on it: numbers to 6 decimals, times in naive UTC."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float | Decimal):
        return round(float(value), 6)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    cur = con.execute(sql)
    columns = [d[0] for d in cur.description]
    rows = [tuple(_normal(v) for v in row) for row in cur.fetchall()]
    return columns, sorted(rows, key=repr)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("spark-equivalence")
    duck, spark, spark_marts = root / "duckdb" / "data", root / "spark" / "data", root / "spark-marts"
    subprocess.run([sys.executable, "-m", "tests.fixtures.load"], cwd=REPO, check=True, capture_output=True,
                   env={**os.environ, "PULSE_DATA_DIR": str(duck)})
    run_dbt_subprocess(duck, "build", "--exclude-resource-type", "test")
    shutil.copytree(duck / "lake", spark / "lake")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PULSE_SPARK_MASTER", "local[2]")
        run_dbt_subprocess(spark, "build", "--target", "spark", "--exclude-resource-type", "test")
        # Once more, incrementally: the day-partitioned marts replace their recomputed days in place
        # (insert_overwrite) instead of rebuilding, and must still equal DuckDB's.
        run_dbt_subprocess(spark, "run", "--target", "spark", "--select", *SPARK_INCREMENTAL)
        run_dbt_subprocess(spark, "run-operation", "export_schema_to_parquet", "--target", "spark",
                           "--args", f"{{schema: marts, path: '{spark_marts}'}}")
    return duck, spark, spark_marts


def test_every_mart_is_the_same_on_spark(built: tuple[Path, Path, Path]) -> None:
    duck, _, spark_marts = built
    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    marts = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
    assert len(marts) >= 25 and {p.name for p in spark_marts.iterdir()} == set(marts)
    differ, filled = [], 0
    for mart in marts:
        wanted = "* exclude (" + ", ".join(RUN_CLOCK_COLUMNS[mart]) + ")" if mart in RUN_CLOCK_COLUMNS else "*"
        columns, rows = _rows(con, f"select {wanted} from marts.{mart}")
        spark_file = f"read_parquet('{spark_marts / mart}/*.parquet')"
        spark_columns = [d[0] for d in con.execute(f"select {wanted} from {spark_file} limit 0").description]
        # Spark puts a table's partition columns last: same columns, compared in DuckDB's order.
        assert sorted(spark_columns) == sorted(columns), mart
        _, spark_rows = _rows(con, f"select {', '.join(columns)} from {spark_file}")
        filled += bool(rows)
        if spark_rows != rows:
            differ.append(f"{mart}: duckdb {len(rows)} rows, spark {len(spark_rows)}; "
                          f"only duckdb {sorted(set(rows) - set(spark_rows), key=repr)[:2]}, "
                          f"only spark {sorted(set(spark_rows) - set(rows), key=repr)[:2]}")
    assert not differ, "\n".join(differ)
    assert filled >= len(marts) // 2, f"only {filled} of {len(marts)} marts have rows: the comparison proves little"


def test_campaign_report_folder_is_the_same_on_spark(built: tuple[Path, Path, Path]) -> None:
    duck, spark, _ = built
    folders = [d / "reports" / "campaign_minute" for d in (duck, spark)]
    keys = [sorted(p.relative_to(f).parent.as_posix() for p in f.glob("*/*/*.parquet")) for f in folders]
    assert keys[0] and keys[0] == sorted(set(keys[1])), "the two engines wrote other network/minute folders"
    schemas = {pq.read_schema(next(f.glob("*/*/*.parquet"))).remove_metadata() for f in folders}
    assert len(schemas) == 1 and list(schemas.pop().names) == REPORT_COLUMNS
    con = duckdb.connect()
    duck_rows, spark_rows = (
        _rows(con, f"select * from read_parquet('{f}/*/*/*.parquet', hive_partitioning = true)")[1] for f in folders
    )
    assert duck_rows and duck_rows == spark_rows
