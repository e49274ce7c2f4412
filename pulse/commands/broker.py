"""`pulse broker start|stop|status`."""

from __future__ import annotations

import argparse

from rich.console import Console

from ingest.config import load_settings
from pulse import broker
from pulse.commands.arg_types import port


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("broker", help="start, stop or check the embedded Kafka broker (Tansu)")
    p.add_argument("action", choices=("start", "stop", "status"))
    p.add_argument("--port", type=port, help="port on 127.0.0.1 (default: PULSE_BROKER_PORT or 9092)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.port:
        from dataclasses import replace

        settings = replace(settings, broker_port=args.port)
    action = {"start": broker.start, "stop": broker.stop, "status": broker.status}[args.action]
    st = action(settings)
    pid = f" (pid {st.pid})" if st.pid else ""
    Console().print(f"broker {st.bootstrap}: {st.detail}{pid}")
    return 0 if (st.running or args.action == "stop") else 1
