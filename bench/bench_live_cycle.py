"""One realtime dbt cycle on an existing live lake: the batch lookback vs the loop's bound (not a test).

`pulse run` passes `lake_ingest_lookback_seconds` per cycle (ingest/live/lookback.py): normally
0 s, where batch runs re-read 300 s of landed rows. This runs the realtime models on the reused
manifest, with nothing new landed, alternately with both values in the same process, and
prints the median cycle time of each and per-model times of the last runs.

    .venv/bin/python bench/bench_live.py --steps ''          # leaves its data dir under /tmp
    .venv/bin/python bench/bench_live_cycle.py /tmp/pulse-bench-live-XXXX/data [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", type=Path, help="a data dir a live run left (bench/bench_live.py prints it)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    status = json.loads((args.data_dir / "run" / "live_status.json").read_text())
    scratch = Path(tempfile.mkdtemp(prefix="bench-live-cycle-"))
    os.environ.update(PULSE_DATA_DIR=str(args.data_dir), DBT_TARGET_PATH=str(scratch / "target"),
                      DBT_LOG_PATH=str(scratch / "logs"))
    from ingest.live.dbt_cycle import RealtimeDbt

    watermarks = {f"watermark_{s}": v["watermark"] for s, v in status["sources"].items() if v.get("watermark")}
    dbt = RealtimeDbt()
    lookbacks = {"loop bound": 0, "batch default": 300}
    dbt.run({**watermarks, "lake_ingest_lookback_seconds": lookbacks["loop bound"]})  # warm up
    seconds: dict[str, list[float]] = {name: [] for name in lookbacks}
    last: dict = {}
    for _ in range(args.rounds):
        for name, lookback in lookbacks.items():
            result = dbt.run({**watermarks, "lake_ingest_lookback_seconds": lookback})
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
