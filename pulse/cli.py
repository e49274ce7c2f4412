"""The `pulse` command line. Subcommands live in pulse/commands/, one module each.

Every error ends in one line on stderr, `pulse: error: <what>: <why>`, and an exit code: 2 for bad
usage (an unknown option or value, a missing file argument), 1 for bad data or an unavailable
service, 130 for Ctrl-C. No traceback reaches a user (PULSE_DEBUG=1 shows it).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback

from ingest.errors import UsageError

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


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (naming the command and the hint to --help), exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="pulse", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"pulse.commands.{name}").register(subparsers)
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
    except (UsageError, FileNotFoundError) as exc:
        return _fail(exc, 2)
    except Exception as exc:  # bad data, an unavailable service, or a bug: one line either way
        return _fail(exc, 1)


def _fail(exc: BaseException, code: int) -> int:
    if os.environ.get("PULSE_DEBUG"):
        traceback.print_exception(exc)
    known = isinstance(exc, (ValueError, OSError, RuntimeError))
    text = " ".join(str(exc).split()) or type(exc).__name__
    if not known:
        text = f"{type(exc).__name__}: {text} (unexpected; PULSE_DEBUG=1 shows where)"
    print(f"pulse: error: {text}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
