"""`pulse generate <dataset> ...`: realistic synthetic data into Kafka or extract files."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.config import load_settings
from pulse.commands.arg_types import non_negative_float, positive_float, positive_int
from pulse.generate import DATASETS
from pulse.generate.faults import Faults
from pulse.generate.runner import Options, Summary, prepare, run

EPILOG = """examples:
  pulse generate interactions --rate 5000 --duration 60            # live, into topic interactions
  pulse generate view_log --rate 200 --late-fraction 0.05          # late views, up to 10 s
  pulse generate web_events --to files --start 2023-02-01 --end 2023-02-08 --out extracts/
  pulse generate product_views --to files --start 2016-02-01 --end 2016-02-02 --out extracts/
  pulse generate orders --start 2016-02-01 --end 2016-02-02 --out extracts/   # same shoppers
  pulse generate interactions --start 2024-05-01 --end 2024-05-02 --count 1000000 --processes 2
"""


def _when(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or ISO timestamp: {text!r} (e.g. 2024-05-01)") from None
    return ts.replace(tzinfo=None) if ts.tzinfo is None else ts.astimezone().replace(tzinfo=None)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "generate", help="generate realistic data for a source into Kafka or files",
        description="Generate realistic data (sessions, daily cycle, Zipf popularity, funnels) for one "
                    "dataset. Live mode (no --start): event time is now, paced by --rate. Historical mode "
                    "(--start/--end): as fast as possible, deterministic for a --seed.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dataset", choices=list(DATASETS), help="what to generate")
    p.add_argument("--to", choices=("kafka", "files"), help="destination (default: the dataset's own)")
    p.add_argument("--out", type=Path, help="folder for --to files (default <data_dir>/extracts)")
    p.add_argument("--rate", type=positive_float, help="messages/s (live default 100; historical: unpaced)")
    p.add_argument("--burst", type=positive_float, help="most messages sent at once after a stall (default rate/10)")
    p.add_argument("--ramp", type=non_negative_float, default=0.0, metavar="S", help="ramp up to --rate over S seconds")
    stop = p.add_mutually_exclusive_group()
    stop.add_argument("--count", type=positive_int, help="messages/rows to produce (duplicates included)")
    stop.add_argument("--duration", type=positive_float, metavar="S", help="stop after S seconds")
    p.add_argument("--start", type=_when, help="historical mode: first event time (UTC), e.g. 2024-05-01")
    p.add_argument("--end", type=_when, help="historical mode: end of the range (default start + 1 day)")
    p.add_argument("--seed", type=int, default=1, help="same seed and arguments, same records (historical)")
    p.add_argument("--processes", type=positive_int, default=1, help="producer processes (each its own users)")
    p.add_argument("--users", type=positive_int, help="population size (historical density without --count)")
    p.add_argument("--catalog", type=positive_int, help="items/products/programs/pages/campaigns to draw from")
    p.add_argument("--late-fraction", type=_fraction, default=0.0, help="share of late (out-of-order) records")
    p.add_argument("--max-delay", type=non_negative_float, default=10.0, metavar="S",
                   help="how late a late record is, at most")
    p.add_argument("--duplicate-fraction", type=_fraction, default=0.0, help="share re-sent as exact duplicates")
    p.add_argument("--bad-fraction", type=_fraction, default=0.0,
                   help="share of bad records (malformed JSON, missing fields, wrong types, negative durations)")
    p.add_argument("--topic", help="topic name (default: PULSE_TOPIC_<DATASET> or the dataset name)")
    p.add_argument("--partitions", type=positive_int, default=4, help="partitions when the topic is created")
    p.add_argument("--campaigns-file", help="view_log: draw campaign ids from this campaigns.csv")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    cls = DATASETS[args.dataset]
    faults = Faults(args.late_fraction, args.max_delay, args.duplicate_fraction, args.bad_fraction)
    opts = Options(dataset=args.dataset, to=args.to or cls.sink, out=args.out, rate=args.rate, burst=args.burst,
                   ramp=args.ramp, count=args.count, duration=args.duration, start=args.start, end=args.end,
                   seed=args.seed, processes=args.processes, users=args.users, catalog=args.catalog,
                   faults=faults, topic=args.topic, partitions=args.partitions,
                   campaigns_file=args.campaigns_file)
    console = Console(stderr=True)
    settings = load_settings()
    opts, topic = prepare(opts, settings)  # bad arguments and an unreachable broker fail here
    if args.quiet:
        summary = run(opts, settings, prepared=topic or "")
    else:
        with _progress(console, args.count) as (bar, task):
            def update(sent, rate, failed, bad, late, dup):
                bar.update(task, completed=sent, rate=rate, failed=failed, bad=bad, late=late, dup=dup)

            summary = run(opts, settings, progress=update, prepared=topic or "")
    print_summary(summary, Console())
    return 1 if summary.failed or summary.errors else 0


class _progress:
    def __init__(self, console: Console, total: int | None):
        self.bar = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
            TextColumn("{task.completed:,} sent"), TextColumn("{task.fields[rate]:,.0f}/s"),
            TextColumn("[red]{task.fields[failed]} failed"),
            TextColumn("bad {task.fields[bad]} late {task.fields[late]} dup {task.fields[dup]}"),
            TimeElapsedColumn(), console=console, transient=False)
        self.total = total

    def __enter__(self):
        self.bar.start()
        task = self.bar.add_task("generate", total=self.total, rate=0.0, failed=0, bad=0, late=0, dup=0)
        return self.bar, task

    def __exit__(self, *exc):
        self.bar.stop()
        return False


def print_summary(s: Summary, console: Console) -> None:
    table = Table(title=f"generate {s.dataset} -> {s.to} {s.target} ({s.mode})", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("sent" if s.to == "kafka" else "records written", f"{s.sent:,}")
    if s.to == "kafka":
        table.add_row("delivered", f"{s.delivered:,}")
        table.add_row("not delivered", f"{s.failed:,}")
    rate = f"{s.achieved_rate:,.0f}/s" + (f" (target {s.rate:,.0f}/s)" if s.rate else "")
    table.add_row("elapsed", f"{s.elapsed:.2f} s")
    table.add_row("achieved rate", rate)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(s.bad.items()))
    table.add_row("bad records", f"{sum(s.bad.values()):,}" + (f" ({kinds})" if kinds else ""))
    table.add_row("late records", f"{s.late:,}")
    table.add_row("duplicates", f"{s.duplicates:,}")
    if len(s.shards) > 1:
        table.add_row("processes", ", ".join(f"#{r.shard}: {r.sent:,}" for r in s.shards))
    for r in s.shards:
        for f in r.files:
            table.add_row("file", f)
        if r.undelivered_file:
            table.add_row("undelivered written to", r.undelivered_file)
    console.print(table)
    for e in s.errors:
        console.print(f"[red]error:[/] {e}")
