"""The dashboard's honest states and time charts, without a browser (the browser test in
tests/pulse/test_dashboard_browser.py sees them on the page): 24-hour UTC axes, the minute
that is still arriving drawn apart, and what a panel with no data says."""

from __future__ import annotations

import time
from datetime import datetime

import pandas as pd

from pulse.serve import dashboard_charts as charts
from pulse.serve import dashboard_data as dd


def minutes(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["minute_start", "interaction_type", "interaction_count"]).assign(
        minute_start=lambda df: pd.to_datetime(df["minute_start"]))


def test_time_axes_are_24_hour_utc():
    df = minutes(("2024-05-01 13:00", "view", 5), ("2024-05-01 13:01", "view", 6)).assign(partial=False)
    for chart in (charts.interactions_per_minute(df),
                  charts.views_per_minute(pd.DataFrame({"minute_timestamp": df["minute_start"], "views": [1, 2]}))):
        spec = chart.to_dict()
        for layer in spec.get("layer", [spec]):
            x = layer["encoding"]["x"]
            assert x["axis"]["format"] == "%H:%M" and x["scale"]["type"] == "utc" and x["title"] == "minute (UTC)"
    # naive UTC times are marked as UTC, so a browser in another zone draws the same hours
    assert str(charts.as_utc(df, "minute_start")["minute_start"].dt.tz) == "UTC"


def test_the_unclosed_minute_is_partial_and_drawn_apart(tmp_path):
    df = minutes(("2024-05-01 00:00", "view", 5), ("2024-05-01 00:01", "view", 6), ("2024-05-01 00:02", "view", 1))
    ends = df["minute_start"] + pd.Timedelta(minutes=1)
    partial = df.assign(partial=ends > pd.Timestamp("2024-05-01 00:02:30"))
    assert partial["partial"].tolist() == [False, False, True]
    solid, dashed, hollow = charts.interactions_per_minute(partial).to_dict()["layer"]
    datasets = charts.interactions_per_minute(partial).to_dict()["datasets"]
    rows = {name: [r["interaction_count"] for r in data] for name, data in datasets.items()}
    assert rows[solid["data"]["name"]] == [5, 6]  # closed minutes, solid
    assert dashed["mark"]["strokeDash"] and rows[dashed["data"]["name"]] == [6, 1]  # from the last closed one
    assert rows[hollow["data"]["name"]] == [1] and hollow["mark"]["filled"] is False


def test_watermark_comes_from_the_live_status():
    status = {"sources": {"interactions": {"watermark": "2024-05-01 00:19:50.123000"}}}
    assert dd.watermark(status, "interactions") == datetime(2024, 5, 1, 0, 19, 50, 123000)
    assert dd.watermark(status, "view_log") is None and dd.watermark(None, "interactions") is None


def test_a_panel_without_data_says_what_refreshes_it():
    running = {"updated_at": time.time(), "sources": {}}
    stopped = {"updated_at": time.time() - 3600, "sources": {}}
    for status in (None, running, stopped):  # a batch mart never waits for `pulse run`
        note = dd.missing_note("dau_mau", status)
        assert dd.BATCH_NOTE in note and "dbt build" in note and "Start `pulse run`" not in note
    assert dd.missing_note("streams", running).startswith("Waiting for data: `pulse run` is running")
    for status in (None, stopped):
        assert "Start `pulse run`" in dd.missing_note("streams", status)


def test_exposures_list_the_marts_the_dashboard_and_the_api_read():
    import yaml

    from pulse.serve.ctr_query import MARTS_READ
    from tests.conftest import REPO

    exposures = {e["name"]: {d.split("'")[1] for d in e.get("depends_on", [])}
                 for e in yaml.safe_load((REPO / "models" / "exposures.yml").read_text())["exposures"]}
    read_by_dashboard = {name for section, names in dd.EXPORTS.items() if section != "alerts" for name in names}
    assert exposures["dashboard"] == read_by_dashboard | set(MARTS_READ)  # the CTR explorer reads the API's marts
    assert exposures["ctr_api"] == set(MARTS_READ)
