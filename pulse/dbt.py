"""Run dbt in-process (dbtRunner) against this project, with the project's own profile."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(os.environ.get("PULSE_PROJECT_DIR", Path(__file__).resolve().parents[1]))


class DbtError(RuntimeError):
    pass


def dbt_args(*args: str) -> list[str]:
    return [*args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]


def run_dbt(*args: str, quiet: bool = False):
    """Invoke dbt with `args`; raise DbtError if it fails. Returns the dbtRunnerResult."""
    from dbt.cli.main import dbtRunner

    flags = ["--quiet"] if quiet else []
    result = dbtRunner().invoke([*flags, *dbt_args(*args)])
    if not result.success:
        detail = result.exception or "see the dbt output above"
        raise DbtError(f"dbt {' '.join(args)} failed: {detail}")
    return result
