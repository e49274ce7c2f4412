"""`make demo`'s command, `pulse demo`, end to end in a data dir of its own: it starts the embedded
broker, generates and lands web events, builds with dbt in-process and prints the four answers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, free_port

pytestmark = pytest.mark.integration


def test_pulse_demo_prints_the_four_answers(tmp_path):
    env = {**os.environ, "PULSE_DATA_DIR": str(tmp_path / "data"), "PULSE_BROKER_PORT": str(free_port()),
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs"), "COLUMNS": "120"}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    proc = subprocess.run([sys.executable, "-m", "pulse.cli", "demo"], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "5/5 answers" in out and "Traceback" not in out, out[-3000:]
    for answer in ("On which day did we observe", "events)", "How would you define a", "highest number",
                   "average session", "sessions"):
        assert answer in out, f"{answer!r} not in the demo's output:\n{out[-3000:]}"
    assert (tmp_path / "data" / "warehouse.duckdb").exists()
