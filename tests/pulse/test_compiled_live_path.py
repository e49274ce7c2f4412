"""The compiled live path (pulse/live/compiled_run.py) gives the marts `dbt build` gives.

Live cycles run the way `pulse run` runs them, in a child process (in-process dbt keeps the
warehouse open): the first two through dbt (the second records its statements), later ones replay
the recorded statements on one connection, with new lake rows and a later arrival clock before
each (the replays on one DuckDB thread, then on two). Then `dbt build --full-refresh` rebuilds the
same marts from the same lake. Every realtime mart must hold the same rows, bar the bookkeeping of
when pulse landed a row and a stream's open state (both follow the observer's clock, not the data).
`fct_streams`' hourly export holds exactly the mart's rows, each in its hour's file, after the
replays (which write only the hours that may have changed) and after `dbt build` (every hour).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pulse.serve.export_reader import HOURLY_GLOB
from tests.conftest import REPO, run_dbt_subprocess

pytestmark = pytest.mark.integration

# Every realtime mart but fct_campaign_minute_report_log (a log of when pulse reported).
MARTS = {
    "fct_campaign_views_minute": "",
    "fct_late_views": " exclude (landed_at)",
    "fct_streams": " exclude (is_open, last_ingested_at)",
    "fct_interactions_per_minute": " exclude (last_ingested_at)",
    "fct_interactions_per_item": " exclude (last_ingested_at)",
    "fct_interactions_per_user": " exclude (last_ingested_at)",
    "fct_interaction_item_extremes": "",
    "fct_interactions_overview": "",
    "fct_product_activity_minute": " exclude (last_ingested_at)",
    # and the minute counts the totals add up: a replay rewrites only the (minute, key) pairs it must
    "intermediate.int_interactions_by_user_minute": " exclude (last_ingested_at)",
    "intermediate.int_interactions_by_item_minute": " exclude (last_ingested_at)",
}
SOURCES = ("view_log", "campaigns", "watch_events", "interactions", "product_views", "orders")
# New rows landed before each replayed cycle: new minutes, a minute already reported, an
# interaction behind the settled boundary, a stream that goes on and one that starts, a view
# duplicated across batches.
BATCHES = [
    {
        "interactions.csv": "user_id,item_id,interaction_type,timestamp\n"
                            "u1,i1,view,2024-05-01T10:00:30.000Z\nu9,i9,click,2024-05-01T10:03:10.000Z\n",
        "watch_events.jsonl": '{"user_id": "u1", "program_id": "p2", "start_time": "2024-05-01T10:00:12.000Z", '
                              '"session_id": "s1", "device": "apple_tv", "event_time": "2024-05-01T10:03:00.000Z"}\n'
                              '{"user_id": "u7", "program_id": "p7", "start_time": "2024-05-01T10:03:00.000Z", '
                              '"session_id": "s7", "device": "roku", "event_time": "2024-05-01T10:03:00.000Z"}\n',
        "view_log.jsonl": '{"view_id":"10000000-0000-4000-8000-000000000001",'
                          '"start_timestamp":"2024-05-01T10:03:01.000Z",'
                          '"end_timestamp":"2024-05-01T10:03:20.000Z","banner_id":100101,"campaign_id":1001}\n',
    },
    {
        "interactions.csv": "user_id,item_id,interaction_type,timestamp\n"
                            "u9,i1,purchase,2024-05-01T10:04:00.000Z\nu2,i2,view,2024-05-01T10:01:45.000Z\n"
                            # behind the interaction totals' settled boundary (newest minute - 2)
                            "u1,i2,click,2024-05-01T10:00:40.000Z\n"
                            # a new user in a minute whose other users get nothing new again
                            "u6,i6,view,2024-05-01T10:02:20.000Z\n",
        "watch_events.jsonl": '{"user_id": "u7", "program_id": "p7", "start_time": "2024-05-01T10:03:00.000Z", '
                              '"session_id": "s7", "device": "roku", "event_time": "2024-05-01T10:03:30.000Z"}\n',
        "view_log.jsonl": '{"view_id":"10000000-0000-4000-8000-000000000001",'
                          '"start_timestamp":"2024-05-01T10:03:01.000Z",'
                          '"end_timestamp":"2024-05-01T10:03:20.000Z","banner_id":100101,"campaign_id":1001}\n'
                          '{"view_id":"10000000-0000-4000-8000-000000000002","start_timestamp":"2024-05-01T10:04:01.000Z",'
                          '"end_timestamp":"2024-05-01T10:04:09.000Z","banner_id":100201,"campaign_id":2001}\n',
    },
]
# The view_log arrival clock of each cycle: the last is past every window, as a batch run sees it.
CLOCKS = [datetime(2024, 5, 1, 10, 2), datetime(2024, 5, 1, 10, 3), datetime(2024, 5, 1, 10, 4),
          datetime(2024, 5, 2, 0, 0)]
# DuckDB threads of each cycle (None: through dbt); a replay's answer must not depend on them.
REPLAY_THREADS = [None, None, 1, 2]


def live_cycles(work: str) -> None:
    """Child process: land the fixtures, run the cycles, print each cycle's path and failures."""
    from ingest.config import load_settings
    from ingest.files import ingest_files
    from ingest.lake import ensure_data_dirs
    from pulse.live.arrival_clock import ArrivalClock
    from pulse.live.dbt_cycle import RealtimeDbt
    from tests.fixtures.load import FIXTURES

    settings = load_settings()
    ensure_data_dirs(settings)
    for source in SOURCES:
        files = sorted(str(p) for p in (FIXTURES / source).glob("**/*") if p.is_file())
        assert all(r.reconciles() for r in ingest_files(settings, source, files))
    dbt = RealtimeDbt(settings.warehouse_path)
    clock = ArrivalClock(["view_log", "watch_events", "interactions", "product_views"])
    cycles = []
    for i, at in enumerate(CLOCKS):
        if i >= 2:
            for name, text in BATCHES[i - 2].items():
                path = Path(work) / f"batch{i}" / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                assert all(r.reconciles() for r in ingest_files(settings, name.split(".")[0], [str(path)]))
        for source in clock.sources:
            clock.observe(source, now=at.timestamp(), kafka=False)
        clock.write(settings, lookback_seconds=None if i == 0 else 0)
        result = dbt.run(with_parents=i == 0, threads=REPLAY_THREADS[i])
        cycles.append({"path": result.path, "failed": result.failed, "threads": result.threads,
                       "hourly_exports": len(dbt.compiled.hourly) if dbt.compiled else 0})
    dbt.close()
    print(json.dumps(cycles))


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {name: sorted(con.execute(f"select *{exclude} from {name if '.' in name else 'marts.' + name}")
                             .fetchall(), key=repr)
                for name, exclude in MARTS.items()}
    finally:
        con.close()


