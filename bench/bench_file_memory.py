"""Peak memory of `pulse ingest files product_views` on one big JSON-array file (not a test).

The file holds BATCHES mParticle batches (100k: ~48 MB). Two phases, each in its own process so
its peak RSS is its own, land the same file into a fresh lake:
  - whole:  the file read as one JSON document (`json.load`), then landed (the earlier reader);
  - stream: the file streamed element by element (`ingest/sources/json_array.py`), the reader used.
Prints peak RSS and rows/s of both, and the ratios stream / whole, measured side by side.

    .venv/bin/python bench/bench_file_memory.py [--batches 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def write_file(path: Path, batches: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    t0 = 1454295600000  # 2016-02-01 03:00 UTC
    with open(path, "w") as fh:
        fh.write("[")
        for i in range(batches):
            ms = t0 + i * 500
            code = f"{rng.randint(20000000, 20009999)}_{rng.randint(1, 999):03d}"
            event = {"data": {"custom_event_type": "navigation", "event_name": "product", "timestamp_unixtime_ms": ms,
                              "event_id": rng.getrandbits(62), "session_id": rng.getrandbits(62),
                              "custom_attributes": {"actualPrice": f"{rng.randint(50, 500)}.9", "base": "p",
                                                    "codeColor": code}},
                     "event_type": "custom_event"}
            batch = {"events": [event], "mpid": rng.getrandbits(62), "timestamp_unixtime_ms": ms + 0.25,
                     "batch_id": rng.getrandbits(62), "message_id": f"{rng.getrandbits(128):032x}",
                     "message_type": "events", "schema_version": 1}
            fh.write(("," if i else "") + json.dumps(batch, separators=(",", ":")))
        fh.write("]")


def phase(mode: str, path: str, data_dir: str) -> dict:
    os.environ["PULSE_DATA_DIR"] = data_dir
    from ingest.config import load_settings
    from ingest.files import ingest_files
    from ingest.sources import product_views
    from ingest.sources.base import FileFormatError

    if mode == "whole":
        def whole(p, encoding="utf-8"):
            try:
                value = json.loads(Path(p).read_bytes().decode(encoding))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise FileFormatError(f"{p}: not a JSON file ({exc})") from None
            yield from (value if isinstance(value, list) else [value])

        product_views.iter_json_array = whole
    started = time.perf_counter()
    [result] = ingest_files(load_settings(), "product_views", [path])
    seconds = time.perf_counter() - started
    return {"rows": result.read, "landed": result.landed, "seconds": seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, default=100_000)
    ap.add_argument("--phase", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(phase(*args.phase)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "iOS" / "batches.json"
        path.parent.mkdir()
        write_file(path, args.batches)
        print(f"file: {args.batches} batches, {path.stat().st_size / 1e6:.1f} MB")
        results = {}
        for mode in ("whole", "stream"):
            out = subprocess.run([sys.executable, __file__, "--phase", mode, str(path), str(Path(tmp) / mode)],
                                 check=True, capture_output=True, text=True)
            results[mode] = json.loads(out.stdout.splitlines()[-1])
            r = results[mode]
            print(f"{mode:>6}: peak RSS {r['peak_rss_mb']:.0f} MB, {r['rows'] / r['seconds']:.0f} rows/s "
                  f"({r['landed']} of {r['rows']} rows landed)")
        w, s = results["whole"], results["stream"]
        print(f"stream / whole: peak RSS {s['peak_rss_mb'] / w['peak_rss_mb']:.2f}, "
              f"rows/s {(s['rows'] / s['seconds']) / (w['rows'] / w['seconds']):.2f}")


if __name__ == "__main__":
    main()
