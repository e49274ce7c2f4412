"""The web-events case end to end: extract -> `pulse ingest files` -> `dbt build` -> answers,
checked against an independent pandas computation of the same session rule."""

from datetime import datetime

import duckdb
import pandas as pd

from pulse.cli import main as pulse
from pulse.generate.web_events import write_web_events_csv
from tests.conftest import run_dbt_subprocess


def independent_sessions(csv_path, gap_minutes: int = 30) -> pd.DataFrame:
    df = pd.read_csv(csv_path).drop_duplicates()
    df["t"] = pd.to_datetime(df["event_time"].str.removesuffix(" UTC"), format="ISO8601")
    df = df.sort_values(["user_id", "t"])
    new = df.groupby("user_id")["t"].diff() > pd.Timedelta(minutes=gap_minutes)
    df["session"] = new.astype(int).groupby(df["user_id"]).cumsum()
    return df.groupby(["user_id", "session"]).agg(start=("t", "min"), end=("t", "max"), events=("t", "size"))


def test_generated_extract_gives_the_independently_computed_answers(data_dir, tmp_path):
    extract = tmp_path / "web_events.csv"
    summary = write_web_events_csv(extract, users=60, days=4, seed=11, start=datetime(2023, 2, 1))
    assert pulse(["ingest", "files", "web_events", str(extract)]) == 0
    run_dbt_subprocess(data_dir, "build")

    expected = independent_sessions(extract)
    events = pd.read_csv(extract).drop_duplicates()
    events["day"] = events["event_time"].str[:10]
    expected_busiest = events.groupby("day").size().sort_values(ascending=False)

    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        n_sessions, max_events, avg_duration = con.execute(
            "select count(*), max(event_count), avg(duration_seconds) from marts.fct_web_sessions"
        ).fetchone()
        busiest = con.execute(
            "select cast(activity_date as varchar), event_count from marts.fct_daily_activity "
            "order by event_count desc limit 1"
        ).fetchone()
        dupes = con.execute("select sum(duplicates_removed) from marts.fct_daily_activity").fetchone()[0]

    assert n_sessions == len(expected)
    assert max_events == expected["events"].max()
    durations = (expected["end"] - expected["start"]).dt.total_seconds()
    assert abs(avg_duration - durations.mean()) < 1e-6
    assert busiest == (expected_busiest.index[0], expected_busiest.iloc[0])
    assert dupes == summary.rows - len(events) > 0


def test_report_prints_the_four_answers(data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # one line per answer, so phrases are not wrapped
    extract = tmp_path / "web_events.csv"
    write_web_events_csv(extract, users=10, days=2, seed=3)
    assert pulse(["ingest", "files", "web_events", str(extract)]) == 0
    run_dbt_subprocess(data_dir, "build", "--select", "+fct_daily_activity")
    assert pulse(["report", "web"]) == 0
    out = capsys.readouterr().out
    for phrase in ("most activity", "define a session", "highest number of events", "average session duration"):
        assert phrase in out
