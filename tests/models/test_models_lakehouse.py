"""Lakehouse marts: increments and backfills give exactly what a full refresh gives.

The same extracts land in two data dirs. One gets everything and a single `dbt run`; the other
gets them in three increments (late rows for old days, duplicates split across increments, a
second metadata extract with a conflicting row), with `dbt run` after each, then loses two days
of its incremental tables and gets them back with a backfill. Every mart must end up identical
(landing times aside), and DAU and sessions must match a plain-Python computation of the rules.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ingest.config import load_settings
from ingest.files import ingest_files
from pulse.cli import main as pulse
from tests.conftest import REPO, run_dbt_subprocess

pytestmark = pytest.mark.integration

SELECT = "stg_lakehouse__user_interactions+ stg_lakehouse__user_metadata+"
START = datetime(2023, 3, 1)
DAYS = 10
MAX_MS = 7_200_000
GAP = timedelta(minutes=30)
INCREMENTAL = ("fct_app_interactions", "fct_app_sessions", "fct_app_active_user_days")
# Landing times differ between the two data dirs by construction; everything else must match.
MARTS = {
    "fct_app_interactions": "last_ingested_at",
    "fct_app_sessions": "last_ingested_at",
    "fct_app_active_user_days": "last_ingested_at",
    "dim_users": None,
    "fct_daily_active_users": None,
    "fct_monthly_active_users": None,
    "fct_app_session_metrics": None,
    "fct_app_session_duration_buckets": None,
    "fct_app_interactions_quality": None,
    "fct_app_users_quality": None,
}
INTERACTION_HEADER = ["user_id", "timestamp", "action_type", "page_id", "duration_ms", "app_version"]
METADATA_HEADER = ["user_id", "join_date", "country", "device_type", "subscription_type"]


def interaction_rows(rng: random.Random) -> list[list]:
    """Bursts of actions with gaps around 30 min, some crossing midnight, outliers, duplicates."""
    rows = []
    for u in range(30):
        user = f"u{u:03d}" if u < 29 else "ghost"  # ghost has no metadata
        for day in range(DAYS):
            if rng.random() < 0.45:
                continue
            t = START + timedelta(days=day, seconds=rng.randrange(0, 86400))
            for _ in range(rng.randint(1, 8)):
                duration = rng.choice([rng.randint(100, 300000)] * 8 + [-rng.randint(1, 500), MAX_MS + 1, 0, MAX_MS])
                rows.append([user, t.strftime("%Y-%m-%d %H:%M:%S"), rng.choice(("page_view", "edit", "share")),
                             f"page_{rng.randrange(5)}", duration, rng.choice(("5.1.0", "6.0.0"))])
                t += timedelta(seconds=rng.choice((0, 1, 60, 600, 1799, 1800, 1801, 5400)))
    copies = [list(r) for r in rng.sample(rows, 25)]  # exact duplicates
    conflicting = [[*r[:4], rng.choice((r[4] + 7, -3, MAX_MS + 9)), r[5]] for r in rng.sample(rows, 15)]
    return rows + copies + conflicting


def day_of(row: list) -> int:
    return (datetime.fromisoformat(row[1]).date() - START.date()).days


def split(rows: list[list], rng: random.Random) -> list[list[list]]:
    """Three increments by event day; 8% of the rows (and many copies) arrive in a later one."""
    parts: list[list[list]] = [[], [], []]
    for row in rows:
        part = 0 if day_of(row) < 4 else 1 if day_of(row) < 8 else 2
        if rng.random() < 0.08 and part < 2:
            part = rng.choice((1, 2)) if part == 0 else 2
        parts[part].append(row)
    return parts


def metadata_rows() -> list[list[list]]:
    first = [[f"u{u:03d}", f"2022-0{1 + u % 9}-1{u % 10}", ("US", "DE", "BR")[u % 3],
              ("mobile", "desktop", "tablet")[u % 3], ("free", "basic", "premium")[u % 3]] for u in range(29)]
    first += [["u001", "2022-02-11", "FR", "tablet", "basic"], ["u002", first[2][1], "AR", "mobile", "free"]]
    later = [["u003", "2022-12-31", "JP", "desktop", "premium"], first[4]]  # a newer conflict, a copy
    return [first, [], later]


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_parts(folder: Path) -> tuple[list[list], dict[str, list[Path]]]:
    rng = random.Random(7)
    folder.mkdir(parents=True)
    rows = interaction_rows(rng)
    files: dict[str, list[Path]] = {"user_interactions": [], "user_metadata": []}
    for i, (part, meta) in enumerate(zip(split(rows, rng), metadata_rows(), strict=True)):
        files["user_interactions"].append(write_csv(folder / f"interactions_{i}.csv", INTERACTION_HEADER, part))
        if meta:
            files["user_metadata"].append(write_csv(folder / f"metadata_{i}.csv", METADATA_HEADER, meta))
    return rows, files


def land(data_dir: Path, paths: dict[str, list[Path]]) -> None:
    settings = load_settings({"PULSE_DATA_DIR": str(data_dir)})
    for source, files in paths.items():
        for result in ingest_files(settings, source, [str(p) for p in files]):
            assert result.reconciles() and result.quarantined == 0, result


def marts(data_dir: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        out = {}
        for table, landing_column in MARTS.items():
            exclude = f" exclude ({landing_column})" if landing_column else ""
            rows = con.execute(f"select *{exclude} from marts.{table} order by all").fetchall()
            # Sums over differently ordered tables differ in the last float bits only.
            out[table] = [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]
        return out


DAY_COLUMNS = {"fct_app_interactions": "interaction_date", "fct_app_sessions": "session_date",
               "fct_app_active_user_days": "activity_date"}


def mark_rows(data_dir: Path) -> None:
    """Stamp every row of the incremental tables with a landing time no run writes (one per model,
    so a row a child recomputes from unmarked parent rows is never mistaken for a kept one)."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        for i, model in enumerate(INCREMENTAL):
            con.execute(f"update marts.{model} set last_ingested_at = timestamp '1900-01-01' + interval {i} day")


