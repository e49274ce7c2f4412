"""`pulse run`: the live pipeline (ingest every topic, realtime dbt models, alerts, status)."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from ingest.config import load_settings
from pulse.commands.arg_types import non_negative_float, positive_float, positive_int
from pulse.dbt import PROJECT_DIR


def default_alerts_file() -> Path | None:
    """PULSE_ALERTS_FILE, else alerts.yml in the project (none: alerts off)."""
    path = Path(os.environ.get("PULSE_ALERTS_FILE") or PROJECT_DIR / "alerts.yml")
    return path if path.exists() else None


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("run", help="run the live pipeline until Ctrl-C / SIGTERM (docs/live.md)")
    p.add_argument("--sources", nargs="+", metavar="SOURCE", help="topic sources to ingest (default: all)")
    p.add_argument("--interval", type=positive_float, default=1.0, metavar="SECONDS",
                   help="shortest time between micro-batch cycles (default 1)")
    p.add_argument("--send-margin", type=non_negative_float, default=None, metavar="SECONDS",
                   help="how long producers may take from stamping a record to the broker having it: the "
                        "arrival clock stays this far behind the landed logs' ends (default 0.25; docs/live.md)")
    p.add_argument("--alerts", type=Path, default=None, metavar="FILE",
                   help="alert rules (default: $PULSE_ALERTS_FILE or ./alerts.yml)")
    p.add_argument("--no-alerts", action="store_true", help="do not evaluate alerts")
    p.add_argument("--no-kafka", action="store_true", help="consume nothing; model what lands by other means")
    p.add_argument("--cycles", type=positive_int, default=None,
                   help="stop after this many cycles (default: run until stopped)")
    p.add_argument("--plain", action="store_true", help="one status line per cycle instead of a live table")
    p.add_argument("--dbt-each-cycle", action="store_true",
                   help="run every cycle through dbt instead of replaying the statements of one dbt run "
                        "(slower; for comparison, docs/live.md)")
    p.add_argument("--threads", type=thread_counts, default=(), metavar="N[,N...]",
                   help="DuckDB threads of the replayed cycles (default: half the cores, at least 1; "
                        "several, comma-separated, are taken in turn cycle by cycle, to compare them)")
    p.set_defaults(func=_run)


def thread_counts(text: str) -> tuple[int, ...]:
    return tuple(positive_int(part) for part in text.split(","))


def _run(args: argparse.Namespace) -> int:
    from pulse.live.loop import LiveLoop, LoopOptions

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    alerts = None if args.no_alerts else (args.alerts or default_alerts_file())
    if alerts is not None and not alerts.exists():
        raise FileNotFoundError(f"{alerts}: alert rules file not found")
    options = LoopOptions(
        sources=args.sources, interval_s=args.interval, alerts_file=alerts,
        kafka=not args.no_kafka, max_cycles=args.cycles, live_view=False if args.plain else None,
        compiled=not args.dbt_each_cycle, threads=args.threads,
        **({} if args.send_margin is None else {"send_margin_s": args.send_margin}),
    )
    return LiveLoop(load_settings(), options).run()
