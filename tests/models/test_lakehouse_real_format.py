"""The lakehouse marts on data in the challenge's real format, and categorical rules that bend.

`pulse generate` writes a user_metadata sample the way the challenge's generator does (user ids
drawn with replacement, so some users sit on several conflicting rows; the challenge's device
types and plans) and a few days of interactions. Every lakehouse model and test builds on it
without a warning, with one dim_users row per user chosen by the documented conflict rule. Then a
new extract brings a device type, a plan and an action type nobody has seen: `dbt build` still
passes, the values land in the 'other' buckets, the warn-severity tests fire and the quality marts
count them.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ingest.config import load_settings
from ingest.files import ingest_files
from pulse.generate.runner import Options, run
from tests.conftest import run_dbt_subprocess

pytestmark = pytest.mark.integration

SELECT = "stg_lakehouse__user_interactions+ stg_lakehouse__user_metadata+"
MARTS = ("dim_users", "fct_app_interactions", "fct_app_sessions", "fct_app_active_user_days",
         "fct_daily_active_users", "fct_monthly_active_users", "fct_app_session_metrics",
         "fct_app_session_duration_buckets", "fct_app_interactions_quality", "fct_app_users_quality")
NEW_USER = "u990001"
WARN_TESTS = ("dim_users_device_type_seen_before", "dim_users_subscription_type_seen_before",
              "fct_app_interactions_action_type_seen_before")


def land(data_dir: Path, source: str, path: Path) -> None:
    [result] = ingest_files(load_settings({"PULSE_DATA_DIR": str(data_dir)}), source, [str(path)])
    assert result.reconciles() and result.quarantined == 0 and result.landed > 0, result


def results(data_dir: Path) -> dict[str, dict]:
    """The last dbt invocation's node results by name (run_results.json)."""
    with open(data_dir.parent / "target" / "run_results.json") as fh:
        return {r["unique_id"].split(".")[2]: r for r in json.load(fh)["results"]}


def query(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, Path]:
    """Data dir with the generated sample landed, and the extracts folder."""
    root = tmp_path_factory.mktemp("real_format")
    data_dir, extracts = root / "data", root / "extracts"
    settings = load_settings({"PULSE_DATA_DIR": str(data_dir)})
    run(Options(dataset="user_metadata", to="files", out=extracts, count=3000, seed=5), settings)
    # More users act than have metadata (as in the challenge, where most acting users have none).
    run(Options(dataset="user_interactions", to="files", out=extracts, users=3000, seed=5,
                start=datetime(2023, 3, 1), end=datetime(2023, 3, 3)), settings)
    land(data_dir, "user_metadata", extracts / "user_metadata.csv")
    land(data_dir, "user_interactions", extracts / "user_interactions.csv")
    run_dbt_subprocess(data_dir, "build", "--select", SELECT)
    return data_dir, extracts


def documented_winner(rows: list[tuple]) -> tuple:
    """dim_users' rule in plain Python: latest join_date, then the lowest country, device type,
    plan (by code point)."""
    latest = max(r[0] for r in rows)
    return min(r for r in rows if r[0] == latest)


def test_a_real_format_sample_builds_every_mart_with_one_row_per_user(sample):
    data_dir, extracts = sample
    statuses = {name: r["status"] for name, r in results(data_dir).items()}
    assert set(statuses.values()) <= {"success", "pass", "no-op"}, {n: s for n, s in statuses.items()
                                                                     if s not in ("success", "pass", "no-op")}
    assert set(MARTS) <= set(statuses)
    for mart in MARTS:
        assert query(data_dir, f"select count(*) from marts.{mart}")[0][0] > 0, mart

    with open(extracts / "user_metadata.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_user: dict[str, set[tuple]] = defaultdict(set)
    for r in rows:
        by_user[r["user_id"]].add((r["join_date"], r["country"], r["device_type"], r["subscription_type"]))
    conflicting = {u for u, versions in by_user.items() if len(versions) > 1}
    assert len(rows) == 3000 and 2800 < len(by_user) < 2910 and len(conflicting) > 100

    users = query(data_dir, """
        select user_id, cast(join_date as varchar), country, device_type, subscription_type,
               has_conflicting_metadata, is_inferred
        from marts.dim_users""")
    assert len(users) == len({u[0] for u in users})  # one row per user
    known = {u[0]: u for u in users if not u[6]}
    assert set(known) == set(by_user)
    assert {u for u, row in known.items() if row[5]} == conflicting
    assert all(known[u][1:5] == documented_winner(list(by_user[u])) for u in by_user)
    assert query(data_dir, "select rows_landed, users_with_metadata, users_with_conflicting_metadata "
                           "from marts.fct_app_users_quality") == [(3000, len(by_user), len(conflicting))]


def test_a_value_never_seen_before_warns_lands_in_other_and_is_counted(sample, tmp_path):
    # A copy of the built sample (lake and warehouse), so the other test's data stays untouched.
    data_dir = tmp_path / "data"
    shutil.copytree(sample[0], data_dir)
    (tmp_path / "new_metadata.csv").write_text(
        "user_id,join_date,country,device_type,subscription_type\n"
        f"{NEW_USER},2023-02-01,US,Smart Fridge,lifetime\n")
    (tmp_path / "new_interactions.csv").write_text(
        "user_id,timestamp,action_type,page_id,duration_ms,app_version\n"
        f"{NEW_USER},2023-03-02 10:00:00,page_view,p000001,4000,7.9.9\n"
        f"{NEW_USER},2023-03-02 10:01:00,swipe,p000002,2000,7.9.9\n")
    land(data_dir, "user_metadata", tmp_path / "new_metadata.csv")
    land(data_dir, "user_interactions", tmp_path / "new_interactions.csv")

    run_dbt_subprocess(data_dir, "build", "--select", SELECT)  # raises unless dbt exits 0

    by_name = results(data_dir)
    assert {n: (r["status"], r["failures"]) for n, r in by_name.items() if n in WARN_TESTS} == {
        n: ("warn", 1) for n in WARN_TESTS}
    assert not [n for n, r in by_name.items() if r["status"] in ("fail", "error", "skipped")]
    assert query(data_dir, f"""
        select device_type, device_class, subscription_type, subscription_class
        from marts.dim_users where user_id = '{NEW_USER}'""") == [("Smart Fridge", "other", "lifetime", "other")]
    assert query(data_dir, """
        select unseen_device_type_users, unseen_device_types, unseen_subscription_type_users,
               unseen_subscription_types
        from marts.fct_app_users_quality""") == [(1, "Smart Fridge", 1, "lifetime")]
    assert query(data_dir, """
        select unseen_action_type_count from marts.fct_app_interactions_quality
        where interaction_date = '2023-03-02'""") == [(1,)]
    # The new user's session is in the metrics, under the 'other' device class.
    assert query(data_dir, """
        select device_type, session_count, interaction_count from marts.fct_app_session_metrics
        where device_class = 'other'""") == [("Smart Fridge", 1, 2)]
