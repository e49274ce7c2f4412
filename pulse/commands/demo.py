"""`pulse demo`: broker, a small web-events data set, ingest, dbt build, and the answers.

The batch demo works in PULSE_DATA_DIR (default ./data); `--live` in ./data-live unless
PULSE_DATA_DIR is set, so a live run never changes the batch answers."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

from rich.console import Console

from ingest.config import load_settings
from ingest.files import ingest_files
from ingest.lake import ensure_data_dirs
from pulse import broker
from pulse.dbt import run_dbt
from pulse.generate.web_events import write_web_events_csv
from pulse.report import print_report

LIVE_DATA_DIR = "data-live"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="run the web-events case end to end on generated data")
    p.add_argument("--users", type=int, default=300)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--live", action="store_true",
                   help="instead: broker, live generators, `pulse run`, API and dashboard until Ctrl-C, in "
                        f"./{LIVE_DATA_DIR} unless PULSE_DATA_DIR is set (docs/live.md)")
    p.add_argument("--rate-scale", type=float, default=1.0, help="--live: multiply the generators' rates")
    p.add_argument("--api-port", type=int, default=8000, help="--live: the CTR API's port")
    p.add_argument("--dashboard-port", type=int, default=8501, help="--live: the dashboard's port")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.live:
        from pulse.live.demo import run_live_demo

        os.environ.setdefault("PULSE_DATA_DIR", LIVE_DATA_DIR)  # its children inherit it
        return run_live_demo(args)
    console = Console()
    settings = load_settings()
    st = broker.start(settings)
    if st.detail == "started":  # this demo lands files: the broker was only checked, leave none behind
        broker.stop(settings)
        console.print(f"[bold]1/5 broker[/] {st.bootstrap}: started and answered (stopped: this demo lands files)")
    else:
        console.print(f"[bold]1/5 broker[/] {st.bootstrap}: {st.detail}")
    ensure_data_dirs(settings)
    extract = settings.data_dir / "extracts" / "web_events.csv"
    summary = write_web_events_csv(extract, users=args.users, start=datetime(2023, 2, 1), days=args.days)
    console.print(f"[bold]2/5 generate[/] {extract}: {summary.rows} rows ({summary.duplicates} exact duplicates)")
    [result] = ingest_files(settings, "web_events", [str(extract)])
    console.print(f"[bold]3/5 ingest[/] landed {result.landed}, quarantined {result.quarantined}"
                  f"{' (already landed)' if result.skipped else ''}")
    console.print("[bold]4/5 dbt build[/]")
    run_dbt("build", "--select", "+fct_web_sessions+ stg_web__events+", quiet=True)
    console.print("[bold]5/5 answers[/]")
    print_report(settings, "web", console)
    duckdb_cli = Path(sys.executable).parent / "duckdb"
    console.print(f"warehouse: {duckdb_cli} -readonly {settings.warehouse_path}")
    return 0
