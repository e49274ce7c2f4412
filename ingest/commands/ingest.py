"""`pulse ingest files <source> <paths|globs>` (and `pulse ingest kafka`)."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from ..config import load_settings
from ..files import ingest_files
from ..sources import SOURCES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ingest", help="land extracts or Kafka topics into the Parquet lake")
    sub = p.add_subparsers(dest="ingest_command", required=True)
    files = sub.add_parser("files", help="land CSV/JSON extract files of one source")
    files.add_argument("source", choices=sorted(SOURCES))
    files.add_argument("paths", nargs="+", help="files or globs (quote globs: 'extracts/*.csv')")
    files.add_argument("--force", action="store_true", help="land again even if this content was landed")
    files.set_defaults(func=_run_files)


def _run_files(args: argparse.Namespace) -> int:
    settings = load_settings()
    results = ingest_files(settings, args.source, args.paths, force=args.force)
    table = Table(title=f"ingest files {args.source}")
    for col in ("file", "read", "landed", "quarantined", "status"):
        table.add_column(col, justify="right" if col in ("read", "landed", "quarantined") else "left")
    for r in results:
        status = "already landed" if r.skipped else "landed"
        table.add_row(r.file, str(r.read), str(r.landed), str(r.quarantined), status)
    Console().print(table)
    return 0 if all(r.reconciles() for r in results) else 1
