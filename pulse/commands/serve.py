"""`pulse serve api [--host] [--port]` (and, from pulse/serve/, other readers such as the dashboard).

`serve` is a parser with one subcommand per server; each registers itself on `serve_sub`.
"""

from __future__ import annotations

import argparse

from pulse.commands.arg_types import port
from pulse.serve import dashboard_launch

DEFAULT_API_PORT = 8000


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="run a reader over the exports (the CTR API, ...)")
    serve_sub = p.add_subparsers(dest="serve_command", required=True)
    api = serve_sub.add_parser("api", help="the CTR API (FastAPI; reads exports only; OpenAPI at /docs)")
    api.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    api.add_argument("--port", type=port, default=DEFAULT_API_PORT, help=f"HTTP port (default {DEFAULT_API_PORT})")
    api.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    api.set_defaults(func=_run_api)
    dashboard_launch.register(serve_sub)


def _run_api(args: argparse.Namespace) -> int:
    import uvicorn

    from pulse.serve.api import create_app

    uvicorn.run(create_app(), host=args.host, port=args.port, log_level=args.log_level)
    return 0
