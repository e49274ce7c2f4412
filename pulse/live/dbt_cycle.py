"""dbt in micro-batches: parse the project once, run the `realtime` models with dbt, then replay
what that run executed on one connection (pulse/live/compiled_run.py).

Re-parsing costs seconds and a dbt run about 0.15 s per model on a parsed manifest; a replay costs
only the SQL. Nothing about a cycle reaches dbt as a var: the arrival clock and the landing
lookback are in data/run/live_clock.parquet, which on-run-start copies into this run's bounds
(docs/incremental.md); the one var, `pulse_live: true`, is the same every cycle, so every model
compiles to the same SQL each cycle and the recorded statements stay valid until the project
changes. The first cycle runs dbt on the realtime models and their parents, the second runs dbt on
the realtime models and records, later cycles replay.
While the loop runs it holds the warehouse: readers use the exports.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from pulse.dbt import DbtError, dbt_args, project_fingerprint
from pulse.live.compiled_run import CompiledRun, Statement, recording
from pulse.live.hourly_export import HourlySpec
from pulse.live.replay_order import priority_order, realtime_ancestors

REALTIME_SELECTOR = "tag:realtime"
# Read the arrival clock the loop writes before each run (docs/incremental.md).
LIVE_VARS = {"pulse_live": True}
# Quiet console, a lean log file and no run_results.json rewrite per cycle: each costs time.
_RUN_FLAGS = ["--quiet", "--log-level-file", "warn", "--no-write-json"]


@dataclass
class CycleResult:
    seconds: float
    models: int
    path: str = "dbt"  # "dbt", or "compiled": the recorded statements replayed
    model_seconds: float | None = None  # compiled path: building models vs writing exports
    export_seconds: float | None = None
    failed: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # model -> seconds
    threads: int | None = None  # compiled path: DuckDB threads of the replay

    def slowest(self, n: int) -> dict[str, float]:
        return dict(sorted(self.timings.items(), key=lambda kv: -kv[1])[:n])


class RealtimeDbt:
    def __init__(self, warehouse: Path, selector: str = REALTIME_SELECTOR, compiled: bool = True):
        self.warehouse = warehouse
        self.selector = selector
        self.use_compiled = compiled
        self.compiled: CompiledRun | None = None
        self._parse()

    def _parse(self) -> None:
        from dbt.cli.main import dbtRunner

        started = time.perf_counter()
        self.fingerprint = project_fingerprint(self.warehouse)
        result = dbtRunner().invoke(["--quiet", *dbt_args("parse")])
        if not result.success:
            raise DbtError(f"dbt parse failed: {result.exception or 'see the dbt output above'}")
        self.manifest = result.result
        self.parse_seconds = time.perf_counter() - started
        self._runner = dbtRunner(manifest=self.manifest)
        self.models = sorted(
            node.name for node in self.manifest.nodes.values()
            if node.resource_type == "model" and "realtime" in node.tags
        )

    def run(self, *, with_parents: bool = False, threads: int | None = None) -> CycleResult:
        """One micro-batch. `with_parents`: also the models they read (first cycle of a run);
        `threads`: DuckDB threads of a replay (default: compiled_run.default_threads())."""
        if self.compiled is not None:
            if self.compiled.fingerprint == project_fingerprint(self.warehouse):
                return self._replay(threads)
            self.close()  # the project changed: parse, run dbt and record again
            self._parse()
        return self._dbt_run(with_parents=with_parents)

    def _replay(self, threads: int | None) -> CycleResult:
        replayed = self.compiled.replay(threads)
        out = CycleResult(seconds=replayed.seconds, models=len(self.models), path="compiled",
                          model_seconds=replayed.model_seconds, export_seconds=replayed.export_seconds,
                          timings=replayed.timings, threads=replayed.threads)
        if replayed.error is not None:
            out.failed.append(f"{replayed.error} (rolled back; the next cycle runs dbt)")
            self.close()
        return out

    def _dbt_run(self, *, with_parents: bool) -> CycleResult:
        select = f"+{self.selector}" if with_parents else self.selector
        record = self.use_compiled and not with_parents
        statements: list[Statement] = []
        started = time.perf_counter()
        args = [*_RUN_FLAGS, *dbt_args("run", "--select", select, "--vars", json.dumps(LIVE_VARS))]
        if record:
            with recording(statements):
                result = self._runner.invoke(args)
        else:
            result = self._runner.invoke(args)
        seconds = time.perf_counter() - started
        if result.exception is not None:
            raise DbtError(f"dbt run --select {select} failed: {result.exception}")
        out = CycleResult(seconds=seconds, models=0)
        for r in getattr(result.result, "results", None) or []:
            out.models += 1
            out.timings[r.node.name] = float(r.execution_time or 0.0)
            if str(r.status) in ("error", "fail", "runtime error"):
                out.failed.append(f"{r.node.name}: {r.message}")
        if record and not out.failed:
            ordered = priority_order(self.hourly_exports(statements),
                                     realtime_ancestors(self.manifest.nodes, self.models), self.live_priorities())
            self.compiled = CompiledRun(self.warehouse, ordered, self.fingerprint)
        return out

    def live_priorities(self) -> dict[str, int]:
        """Config `meta: {live_priority: N}` of the realtime models that have one (read as
        run_bounds.sql reads `clock_source`; pulse/live/replay_order.py)."""
        return {node.name: node.config.meta["live_priority"] for node in self.manifest.nodes.values()
                if node.resource_type == "model" and node.name in self.models
                and isinstance(node.config.meta.get("live_priority"), int)}

    def hourly_exports(self, statements: list[Statement]) -> list[Statement]:
        """`statements`, with the export COPY of each mart whose config meta has `export_by_hour` marked
        to be written hour by hour, only the hours that may have changed (pulse/live/hourly_export.py)."""
        marts = {node.name: node for node in self.manifest.nodes.values()
                 if node.resource_type == "model" and "export_by_hour" in node.config.meta}
        bounds = next((source.relation_name for source in self.manifest.sources.values()
                       if (source.source_name, source.name) == ("pulse_run", "run_bounds")), None)
        out = []
        for statement in statements:
            node = marts.get(statement.node) if statement.kind == "export" and bounds else None
            spec = node and HourlySpec.from_meta(node.config.meta, node.relation_name, statement.sql, bounds)
            out.append(replace(statement, hourly=spec) if spec else statement)
        return out

    def close(self) -> None:
        if self.compiled is not None:
            self.compiled.close()
            self.compiled = None
