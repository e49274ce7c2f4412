"""The `pulse` command line. Subcommands live in ingest/commands/, one module each."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
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


def quiet_kafka_client(env: dict[str, str] | None = None) -> None:
    """kafka-python logs every connection and group step at INFO; pulse says what matters itself.
    PULSE_KAFKA_LOG_LEVEL (default WARNING) lets its log through when debugging a cluster."""
    level = (os.environ if env is None else env).get("PULSE_KAFKA_LOG_LEVEL", "WARNING").upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ValueError(f"PULSE_KAFKA_LOG_LEVEL={level!r}: expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
    logging.getLogger("kafka").setLevel(level)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        quiet_kafka_client()
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError, RuntimeError) as exc:
        # Bad input and unavailable services end in one line naming what and why.
        print(f"pulse: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
