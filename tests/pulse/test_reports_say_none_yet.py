"""`pulse report <case>` never prints a blank answer: on a warehouse built before anything landed,
and for streams that are all still open, every answer is a value or "none yet (reason)"."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.config import load_settings
from ingest.files import ingest_files
from pulse.cli import main as pulse
from pulse.report import REPORTS, fetch_report
from tests.conftest import REPO, run_dbt_subprocess

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def empty_build(tmp_path_factory) -> Path:
    """A data dir whose warehouse dbt built before anything landed (built once for the module)."""
    data_dir = tmp_path_factory.mktemp("empty") / "data"
    env = {**os.environ, "PULSE_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "pulse.cli", "init"], env=env, cwd=REPO, check=True, capture_output=True)
    run_dbt_subprocess(data_dir, "run")
    return data_dir


@pytest.fixture
def warehouse(empty_build, tmp_path, monkeypatch):
    """This test's own copy of the empty build, as PULSE_DATA_DIR."""
    data_dir = tmp_path / "data"
    shutil.copytree(empty_build, data_dir)
    monkeypatch.setenv("PULSE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    return load_settings()


def answers(settings, case: str) -> list[str]:
    _columns, rows = fetch_report(settings, case)
    return [str(row[-1]) for row in rows]


def test_every_report_on_an_empty_warehouse_says_none_yet(warehouse, capsys):
    for case in REPORTS:
        got = answers(warehouse, case)
        assert got and all(a.strip() and a != "None" for a in got), (case, got)
        assert any("none yet (" in a for a in got), (case, got)
        assert pulse(["report", case]) == 0
    assert capsys.readouterr().out.count("none yet (") >= len(REPORTS)


def test_streams_report_with_only_open_streams(warehouse, tmp_path):
    beats = tmp_path / "watch_events.jsonl"
    beats.write_text("".join(json.dumps({
        "user_id": "u1", "program_id": "p1", "device": "roku", "session_id": "s1",
        "event_time": f"2024-05-01T10:00:{s:02d}.000Z"}) + "\n" for s in range(0, 50, 10)))
    assert all(r.reconciles() and r.landed == 5 for r in ingest_files(warehouse, "watch_events", [str(beats)]))
    run_dbt_subprocess(warehouse.data_dir, "run", "--select", "+fct_streams+")
    got = answers(warehouse, "streams")
    assert all(a.strip() and a != "None" for a in got), got
    assert "none finished yet" in got[0] and got[1].startswith("1 streams"), got
