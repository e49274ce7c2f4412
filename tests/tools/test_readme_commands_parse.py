"""Every `pulse …` command the README shows is one the CLI accepts (options and their values).

Parses each command line of the README's shell blocks with the real argument parser; nothing runs.
`tools/run_readme_blocks.py` runs the blocks themselves (minutes; see its docstring).
"""

from __future__ import annotations

import importlib.util
import shlex
from pathlib import Path

import pytest

from pulse.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
# The README's blocks as tools/run_readme_blocks.py reads them.
_spec = importlib.util.spec_from_file_location("run_readme_blocks", ROOT / "tools" / "run_readme_blocks.py")
readme_blocks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_blocks)


def readme_pulse_commands() -> list[str]:
    commands = []
    for block, _ in readme_blocks.blocks((ROOT / "README.md").read_text()):
        for line in block.splitlines():
            command = line.split(" #", 1)[0].strip().rstrip("&").strip()
            if command.startswith("pulse "):
                commands.append(command)
    return commands


def test_the_readme_shows_pulse_commands():
    assert len(readme_pulse_commands()) >= 20


@pytest.mark.parametrize("command", readme_pulse_commands())
def test_readme_command_parses(command: str, capsys: pytest.CaptureFixture[str]):
    argv = shlex.split(command.split(">", 1)[0])[1:]  # without a shell redirection
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:
        pytest.fail(f"`{command}` is refused: {capsys.readouterr().err.strip()} (exit {exc.code})")
