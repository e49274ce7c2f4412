"""A realtime model's compiled SQL is the same from one live cycle to the next.

Run bounds (what is new, the arrival clock, the landing lookback) live in tables, never in vars
or compile-time queries (docs/incremental.md), so the live loop can run compiled statements
without re-rendering. Two cycles run the way `pulse run` runs them (the in-process runner on one
parsed manifest, var pulse_live), with new lake rows and another clock file in between: every
realtime model must compile to the same text, and the second cycle must have seen the new rows.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ingest.config import load_settings
from ingest.files import ingest_files
from ingest.lake import ensure_data_dirs
from pulse.live.arrival_clock import ArrivalClock
from pulse.live.dbt_cycle import RealtimeDbt
from tests.fixtures.load import FIXTURES

pytestmark = pytest.mark.integration


def compiled(target: Path, models: list[str]) -> dict[str, str]:
    out = {}
    for model in models:
        [path] = list((target / "compiled").rglob(f"{model}.sql"))
        out[model] = path.read_text()
    return out


def test_realtime_models_compile_to_the_same_sql_every_cycle(data_dir, tmp_path):
    settings = load_settings()
    ensure_data_dirs(settings)
    for source in ("view_log", "campaigns", "watch_events", "interactions"):
        files = sorted(str(p) for p in (FIXTURES / source).glob("**/*") if p.is_file())
        assert all(r.reconciles() for r in ingest_files(settings, source, files))
    dbt = RealtimeDbt(settings.warehouse_path, compiled=False)  # every cycle through dbt: its compiled SQL
    clock = ArrivalClock(["view_log", "watch_events", "interactions"])
    target = tmp_path / "target"  # the data_dir fixture points DBT_TARGET_PATH here

    clock.observe("view_log", now=datetime(2024, 5, 1, 10, 5).timestamp(), kafka=False)
    clock.write(settings, lookback_seconds=None)
    assert not dbt.run(with_parents=True).failed  # first cycle: creates the tables

    clock.observe("view_log", now=datetime(2024, 5, 1, 10, 6).timestamp(), kafka=False)
    clock.write(settings, lookback_seconds=0)
    assert not dbt.run().failed
    first = compiled(target, dbt.models)

    before = minute_count(settings)
    extra = tmp_path / "more.csv"
    extra.write_text("user_id,item_id,interaction_type,timestamp\nlate_user,i1,view,2024-05-01T09:00:00.000Z\n")
    assert all(r.reconciles() for r in ingest_files(settings, "interactions", [str(extra)]))
    clock.observe("view_log", now=datetime(2024, 5, 1, 10, 9).timestamp(), kafka=False)
    clock.write(settings, lookback_seconds=7)
    assert not dbt.run().failed
    second = compiled(target, dbt.models)

    assert sorted(first) == sorted(dbt.models) and len(dbt.models) >= 8
    for model in dbt.models:
        assert second[model] == first[model], model
    assert minute_count(settings) == before + 1  # the second cycle read the new row


def minute_count(settings) -> int:
    """Interactions in minute 09:00 (every type), from the export (dbt holds the warehouse open)."""
    path = settings.exports_dir / "fct_interactions_per_minute.parquet"
    row = duckdb.sql(f"select interaction_count from read_parquet('{path}') where interaction_type = 'all' "
                     "and minute_start = timestamp '2024-05-01 09:00:00'").fetchall()
    return row[0][0] if row else 0
