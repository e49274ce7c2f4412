"""The analyst's DuckDB CLI (`.venv/bin/duckdb`, the `duckdb-cli` wheel): the same version as the
library that writes the warehouse, so it opens the warehouse; and data/analyst.duckdb (views over
the exports and reports) answers from any working directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingest.config import load_settings
from pulse.live.analyst import build_analyst_db

pytestmark = pytest.mark.integration

CLI = Path(sys.executable).parent / "duckdb"


def cli(db: Path, sql: str, cwd: Path) -> str:
    proc = subprocess.run([str(CLI), "-readonly", "-csv", "-noheader", str(db), "-c", sql], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"duckdb {db} -c {sql!r}: {proc.stderr}"
    return proc.stdout.strip()


def test_the_cli_is_the_library_version_and_opens_its_files(tmp_path):
    assert CLI.exists(), "no duckdb CLI in the environment: the duckdb-cli wheel is missing"
    version = subprocess.run([str(CLI), "--version"], capture_output=True, text=True, timeout=60).stdout
    assert version.startswith(f"v{duckdb.__version__} "), (version, duckdb.__version__)
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table fct_example as select range as id from range(3)")
    assert cli(db, "select sum(id) from fct_example", tmp_path) == "3"


def test_analyst_db_answers_from_any_directory(tmp_path):
    data = tmp_path / "data"
    settings = load_settings({"PULSE_DATA_DIR": str(data)})
    settings.exports_dir.mkdir(parents=True)
    report = settings.reports_dir / "campaign_minute" / "network=1" / "minute=20240501T1000"
    report.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"copy (select range as id from range(4)) to '{settings.exports_dir / 'fct_example.parquet'}'")
        con.execute(f"copy (select 11::int as campaign_id, 2::int as total_count) to '{report / 'data_0.parquet'}'")
    db = build_analyst_db(settings)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for cwd in (elsewhere, data, Path("/")):
        assert cli(db, "select count(*) from fct_example", cwd) == "4"
        assert cli(db, "select campaign_id, total_count, network from report_campaign_minute", cwd) == "11,2,1"
