"""`pulse demo --live`: everything at once on the embedded broker, until Ctrl-C.

Broker (Tansu), one live generator per topic, `pulse run`, the CTR API and the dashboard, each a
child process with its output in data/run/<name>.log; prints the URLs, then waits. Ctrl-C or
SIGTERM stops the children (the pipeline first lands what it has), and the broker.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from ingest.config import load_settings
from ingest.sources import SOURCES
from pulse import broker

# dataset -> messages/s in the demo
RATES = {"interactions": 200, "watch_events": 100, "view_log": 100, "web_events": 50, "product_views": 20}


def _pulse(*args: str) -> list[str]:
    return [sys.executable, "-m", "pulse.cli", *args]


def _serve_commands() -> set[str]:
    from pulse.cli import build_parser

    sub = next(a for a in build_parser()._subparsers._group_actions if a.dest == "command")
    serve = sub.choices.get("serve")
    return set() if serve is None else {c for a in serve._subparsers._group_actions for c in (a.choices or {})}


def run_live_demo(args: argparse.Namespace) -> int:
    console = Console()
    settings = load_settings()
    st = broker.start(settings)
    console.print(f"[bold]broker[/] {st.bootstrap}: {st.detail}")
    logs = settings.run_dir
    logs.mkdir(parents=True, exist_ok=True)
    children: dict[str, subprocess.Popen] = {}

    def spawn(name: str, cmd: list[str]) -> None:
        log = (logs / f"{name}.log").open("a")
        children[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    if "campaigns" in SOURCES:  # the campaigns table the view_log generator draws its ids from
        out = settings.data_dir / "extracts"
        for cmd in (_pulse("generate", "campaigns", "--to", "files", "--out", str(out), "--quiet"),
                    _pulse("ingest", "files", "campaigns", str(out / "campaigns.csv"))):
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    for dataset, rate in RATES.items():
        if dataset in SOURCES:
            spawn(f"generate-{dataset}", _pulse("generate", dataset, "--to", "kafka",
                                                "--rate", str(rate * args.rate_scale), "--quiet"))
    spawn("run", _pulse("run", "--plain"))
    urls = []
    serve = _serve_commands()
    if "api" in serve:
        spawn("api", _pulse("serve", "api", "--port", str(args.api_port)))
        urls.append(f"CTR API    http://127.0.0.1:{args.api_port}/docs")
    if "dashboard" in serve:
        spawn("dashboard", _pulse("serve", "dashboard", "--port", str(args.dashboard_port)))
        urls.append(f"dashboard  http://127.0.0.1:{args.dashboard_port}")
    urls.append(f"analysts   {Path(sys.executable).parent / 'duckdb'} -readonly {settings.data_dir / 'analyst.duckdb'}")
    urls.append(f"logs       {logs}/*.log     status  {logs}/live_status.json")
    console.print("[bold]pulse demo --live[/] is running (Ctrl-C stops everything):")
    for line in urls:
        console.print("  " + line)

    stop = {"now": False}

    def on_signal(signum, _frame):
        stop["now"] = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    try:
        while not stop["now"]:
            dead = [n for n, p in children.items() if p.poll() is not None and p.returncode != 0]
            if dead:
                console.print(f"[red]{', '.join(dead)} stopped with an error; see {logs}/<name>.log[/]")
                break
            time.sleep(0.5)
    finally:
        _stop_all(children)
        broker.stop(settings)
    console.print("pulse demo --live: stopped")
    return 0


def _stop_all(children: dict[str, subprocess.Popen]) -> None:
    # Generators first (nothing new arrives), then the pipeline lands what it has, then readers.
    order = sorted(children, key=lambda n: (not n.startswith("generate"), n != "run"))
    for name in order:
        p = children[name]
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()

