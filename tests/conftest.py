"""Shared fixtures: an isolated data dir, and a real Tansu broker on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.config import Settings, load_settings
from pulse import broker

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh PULSE_DATA_DIR for one test (also seen by subprocesses and dbt)."""
    path = tmp_path / "data"
    monkeypatch.setenv("PULSE_DATA_DIR", str(path))
    # In-process dbt (pulse report, pulse run) writes its artifacts here, not in the shared ./target.
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    return path


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real embedded broker (Tansu) for the whole session; yields its bootstrap address."""
    env = {"PULSE_DATA_DIR": str(tmp_path_factory.mktemp("broker")), "PULSE_BROKER_PORT": str(free_port())}
    s = load_settings(env)
    broker.start(s)
    try:
        yield s.bootstrap
    finally:
        broker.stop(s)


def run_dbt_subprocess(data_dir: Path, *args: str, target_dir: Path | None = None) -> subprocess.CompletedProcess:
    """`dbt <args>` in a child process against `data_dir`, with its own target dir (no shared state)."""
    env = {**os.environ, "PULSE_DATA_DIR": str(data_dir)}
    target = target_dir or (data_dir.parent / "target")
    cmd = [str(Path(sys.executable).parent / "dbt"), *args, "--profiles-dir", str(REPO),
           "--project-dir", str(REPO), "--target-path", str(target)]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return proc
