"""dbt in micro-batches: parse the project once, then run the `realtime` models on that manifest.

Re-parsing costs seconds; a run on a parsed manifest costs a fraction of one, so the loop keeps
one `Manifest` for its life. Nothing about a cycle reaches dbt as a var: the arrival clock and the
landing lookback are in data/run/live_clock.parquet, which on-run-start copies into this run's
bounds (docs/incremental.md); the one var, `pulse_live: true`, is the same every cycle, so every
model compiles to the same SQL each cycle.
While an invocation runs, dbt-duckdb holds the warehouse lock: readers use the exports.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from pulse.dbt import DbtError, dbt_args

REALTIME_SELECTOR = "tag:realtime"
# Read the arrival clock the loop writes before each run (docs/incremental.md).
LIVE_VARS = {"pulse_live": True}
# Quiet console, a lean log file and no run_results.json rewrite per cycle: each costs time.
_RUN_FLAGS = ["--quiet", "--log-level-file", "warn", "--no-write-json"]


@dataclass
class CycleResult:
    seconds: float
    models: int
    failed: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # model -> seconds

    def slowest(self, n: int) -> dict[str, float]:
        return dict(sorted(self.timings.items(), key=lambda kv: -kv[1])[:n])


class RealtimeDbt:
    def __init__(self, selector: str = REALTIME_SELECTOR):
        from dbt.cli.main import dbtRunner

        self.selector = selector
        started = time.perf_counter()
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

    def run(self, *, with_parents: bool = False) -> CycleResult:
        """One micro-batch. `with_parents`: also the models they read (first cycle of a run)."""
        select = f"+{self.selector}" if with_parents else self.selector
        started = time.perf_counter()
        result = self._runner.invoke(
            [*_RUN_FLAGS, *dbt_args("run", "--select", select, "--vars", json.dumps(LIVE_VARS))]
        )
        seconds = time.perf_counter() - started
        if result.exception is not None:
            raise DbtError(f"dbt run --select {select} failed: {result.exception}")
        out = CycleResult(seconds=seconds, models=0)
        for r in getattr(result.result, "results", None) or []:
            out.models += 1
            out.timings[r.node.name] = float(r.execution_time or 0.0)
            if str(r.status) in ("error", "fail", "runtime error"):
                out.failed.append(f"{r.node.name}: {r.message}")
        return out
