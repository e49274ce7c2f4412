"""`pulse ingest files <source> <paths|globs>` (and `pulse ingest kafka`)."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ingest.config import load_settings
from ingest.errors import UsageError
from ingest.files import expand_paths, ingest_files
from ingest.sources import SOURCES
from pulse.commands.arg_types import positive_float, positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ingest", help="land extracts or Kafka topics into the Parquet lake")
    sub = p.add_subparsers(dest="ingest_command", required=True)
    files = sub.add_parser("files", help="land CSV/JSON extract files of one source")
    files.add_argument("source", choices=sorted(SOURCES))
    files.add_argument("paths", nargs="+", help="files or globs (quote globs: 'extracts/*.csv')")
    files.add_argument("--force", action="store_true", help="land again even if this content was landed")
    files.set_defaults(func=_run_files)
    _register_kafka(sub)


def _run_files(args: argparse.Namespace) -> int:
    settings = load_settings()
    results = _with_progress(expand_paths(args.paths), lambda progress: ingest_files(
        settings, args.source, args.paths, force=args.force, progress=progress))
    table = Table(title=f"ingest files {args.source}")
    for col in ("file", "read", "landed", "quarantined", "status"):
        table.add_column(col, justify="right" if col in ("read", "landed", "quarantined") else "left")
    for r in results:
        status = "already landed" if r.skipped else "landed"
        table.add_row(r.file, str(r.read), str(r.landed), str(r.quarantined), status)
    Console().print(table)
    return 0 if all(r.reconciles() for r in results) else 1


BIG_FILE_BYTES = 20 * 1024 * 1024  # extracts this big in all get a progress report
LINE_EVERY_S = 10.0  # without a terminal: one progress line per file this often


def _with_progress(paths: list[Path], run):
    """Run `run(progress)`, following every file's bytes when the extracts are big: a rich bar per
    file (and one over all files) on a terminal, otherwise a line every LINE_EVERY_S seconds (a CI
    or container log)."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskProgressColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    sizes = {p: p.stat().st_size for p in paths}
    if sum(sizes.values()) < BIG_FILE_BYTES:
        return run(None)
    console = Console(stderr=True)
    if not console.is_terminal:
        return run(lambda path: _line_progress(console, path))
    with Progress("{task.description}", BarColumn(), TaskProgressColumn(), DownloadColumn(), TransferSpeedColumn(),
                  TimeRemainingColumn(), console=console) as bar:
        overall = bar.add_task(f"{len(paths)} files", total=sum(sizes.values())) if len(paths) > 1 else None
        started: list[Path] = []  # files are landed one after the other, in this order

        def for_file(path: Path):
            before = sum(sizes[p] for p in started)  # the files done (or already landed, skipped)
            started.append(path)
            for done in bar.task_ids[1 if overall is not None else 0:]:
                bar.update(done, visible=False)  # the overall bar and the current file's
            task = bar.add_task(path.name, total=sizes[path])
            if overall is not None:
                bar.update(overall, completed=before)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)
                if overall is not None:
                    bar.update(overall, completed=before + done)

            return update

        return run(for_file)


def _line_progress(console: Console, path: Path):
    started = last = time.monotonic()

    def update(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < LINE_EVERY_S and done < total:
            return
        last = now
        rate = done / max(now - started, 1e-9)
        left = f", {(total - done) / rate:,.0f} s left" if rate and done < total else ""
        console.print(f"ingest files: {path.name} {100 * done / max(total, 1):.0f}% "
                      f"({done / 1e6:,.1f} of {total / 1e6:,.1f} MB{left})", highlight=False)

    return update


def _register_kafka(sub: argparse._SubParsersAction) -> None:
    k = sub.add_parser("kafka", help="land Kafka topics exactly once by offsets (see docs/ingestion.md)")
    k.add_argument("--topics", nargs="+", metavar="SOURCE",
                   help="sources (or their topic names) to land (default: every topic source)")
    mode = k.add_mutually_exclusive_group()
    mode.add_argument("--follow", action="store_true", help="keep consuming until SIGINT/SIGTERM")
    mode.add_argument("--until-caught-up", action="store_true",
                      help="land up to the high watermarks, then exit (the default)")
    share = k.add_mutually_exclusive_group()
    share.add_argument("--group", help="share partitions with other ingesters through this consumer group")
    share.add_argument("--partitions", type=_partition_list, metavar="P,...",
                       help="consume only these partition numbers of each topic (static scale-out)")
    k.add_argument("--flush-records", type=positive_int, help="land a partition after N messages (default 25,000)")
    k.add_argument("--flush-interval", type=positive_float, default=1.0, help="... or after this many seconds")
    k.add_argument("--max-message-bytes", type=positive_int, default=1_000_000, help="larger messages are quarantined")
    k.add_argument("--timeout", type=positive_float, default=300.0, help="--until-caught-up gives up after this")
    k.add_argument("--no-live", action="store_true", help="log lines instead of the live status table")
    k.set_defaults(func=_run_kafka)


def _partition_list(text: str) -> list[int]:
    try:
        return sorted({int(p) for p in text.split(",") if p.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected partition numbers like 0,2,3, got {text!r}") from None


def _run_kafka(args: argparse.Namespace) -> int:
    import logging

    from ingest.kafka.lander import ingest_until_caught_up
    from ingest.kafka.status import follow, render

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if "PULSE_KAFKA_LOG_LEVEL" not in os.environ:  # its reconnect noise; ours says it once
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
    settings = load_settings()
    by_topic = {settings.topic(s): s for s in SOURCES}
    sources = None
    if args.topics:
        unknown = [t for t in args.topics if t not in SOURCES and t not in by_topic]
        if unknown:
            raise UsageError(f"unknown source/topic {', '.join(unknown)}; known: {', '.join(sorted(SOURCES))}")
        sources = [t if t in SOURCES else by_topic[t] for t in args.topics]
    options = {"group": args.group, "partitions": args.partitions, "flush_interval_s": args.flush_interval,
               "max_message_bytes": args.max_message_bytes}
    if args.flush_records is not None:  # else the lander's FLUSH_RECORDS
        options["flush_records"] = args.flush_records
    if args.follow:
        stats = follow(settings, sources, live_view=False if args.no_live else None, **options)
    else:
        stats = ingest_until_caught_up(settings, sources, timeout_s=args.timeout, **options)
    Console().print(render(stats, "ingest kafka: landed"))
    return 0
