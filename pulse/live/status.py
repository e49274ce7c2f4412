"""The live status of `pulse run`: per source lag, records/s, freshness, watermark; cycle time.

Written every cycle to data/run/live_status.json (the dashboard's pipeline panel and the
benchmark read it) and shown as a rich table that redraws in place on a terminal, or as one log
line per cycle when the output is not a terminal (a container, a test).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ingest.config import Settings


@dataclass
class SourceStatus:
    source: str
    lag_records: int | None = None  # records in Kafka not landed yet (None: unknown)
    lag_seconds: float = 0.0  # how far landing is behind the newest message, when lagging
    records_total: int = 0  # rows landed since this run started
    records_per_s: float = 0.0  # over the last cycle
    newest_event: str | None = None
    freshness_s: float | None = None  # wall clock - newest event time
    watermark: str | None = None
    behind_clock: int = 0  # records that landed stamped before the arrival clock had passed (corrections)


@dataclass
class LiveStatus:
    started_at: float
    cycle: int = 0
    cycle_seconds: float = 0.0  # last cycle, flush + dbt + alerts
    dbt_seconds: float = 0.0  # the models' step: a dbt run, or the replay of its statements
    dbt_models: int = 0
    model_path: str = "dbt"  # "dbt" or "compiled" (pulse/live/compiled_run.py)
    duckdb_threads: int | None = None  # compiled path: DuckDB threads of the last replay
    # last cycle, seconds per stage: catch_up (the ingester consumes up to the logs' ends: a fetch
    # from the broker), land (it writes what it consumed), detect (scan the lake, move the clock),
    # model, export (the compiled path's export files; inside model on the dbt path), alerts,
    # analyst (the analysts' database), compact
    stages: dict[str, float] = field(default_factory=dict)
    cycle_records: int = 0  # last cycle: lake rows new to it (what its models took in)
    dbt_parse_seconds: float = 0.0
    lookback_seconds: int | None = None  # lake re-read by the last run (None: the project's default)
    updated_at: float = 0.0
    alerts_fired: int = 0
    model_seconds: dict[str, float] = field(default_factory=dict)  # last cycle, every model, seconds
    errors: list[str] = field(default_factory=list)
    sources: dict[str, SourceStatus] = field(default_factory=dict)


def status_path(settings: Settings) -> Path:
    return settings.run_dir / "live_status.json"


def write_status(settings: Settings, status: LiveStatus) -> None:
    path = status_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(asdict(status), indent=1))
    os.replace(tmp, path)


def read_status(settings: Settings) -> dict | None:
    try:
        return json.loads(status_path(settings).read_text())
    except (OSError, ValueError):
        return None


def render(status: LiveStatus) -> Table:
    table = Table(
        title=f"pulse run - cycle {status.cycle}: {status.cycle_seconds:.2f} s "
              f"({status.model_path} {status.dbt_seconds:.2f} s, {status.dbt_models} models), "
              f"alerts fired {status.alerts_fired}",
        title_justify="left",
    )
    for col in ("source", "lag (records)", "records/s", "landed", "freshness", "watermark"):
        table.add_column(col, justify="left" if col in ("source", "watermark") else "right")
    for s in status.sources.values():
        table.add_row(
            s.source,
            "?" if s.lag_records is None else f"{s.lag_records:,}",
            f"{s.records_per_s:,.0f}",
            f"{s.records_total:,}",
            "-" if s.freshness_s is None else f"{s.freshness_s:.1f} s",
            s.watermark or "-",
        )
    for e in status.errors[-3:]:
        table.add_row("[red]error[/]", e, "", "", "", "")
    return table


def log_line(status: LiveStatus) -> str:
    parts = [f"cycle {status.cycle} {status.cycle_seconds:.2f}s {status.model_path} {status.dbt_seconds:.2f}s"]
    for s in status.sources.values():
        if s.records_total or s.lag_records:
            fresh = "-" if s.freshness_s is None else f"{s.freshness_s:.1f}s"
            parts.append(f"{s.source}: +{s.records_per_s:.0f}/s lag {s.lag_records} fresh {fresh}")
    if status.model_seconds:
        slowest = sorted(status.model_seconds.items(), key=lambda kv: -kv[1])[:3]
        parts.append("slowest " + ", ".join(f"{m} {t:.2f}s" for m, t in slowest))
    return " | ".join(parts)


def make_console() -> Console:
    return Console(stderr=False)
