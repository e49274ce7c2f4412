"""Run the README's shell blocks as written, in order, and say which passed.

    .venv/bin/python tools/run_readme_blocks.py            # every block, from the repository root
    .venv/bin/python tools/run_readme_blocks.py --list     # the blocks, numbered
    .venv/bin/python tools/run_readme_blocks.py 3 5        # only blocks 3 and 5

Run it in a fresh clone (it writes ./data, ./data-live and ./extracts like a newcomer would):
`git clone -q . /tmp/readme && cd /tmp/readme && python3 tools/run_readme_blocks.py`.

A bounded block runs in `bash -e` until it ends (its own deadline: --block-timeout). A block
whose commands run until Ctrl-C (the README marks them "until Ctrl-C") runs line by line: each
long-running line gets --interrupt-after seconds, then SIGINT, and passes if it was still running
and then stopped cleanly, or if it ended by itself with exit 0. Lines that need what this machine
lacks (Docker Compose) are reported as skipped, never as passed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"```sh\n(.*?)```", re.S)
UNTIL_CTRL_C = re.compile(r"until Ctrl-C|Ctrl-C stops|--follow|runs until", re.I)
# In such a block, the commands that run until stopped; every other line must end by itself.
LONG_RUNNING = re.compile(r"--follow|\bserve\b|http\.server|demo --live|pulse run\b|docker compose up")


def blocks(text: str) -> list[tuple[str, bool]]:
    """Each ```sh block and whether the prose just before it says it runs until Ctrl-C."""
    found = []
    for m in BLOCK.finditer(text):
        before = text[max(0, m.start() - 300):m.start()].rstrip().rsplit("\n\n", 1)[-1]
        found.append((m.group(1), bool(UNTIL_CTRL_C.search(before))))
    return found


def run_bounded(script: str, timeout: float) -> tuple[bool, str]:
    proc = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, timeout=timeout)
    return proc.returncode == 0, (proc.stdout + proc.stderr)[-1500:]


def _has_docker_compose() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


def run_interrupted(line: str, after: float, timeout: float) -> tuple[bool | None, str]:
    """One line of a long-running block. A long-running command passes if it runs `after` seconds
    and stops cleanly on SIGINT (or ends by itself with exit 0); any other must end with exit 0."""
    command = line.split("#", 1)[0].strip()
    if not command:
        return True, ""
    if command.startswith("docker compose") and not _has_docker_compose():
        return None, "Docker Compose is not installed here"
    if not LONG_RUNNING.search(command):
        after = timeout
    env = {**os.environ, "PATH": f"{Path('.venv/bin').resolve()}:{os.environ['PATH']}"}
    # Ctrl-C as in a terminal, even when this runner was started in the background (where the
    # shell sets SIGINT to ignored, and a child would inherit that).
    proc = subprocess.Popen(["bash", "-c", f"exec {command}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + after
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.5)
    if proc.poll() is not None:  # ended by itself (e.g. `pulse ingest kafka` once caught up)
        out = proc.stdout.read()
        return proc.returncode == 0, out[-1500:]
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return False, "did not stop within 120 s of Ctrl-C"
    return proc.returncode in (0, 130, -signal.SIGINT), out[-1500:]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("only", nargs="*", type=int, help="block numbers to run (default: all)")
    p.add_argument("--list", action="store_true")
    p.add_argument("--block-timeout", type=float, default=1800)
    p.add_argument("--interrupt-after", type=float, default=25)
    args = p.parse_args()

    found = blocks(README.read_text())
    failed = 0
    for number, (script, until_ctrl_c) in enumerate(found, 1):
        first = script.strip().splitlines()[0]
        if args.list:
            print(f"{number:2}. {'(until Ctrl-C) ' if until_ctrl_c else ''}{first}")
            continue
        if args.only and number not in args.only:
            continue
        started = time.monotonic()
        if not until_ctrl_c:
            ok, out = run_bounded(script, args.block_timeout)
            print(f"block {number:2} {'passed' if ok else 'FAILED'} in {time.monotonic() - started:6.1f} s: {first}")
            if not ok:
                failed += 1
                print("    " + out.replace("\n", "\n    "))
            continue
        for line in script.strip().splitlines():
            if line.lstrip().startswith(". ") or line.lstrip().startswith("export "):
                continue  # the environment: this runner's own (PATH has .venv/bin)
            ok, out = run_interrupted(line, args.interrupt_after, args.block_timeout)
            verdict = "skipped" if ok is None else "passed" if ok else "FAILED"
            command = line.split("#")[0].strip()
            how = f"Ctrl-C after {args.interrupt_after:.0f} s" if LONG_RUNNING.search(command) else "ran to its end"
            print(f"block {number:2} {verdict} ({how}): {command}")
            if ok is None:
                print(f"    {out}")
            elif not ok:
                failed += 1
                print("    " + out.replace("\n", "\n    "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
