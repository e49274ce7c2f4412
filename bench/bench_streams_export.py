"""What `fct_streams`' export costs a live cycle as the streams of a long run pile up (not a test).

The live loop exports every stream of the history each cycle (the mart's `export_parquet()`
post-hook: one COPY of the whole view), so its cost follows the number of streams, not the new
heartbeats: ~1.3k streams a minute at 5,000 events/s, 1.9M a day. This reads the streams of a
`bench_live.py` run's warehouse, copies them into an in-memory table `--sizes` times over (stream
ids made unique), and times the export's COPY of each size, alternating sizes round by round, on
one DuckDB thread as in the loop; it prints the median seconds and the ratio to the first size.

    .venv/bin/python bench/bench_live.py --steps ''          # leaves its data dir under /tmp
    .venv/bin/python bench/bench_streams_export.py /tmp/pulse-bench-live-XXXX/data
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="the data dir a bench_live.py run left")
    parser.add_argument("--sizes", default="0,100000,400000,1600000",
                        help="numbers of streams to export (0: the run's own), comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import duckdb

    warehouse = args.data_dir / "warehouse.duckdb"
    if not warehouse.exists():
        print(f"bench_streams_export: no warehouse at {warehouse}", file=sys.stderr)
        return 2
    con = duckdb.connect()
    con.execute("set threads = 1")
    try:  # attached under the name the mart's view refers to
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        con.execute("create table streams as select * from warehouse.marts.fct_streams")
    except duckdb.Error as exc:
        print(f"bench_streams_export: {warehouse}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    own = con.execute("select count(*) from streams").fetchall()[0][0]
    if not own:
        print("bench_streams_export: the run left no streams", file=sys.stderr)
        return 2
    sizes = [int(s) or own for s in args.sizes.split(",")]
    for n in sizes:
        con.execute(f"""create table streams_{n} as
                        select * replace (stream_id || '-' || copy.i as stream_id)
                        from streams, range({-(-n // own)}) as copy(i)
                        limit {n}""")
    seconds: dict[int, list[float]] = {n: [] for n in sizes}
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "fct_streams.parquet"
        for _ in range(args.rounds):
            for n in sizes:  # the statement export_parquet() writes
                t0 = time.perf_counter()
                con.execute(f"copy (select * from streams_{n}) to '{target}' "
                            "(format parquet, compression zstd, use_tmp_file true)")
                seconds[n].append(time.perf_counter() - t0)
    base = statistics.median(seconds[sizes[0]])
    print(f"fct_streams export, one DuckDB thread, median of {args.rounds} (the run's own: {own:,} streams)")
    for n in sizes:
        s = statistics.median(seconds[n])
        print(f"  {n:>10,} streams  {s:.4f} s  {s / base:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