def streams_export(data_dir: Path) -> tuple[list[tuple], list[tuple]]:
    """fct_streams' hourly export (every hour's file, each holding only its hour's streams) and the
    mart, every column of both."""
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        mart = sorted(con.execute("select * from marts.fct_streams").fetchall(), key=repr)
        rows = []
        for path in sorted((data_dir / "exports" / "fct_streams").glob(HOURLY_GLOB)):
            source = f"read_parquet('{path}', hive_partitioning = false)"  # the mart's columns only
            hours = con.execute(f"select distinct strftime(start_time, '%Y-%m-%dT%H') from {source}")
            assert hours.fetchall() == [(path.parent.name.split("=", 1)[1],)], path
            rows += con.execute(f"select * from {source}").fetchall()
        return sorted(rows, key=repr), mart
    finally:
        con.close()


def test_compiled_live_path_gives_the_marts_dbt_build_gives(data_dir, tmp_path):
    env = {**os.environ, "PULSE_DATA_DIR": str(data_dir), "DBT_TARGET_PATH": str(tmp_path / "target")}
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from tests.pulse.test_compiled_live_path import live_cycles; "
                               "live_cycles(sys.argv[1])", str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    cycles = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [c["path"] for c in cycles] == ["dbt", "dbt", "compiled", "compiled"], cycles
    assert [c["threads"] for c in cycles] == REPLAY_THREADS, cycles  # what DuckDB ran the replays on
    assert all(not c["failed"] for c in cycles), cycles
    assert [c["hourly_exports"] for c in cycles][2:] == [1, 1], cycles  # fct_streams' export: by the hour
    live = marts(data_dir / "warehouse.duckdb")
    assert live["fct_interactions_per_minute"] and live["fct_campaign_views_minute"] and live["fct_streams"]
    exported, mart = streams_export(data_dir)  # the replays wrote it hour by hour (pulse/live/hourly_export.py)
    assert exported == mart

    run_dbt_subprocess(data_dir, "build", "--full-refresh", "--select", "+tag:realtime",
                       target_dir=tmp_path / "target-build")
    built = marts(data_dir / "warehouse.duckdb")
    for name in MARTS:
        assert live[name] == built[name], name
    exported, mart = streams_export(data_dir)  # dbt's post-hook wrote every hour
    assert exported == mart
