"""Readers during a live run see no lock errors: while live generators feed the broker and
`pulse run` (a subprocess) rebuilds models every cycle, the CTR API (a real HTTP server), the
dashboard's queries and an analyst's session on data/analyst.duckdb read continuously."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import duckdb
import pytest

from ingest.config import load_settings
from pulse.serve import dashboard_data as dd
from pulse.serve.export_reader import HOURLY_GLOB, stable_query
from tests.conftest import REPO, free_port

pytestmark = pytest.mark.integration

READ_S = 15  # every reader reads at least this long, and at least MIN_READS times
MIN_READS = 10
# Bounds for a loaded machine (a 2-core CI box running other jobs): generous, never a fixed sleep.
START_S = 240  # until the first exports with interactions in them
READERS_S = READ_S + 180  # until the pipeline moved on and every reader made MIN_READS reads


def interaction_count(overview: Path) -> int | None:
    """The exported interaction count; None while no export or no interaction is there yet (the
    first cycles may export an empty overview before any interaction has landed)."""
    if not overview.exists():
        return None
    con = duckdb.connect()
    try:
        return stable_query([overview], lambda: con.execute(
            f"select interaction_count from read_parquet('{overview}')").fetchall())[0][0]
    finally:
        con.close()


def wait_until(check, seconds: float, what: str, run: subprocess.Popen, log: Path):
    """Poll `check()` until it returns something truthy; fail naming `what` (and the run's log)
    after `seconds`, or at once if `pulse run` died."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert run.poll() is None, f"pulse run died while waiting for {what}:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s\n{log.read_text()[-3000:]}"
        time.sleep(0.3)


def analyst_reader(data_dir: Path):
    """An analyst's session; like a person, it re-runs a query that met an export swap
    (pulse/serve/export_reader.py), and every other error, lock errors above all, counts."""
    def read() -> int:
        con = duckdb.connect(str(data_dir / "analyst.duckdb"), read_only=True)  # from the repo: any dir works
        try:
            views = [v for (v,) in con.execute("select view_name from _pulse_views").fetchall()]
            exports = [*(data_dir / "exports").glob("*.parquet"), *(data_dir / "exports").glob(f"*/{HOURLY_GLOB}")]
            for view in views:
                stable_query(exports, lambda v=view: con.execute(f'select count(*) from "{v}"').fetchall())
            return len(views)
        finally:
            con.close()
    return read


def dashboard_reader(data_dir: Path):
    settings = load_settings({"PULSE_DATA_DIR": str(data_dir)})

    def read() -> int:
        x = dd.Exports(settings)
        parts = [dd.interactions_overview(x), dd.top_items(x), dd.rate_per_minute(x), dd.fewest_items(x),
                 dd.streams_summary(x), dd.stream_durations(x), dd.recent_alerts(x),
                 dd.campaign_views_per_minute(x), dd.campaign_durations(x), dd.dau_mau(x),
                 dd.session_duration_distribution(x), dd.pipeline_status(settings)]
        return sum(p is not None for p in parts)
    return read


def api_reader(base: str, answers: list):
    def read() -> int:
        url = f"{base}/ctr?startTimestamp=2016-01-01%2000:00:00&endTimestamp=2030-01-01%2000:00:00&aggregation=60"
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                answers.append(len(json.loads(resp.read())))
                return 1
        except urllib.error.HTTPError as exc:
            body = exc.read().decode(errors="replace")
            if exc.code < 500 and "lock" not in body.lower():
                return 1  # a client error (e.g. no data yet) is an answer, not a lock failure
            raise AssertionError(f"API {exc.code}: {body[:300]}") from None
    return read


class Reader(threading.Thread):
    """Reads until READ_S have passed, MIN_READS succeeded and the pipeline has moved on since the
    reads began (`advanced`), so the reads overlap live rewrites even on a slow machine; or until
    `deadline`."""

    def __init__(self, name, read, advanced: threading.Event, deadline: float):
        super().__init__(name=name, daemon=True)
        self.read, self.advanced, self.deadline = read, advanced, deadline
        self.until = time.monotonic() + READ_S
        self.ok = 0
        self.errors: list[str] = []

    def done(self) -> bool:
        return time.monotonic() >= self.until and self.ok >= MIN_READS and self.advanced.is_set()

    def run(self):
        while time.monotonic() < self.deadline and not self.done():
            try:
                self.read()
                self.ok += 1
            except Exception:  # every failure is counted and shown, lock errors above all
                self.errors.append(traceback.format_exc(limit=3))
            time.sleep(0.05)


def start(env, *args, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pulse.cli", *args], env=env, cwd=REPO,
                            stdout=log.open("a"), stderr=subprocess.STDOUT)


def test_readers_see_no_lock_errors_during_a_live_run(data_dir, kafka_broker, tmp_path):
    run_id = uuid.uuid4().hex[:8]
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_broker, "PULSE_DATA_DIR": str(data_dir),
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    for source in ("interactions", "watch_events", "view_log", "web_events", "product_views"):
        env[f"PULSE_TOPIC_{source.upper()}"] = f"readers_{run_id}_{source}"
    log = tmp_path / "live.log"
    # The generators run until the test stops them (their duration only bounds a forgotten run).
    procs = [start(env, "generate", "interactions", "--to", "kafka", "--rate", "300", "--duration", "900",
                   "--quiet", log=log),
             start(env, "generate", "watch_events", "--to", "kafka", "--rate", "100", "--duration", "900",
                   "--quiet", log=log),
             start(env, "generate", "product_views", "--to", "kafka", "--rate", "20", "--duration", "900",
                   "--quiet", log=log)]
    run = start(env, "run", "--plain", "--interval", "0.5", "--no-alerts", log=log)
    api = None
    serve_api = "api" in _serve_choices()
    if serve_api:
        port = free_port()
        api = start(env, "serve", "api", "--host", "127.0.0.1", "--port", str(port), log=log)
    try:
        overview = data_dir / "exports" / "fct_interactions_overview.parquet"
        count_before = wait_until(
            lambda: (data_dir / "analyst.duckdb").exists() and interaction_count(overview),
            START_S, "exports with interactions and data/analyst.duckdb", run, log)
        api_answers: list[int] = []
        advanced = threading.Event()
        deadline = time.monotonic() + READERS_S
        readers = [Reader("analyst", analyst_reader(data_dir), advanced, deadline),
                   Reader("dashboard", dashboard_reader(data_dir), advanced, deadline)]
        if api is not None:
            readers.append(Reader("api", api_reader(f"http://127.0.0.1:{port}", api_answers), advanced, deadline))
        for r in readers:
            r.start()
        wait_until(lambda: (interaction_count(overview) or 0) > count_before, READERS_S,
                   "the pipeline advancing while the readers read", run, log)
        advanced.set()
        for r in readers:
            r.join(READERS_S + 30)
        wait_until(lambda: json.loads((data_dir / "run" / "live_status.json").read_text())["cycle"] >= 3,
                   START_S, "three live cycles", run, log)
    finally:
        for p in [run, api, *procs]:
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in [run, api, *procs]:
            if p is not None:
                p.wait(120)
    assert run.returncode == 0, log.read_text()[-3000:]
    chatter = [line for line in log.read_text().splitlines() if re.search(r"\bkafka\.[\w.]+ INFO\b", line)]
    assert not chatter, f"kafka-python's INFO log reached `pulse run --plain`: {chatter[:3]}"
    for r in readers:
        assert not r.errors, f"{r.name}: {len(r.errors)} failed reads, e.g.\n{r.errors[0]}"
        assert r.ok >= MIN_READS, f"{r.name}: only {r.ok} reads in {READERS_S} s"
    assert serve_api, "`pulse serve api` is missing: the CTR API must be read during the live run too"
    assert api_answers and max(api_answers) > 0, "the CTR API never answered with rows during the run"


def _serve_choices() -> set[str]:
    from pulse.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._subparsers._group_actions if a.dest == "command")
    serve = sub.choices.get("serve")
    if serve is None:
        return set()
    return {c for a in serve._subparsers._group_actions for c in (a.choices or {})}
