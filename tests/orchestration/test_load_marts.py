"""The warehouse load (`python -m orchestration.load`): changed day partitions replaced, nothing twice.

The marts are tables written here into a real DuckDB warehouse file, in a `marts` schema, as dbt
would after the project put them there; the DuckDB target is a real serving database file. The
BigQuery target runs against a fake client (there is no BigQuery here) that records the jobs and
keeps the load-state table; the job configurations and the Parquet files are the real ones.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from google.cloud import bigquery

from orchestration.load.__main__ import main as load_main
from orchestration.load.bigquery_target import BigQueryTarget
from orchestration.load.duckdb_target import DuckDBServing
from orchestration.load.marts import MARTS, MARTS_BY_NAME
from orchestration.load.relations import BuiltRelation
from orchestration.load.run import load_marts

pytestmark = pytest.mark.integration

BUILT = {m.name: BuiltRelation("duckdb", "marts", m.name) for m in MARTS}
STREAMS = MARTS_BY_NAME["fct_streams"]
SESSIONS = MARTS_BY_NAME["fct_sessions_per_user_day"]


def make_warehouse(path: Path) -> Path:
    """Two days of streams (three streams) and the per-user-day rows they give, as dbt builds them."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("""
            create table marts.fct_streams as
            select * from (values
                ('s1', 'u1', 'p1', timestamp '2024-05-01 10:00:00', 'sess1', 'iphone', 8.0,
                 timestamp '2024-05-01 10:00:00', timestamp '2024-05-01 10:00:08', date '2024-05-01', 3::bigint,
                 0::bigint, false, timestamp '2024-05-01 10:01:00'),
                ('s2', 'u2', 'p2', timestamp '2024-05-02 09:00:00', 'sess2', 'web', 4.0,
                 timestamp '2024-05-02 09:00:00', timestamp '2024-05-02 09:00:04', date '2024-05-02', 2::bigint,
                 1::bigint, false, timestamp '2024-05-02 09:01:00'),
                ('s3', 'u2', 'p3', timestamp '2024-05-02 09:00:30', 'sess2', 'web', 0.0,
                 timestamp '2024-05-02 09:00:30', timestamp '2024-05-02 09:00:30', date '2024-05-02', 1::bigint,
                 0::bigint, true, null)
            ) as t(stream_id, user_id, program_id, start_time, session_id, device, stream_duration,
                   first_event_time, last_event_time, stream_date, heartbeat_count, flagged_event_count,
                   is_open, last_ingested_at)
        """)
        # Sums are HUGEINT in the real mart too; the load casts them to the INT64 of the schema.
        con.execute("""
            create table marts.fct_sessions_per_user_day as
            select * from (values
                ('d1', 'u1', date '2024-05-01', 1::bigint, 1::hugeint, 8.0, 0::hugeint),
                ('d2', 'u2', date '2024-05-02', 1::bigint, 2::hugeint, 4.0, 1::hugeint)
            ) as t(user_day_id, user_id, activity_date, sessions_started, streams_in_sessions, watch_seconds,
                   sessions_open)
        """)
    return path


def rows(con: duckdb.DuckDBPyConnection, relation: str, mart) -> list[tuple]:
    return con.execute(f"select {', '.join(mart.columns)} from {relation} order by all").fetchall()


def serving_equals_marts(serving: Path, warehouse: Path) -> bool:
    with duckdb.connect(str(serving), read_only=True) as s, duckdb.connect(str(warehouse), read_only=True) as w:
        return all(rows(s, m.name, m) == rows(w, f"marts.{m.name}", m) for m in MARTS)


def load_duckdb(serving: Path, warehouse: Path, run_id: str, built=BUILT):
    target = DuckDBServing(serving, warehouse)
    try:
        return {r.mart: r.replaced for r in load_marts(target, list(MARTS), built, run_id)}
    finally:
        target.close()


def state(serving: Path) -> dict[tuple[str, date], str]:
    with duckdb.connect(str(serving), read_only=True) as con:
        return {(t, d): r for t, d, r in con.execute(
            "select table_name, partition_date, run_id from _pulse_loaded_partitions").fetchall()}


def test_duckdb_load_replaces_changed_days_and_loads_nothing_twice(tmp_path: Path):
    warehouse, serving = make_warehouse(tmp_path / "warehouse.duckdb"), tmp_path / "serving.duckdb"

    first = load_duckdb(serving, warehouse, "run-1")
    assert first == {"fct_streams": {date(2024, 5, 1): 1, date(2024, 5, 2): 2},
                     "fct_sessions_per_user_day": {date(2024, 5, 1): 1, date(2024, 5, 2): 1}}
    assert serving_equals_marts(serving, warehouse)

    assert load_duckdb(serving, warehouse, "run-2") == {"fct_streams": {}, "fct_sessions_per_user_day": {}}
    assert set(state(serving).values()) == {"run-1"}

    # The open stream of 2024-05-02 closes; 2024-05-01's only stream is merged away (a late heartbeat).
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.fct_streams set is_open = false where stream_id = 's3'")
        con.execute("delete from marts.fct_streams where stream_date = date '2024-05-01'")
    third = load_duckdb(serving, warehouse, "run-3")
    assert third["fct_streams"] == {date(2024, 5, 1): 0, date(2024, 5, 2): 2}
    assert third["fct_sessions_per_user_day"] == {}
    assert serving_equals_marts(serving, warehouse)
    assert state(serving) == {("fct_streams", date(2024, 5, 2)): "run-3",
                              ("fct_sessions_per_user_day", date(2024, 5, 1)): "run-1",
                              ("fct_sessions_per_user_day", date(2024, 5, 2)): "run-1"}


def test_duckdb_serving_table_with_other_columns_is_rebuilt(tmp_path: Path):
    warehouse, serving = make_warehouse(tmp_path / "warehouse.duckdb"), tmp_path / "serving.duckdb"
    load_duckdb(serving, warehouse, "run-1")
    with duckdb.connect(str(serving)) as con:  # as left by an older version of the schema
        con.execute("alter table fct_streams drop column last_ingested_at")

    replaced = load_duckdb(serving, warehouse, "run-2")

    assert replaced["fct_streams"] == {date(2024, 5, 1): 1, date(2024, 5, 2): 2}
    assert serving_equals_marts(serving, warehouse)


def test_load_from_another_adapter_says_why_it_cannot(tmp_path: Path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    built = {name: BuiltRelation("spark", "marts", name) for name in BUILT}

    with pytest.raises(ValueError, match="built by the 'spark' adapter; the load reads the marts from the DuckDB"):
        load_duckdb(tmp_path / "serving.duckdb", warehouse, "run-1", built)


def test_cli_without_a_warehouse_fails_in_one_line(data_dir: Path, capsys: pytest.CaptureFixture):
    assert load_main([]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"load: error: FileNotFoundError: no warehouse at {data_dir / 'warehouse.duckdb'}: run dbt first"


class FakeJob:
    def __init__(self, rows=()):
        self.rows = list(rows)

    def result(self):
        return self.rows


class FakeBigQuery:
    """Records what the load asks of BigQuery; keeps the load-state table like BigQuery would."""

    project = "proj"

    def __init__(self):
        self.tables: dict[str, bigquery.Table] = {}
        self.loads: list[tuple[str, bigquery.LoadJobConfig, pa.Table]] = []
        self.queries: list[tuple[str, dict]] = []
        self.state: dict[tuple[str, date], dict] = {}

    def create_table(self, table: bigquery.Table, exists_ok: bool = False):
        assert exists_ok
        self.tables.setdefault(f"{table.project}.{table.dataset_id}.{table.table_id}", table)

    def load_table_from_file(self, data, destination: str, job_config: bigquery.LoadJobConfig):
        self.loads.append((destination, job_config, pq.read_table(io.BytesIO(data.read()))))
        return FakeJob()

    def query(self, sql: str, job_config: bigquery.QueryJobConfig):
        params = {p.name: p.value for p in job_config.query_parameters}
        self.queries.append((sql, params))
        if sql.startswith("select partition_date"):
            return FakeJob(v for (t, _), v in self.state.items() if t == params["table_name"])
        if sql.startswith("merge `proj.pulse._pulse_loaded_partitions`"):
            self.state[(params["table_name"], params["partition_date"])] = {
                "partition_date": params["partition_date"], "row_count": params["row_count"],
                "fingerprint": params["fingerprint"]}
        elif sql.startswith("delete from `proj.pulse._pulse_loaded_partitions`"):
            self.state.pop((params["table_name"], params["partition_date"]))
        return FakeJob()


def load_bigquery(client: FakeBigQuery, warehouse: Path, run_id: str):
    target = BigQueryTarget(client, "proj.pulse", warehouse)
    try:
        return {r.mart: r.replaced for r in load_marts(target, list(MARTS), BUILT, run_id)}
    finally:
        target.close()


def test_bigquery_tables_are_day_partitioned_with_the_documented_schema(tmp_path: Path):
    client = FakeBigQuery()
    load_bigquery(client, make_warehouse(tmp_path / "warehouse.duckdb"), "run-1")

    streams = client.tables["proj.pulse.fct_streams"]
    assert [(f.name, f.field_type, f.mode) for f in streams.schema] == [
        (f["name"], f["type"], f["mode"]) for f in STREAMS.schema]
    assert streams.time_partitioning.type_ == "DAY" and streams.time_partitioning.field == "stream_date"
    assert streams.clustering_fields == ["user_id", "program_id"]
    sessions = client.tables["proj.pulse.fct_sessions_per_user_day"]
    assert sessions.time_partitioning.field == "activity_date"
    assert "proj.pulse._pulse_loaded_partitions" in client.tables


def test_bigquery_load_truncates_each_changed_day_partition_once(tmp_path: Path):
    warehouse, client = make_warehouse(tmp_path / "warehouse.duckdb"), FakeBigQuery()

    load_bigquery(client, warehouse, "run-1")

    destinations = [destination for destination, _, _ in client.loads]
    assert destinations == ["proj.pulse.fct_streams$20240501", "proj.pulse.fct_streams$20240502",
                            "proj.pulse.fct_sessions_per_user_day$20240501",
                            "proj.pulse.fct_sessions_per_user_day$20240502"]
    for _, config, _ in client.loads:
        assert config.write_disposition == bigquery.WriteDisposition.WRITE_TRUNCATE
        assert config.source_format == bigquery.SourceFormat.PARQUET
    _, config, day = client.loads[1]
    assert config.time_partitioning.field == "stream_date"
    assert sorted(day.column("stream_id").to_pylist()) == ["s2", "s3"]  # that day's rows only
    assert day.column_names == STREAMS.columns
    assert day.schema.field("first_event_time").type == pa.timestamp("us", tz="UTC")  # a BigQuery TIMESTAMP
    _, _, sessions = client.loads[3]
    assert sessions.schema.field("streams_in_sessions").type == pa.int64()  # HUGEINT sums fit INT64

    client.loads.clear()
    load_bigquery(client, warehouse, "run-2")
    assert client.loads == []  # nothing changed: nothing loaded twice

    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.fct_streams set is_open = false where stream_id = 's3'")
        con.execute("delete from marts.fct_streams where stream_date = date '2024-05-01'")
    client.queries.clear()
    load_bigquery(client, warehouse, "run-3")
    assert [destination for destination, _, _ in client.loads] == ["proj.pulse.fct_streams$20240502"]
    removed = [(sql, params) for sql, params in client.queries if sql.startswith("delete from `proj.pulse.fct_")]
    assert removed == [("delete from `proj.pulse.fct_streams` where stream_date = @partition_date",
                        {"partition_date": date(2024, 5, 1)})]
    assert set(client.state) == {("fct_streams", date(2024, 5, 2)), ("fct_sessions_per_user_day", date(2024, 5, 1)),
                                 ("fct_sessions_per_user_day", date(2024, 5, 2))}
