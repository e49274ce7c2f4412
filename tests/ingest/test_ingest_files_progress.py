"""`pulse ingest files` reports its progress on big extracts: a rich bar per file and one over all
files on a terminal, a line per file every few seconds in a log (CI, a container). The size and
time thresholds are lowered here so the small fixture files count as big."""

from __future__ import annotations

import re
import shutil

import pytest

from pulse.cli import main as pulse
from pulse.commands import ingest as ingest_command
from tests.conftest import REPO

SAMPLE = REPO / "tests" / "fixtures" / "web_events" / "web_events_sample.csv"


@pytest.fixture
def two_extracts(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_command, "BIG_FILE_BYTES", 1)
    monkeypatch.setattr(ingest_command, "LINE_EVERY_S", 0.0)
    paths = []
    for n, name in enumerate(("web_events_a.csv", "web_events_b.csv"), start=1):
        path = tmp_path / name
        shutil.copy(SAMPLE, path)
        with path.open("a") as fh:  # different content (blank lines are skipped): both land
            fh.write("\n" * n)
        paths.append(str(path))
    return paths


def test_a_log_gets_a_progress_line_per_file(two_extracts, capsys, monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    assert pulse(["ingest", "files", "web_events", *two_extracts]) == 0
    err = capsys.readouterr().err
    for name in ("web_events_a.csv", "web_events_b.csv"):
        assert re.search(rf"ingest files: {name} 100% \(\d+\.\d of \d+\.\d MB\)", err), err


def test_a_terminal_gets_bars_per_file_and_over_all_files(two_extracts, capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then treats the captured stderr as a terminal
    assert pulse(["ingest", "files", "web_events", *two_extracts]) == 0
    err = capsys.readouterr().err
    assert "2 files" in err and "web_events_b.csv" in err and "100%" in err, err
