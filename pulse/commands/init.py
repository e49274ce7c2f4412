"""`pulse init`: create the data folders and the typed empty lake files dbt needs to build."""

from __future__ import annotations

import argparse

from ingest.config import load_settings
from ingest.lake import ensure_data_dirs


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("init", help="prepare the data dir so `dbt build` runs before any ingest")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    ensure_data_dirs(settings)
    print(f"lake ready under {settings.lake_dir}")
    return 0
