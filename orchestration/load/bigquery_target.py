"""The BigQuery target: each changed day is a load job that truncates that day's partition.

A load into the partition decorator `table$YYYYMMDD` with WRITE_TRUNCATE replaces exactly that
day, atomically: a rerun replaces the day again and never appends it twice. A day that has no
rows any more is deleted. The tables are created from the schemas in docs/ (partitioned by day,
clustered like docs/streams_bigquery.sql); the dataset must exist. What was loaded (per table and
day: rows, digest, run) is kept in `<dataset>._pulse_loaded_partitions`, written after each day's
load: if that write fails, the next run loads the same day again, which is harmless.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from .marts import Mart
from .partitions import DayState
from .relations import warehouse_catalog

STATE_TABLE = "_pulse_loaded_partitions"
STATE_SCHEMA = [
    {"name": "table_name", "type": "STRING", "mode": "REQUIRED"},
    {"name": "partition_date", "type": "DATE", "mode": "REQUIRED"},
    {"name": "row_count", "type": "INT64", "mode": "REQUIRED"},
    {"name": "fingerprint", "type": "STRING", "mode": "REQUIRED"},
    {"name": "run_id", "type": "STRING", "mode": "NULLABLE"},
    {"name": "loaded_at", "type": "TIMESTAMP", "mode": "REQUIRED"},
]


def make_client(project: str | None, location: str | None, credentials_file: str | None):
    """A google-cloud-bigquery client: a service-account key file, or Application Default Credentials."""
    from google.cloud import bigquery

    credentials = None
    if credentials_file:
        from google.oauth2 import service_account

        credentials = service_account.Credentials.from_service_account_file(credentials_file)
        project = project or credentials.project_id
    return bigquery.Client(project=project, location=location, credentials=credentials)


class BigQueryTarget:
    name = "bigquery"

    def __init__(self, client: Any, dataset: str, warehouse: Path):
        """`dataset` is `project.dataset`; `warehouse` the dbt DuckDB file the marts are read from."""
        from google.cloud import bigquery

        self.bq = bigquery
        self.client = client
        self.dataset = dataset
        self.catalog = warehouse_catalog(warehouse)
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        self.con.execute(f"attach '{str(warehouse).replace(chr(39), chr(39) * 2)}' as \"{self.catalog}\" (read_only)")
        self._state_ready = False

    def describe(self) -> str:
        return f"BigQuery {self.dataset}"

    def source(self, schema: str, identifier: str) -> str:
        return f'"{self.catalog}"."{schema}"."{identifier}"'

    def _schema(self, fields: list[dict]) -> list:
        return [self.bq.SchemaField(f["name"], f["type"], mode=f.get("mode", "NULLABLE"),
                                    description=f.get("description")) for f in fields]

    def _partitioning(self, mart: Mart):
        return self.bq.TimePartitioning(type_=self.bq.TimePartitioningType.DAY, field=mart.day_column)

    def prepare(self, mart: Mart) -> None:
        if not self._state_ready:
            self.client.create_table(self.bq.Table(f"{self.dataset}.{STATE_TABLE}", schema=self._schema(STATE_SCHEMA)),
                                     exists_ok=True)
            self._state_ready = True
        table = self.bq.Table(f"{self.dataset}.{mart.name}", schema=self._schema(mart.schema))
        table.time_partitioning = self._partitioning(mart)
        table.clustering_fields = list(mart.cluster_by)
        self.client.create_table(table, exists_ok=True)

    def _query(self, sql: str, **params: tuple[str, Any]):
        config = self.bq.QueryJobConfig(
            query_parameters=[self.bq.ScalarQueryParameter(name, kind, value) for name, (kind, value) in params.items()]
        )
        return self.client.query(sql, job_config=config).result()

    def loaded(self, mart: Mart) -> dict[date, DayState]:
        rows = self._query(
            f"select partition_date, row_count, fingerprint from `{self.dataset}.{STATE_TABLE}` "
            "where table_name = @table_name",
            table_name=("STRING", mart.name),
        )
        return {row["partition_date"]: DayState(row["row_count"], row["fingerprint"]) for row in rows}

    def replace(self, mart: Mart, relation: str, days: list[date], current: dict[date, DayState],
                run_id: str) -> None:
        for day in days:
            if day in current:
                self._load_day(mart, relation, day)
                self._query(
                    f"merge `{self.dataset}.{STATE_TABLE}` as state "
                    "using (select @table_name as table_name, @partition_date as partition_date) as day "
                    "on state.table_name = day.table_name and state.partition_date = day.partition_date "
                    "when matched then update set row_count = @row_count, fingerprint = @fingerprint, "
                    "run_id = @run_id, loaded_at = current_timestamp() "
                    "when not matched then insert (table_name, partition_date, row_count, fingerprint, run_id, "
                    "loaded_at) values (@table_name, @partition_date, @row_count, @fingerprint, @run_id, "
                    "current_timestamp())",
                    table_name=("STRING", mart.name), partition_date=("DATE", day),
                    row_count=("INT64", current[day].rows), fingerprint=("STRING", current[day].fingerprint),
                    run_id=("STRING", run_id),
                )
            else:
                self._query(f"delete from `{self.dataset}.{mart.name}` where {mart.day_column} = @partition_date",
                            partition_date=("DATE", day))
                self._query(
                    f"delete from `{self.dataset}.{STATE_TABLE}` "
                    "where table_name = @table_name and partition_date = @partition_date",
                    table_name=("STRING", mart.name), partition_date=("DATE", day),
                )

    def _load_day(self, mart: Mart, relation: str, day: date) -> None:
        config = self.bq.LoadJobConfig(
            source_format=self.bq.SourceFormat.PARQUET,
            write_disposition=self.bq.WriteDisposition.WRITE_TRUNCATE,
            schema=self._schema(mart.schema),
            time_partitioning=self._partitioning(mart),
            clustering_fields=list(mart.cluster_by),
        )
        with tempfile.TemporaryDirectory(prefix="pulse-bq-") as tmp:
            path = Path(tmp) / f"{mart.name}-{day:%Y%m%d}.parquet"
            self.con.execute(
                f"copy (select * from ({mart.select(relation, utc_timestamps=True)}) as rows "
                f"where \"{mart.day_column}\" = date '{day.isoformat()}') to '{path}' (format parquet)"
            )
            with path.open("rb") as data:
                job = self.client.load_table_from_file(
                    data, f"{self.dataset}.{mart.name}${day:%Y%m%d}", job_config=config
                )
                job.result()

    def close(self) -> None:
        self.con.close()
