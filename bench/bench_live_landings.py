"""A live run's landings replayed cycle by cycle on a quiet machine, with and without the replay's
Parquet footer cache (not a test).

`bench_live.py` measures the loop beside its generators and broker, which take most of the 2 cores;
this replays what such a run landed with nothing else running, to see what a cycle costs and how
that changes over the run. It copies the data dir a `bench_live.py` run left, cuts its lake back to
the rows landed in the first `--start` seconds, builds the realtime models on that, then lands the
later rows again `--step` seconds at a time, at the pace they landed (named by their Kafka offsets,
as the ingester names files, so the loop's compaction merges them as it does live) and runs one
cycle after each, with the loop's landing lookback (0: each cycle reads exactly the new rows), its
arrival clock moved on to the end of each step's landings (less the send margin, as live) and
compaction. Each setting runs in its own process on its own copy, A B B A; it prints the seconds per
cycle of each run (also by minute of landings replayed), the ratio, and the models' mean seconds
per cycle in the first and last third and by minute, beside the seconds DuckDB takes to plan
(parse, bind, optimize) each model's statements.
With `--late F`, a fraction F of the replayed watch heartbeats (every 1/F-th by offset) is stamped
`--late-by` seconds earlier in event time, so it lands behind its session's newer heartbeats, as
late telemetry does: `int_watch_streams` re-streams such a session from the start of its stream.
With `--history N`, `int_watch_streams` gets N streams of history before the run's own once the
models are built (a day at 5k events/s is about 1.6M): what its incremental runs cost when a long
run's stored streams, not this run's minutes, decide it.
With `--baseline REV` the two settings are this checkout's code and git revision REV's (a worktree
under the scratch dir), REV A A REV: one replay after another on this virtual machine varies by
more than a change of 10-30 ms a cycle, alternating evens out a slower stretch.

    .venv/bin/python bench/bench_live.py --steps ''          # leaves its data dir under /tmp
    .venv/bin/python bench/bench_live_landings.py /tmp/pulse-bench-live-XXXX/data
    .venv/bin/python bench/bench_live_landings.py /tmp/pulse-bench-live-XXXX/data --baseline HEAD~1
    .venv/bin/python bench/bench_live_landings.py /tmp/pulse-bench-live-XXXX/data --late 0.001 --baseline HEAD~1
    .venv/bin/python bench/bench_live_landings.py /tmp/pulse-bench-live-XXXX/data --history 1600000 --baseline HEAD~1
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_live_cycle import run_on_copy  # noqa: E402

SOURCES = ["interactions", "watch_events", "view_log"]


def _offset_name(path: Path, rng, table) -> Path:
    """The ingester's file name for these rows: their topic partition and offset range."""
    import pyarrow.compute as pc

    from ingest.kafka.names import file_stem

    first, last = (pc.min(table["_offset"]).as_py(), pc.max(table["_offset"]).as_py())
    return path.with_name(f"{file_stem(rng.topic, rng.partition, first, last, rng.epoch)}.parquet")


def cut_lake(data_dir: Path, start_s: float) -> tuple[datetime, list]:
    """Keep the rows landed in the first `start_s` seconds; return the first landing time and the rest."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from ingest.kafka.names import kafka_files

    files = list(kafka_files([data_dir / "lake" / source for source in SOURCES]))
    first = min(pc.min(pq.read_table(p, columns=["_ingested_at"])["_ingested_at"]).as_py() for p, _ in files)
    cut = pa.scalar(first + timedelta(seconds=start_s), pa.timestamp("us"))
    later = []
    for path, rng in files:
        table = pq.read_table(path)
        landed = table["_ingested_at"].cast(pa.timestamp("us"))
        keep, rest = table.filter(pc.less_equal(landed, cut)), table.filter(pc.greater(landed, cut))
        path.unlink()
        if keep.num_rows:
            pq.write_table(keep, _offset_name(path, rng, keep), compression="zstd")
        if rest.num_rows:
            later.append((path, rng, rest))
    return first, later


def advance_clock(clock_path: Path, through: datetime) -> None:
    """Set the replayed sources' arrival clock to `through` (the live run's own time base, that of
    the records' Kafka timestamps), as the loop moves it before each cycle. Left at the run's last
    clock, every minute would count as closed from the first cycle on: the campaign report would
    recompute the open minute each cycle, work the live loop never does."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from ingest.lake import write_table_atomic

    clock = pq.read_table(clock_path)
    replayed = pc.is_in(clock["source"], value_set=pa.array(SOURCES))
    column = clock.schema.get_field_index("arrived_through")
    values = pc.if_else(replayed, pa.scalar(through, pa.timestamp("us")), clock["arrived_through"])
    write_table_atomic(clock.set_column(column, clock.schema.field(column), values), clock_path)


