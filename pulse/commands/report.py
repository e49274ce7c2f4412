"""`pulse report <case>`."""

from __future__ import annotations

import argparse

from ingest.config import load_settings
from pulse.report import REPORTS, print_report


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("report", help="print a case's answers from the warehouse")
    p.add_argument("case", choices=sorted(REPORTS))
    p.set_defaults(func=lambda args: (print_report(load_settings(), args.case), 0)[1])
