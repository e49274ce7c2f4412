"""The dashboard in a real browser: generated data -> lake -> one `pulse run` cycle (exports,
an alert) -> Streamlit as a real subprocess -> headless Chromium (Debian's) loads the page; the key
figures computed from the generated records are on it; a screenshot goes to docs/dashboard-latest.png
(git-ignored, so a test run leaves the checkout clean; copy it over docs/dashboard.png to refresh the docs)."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pulse.cli import main as pulse
from pulse.dbt import run_dbt
from pulse.live.loop import LiveLoop, LoopOptions
from pulse.serve.dashboard_launch import streamlit_command
from tests.conftest import REPO, free_port

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOT = REPO / "docs" / "dashboard-latest.png"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# The interactions' first minute: 20 minutes ago, so their chart spans about 20 minutes up to now.
def browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: install Debian's browser with "
                    "`apt-get install -y chromium chromium-driver` (the dashboard test needs a real browser)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--window-size=1400,3000"):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def wait_http(url: str, proc: subprocess.Popen, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited with {proc.returncode}: {proc.stdout.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout_s} s")


@pytest.fixture
def live_exports(settings, tmp_path):
    """Every live section's data generated to files and landed, modeled by one live cycle; the
    daily activity marts (batch models, not `realtime`) by a dbt run."""
    out = tmp_path / "extracts"
    assert pulse(["generate", "campaigns", "--to", "files", "--out", str(out), "--seed", "3", "--quiet"]) == 0
    for dataset, count in (("watch_events", 1500), ("view_log", 1500), ("user_interactions", 3000)):
        end = "2024-05-03" if dataset == "user_interactions" else "2024-05-01T00:20"
        assert pulse(["generate", dataset, "--to", "files", "--out", str(out), "--start", "2024-05-01",
                      "--end", end, "--count", str(count), "--seed", "3", "--quiet"]) == 0
    for source in ("campaigns", "watch_events", "view_log", "user_interactions"):
        files = sorted(str(p) for p in out.glob(f"{source}*.*"))
        assert files, f"the generator wrote no {source} file"
        assert pulse(["ingest", "files", source, *files]) == 0
    run_dbt("run", "--select", "+fct_daily_active_users +fct_app_session_duration_buckets", quiet=True)
    # Interactions of the last 20 minutes, plus a few in a minute that is still to come when the
    # cycle below runs (however slow this setup on a loaded machine): on the loop's arrival clock
    # (the wall clock without Kafka) that minute is open, so the chart draws it as partial.
    now = utc_now().replace(second=0, microsecond=0)
    for name, first, last, count in (("interactions", now - timedelta(minutes=20), now, 3000),
                                     ("interactions_open", now + timedelta(minutes=6), now + timedelta(minutes=7), 30)):
        assert pulse(["generate", "interactions", "--to", "files", "--out", str(out / name),
                      "--start", first.isoformat(timespec="minutes"), "--end", last.isoformat(timespec="minutes"),
                      "--count", str(count), "--seed", "3", "--quiet"]) == 0
        assert pulse(["ingest", "files", "interactions", str(out / name / "interactions.csv")]) == 0
    records = []
    for name in ("interactions", "interactions_open"):
        with open(out / name / "interactions.csv", newline="") as fh:
            records += list(csv.DictReader(fh))
    # The alert fires on the busiest item-minute of these records, whatever the generator's spread.
    busiest = Counter((r["item_id"], r["timestamp"][:16]) for r in records).most_common(1)[0][1]
    rules = tmp_path / "alerts.yml"
    rules.write_text("rules:\n  - {name: hot_item, description: Hot item, metric: events, source: interactions,"
                     f" key: item_id, window: 1m, threshold: {busiest - 1}}}\n")
    LiveLoop(settings, LoopOptions(kafka=False, max_cycles=1, alerts_file=rules, live_view=False)).run()
    return records


def test_dashboard_shows_key_figures_in_chromium(settings, live_exports):
    records = live_exports
    per_user = Counter(r["user_id"] for r in records)
    per_item = Counter(r["item_id"] for r in records)
    avg_per_user = f"{len(records) / len(per_user):,.2f}"
    top_item, top_count = per_item.most_common(1)[0]

    port = free_port()
    env = {**os.environ, "PULSE_DATA_DIR": str(settings.data_dir), "PULSE_DASHBOARD_REFRESH_S": "2"}
    proc = subprocess.Popen(streamlit_command(port), env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    driver = None
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc)
        driver = browser()
        driver.get(f"http://127.0.0.1:{port}/")
        expected = ["Avg interactions per user", avg_per_user, "Max interactions per item", f"{top_count:,}",
                    top_item, "Streams active now", "Alerts", "hot_item", "Banner views per minute",
                    "Average view duration per network", "DAU / MAU", "MAU (30 days)",
                    "Session duration distribution", "CTR explorer",
                    # honest states: the batch marts say what refreshes them; the unfinished minute is marked
                    "batch mart: refreshed by dbt build", "the newest minute is partial",
                    # 24-hour time axes (the campaign views run 00:00-00:20 UTC)
                    "minute (UTC)", "00:10"]
        deadline = time.monotonic() + 180  # Streamlit's first render is slow on a loaded machine
        text = ""
        while time.monotonic() < deadline:
            text = driver.find_element("tag name", "body").text
            if all(e in text for e in expected):
                break
            time.sleep(0.5)
        missing = [e for e in expected if e not in text]
        assert not missing, f"not on the page: {missing}\n--- page text ---\n{text[:3000]}"
        assert "Traceback" not in text and "Error" not in text.replace("errors", "")
        assert text.count("batch mart: refreshed by dbt build") == 2, "DAU/MAU and the session panel"
        assert " AM" not in text and " PM" not in text, "a 12-hour clock on an axis"
        # A 12-hour axis shows the campaign views' 00:10 as "12:10" (and "00:10" is expected above);
        # the live charts' axes follow the wall clock, so between 12:00 and 13:00 UTC they show 12:10.
        if 12 not in {(datetime.now(UTC) - timedelta(minutes=m)).hour for m in (0, 30)}:
            assert "12:10" not in text, "a 12-hour clock on an axis"
        assert "No data yet" not in text.split("CTR explorer")[0], "a live section shows no data"
        time.sleep(1.0)  # let the charts finish drawing before the screenshot
        SCREENSHOT.parent.mkdir(exist_ok=True)
        tmp = SCREENSHOT.with_suffix(".tmp.png")
        driver.save_screenshot(str(tmp))
        shutil.move(tmp, SCREENSHOT)
    finally:
        if driver is not None:
            driver.quit()
        proc.terminate()
        proc.wait(60)
