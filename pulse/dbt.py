"""Run dbt in-process (dbtRunner) against this project, with the project's own profile."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PROJECT_DIR = Path(os.environ.get("PULSE_PROJECT_DIR", Path(__file__).resolve().parents[1]))


# What compiled SQL depends on besides the data: a change to any of these compiles again.
PROJECT_INPUTS = ("analyses", "macros", "models", "dbt_project.yml", "profiles.yml")


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


def project_fingerprint(warehouse: Path) -> str:
    """What compiled SQL depends on: every project file's name, size and modification time (a stat
    per file, not a read: checking must not cost a pass over the project) and the warehouse path."""
    digest = hashlib.sha256(str(warehouse.resolve()).encode())
    for name in PROJECT_INPUTS:
        root = PROJECT_DIR / name
        for path in sorted(root.rglob("*") if root.is_dir() else [root]):
            if path.is_file():
                st = path.stat()
                digest.update(f"{path.relative_to(PROJECT_DIR)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return digest.hexdigest()
