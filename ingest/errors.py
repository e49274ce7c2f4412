"""Error kinds the command line maps to exit codes (pulse/cli.py)."""

from __future__ import annotations


class UsageError(ValueError):
    """The command was called wrongly (an unknown name, a value out of range): exit code 2."""
