"""Web sessions, watch streams and interaction aggregates: incremental runs equal a full refresh.

The same extracts are landed into two data dirs: one gets everything and one full `dbt build`;
the other gets them in three increments, with `dbt run` after each. The last increment carries
late events, among them one that bridges two web sessions and one that bridges two watch streams,
plus duplicates and bad records, and is then landed a second time (a replay). Every mart must end
up identical (landing times aside).
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ingest.config import load_settings
from ingest.files import ingest_files
from pulse.cli import main as pulse
from pulse.generate.web_events import format_utc
from pulse.serve.export_reader import HOURLY_GLOB
from tests.conftest import run_dbt_subprocess

pytestmark = pytest.mark.integration

START = datetime(2024, 5, 1, 8)
SELECT = "stg_web__events+ stg_streams__watch_events+ stg_interactions__events+"
# Landing times differ between the two data dirs by construction; everything else must match.
MARTS = {
    "fct_web_sessions": "last_ingested_at",
    "fct_daily_activity": None,
    "fct_streams": "last_ingested_at",
    "fct_sessions_per_user_day": None,
    "fct_watch_events_quality": None,
    "fct_interactions_per_minute": "last_ingested_at",
    "fct_interactions_per_user": "last_ingested_at",
    "fct_interactions_per_item": "last_ingested_at",
    "fct_interaction_item_extremes": None,
    "fct_interactions_overview": None,
}


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def web_rows(rng: random.Random) -> list[tuple]:
    """(event_time, csv row); user `bridge` has 10:00 and 10:50 with 10:25 arriving late."""
    rows = []
    for u in range(25):
        t = START + timedelta(minutes=rng.uniform(0, 600))
        for _ in range(rng.randint(1, 30)):
            rows.append((t, ["view", f"user{u}", "1.0", format_utc(t, 3), f"dev{u % 3}", "web"]))
            t += timedelta(minutes=rng.choice((1, 2, 5, 29, 30, 31, 45)), milliseconds=rng.randrange(1000))
    for minute in (0, 50, 25):
        t = START + timedelta(hours=2, minutes=minute)
        rows.append((t, ["view", "bridge", "1.0", format_utc(t, 0), "d", "web"]))
    return rows


def watch_rows(rng: random.Random) -> list[tuple]:
    """(event_time, JSON line): heartbeats every 4 s, pauses, program switches, a few bad records."""
    rows = []
    for s in range(12):
        t = START + timedelta(minutes=rng.uniform(0, 300))
        for _ in range(rng.randint(1, 3)):
            program, start = f"p{rng.randrange(6)}", t
            for _ in range(rng.randint(1, 40)):
                rec = {"user_id": f"u{s % 5}", "program_id": program, "start_time": iso(start),
                       "session_id": f"s{s}", "device": rng.choice(("iphone", "Apple TV", "toaster")),
                       "event_time": iso(t)}
                rows.append((t, json.dumps(rec)))
                t += timedelta(seconds=4)
            t += timedelta(seconds=rng.choice((0, 20, 56, 60, 61, 90, 400)))
    # Session `bridge`: 08:20:00-08:20:08 and 08:21:16-08:21:20 (68 s apart); 08:20:40 comes late.
    for sec in (0, 4, 8, 76, 80, 40):
        t = START + timedelta(minutes=20, seconds=sec)
        rec = {"user_id": "ub", "program_id": "pb", "start_time": iso(START + timedelta(minutes=20)),
               "session_id": "bridge", "device": "roku", "event_time": iso(t)}
        rows.append((t, json.dumps(rec)))
    rows.append((START, '{"user_id": "bad", "session_id": "x", "event_time": "not-a-time"}'))
    rows.append((START, json.dumps({"user_id": "ub", "program_id": "pb", "start_time": iso(START),
                                    "session_id": "early", "device": "roku",
                                    "event_time": iso(START - timedelta(minutes=1))})))
    return rows


def interaction_rows(rng: random.Random) -> list[tuple]:
    rows = []
    for _ in range(1500):
        t = START + timedelta(seconds=rng.uniform(0, 3 * 3600))
        rows.append((t, [f"u{rng.randrange(40)}", f"i{min(rng.randrange(30), rng.randrange(30))}",
                         rng.choice(("view", "view", "click", "purchase", "like")), iso(t)]))
    return rows


def split_with_late_events(rows: list[tuple], rng: random.Random) -> list[list]:
    """Three increments in time order; the last rows of each source (the bridges) and 5% of the
    others arrive in the last increment, and a few rows arrive twice."""
    bridge, rest = rows[-1:], sorted(rows[:-1], key=lambda r: r[0])
    late = [r for r in rest if rng.random() < 0.05 and "bridge" not in str(r[1])]
    on_time = [r for r in rest if r not in late]
    third = len(on_time) // 3
    parts = [on_time[:third], on_time[third:2 * third], on_time[2 * third:] + late + bridge]
    parts[2] += rng.sample(parts[0], 3)  # exact duplicates, landed again later
    return [[payload for _, payload in part] for part in parts]


def write_parts(folder: Path) -> dict[str, list[Path]]:
    rng = random.Random(5)
    folder.mkdir(parents=True)
    files: dict[str, list[Path]] = {}
    sources = {"web_events": web_rows(rng), "watch_events": watch_rows(rng), "interactions": interaction_rows(rng)}
    headers = {"web_events": ["event_name", "user_id", "app_version", "event_time", "device_id", "client"],
               "interactions": ["user_id", "item_id", "interaction_type", "timestamp"]}
    for source, rows in sources.items():
        if source == "watch_events":  # the bad records stay in the first increment
            bad, rows = [payload for _, payload in rows[-2:]], rows[:-2]
        for i, part in enumerate(split_with_late_events(rows, rng)):
            if source == "watch_events":
                path = folder / f"{source}_{i}.jsonl"
                path.write_text("\n".join(part + (bad if i == 0 else [])) + "\n")
            else:
                path = folder / f"{source}_{i}.csv"
                with open(path, "w", newline="") as fh:
                    writer = csv.writer(fh)
                    writer.writerow(headers[source])
                    writer.writerows(part)
            files.setdefault(source, []).append(path)
    return files


def land(data_dir: Path, files: dict[str, list[Path]], increment: int | None, force: bool = False) -> None:
    settings = load_settings({"PULSE_DATA_DIR": str(data_dir)})
    for source, paths in files.items():
        chosen = paths if increment is None else [paths[increment]]
        for result in ingest_files(settings, source, [str(p) for p in chosen], force=force):
            assert result.reconciles()


def marts(data_dir: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        out = {}
        for table, landing_column in MARTS.items():
            exclude = f" exclude ({landing_column})" if landing_column else ""
            rows = con.execute(f"select *{exclude} from marts.{table} order by all").fetchall()
            # Averages over differently ordered tables differ in the last float bits only.
            out[table] = [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]
        return out


def test_incremental_runs_with_late_events_equal_a_full_refresh(tmp_path, data_dir, capsys, monkeypatch):
    files = write_parts(tmp_path / "extracts")
    full_dir, incremental_dir = tmp_path / "full" / "data", tmp_path / "incremental" / "data"

    land(full_dir, files, None)
    run_dbt_subprocess(full_dir, "build", "--select", SELECT)

    # No landing lookback, so each run really works from its watermark and recompute windows.
    no_lookback = ["--vars", "{lake_ingest_lookback_seconds: 0}"]
    for increment in range(3):
        land(incremental_dir, files, increment)
        run_dbt_subprocess(incremental_dir, "run", "--select", SELECT, *no_lookback)
        if increment == 1:
            before = marts(incremental_dir)
    # A replay: the last increment lands again under the same file names with a newer landing
    # time (as the Kafka ingester re-lands its newest range on restart). Nothing may count twice.
    land(incremental_dir, files, 2, force=True)
    run_dbt_subprocess(incremental_dir, "run", "--select", SELECT, *no_lookback)

    full, incremental = marts(full_dir), marts(incremental_dir)
    for table in MARTS:
        assert incremental[table] == full[table], table

    with duckdb.connect(str(full_dir / "warehouse.duckdb"), read_only=True) as con:
        bridged = con.execute("select event_count from marts.fct_web_sessions where user_id = 'bridge'").fetchall()
        streams = con.execute("select heartbeat_count from marts.fct_streams where session_id = 'bridge'").fetchall()
        excluded = con.execute("select sum(event_count) from marts.fct_watch_events_quality "
                               "where is_excluded").fetchone()
    assert bridged == [(3,)] and streams == [(6,)]
    assert excluded[0] >= 2 + 3  # the quarantined and the early record, plus at least the duplicates
    # Before the late events, the bridged session and stream were two each.
    assert sum(1 for row in before["fct_web_sessions"] if row[1] == "bridge") == 2
    assert sum(1 for row in before["fct_streams"] if row[4] == "bridge") == 2

    # The reports answer from the same warehouse.
    monkeypatch.setenv("PULSE_DATA_DIR", str(full_dir))
    monkeypatch.setenv("COLUMNS", "250")
    assert pulse(["report", "streams"]) == 0
    assert pulse(["report", "interactions"]) == 0
    out = capsys.readouterr().out
    for phrase in ("finished streams", "sessions per user per day", "interactions per user", "most interactions"):
        assert phrase in out
    exports = {p.name for p in (full_dir / "exports").glob("*.parquet")}
    assert {"fct_interactions_per_minute.parquet", "fct_interactions_overview.parquet",
            "fct_interactions_per_item.parquet",
            "fct_interaction_item_extremes.parquet"} <= exports
    # fct_streams: one file per hour of start_time (pulse/live/hourly_export.py)
    assert list((full_dir / "exports" / "fct_streams").glob(HOURLY_GLOB))


def test_watch_and_interaction_messages_parse_as_the_contract_says(tmp_path, settings):
    from ingest.sources import get_source

    message = {"user_id": "u1", "program_id": "p1", "start_time": "2024-05-01T10:00:00.000Z",
               "session_id": "s1", "device": "apple_tv", "event_time": "2024-05-01T10:00:04.123Z"}
    row = get_source("watch_events").parse(message)
    assert row["event_time"] == datetime(2024, 5, 1, 10, 0, 4, 123000)
    assert get_source("watch_events").parse({**message, "program_id": None, "device": ""})["program_id"] is None
    row = get_source("interactions").parse(
        {"user_id": "u1", "item_id": "i9", "interaction_type": "Click", "timestamp": "2024-05-01T10:00:00.000Z"})
    assert row["interaction_type"] == "Click"  # lower-cased by stg_interactions__events

    extract = tmp_path / "watch.jsonl"
    extract.write_text(json.dumps(message) + "\n[1, 2]\n{broken\n\n" + json.dumps({**message, "session_id": ""}) + "\n")
    (result,) = ingest_files(settings, "watch_events", [str(extract)])
    assert (result.read, result.landed, result.quarantined) == (4, 1, 3)
    reasons = duckdb.sql(
        f"select reason from read_parquet('{settings.quarantine_dir}/watch_events/*/file-*.parquet') order by _row"
    ).fetchall()
    assert [r[0].split(":")[0] for r in reasons] == ["expected a JSON object, got list", "not a JSON object",
                                                     "missing session_id"]
