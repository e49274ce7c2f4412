"""The `pulse` command line. Subcommands live in ingest/commands/, one module each."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = (
    "init",
    "broker",
    "ingest",
    "report",
    "demo",
    "run",
    "generate",
    "lake",
    "serve",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pulse", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"ingest.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError, RuntimeError) as exc:
        # Bad input and unavailable services end in one line naming what and why.
        print(f"pulse: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
