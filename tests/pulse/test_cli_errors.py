"""The command line as a user meets it: one line per error, the right exit code, and no 30 s hang
when no broker runs. Real subprocesses of `pulse`; the "silent" broker is a real socket that
accepts connections and never answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import REPO, free_port

pytestmark = pytest.mark.integration


def pulse(*args: str, env: dict[str, str]) -> tuple[int, str, float]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pulse.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)
    return proc.returncode, proc.stderr + proc.stdout, time.monotonic() - started


@pytest.fixture
def cli_env(data_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
    return {**env, "PULSE_DATA_DIR": str(data_dir)}


@pytest.mark.parametrize("command", [["ingest", "kafka"], ["ingest", "kafka", "--follow", "--no-live"],
                                     ["lake", "audit"]])
def test_no_broker_is_one_line_with_the_hint_within_10s(cli_env, command):
    port = free_port()  # nothing listens there
    code, out, seconds = pulse(*command, env={**cli_env, "PULSE_BROKER_PORT": str(port)})
    assert code == 1 and seconds < 10, (code, seconds, out)
    assert out.count("\n") == 1 and "Traceback" not in out, out
    assert f"127.0.0.1:{port}" in out and "pulse broker start" in out


def test_a_listener_that_never_answers_is_reported_within_10s(cli_env):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        port = server.getsockname()[1]
        code, out, seconds = pulse("ingest", "kafka", env={**cli_env, "PULSE_BROKER_PORT": str(port)})
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        server.close()
    assert code == 1 and seconds < 10, (code, seconds, out)
    assert out.count("\n") == 1 and f"127.0.0.1:{port}" in out and "pulse broker start" in out, out


@pytest.mark.parametrize(("args", "needle"), [
    (["ingest", "kafka", "--flush-records", "0"], "--flush-records: must be at least 1, got '0'"),
    (["ingest", "kafka", "--max-message-bytes", "0"], "--max-message-bytes: must be at least 1"),
    (["ingest", "kafka", "--flush-interval", "-1"], "--flush-interval: must be above 0"),
    (["ingest", "kafka", "--timeout", "nan"], "--timeout: expected a finite number"),
    (["ingest", "kafka", "--topics", "nope"], "unknown source/topic nope"),
    (["ingest", "files", "web_events", "no/such/file.csv"], "no/such/file.csv: no such file"),
    (["lake", "compact", "--max-file-mb", "-3"], "--max-file-mb: must be above 0"),
    (["ingest", "kafka", "--no-such-option"], "unrecognized arguments: --no-such-option"),
])
def test_bad_usage_is_one_line_and_exit_2(cli_env, args, needle):
    code, out, _ = pulse(*args, env={**cli_env, "PULSE_BROKER_PORT": str(free_port())})
    assert code == 2 and needle in out and out.count("\n") == 1, (code, out)


def test_bad_data_is_one_line_and_exit_1(cli_env, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    code, out, _ = pulse("ingest", "files", "web_events", str(path), env=cli_env)
    assert code == 1 and out == f"pulse: error: {path}: empty file\n"
