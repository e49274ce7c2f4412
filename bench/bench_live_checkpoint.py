"""Replayed live cycles at two DuckDB checkpoint thresholds, on a copy of a live lake (not a test).

DuckDB checkpoints at a commit once its write-ahead log passes `checkpoint_threshold`; the loop's
replay sets it (pulse/live/compiled_run.py, CHECKPOINT_THRESHOLD). This copies a data dir a
`bench_live.py` run left, and on each copy replays `--cycles` cycles that re-read the newest
`--back` seconds of landed rows (the landing lookback of the clock file, the loop's own mechanism),
one threshold after the other and then again in the opposite order (A B B A), each in its own
process; it prints the total and the commits' seconds per threshold.
Re-read rows look late to int_watch_streams, so its streams are re-streamed: a cycle costs more
than the loop's, the same for both thresholds.

    .venv/bin/python bench/bench_live.py --steps ''          # leaves its data dir under /tmp
    .venv/bin/python bench/bench_live_checkpoint.py /tmp/pulse-bench-live-XXXX/data
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_live_cycle import run_on_copy  # noqa: E402


def child(data_dir: Path, threshold: str, cycles: int, back: float) -> None:
    """One threshold on one copy: `cycles` replays; prints their seconds and their commits' as JSON."""
    import duckdb

    from bench.bench_live_cycle import set_lookback
    from pulse.live import compiled_run
    from pulse.live.arrival_clock import CLOCK_FILE, utc_naive
    from pulse.live.dbt_cycle import RealtimeDbt

    compiled_run.CHECKPOINT_THRESHOLD = threshold  # read when the replay connection opens
    lake = (data_dir / "lake").as_posix()
    newest = duckdb.sql(f"select max(_ingested_at) from read_parquet('{lake}/*/*/*.parquet', union_by_name = true)"
                        ).fetchall()[0][0]
    clock_path = data_dir / "run" / CLOCK_FILE

    dbt = RealtimeDbt(data_dir / "warehouse.duckdb")
    set_lookback(clock_path, 0)
    dbt.run()  # through dbt, then recording its statements: nothing new to read
    dbt.run()
    seconds, commits = [], []
    for _ in range(cycles):
        # Each run reads rows landed after its previous one minus the lookback: reach `back` s into the lake.
        set_lookback(clock_path, math.ceil((utc_naive(time.time()) - newest).total_seconds() + back))
        result = dbt.run()
        if result.path != "compiled" or result.failed:
            raise SystemExit(f"cycle not replayed cleanly: {result.path} {result.failed}")
        seconds.append(result.seconds)
        commits.append(result.timings.get("commit", 0.0))
    dbt.close()
    print(json.dumps({"seconds": seconds, "commits": commits}))


def main() -> int:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", type=Path, help="a data dir a live run left (bench/bench_live.py prints it)")
    ap.add_argument("--thresholds", default="16MB,256MB", help="DuckDB's default, then the loop's")
    ap.add_argument("--cycles", type=int, default=12)
    ap.add_argument("--back", type=float, default=2.0, help="seconds of the newest landings each cycle re-reads")
    args = ap.parse_args()
    a, b = args.thresholds.split(",")
    scratch = Path(tempfile.mkdtemp(prefix="bench-live-checkpoint-"))
    totals: dict[str, list[float]] = {a: [], b: []}
    commits: dict[str, list[float]] = {a: [], b: []}
    for i, threshold in enumerate([a, b, b, a]):
        result = run_on_copy(__file__, args.data_dir, scratch, i, [threshold, str(args.cycles), str(args.back)])
        if result is None:
            return 1
        totals[threshold].append(sum(result["seconds"]))
        commits[threshold].append(sum(result["commits"]))
        print(f"checkpoint_threshold {threshold:>6}: {args.cycles} cycles {sum(result['seconds']):.2f} s, "
              f"commits {sum(result['commits']):.2f} s")
    mean = {t: sum(v) / len(v) for t, v in totals.items()}
    print(f"{b} / {a}: cycles {mean[b] / mean[a]:.2f}x; commits {sum(commits[b]):.2f} s vs {sum(commits[a]):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
