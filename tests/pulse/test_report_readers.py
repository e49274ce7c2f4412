"""`pulse report` reads the marts without dbt, and keeps answering while a writer holds the warehouse.

A report compiles the analyses once (in a process of its own) and then runs the compiled SQL on
DuckDB; while another process writes the warehouse (`pulse run`, a `dbt build`), it reads the marts
the live loop exports instead, and names what it cannot answer then.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from pulse.cli import main as pulse
from pulse.report import fetch_report
from tests.pulse.test_reports_say_none_yet import empty_build, warehouse  # noqa: F401 - fixtures

pytestmark = pytest.mark.integration

EXPORTED_CASES = ("interactions", "campaigns")  # every mart these read is exported


def test_the_analyses_compile_once_and_later_reports_reuse_them(warehouse):  # noqa: F811
    fetch_report(warehouse, "interactions")
    stamp = warehouse.data_dir / "run" / "reports" / "fingerprint"
    compiled = stamp.stat().st_mtime_ns
    for case in EXPORTED_CASES:
        fetch_report(warehouse, case)
    assert stamp.stat().st_mtime_ns == compiled


def test_reports_answer_from_the_exports_while_a_writer_holds_the_warehouse(warehouse, capsys):  # noqa: F811
    unlocked = {case: fetch_report(warehouse, case) for case in EXPORTED_CASES}
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('holding', flush=True);"
         " sys.stdin.read()", str(warehouse.warehouse_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "holding"
        for case in EXPORTED_CASES:
            assert fetch_report(warehouse, case) == unlocked[case], case
        capsys.readouterr()
        assert pulse(["report", "web"]) == 1  # fct_web_sessions is a batch mart: not exported
        err = capsys.readouterr().err
        assert "the warehouse is in use" in err and "fct_" in err and "Traceback" not in err, err
    finally:
        writer.stdin.close()
        writer.wait(timeout=60)