def processed_days(data_dir: Path, model: str) -> set[str]:
    """The days the last run of `model` recomputed: those whose rows lost the mark_rows stamp."""
    i = INCREMENTAL.index(model)
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(f"select distinct cast({DAY_COLUMNS[model]} as varchar) from marts.{model} "
                           f"where last_ingested_at <> timestamp '1900-01-01' + interval {i} day").fetchall()
    return {day for (day,) in rows}


def oracle(rows: list[list]) -> tuple[dict[date, int], int, float]:
    """DAU per day, session count and total session seconds, straight from the documented rules."""
    kept: dict[tuple, list] = {}
    for row in rows:
        key, duration = tuple(row[:4]), int(row[4])
        rank = (0 <= duration <= MAX_MS, duration, row[5])
        if key not in kept or rank > kept[key][0]:
            kept[key] = [rank, row]
    valid = [(r[0], datetime.fromisoformat(r[1]), int(r[4])) for _, r in kept.values() if 0 <= int(r[4]) <= MAX_MS]
    dau = Counter(day for day, _ in {(t.date(), u) for u, t, _ in valid})
    by_user_day: dict[tuple, list] = defaultdict(list)
    for user, t, duration in valid:
        by_user_day[user, t.date()].append((t, duration))
    sessions, seconds = 0, 0.0
    for events in by_user_day.values():
        events.sort()
        start = end = None
        for i, (t, duration) in enumerate(events):
            if i == 0 or t - events[i - 1][0] >= GAP:
                if start is not None:
                    seconds += (end - start).total_seconds()
                sessions, start, end = sessions + 1, t, t
            end = max(end, t + timedelta(milliseconds=duration))
        seconds += (end - start).total_seconds()
    return dict(dau), sessions, seconds


