"""The campaign report folder (data/reports/campaign_minute/network=<n>/minute=<YYYYMMDDTHHMM>/)
read by the ecosystem's readers with their defaults: pandas, pyarrow datasets (hive), DuckDB
(hive_partitioning) and Spark. Each sees the case's five columns with their types, and the same
rows as the mart; the folder keys come as two extra columns that agree with the rows.

The report is written by dbt (the mart's post-hook) from views landed from a file: two networks
and a campaign missing from campaigns.csv (null network_id, folder network=unknown).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from ingest.config import load_settings
from ingest.files import ingest_files
from tests.conftest import run_dbt_subprocess

pytestmark = pytest.mark.integration

COLUMNS = ["campaign_id", "network_id", "minute_timestamp", "avg_duration", "total_count"]
ARROW_TYPES = [pa.int32(), pa.int32(), pa.timestamp("us"), pa.float64(), pa.int32()]
VIEWS = [  # (view_id, start, end, campaign); campaign 33 is in no network
    ("a", "10:00:05", "10:00:15", 11), ("b", "10:00:20", "10:00:50", 11), ("c", "10:00:30", "10:00:40", 22),
    ("d", "10:01:00", "10:01:04", 22), ("e", "10:01:10", "10:01:12", 33),
]


def t(s: str) -> datetime:
    return datetime.fromisoformat(f"2024-05-01 {s}")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, list[tuple]]:
    """(the report folder, the mart's rows sorted) after one dbt run."""
    tmp = tmp_path_factory.mktemp("readers")
    data_dir = tmp / "data"
    settings = load_settings({"PULSE_DATA_DIR": str(data_dir)})
    campaigns = tmp / "campaigns.csv"
    campaigns.write_text("network_id,campaign_id,campaign_name\n1,11,One\n2,22,Two\n")
    views = tmp / "views.jsonl"
    views.write_text("".join(json.dumps({"view_id": v, "start_timestamp": f"2024-05-01T{s}.000Z",
                                         "end_timestamp": f"2024-05-01T{e}.000Z", "banner_id": c * 100,
                                         "campaign_id": c}) + "\n" for v, s, e, c in VIEWS))
    assert all(r.reconciles() for r in ingest_files(settings, "campaigns", [str(campaigns)]))
    assert all(r.reconciles() for r in ingest_files(settings, "view_log", [str(views)]))
    run_dbt_subprocess(data_dir, "run", "--select", "+fct_campaign_views_minute", target_dir=tmp / "target")
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        mart = con.execute(f"select {', '.join(COLUMNS)} from marts.fct_campaign_views_minute").fetchall()
    return settings.reports_dir / "campaign_minute", sorted(mart, key=_key)


def _key(row) -> tuple:
    return tuple((v is None, v) for v in row)


def test_the_folder_layout(report):
    root, mart = report
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet")) == [
        "network=1/minute=20240501T1000/data_0.parquet",
        "network=2/minute=20240501T1000/data_0.parquet",
        "network=2/minute=20240501T1001/data_0.parquet",
        "network=unknown/minute=20240501T1001/data_0.parquet",
    ]
    assert mart == [
        (11, 1, t("10:00:00"), 20.0, 2), (22, 2, t("10:00:00"), 10.0, 1), (22, 2, t("10:01:00"), 4.0, 1),
        (33, None, t("10:01:00"), 2.0, 1)]


def test_pandas_read_parquet(report):
    root, mart = report
    df = pd.read_parquet(root)
    assert list(df.columns[:5]) == COLUMNS and set(df.columns[5:]) == {"network", "minute"}
    # numpy has no integer with nulls: pandas makes network_id float64 by default (NaN for unknown).
    assert [str(df[c].dtype) for c in COLUMNS] == ["int32", "float64", "datetime64[us]", "float64", "int32"]
    nullable = pd.read_parquet(root, dtype_backend="numpy_nullable")
    assert [str(nullable[c].dtype) for c in COLUMNS] == ["Int32", "Int32", "datetime64[us]", "Float64", "Int32"]
    rows = [tuple(None if pd.isna(v) else v for v in r) for r in nullable[COLUMNS].itertuples(index=False)]
    assert sorted(rows, key=_key) == mart
    assert _keys_agree(nullable.to_dict("records"))


def test_pyarrow_dataset_hive(report):
    root, mart = report
    table = ds.dataset(root, partitioning="hive").to_table()
    assert table.schema.names[:5] == COLUMNS and set(table.schema.names[5:]) == {"network", "minute"}
    assert [table.schema.field(c).type for c in COLUMNS] == ARROW_TYPES
    assert sorted((tuple(r[c] for c in COLUMNS) for r in table.to_pylist()), key=_key) == mart
    assert _keys_agree(table.to_pylist())


def test_duckdb_read_parquet_hive_partitioning(report):
    root, mart = report
    with duckdb.connect() as con:
        rel = f"read_parquet('{root}/**/*.parquet', hive_partitioning = true)"
        described = con.execute(f"describe select * from {rel}").fetchall()
        rows = con.execute(f"select * from {rel}").fetchall()
    names = [d[0] for d in described]
    assert names[:5] == COLUMNS and set(names[5:]) == {"network", "minute"}
    assert [d[1] for d in described[:5]] == ["INTEGER", "INTEGER", "TIMESTAMP", "DOUBLE", "INTEGER"]
    assert sorted((r[:5] for r in rows), key=_key) == mart
    assert _keys_agree([dict(zip(names, r, strict=True)) for r in rows])


def test_spark_read_parquet(report):
    """One local Spark session (pyspark, Java 17: `make test` installs Debian's JRE when missing)."""
    assert shutil.which("java"), "Spark needs Java 17: apt-get install -y openjdk-17-jre-headless"
    from pyspark.sql import SparkSession

    root, mart = report
    spark = (SparkSession.builder.master("local[1]").appName("pulse-report-readers")
             .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC").getOrCreate())
    try:
        df = spark.read.parquet(str(root))
        types = dict(df.dtypes)
        rows = [r.asDict() for r in df.collect()]
    finally:
        spark.stop()
    assert list(types)[:5] == COLUMNS and set(list(types)[5:]) == {"network", "minute"}
    # Parquet's TIMESTAMP without a time zone (what DuckDB writes) is Spark's timestamp_ntz.
    assert [types[c] for c in COLUMNS] == ["int", "int", "timestamp_ntz", "double", "int"]
    assert sorted((tuple(r[c] for c in COLUMNS) for r in rows), key=_key) == mart
    assert _keys_agree(rows)


def _keys_agree(rows: list[dict]) -> bool:
    """The folder keys say the same as the row: network (or 'unknown') and the minute."""
    return all(str(r["network"]) == ("unknown" if r["network_id"] is None or pd.isna(r["network_id"])
                                     else str(r["network_id"]))
               and str(r["minute"]) == r["minute_timestamp"].strftime("%Y%m%dT%H%M") for r in rows)
