"""The marts the DAG loads, and the shape they are loaded in (the BigQuery schemas in docs/)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]

# BigQuery type -> DuckDB type of the loaded column (and of the cast the load applies).
DUCKDB_TYPES = {
    "STRING": "varchar",
    "INT64": "bigint",
    "FLOAT64": "double",
    "BOOL": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
}


@dataclass(frozen=True)
class Mart:
    name: str
    day_column: str  # the day partition: a rerun replaces whole days
    cluster_by: tuple[str, ...]
    schema_file: str  # relative to the project: the BigQuery schema, also the DuckDB serving table's

    @cached_property
    def schema(self) -> list[dict]:
        return json.loads((PROJECT_DIR / self.schema_file).read_text())

    @property
    def columns(self) -> list[str]:
        return [field["name"] for field in self.schema]

    def select(self, relation: str, *, utc_timestamps: bool = False) -> str:
        """The mart's rows cast to the loaded schema. `utc_timestamps` writes TIMESTAMP columns as
        UTC instants (what BigQuery's TIMESTAMP is); the lake and the marts hold naive UTC."""
        def cast(field: dict) -> str:
            kind = DUCKDB_TYPES[field["type"]]
            if utc_timestamps and kind == "timestamp":
                kind = "timestamptz"
            return f'cast("{field["name"]}" as {kind}) as "{field["name"]}"'

        return f"select {', '.join(cast(f) for f in self.schema)} from {relation}"


MARTS = (
    Mart("fct_streams", "stream_date", ("user_id", "program_id"), "docs/streams_bigquery_schema.json"),
    Mart("fct_sessions_per_user_day", "activity_date", ("user_id",), "docs/sessions_per_user_day_bigquery_schema.json"),
)
MARTS_BY_NAME = {mart.name: mart for mart in MARTS}