def test_increments_and_backfill_equal_a_full_refresh(tmp_path, data_dir, capsys, monkeypatch):
    rows, files = write_parts(tmp_path / "extracts")
    full_dir, incremental_dir = data_dir, tmp_path / "incremental" / "data"

    land(full_dir, files)
    run_dbt_subprocess(full_dir, "run", "--select", SELECT)

    # No landing lookback, so each run really works from its watermark.
    no_lookback = "lake_ingest_lookback_seconds: 0"
    days_landed = []
    for i in range(3):
        increment = {source: paths[i:i + 1] for source, paths in files.items()}
        land(incremental_dir, increment)
        if i > 0:
            mark_rows(incremental_dir)
        run_dbt_subprocess(incremental_dir, "run", "--select", SELECT, "--vars", f"{{{no_lookback}}}")
        with open(increment["user_interactions"][0]) as fh:
            new_days = {str((START + timedelta(days=day_of(r))).date()) for r in list(csv.reader(fh))[1:]}
        days_landed.append(new_days)
        if i > 0:  # later runs recompute the landed days plus the newest day already built
            newest = max(d for part in days_landed[:i] for d in part)
            assert processed_days(incremental_dir, "fct_app_interactions") == new_days | {newest}
            assert processed_days(incremental_dir, "fct_app_sessions") == new_days | {newest}

    full, incremental = marts(full_dir), marts(incremental_dir)
    for table in MARTS:
        assert incremental[table] == full[table], table

    # Two days of the incremental tables get lost; a backfill of exactly those days restores them.
    with duckdb.connect(str(incremental_dir / "warehouse.duckdb")) as con:
        con.execute("delete from marts.fct_app_interactions where interaction_date in ('2023-03-02', '2023-03-03')")
        con.execute("delete from marts.fct_app_sessions where session_date = '2023-03-03'")
        con.execute("update marts.fct_app_active_user_days set interaction_count = 0 "
                    "where activity_date = '2023-03-02'")
    mark_rows(incremental_dir)
    backfill = f"{{{no_lookback}, backfill_start: 2023-03-02, backfill_end: 2023-03-03}}"
    said = run_dbt_subprocess(incremental_dir, "run", "--select", SELECT, "--vars", backfill).stdout
    for model in INCREMENTAL:
        assert processed_days(incremental_dir, model) == {"2023-03-02", "2023-03-03"}
        assert f"{model}: backfill rebuilds 2023-03-02..2023-03-03 (2 days)" in said, said[-3000:]
    assert marts(incremental_dir) == full

    # The marts follow the documented rules, checked against a plain-Python computation.
    dau, session_count, session_seconds = oracle(rows)
    with duckdb.connect(str(full_dir / "warehouse.duckdb"), read_only=True) as con:
        daily = dict(con.execute("select activity_date, daily_active_users "
                                 "from marts.fct_daily_active_users").fetchall())
        got = con.execute("select count(*), sum(duration_seconds) from marts.fct_app_sessions").fetchone()
        ghost = con.execute("select country, is_inferred from marts.dim_users where user_id = 'ghost'").fetchone()
        u003 = con.execute("select country, join_date from marts.dim_users where user_id = 'u003'").fetchone()
    assert {d: n for d, n in daily.items() if n} == dau
    assert got[0] == session_count and got[1] == pytest.approx(session_seconds)
    assert ghost == ("unknown", True) and u003 == ("JP", date(2022, 12, 31))

    # pulse report activity answers the case from the same warehouse; the exports are there.
    monkeypatch.setenv("COLUMNS", "250")
    assert pulse(["report", "activity"]) == 0
    out = capsys.readouterr().out
    for phrase in ("Daily active users", "calendar month", "rolling 28 / 30", "Average session duration",
                   "Actions per session", f"over {session_count} sessions"):
        assert phrase in out
    exports = {p.name for p in (full_dir / "exports").glob("*.parquet")}
    assert {f"{m}.parquet" for m in ("fct_daily_active_users", "fct_monthly_active_users", "fct_app_session_metrics",
                                      "fct_app_session_duration_buckets", "fct_app_interactions_quality",
                                      "fct_app_users_quality")} <= exports


def test_backfill_ending_before_it_starts_is_refused(tmp_path):
    env = {**os.environ, "PULSE_DATA_DIR": str(tmp_path / "data")}
    bad = "{backfill_start: 2023-03-05, backfill_end: 2023-03-01}"
    proc = subprocess.run([str(Path(sys.executable).parent / "dbt"), "run", "--select", "fct_app_interactions",
                           "--vars", bad, "--profiles-dir", str(REPO), "--project-dir", str(REPO),
                           "--target-path", str(tmp_path / "target")],
                          env=env, cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "backfill_end 2023-03-01 is before backfill_start 2023-03-05" in proc.stdout, proc.stdout[-2000:]
