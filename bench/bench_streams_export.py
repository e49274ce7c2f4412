"""What `fct_streams`' export costs a live cycle as the streams of a long run pile up (not a test).

At ~1.3k streams a minute at 5,000 events/s (1.9M a day), one COPY of every stream each cycle (the
export before it was hourly) grows with the history; the hourly export (pulse/live/hourly_export.py)
rewrites only the hours from the earliest stream that changed or was open at the last export. This
reads the streams of a `bench_live.py` run's warehouse and copies them into an in-memory table of
each of `--sizes` streams, each copy moved on by the run's span (stream ids made unique), so the
history covers more hours as it grows. For each size, alternating sizes round by round, on one
DuckDB thread as in the loop, it times (a) the COPY of the whole table and (b) one cycle of the
hourly export after the newest minute's streams landed again and the newest minute's streams are
open; it prints the medians and each one's ratio to the first size.

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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pulse.live.hourly_export import HourlyExport, HourlySpec  # noqa: E402

MOVED = ("start_time", "first_event_time", "last_event_time", "last_ingested_at")


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
    own, span = con.execute("select count(*), max(last_event_time) - min(start_time) from streams").fetchall()[0]
    if not own:
        print("bench_streams_export: the run left no streams", file=sys.stderr)
        return 2
    sizes = [int(s) or own for s in args.sizes.split(",")]
    moved = ", ".join(f"{c} + copy.i * interval '{int(span.total_seconds()) + 1} seconds' as {c}" for c in MOVED)
    for n in sizes:
        con.execute(f"""create table streams_{n} as
                        select * replace (stream_id || '-' || copy.i as stream_id, {moved})
                        from streams, range({-(-n // own)}) as copy(i)
                        order by copy.i
                        limit {n}""")
    whole: dict[int, list[float]] = {n: [] for n in sizes}
    hourly: dict[int, list[float]] = {n: [] for n in sizes}
    with tempfile.TemporaryDirectory() as tmp:
        con.execute("create table run_bounds (model_name varchar, landed_after timestamp)")
        con.executemany("insert into run_bounds values (?, null)", [[f"streams_{n}"] for n in sizes])
        exports = {n: HourlyExport(HourlySpec(relation=f"streams_{n}", folder=Path(tmp) / f"hourly_{n}",
                                              column="start_time", landed="last_ingested_at", open="is_open",
                                              bounds="run_bounds", new_in_run_of=f"streams_{n}"))
                   for n in sizes}
        for n in sizes:
            con.execute(f"update streams_{n} set is_open = false")
            exports[n].write(con)  # the first write has every hour (not timed)
        for _ in range(args.rounds):
            for n in sizes:
                t0 = time.perf_counter()  # (a) the statement export_parquet() wrote each cycle
                con.execute(f"copy (select * from streams_{n}) to '{tmp}/whole.parquet' "
                            "(format parquet, compression zstd, use_tmp_file true)")
                whole[n].append(time.perf_counter() - t0)
                # (b) a cycle: the newest minute's streams landed again (in this run's window) and are open
                con.execute(f"""update run_bounds set landed_after = (select max(last_ingested_at) from streams_{n})
                                where model_name = 'streams_{n}'""")
                con.execute(f"""update streams_{n} set last_ingested_at = last_ingested_at + interval 1 hour,
                                is_open = true
                                where last_event_time >= (select max(last_event_time) from streams_{n})
                                      - interval 1 minute""")
                t0 = time.perf_counter()
                exports[n].write(con)
                hourly[n].append(time.perf_counter() - t0)
    print(f"fct_streams export per cycle, one DuckDB thread, median of {args.rounds} "
          f"(the run's own: {own:,} streams over {span})")
    base_whole, base_hourly = statistics.median(whole[sizes[0]]), statistics.median(hourly[sizes[0]])
    for n in sizes:
        w, h = statistics.median(whole[n]), statistics.median(hourly[n])
        print(f"  {n:>10,} streams  whole {w:.4f} s {w / base_whole:5.1f}x   hourly {h:.4f} s {h / base_hourly:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
