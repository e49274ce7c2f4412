"""The default serving target: a DuckDB database of its own beside the dbt warehouse.

dbt holds `warehouse.duckdb` while it builds; the serving file is written only for the moments
a load replaces its changed days, so analysts and BI tools read it the rest of the time. Each
day's rows and the record of what was loaded change in one transaction: a load that fails
leaves the previous state, and the next run replaces the same days again.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from .marts import DUCKDB_TYPES, Mart
from .partitions import DayState
from .relations import warehouse_catalog

STATE_TABLE = "_pulse_loaded_partitions"


class DuckDBServing:
    name = "duckdb"

    def __init__(self, path: Path, warehouse: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.catalog = warehouse_catalog(warehouse)
        if path.stem == self.catalog:
            raise ValueError(f"the serving database {path} needs a file name other than the warehouse's "
                             f"({warehouse.name})")
        self.con = duckdb.connect(str(path))
        self.con.execute("set TimeZone = 'UTC'")  # loaded_at is naive UTC, like every time in pulse
        self.con.execute(f"attach '{_quote(warehouse)}' as \"{self.catalog}\" (read_only)")
        self.con.execute(
            f"create table if not exists {STATE_TABLE} (table_name varchar not null, partition_date date not null, "
            "row_count bigint not null, fingerprint varchar not null, run_id varchar, loaded_at timestamp not null)"
        )

    def describe(self) -> str:
        return str(self.path)

    def source(self, schema: str, identifier: str) -> str:
        """How this connection names a relation of the dbt warehouse."""
        return f'"{self.catalog}"."{schema}"."{identifier}"'

    def prepare(self, mart: Mart) -> None:
        """Create the serving table; one whose columns no longer match the schema is rebuilt whole."""
        found = self.con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() and table_schema = 'main' and table_name = ? "
            "order by ordinal_position", [mart.name]
        ).fetchall()
        wanted = [(f["name"], DUCKDB_TYPES[f["type"]].upper()) for f in mart.schema]
        if found == wanted:
            return
        if found:
            self.con.execute(f'drop table "{mart.name}"')
            self.con.execute(f"delete from {STATE_TABLE} where table_name = ?", [mart.name])
        columns = ", ".join(
            f'"{f["name"]}" {DUCKDB_TYPES[f["type"]]}{" not null" if f.get("mode") == "REQUIRED" else ""}'
            for f in mart.schema
        )
        self.con.execute(f'create table "{mart.name}" ({columns})')

    def loaded(self, mart: Mart) -> dict[date, DayState]:
        rows = self.con.execute(
            f"select partition_date, row_count, fingerprint from {STATE_TABLE} where table_name = ?", [mart.name]
        ).fetchall()
        return {day: DayState(count, digest) for day, count, digest in rows}

    def replace(self, mart: Mart, relation: str, days: list[date], current: dict[date, DayState],
                run_id: str) -> None:
        """Replace `days` of the serving table with the mart's rows of those days, atomically."""
        if not days:
            return
        day = f'"{mart.day_column}"'
        self.con.execute("begin transaction")
        try:
            self.con.execute(f'delete from "{mart.name}" where {day} in (select unnest(?::date[]))', [days])
            self.con.execute(
                f'insert into "{mart.name}" select * from ({mart.select(relation)}) as rows '
                f"where {day} in (select unnest(?::date[]))", [days]
            )
            self.con.execute(
                f"delete from {STATE_TABLE} where table_name = ? and partition_date in (select unnest(?::date[]))",
                [mart.name, days],
            )
            loaded = [(mart.name, d, current[d].rows, current[d].fingerprint, run_id) for d in days if d in current]
            if loaded:
                self.con.executemany(
                    f"insert into {STATE_TABLE} values (?, ?, ?, ?, ?, now()::timestamp)", loaded
                )
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise

    def close(self) -> None:
        self.con.close()


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
