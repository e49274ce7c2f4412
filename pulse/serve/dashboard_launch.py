"""`pulse serve dashboard`: start the Streamlit app (pulse/serve/dashboard.py) on a port.

Kept apart from the app so the CLI, `pulse demo --live` and the tests start it the same way.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

APP = Path(__file__).resolve().with_name("dashboard.py")
DEFAULT_PORT = 8501


def streamlit_command(port: int = DEFAULT_PORT, address: str = "127.0.0.1") -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port), "--server.address", address, "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal",
        "--server.fileWatcherType", "none",
    ]


def register(serve_subparsers: argparse._SubParsersAction) -> None:
    p = serve_subparsers.add_parser("dashboard", help="the near-real-time dashboard (Streamlit; reads exports only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"HTTP port (default {DEFAULT_PORT})")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)")
    p.set_defaults(func=launch)


def launch(args: argparse.Namespace) -> int:
    cmd = streamlit_command(args.port, args.host)
    # Replace this process: Ctrl-C and SIGTERM go straight to Streamlit.
    os.execv(cmd[0], cmd)
    return 0  # not reached
