"""The realtime models' SQL run straight on DuckDB: recorded from one dbt run, replayed each cycle.

Every realtime model compiles to the same SQL each cycle (the arrival clock and this run's bounds
are read from tables when the SQL runs, docs/incremental.md), so to the warehouse one dbt run of
them is a fixed list of statements: on-run-start's bounds, each model's materialization (temp
table then delete+insert, or a table or view swap), its export post-hooks, on-run-end's manifest
record. dbt itself costs about 0.15 s per model to render, compile and introspect; the statements
are what the new data costs. So the loop runs dbt once with a recorder on dbt-duckdb's cursor and
from then on executes the recorded statements on one persistent connection, in the recorded order
(a valid order: dbt starts a model only after its parents are done), in one transaction per cycle.
An hourly export's COPY (every hour of a mart) is the one statement not replayed as recorded: its
HourlyExport writes only the hours that may have changed since its last write
(pulse/live/hourly_export.py).
The models stay the one place the logic lives: the project changing (a file of models/, macros/,
dbt_project.yml, profiles.yml) means recording again, and a replay that fails is rolled back and
the next cycle runs dbt (and records) again.
DuckDB threads: by default half the cores (at least one). The loop shares the machine with its
ingester, the broker and the readers; on a saturated 2-core machine one thread replayed a cycle in
0.86-0.88x the time of two (bench/bench_live.py --compare-threads 1,2, docs/live.md): threads of
one query wait for each other at every pipeline's end, and a descheduled one stalls the rest.
Not replayed: dbt's transaction statements (the cycle is one transaction) and its introspection
(catalog lookups, DESCRIBE, column lists for on_schema_change): they only feed dbt's Jinja
decisions, which cannot change while the project does not.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pulse.live.hourly_export import HourlyExport, HourlySpec

_COMMENT = re.compile(r"^\s*/\*(.*?)\*/\s*", re.S)
_TRANSACTION = {"begin", "commit", "rollback"}
_INTROSPECTION = ("select", "describe", "with", "show", "pragma")
_TEMP_TABLE = re.compile(r"^create\s+temporary\s+table\s+(\"[^\"]+\")", re.I)


@dataclass(frozen=True)
class Statement:
    node: str  # the model (or "hooks") the statement belongs to
    kind: str  # "model": changes the warehouse; "export": writes files for readers
    sql: str
    bindings: tuple | None = None
    temp_table: str | None = None  # the temp table it creates, dropped at the end of a cycle
    hourly: HourlySpec | None = None  # an hourly export: written by HourlyExport, not replayed as recorded


@dataclass
class ReplayResult:
    seconds: float
    model_seconds: float = 0.0
    export_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # model (or "hooks", "commit") -> seconds
    error: str | None = None
    threads: int = 0  # DuckDB threads it ran on (DuckDB's own setting)


def classify(sql: str, bindings=None) -> Statement | None:
    """The statement to replay for one executed by dbt, or None when replaying it is not needed."""
    node = "hooks"
    body = sql
    match = _COMMENT.match(sql)
    if match:
        body = sql[match.end():]
        try:
            comment = json.loads(match.group(1))
            node = comment.get("node_id", "hooks").rsplit(".", 1)[-1]
        except ValueError:
            pass
    head = body.lstrip().split(None, 1)[0].lower() if body.strip() else ""
    if head in _TRANSACTION or head in _INTROSPECTION or not head:
        return None
    # A persistent connection keeps temp tables between cycles: replace the previous cycle's.
    body = body.lstrip()
    temp = _TEMP_TABLE.match(body)
    if temp:
        body = f"create or replace temporary table {temp.group(1)}{body[temp.end():]}"
    return Statement(node=node, kind="export" if head == "copy" else "model", sql=body,
                     bindings=None if bindings is None else tuple(bindings), temp_table=temp and temp.group(1))


@contextmanager
def recording(statements: list[Statement]):
    """Record what dbt-duckdb executes (every thread) while the block runs."""
    from dbt.adapters.duckdb.environments import local

    original = local.DuckDBCursorWrapper.execute
    lock = threading.Lock()

    def execute(self, sql, bindings=None):
        result = original(self, sql, bindings)
        kept = classify(sql, bindings)
        if kept is not None:
            with lock:
                statements.append(kept)
        return result

    local.DuckDBCursorWrapper.execute = execute
    try:
        yield statements
    finally:
        local.DuckDBCursorWrapper.execute = original


# DuckDB checkpoints (compresses the tables' changes and writes them to the file) at a commit once
# its write-ahead log passes this. At DuckDB's default, 16 MB, the loop at 5k events/s checkpointed
# every other cycle, each time compressing the current minute's rows that the next cycle replaces:
# commits took 1.1 s of a 6.9 s cycle by the sixth minute (0.24 s since; docs/live.md has the
# side-by-side figures). The log grows ~2.5 MB/s at that rate, so this checkpoints about every
# 100 s; until then the changes are held in memory too (~0.5 GB).
CHECKPOINT_THRESHOLD = "256MB"

# Each cycle's lake scans (about ten per cycle, over a hundred files per source by the loop's third
# minute) each opened every file's footer again; cached, a cycle took 0.76x the time, off and on side
# by side in a quiet replay of a bench run's landings (bench/bench_live_landings.py, docs/live.md).
# DuckDB trusts a cached footer only while the file's modification time is unchanged and over 10 s
# old; lake files are never rewritten in place (the ingester and the compaction write new names),
# and the clock file the loop rewrites before each run is read fresh.
PARQUET_METADATA_CACHE = True


def default_threads() -> int:
    """DuckDB threads for a replay: half the cores, at least one (the module's docstring says why)."""
    return max(1, (os.cpu_count() or 2) // 2)


class CompiledRun:
    """The recorded statements and the connection that replays them."""

    def __init__(self, warehouse: Path, statements: list[Statement], fingerprint: str):
        self.warehouse = warehouse
        self.statements = statements
        self.fingerprint = fingerprint
        self.temp_tables = [s.temp_table for s in statements if s.temp_table]
        self.hourly = {i: HourlyExport(s.hourly) for i, s in enumerate(statements) if s.hourly}
        self._con: duckdb.DuckDBPyConnection | None = None
        self._threads: int | None = None

    def replay(self, threads: int | None = None) -> ReplayResult:
        """Run the statements once, in one transaction, on `threads` DuckDB threads (default_threads())."""
        started = time.perf_counter()
        out = ReplayResult(seconds=0.0)
        wanted = threads or default_threads()
        if self._con is None:
            self._con = duckdb.connect(str(self.warehouse))
            # A setting, not connect()'s config: dbt-duckdb may hold the same file open in this process.
            self._con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
            self._con.execute(f"set parquet_metadata_cache = {str(PARQUET_METADATA_CACHE).lower()}")
        con = self._con
        if wanted != self._threads:
            con.execute(f"set threads = {wanted:d}")
            self._threads = con.execute("select current_setting('threads')").fetchall()[0][0]
        out.threads = self._threads
        node = "hooks"
        con.begin()
        try:
            for i, statement in enumerate(self.statements):
                node = statement.node
                t0 = time.perf_counter()
                if i in self.hourly:
                    self.hourly[i].write(con)
                else:
                    con.execute(statement.sql, statement.bindings).fetchall()
                spent = time.perf_counter() - t0
                out.timings[statement.node] = out.timings.get(statement.node, 0.0) + spent
                if statement.kind == "export":
                    out.export_seconds += spent
                else:
                    out.model_seconds += spent
            for table in self.temp_tables:
                con.execute(f"drop table if exists temp.main.{table}")
            node = "commit"
            t0 = time.perf_counter()
            con.commit()  # DuckDB checkpoints here once its write-ahead log passes checkpoint_threshold
            out.timings["commit"] = time.perf_counter() - t0
            out.model_seconds += out.timings["commit"]
        except (duckdb.Error, RuntimeError, OSError) as exc:
            con.rollback()
            out.error = f"{node}: {str(exc).splitlines()[0]}"
        out.seconds = time.perf_counter() - started
        return out

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
