"""One realtime dbt cycle on an existing live lake: the batch lookback vs the loop's bound (not a test).

`pulse run` writes the landing lookback into data/run/live_clock.parquet each cycle
(pulse/live/lookback.py): normally 0 s, where batch runs re-read 300 s of landed rows. This runs
the realtime models on the reused manifest, with nothing new landed, alternately with both values
in the same process, and prints the median cycle time of each and per-model times of the last runs.

    .venv/bin/python bench/bench_live.py --steps ''          # leaves its data dir under /tmp
    .venv/bin/python bench/bench_live_cycle.py /tmp/pulse-bench-live-XXXX/data [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def set_lookback(clock_path: Path, seconds: int) -> None:
    """Rewrite the live clock file with every source's landing lookback set to `seconds`: the next
    run re-reads what landed within that many seconds before its previous run (the loop's own means)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ingest.lake import write_table_atomic

    clock = pq.read_table(clock_path)
    column = clock.schema.get_field_index("lookback_seconds")
    values = pa.array([seconds] * clock.num_rows, pa.int32())
    write_table_atomic(clock.set_column(column, "lookback_seconds", values), clock_path)


def run_on_copy(script: str, data_dir: Path, scratch: Path, i: int, args: list[str],
                ignore: tuple[str, ...] = ("analyst.duckdb*",)):
    """Run `script --child COPY *args` on copy `i` of a live data dir (its own dbt target and logs),
    then remove the copy: the child's last printed line as JSON, or None when it failed (its output
    printed). For benches comparing a setting on copies of the same lake, one process each."""
    copy = scratch / f"data{i}"
    shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns(*ignore))
    env = {**os.environ, "PULSE_DATA_DIR": str(copy), "DBT_TARGET_PATH": str(scratch / f"target{i}"),
           "DBT_LOG_PATH": str(scratch / f"logs{i}")}
    try:
        out = subprocess.run([sys.executable, script, "--child", str(copy), *args], env=env, cwd=REPO,
                             capture_output=True, text=True)
    finally:
        shutil.rmtree(copy)
    if out.returncode != 0:
        print(out.stdout[-2000:] + out.stderr[-2000:])
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", type=Path, help="a data dir a live run left (bench/bench_live.py prints it)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-live-cycle-"))
    os.environ.update(PULSE_DATA_DIR=str(args.data_dir), DBT_TARGET_PATH=str(scratch / "target"),
                      DBT_LOG_PATH=str(scratch / "logs"))
    from pulse.live.arrival_clock import CLOCK_FILE
    from pulse.live.dbt_cycle import RealtimeDbt

    clock_path = args.data_dir / "run" / CLOCK_FILE  # the live run's last arrival clock

    def run(lookback: int):
        set_lookback(clock_path, lookback)
        return dbt.run()

    dbt = RealtimeDbt(args.data_dir / "warehouse.duckdb")  # cycles after the first replay its statements
    lookbacks = {"loop bound": 0, "batch default": 300}
    run(lookbacks["loop bound"])  # warm up: through dbt, recording its statements
    seconds: dict[str, list[float]] = {name: [] for name in lookbacks}
    last: dict = {}
    for _ in range(args.rounds):
        for name, lookback in lookbacks.items():
            result = run(lookback)
            seconds[name].append(result.seconds)
            last[name] = result.slowest(4)
    for name, lookback in lookbacks.items():
        print(f"{name:<14} lookback {lookback:>3} s: cycle median {statistics.median(seconds[name]):.2f} s "
              f"({', '.join(f'{s:.2f}' for s in seconds[name])}); slowest: "
              + ", ".join(f"{m} {t:.2f}" for m, t in last[name].items()))
    ratio = statistics.median(seconds["loop bound"]) / statistics.median(seconds["batch default"])
    print(f"loop bound / batch default = {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