def make_late(later: list, fraction: float, by_s: float) -> list:
    """`later` with every 1/`fraction`-th watch heartbeat (by offset) stamped `by_s` seconds earlier
    in event time: it lands when it landed live, behind its session's newer heartbeats, as the
    generators' late records do (pulse/generate/faults.py)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if fraction <= 0:
        return later
    every, out = max(1, round(1 / fraction)), []
    for path, rng, table in later:
        if rng.topic.endswith("watch_events"):
            late = pc.equal(pc.remainder(table["_offset"], every), 0)
            i = table.schema.get_field_index("event_time")
            column = table["event_time"]
            back = pc.subtract(column, pa.scalar(timedelta(seconds=by_s), pa.duration(column.type.unit)))
            table = table.set_column(i, table.schema.field(i), pc.if_else(late, back, column))
        out.append((path, rng, table))
    return out


def add_history(warehouse: Path, streams: int) -> int:
    """Store `streams` watch streams of history before the run's own in `int_watch_streams`: copies
    of its streams moved back by whole multiples of their span (ids made unique, so no replayed
    heartbeat belongs to one), closed and inserted in time order, as a long live run stores them
    (at --start 20 a day's 1.6M streams span about a day). Returns the streams stored in all."""
    import duckdb

    con = duckdb.connect(str(warehouse))
    try:
        table = "intermediate.int_watch_streams"
        own, span = con.execute(f"select count(*), epoch(max(last_event_time) - min(first_event_time))"
                                f" from {table}").fetchall()[0]
        if streams <= 0 or not own:
            return own
        # each copy ends over the stream timeout before the next begins: history is all closed
        shift = f"(copy.k * {int(span) + 61}) * interval 1 second"
        moved = {c: f"{c} - {shift}" for c in ("start_time", "first_event_time", "last_event_time",
                                                "last_arrived_at", "last_ingested_at")}
        moved |= {"stream_id": "stream_id || '~' || copy.k", "session_id": "session_id || '~' || copy.k",
                  "stream_date": f"cast(first_event_time - {shift} as date)"}
        columns = [r[0] for r in con.execute("select column_name from information_schema.columns where"
                                             " table_schema = 'intermediate' and table_name = 'int_watch_streams'"
                                             " order by ordinal_position").fetchall()]
        select = ", ".join(f"{moved.get(c, c)} as {c}" for c in columns)
        copies = -(-streams // own)
        con.execute(f"insert into {table} select * from (select {select} from {table}, range(1, {copies + 1})"
                    f" as copy(k) order by last_event_time desc limit {streams}) order by last_event_time")
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]
    finally:
        con.close()


def child(data_dir: Path, cache: bool, start_s: float, end_s: float, step_s: float,
          late: float = 0.0, late_by_s: float = 60.0, history: int = 0) -> None:
    """One setting on one copy: the cycles' seconds and per-model timings as JSON."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from bench.bench_live_cycle import set_lookback
    from ingest.config import load_settings
    from pulse.live import compiled_run
    from pulse.live.arrival_clock import CLOCK_FILE, SEND_MARGIN_S, utc_naive
    from pulse.live.compaction import LiveCompaction
    from pulse.live.dbt_cycle import RealtimeDbt

    compiled_run.PARQUET_METADATA_CACHE = cache  # read when the replay connection opens
    first, later = cut_lake(data_dir, start_s)
    later = make_late(later, late, late_by_s)
    set_lookback(data_dir / "run" / CLOCK_FILE, 0)
    advance_clock(data_dir / "run" / CLOCK_FILE, first + timedelta(seconds=start_s - SEND_MARGIN_S))
    dbt = RealtimeDbt(data_dir / "warehouse.duckdb")
    dbt.run(with_parents=True)  # through dbt, then recording its statements
    stored = add_history(data_dir / "warehouse.duckdb", history)
    dbt.run()
    compaction = LiveCompaction(load_settings(), SOURCES)
    cycles = []
    at = start_s
    due = time.monotonic()
    while at < end_s:
        time.sleep(max(0.0, due - time.monotonic()))  # paced as landed: one step of landings per step of time
        due += step_s
        low, high = (pa.scalar(first + timedelta(seconds=s), pa.timestamp("us")) for s in (at, at + step_s))
        at += step_s
        now = pa.scalar(utc_naive(time.time()), pa.timestamp("us"))
        rows = 0
        for path, rng, table in later:
            landed = table["_ingested_at"].cast(pa.timestamp("us"))
            part = table.filter(pc.and_(pc.greater(landed, low), pc.less_equal(landed, high)))
            if part.num_rows:  # landed anew: stamped now, as the ingester stamps what it writes
                column = part.schema.get_field_index("_ingested_at")
                stamps = pa.array([now.as_py()] * part.num_rows, part.schema.field(column).type)
                part = part.set_column(column, part.schema.field(column), stamps)
                pq.write_table(part, _offset_name(path, rng, part), compression="zstd")
                rows += part.num_rows
        advance_clock(data_dir / "run" / CLOCK_FILE, high.as_py() - timedelta(seconds=SEND_MARGIN_S))
        result = dbt.run()
        if result.path != "compiled" or result.failed:
            raise SystemExit(f"cycle not replayed cleanly: {result.path} {result.failed}")
        compaction.commit_ready()
        compaction.maybe_start()
        cycles.append({"rows": rows, "seconds": result.seconds, "timings": result.timings})
    compaction.close()
    cycles[-1]["planning"] = planning_seconds(dbt.compiled)
    cycles[-1]["streams_stored"] = stored
    dbt.close()
    print(json.dumps(cycles))


def planning_seconds(compiled) -> dict[str, float]:
    """Per model, the seconds DuckDB takes to parse, bind and optimize its replayed statements
    (EXPLAIN: parse, bind, optimize and print the plan, nothing run; the best of three), on the
    lake as the last cycle left it. Statements that read a cycle's temp tables (dropped at its end)
    cannot be planned here and are left out."""
    import duckdb

    out: dict[str, float] = {}
    for statement in compiled.statements:
        best = None
        for _ in range(3):
            try:
                started = time.perf_counter()
                compiled._con.execute(f"explain {statement.sql}", statement.bindings).fetchall()
                spent = time.perf_counter() - started
            except duckdb.Error:
                break
            best = spent if best is None else min(best, spent)
        if best is not None:
            out[statement.node] = out.get(statement.node, 0.0) + best
    return out


def _mean_seconds(cycles: list[dict], model: str | None = None) -> float:
    """Mean seconds per cycle, of the whole cycle or of one model in it."""
    if model is None:
        return statistics.mean(c["seconds"] for c in cycles)
    return statistics.mean(c["timings"].get(model, 0.0) for c in cycles)


def _by_minute(cycles: list[dict], step_s: float, model: str | None = None) -> str:
    """Mean seconds per cycle (or of one model in it) in each whole minute of replayed landings:
    does the cost level off, and which model does not?"""
    per_minute = max(1, round(60 / step_s))
    whole = len(cycles) // per_minute
    return " ".join(f"{_mean_seconds(cycles[i * per_minute:(i + 1) * per_minute], model):.3f}"
                    for i in range(whole))


def _thirds(cycles: list[dict]) -> tuple[list[dict], list[dict]]:
    third = max(1, len(cycles) // 3)
    return cycles[:third], cycles[-third:]


def baseline_checkout(rev: str, scratch: Path) -> str:
    """A worktree of `rev` with this script copied in: its child replays that revision's models and
    loop with this replay (the clock and landings as here). Returns the script to run."""
    tree = scratch / "baseline"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(tree), rev], check=True)
    shutil.copy(__file__, tree / "bench" / Path(__file__).name)
    return str(tree / "bench" / Path(__file__).name)


def main() -> int:
    if len(sys.argv) == 10 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), sys.argv[3] == "on", *(float(a) for a in sys.argv[4:9]), int(sys.argv[9]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", type=Path, help="a data dir a live run left (bench/bench_live.py prints it)")
    ap.add_argument("--start", type=float, default=60.0, help="seconds of landings the lake keeps before the cycles")
    ap.add_argument("--end", type=float, default=150.0, help="replay the landings up to this second")
    ap.add_argument("--step", type=float, default=1.5, help="seconds of landings per cycle")
    ap.add_argument("--runs", default="off,on,on,off", help="Parquet footer cache per run, in order")
    ap.add_argument("--late", type=float, default=0.0, help="fraction of the replayed watch heartbeats made late")
    ap.add_argument("--late-by", type=float, default=60.0, help="seconds a late heartbeat lies back")
    ap.add_argument("--history", type=int, default=0, metavar="N",
                    help="watch streams of history stored before the run's own (0: none)")
    ap.add_argument("--baseline", metavar="REV", help="compare this checkout's code with git revision REV's "
                    "instead (footer cache on; REV, this, this, REV)")
    args = ap.parse_args()
    if not 0 <= args.late < 1 or args.late_by <= 0 or args.history < 0:
        ap.error("--late: a fraction from 0 to below 1; --late-by: seconds above 0; --history: 0 or more")
    runs = args.runs.split(",")
    if not runs or any(r not in ("on", "off") for r in runs):
        ap.error(f"--runs {args.runs!r}: a comma-separated list of 'on' and 'off'")
    scratch = Path(tempfile.mkdtemp(prefix="bench-live-landings-"))
    # (label, script, footer cache) per run, in order
    settings = [(f"footer cache {cache}", __file__, cache) for cache in runs]
    if args.baseline:
        try:
            base = baseline_checkout(args.baseline, scratch)
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"--baseline {args.baseline}: cannot check it out ({exc})")
            return 2
        settings = [(args.baseline, base, "on"), ("this checkout", __file__, "on"),
                    ("this checkout", __file__, "on"), (args.baseline, base, "on")]
    try:
        return _compare(args, settings, scratch)
    finally:
        if args.baseline:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(scratch / "baseline")],
                           check=False)


def _compare(args, settings: list[tuple[str, str, str]], scratch: Path) -> int:
    """Run each setting on its own copy, in order; print each run, the ratio and the models' timings."""
    results: dict[str, list[list[dict]]] = {}
    for i, (label, script, cache) in enumerate(settings):
        window = [str(args.start), str(args.end), str(args.step), str(args.late), str(args.late_by), str(args.history)]
        cycles = run_on_copy(script, args.data_dir, scratch, i, [cache, *window],
                             ignore=("warehouse.duckdb*", "analyst.duckdb*", "exports", "reports"))
        if cycles is None:
            return 1
        results.setdefault(label, []).append(cycles)
        early, late = _thirds(cycles)
        print(f"{label}: {len(cycles)} cycles, mean {_mean_seconds(cycles):.3f} s;"
              f" first third {_mean_seconds(early):.3f} s, last third {_mean_seconds(late):.3f} s;"
              f" by minute of landings: {_by_minute(cycles, args.step)}"
              + (f"; {cycles[-1]['streams_stored']:,} streams stored" if args.history else ""), flush=True)
    means = {k: statistics.mean(_mean_seconds(run) for run in v) for k, v in results.items()}
    if len(means) == 2:
        first, second = means
        print(f"{second} / {first}: {means[second] / means[first]:.2f}x seconds per cycle")
    for label, run_list in results.items():
        early, late = _thirds(run_list[-1])
        models = sorted({m for c in run_list[-1] for m in c["timings"]},
                        key=lambda m: -_mean_seconds(late, m))
        planning = run_list[-1][-1].get("planning", {})
        print(f"{label}, mean seconds per cycle, first third -> last third "
              f"(and planning them after the last cycle: {sum(planning.values()):.3f} s in all), by minute:")
        for m in models[:10]:
            print(f"  {m:40s} {_mean_seconds(early, m):.3f} -> {_mean_seconds(late, m):.3f}"
                  f"  plan {planning.get(m, 0.0):.3f}"
                  f"  by minute: {_by_minute(run_list[-1], args.step, m)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
