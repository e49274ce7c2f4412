"""`pulse lake audit` (produced = landed + quarantined?) and `pulse lake compact`."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from ingest.config import load_settings
from ingest.sources import SOURCES, TOPIC_SOURCES
from pulse.commands.arg_types import positive_float


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("lake", help="audit or compact the Kafka-landed part of the lake")
    sub = p.add_subparsers(dest="lake_command", required=True)
    audit = sub.add_parser("audit", help="reconcile the broker's offsets with landed + quarantined messages")
    audit.add_argument("--sources", nargs="+", choices=sorted(SOURCES), help="default: every topic source")
    audit.add_argument("--no-broker", action="store_true", help="check the lake alone (gaps, duplicates)")
    audit.set_defaults(func=_run_audit)
    compact = sub.add_parser("compact", help="merge small landed files per partition and hour")
    compact.add_argument("--sources", nargs="+", choices=sorted(SOURCES), help="default: every topic source")
    compact.add_argument("--older-than", default="1h", help="only files last written before this (default 1h)")
    compact.add_argument("--max-file-mb", type=positive_float, default=32.0, help="files this big are left alone")
    compact.set_defaults(func=_run_compact)


def _sources(args: argparse.Namespace) -> list[str]:
    return args.sources or list(TOPIC_SOURCES)


def _run_audit(args: argparse.Namespace) -> int:
    from ingest.audit import add_broker_view, audit_lake

    settings = load_settings()
    sources = _sources(args)
    audits = audit_lake(settings, sources)
    if not args.no_broker:
        add_broker_view(settings, audits, {settings.topic(s): s for s in sources})
    table = Table(title="lake audit (unit: messages = offsets)", title_justify="left")
    for col in ("topic", "part", "epoch", "broker offsets", "produced", "landed", "quarantined", "in lake",
                "not yet landed", "lost", "missing", "dup rows", "status"):
        table.add_column(col, justify="left" if col in ("topic", "status") else "right")
    ok = True
    for (_topic, _part, _epoch), a in sorted(audits.items()):
        ok &= a.ok
        span = "-" if a.produced is None else f"{a.broker_first}..{a.broker_highwater - 1}"
        colour = "green" if a.status == "ok" else ("red" if not a.ok else "yellow")
        table.add_row(a.topic, str(a.partition), str(a.epoch), span, "-" if a.produced is None else str(a.produced),
                      str(a.landed_messages), str(a.quarantined_messages), str(a.messages), str(a.not_yet_landed),
                      str(a.lost_count), str(a.missing_count), str(a.duplicates), f"[{colour}]{a.status}[/]")
    console = Console(width=max(Console().width, 160))
    console.print(table)
    if not audits:
        console.print("nothing Kafka-landed in the lake yet")
    bad = [a for a in audits.values() if not a.ok]
    if bad:
        lost = sum(a.lost_count for a in bad)
        missing = sum(a.missing_count for a in bad)
        console.print(f"[red]audit failed[/]: {lost} message(s) lost, {missing} missing, in {len(bad)} partition "
                      "epoch(s)")
    for (_topic, _part, _epoch), a in sorted(audits.items()):
        if a.status != "ok":  # in full, unwrapped: the table cell may be cut
            console.print(f"  {a.topic}[{a.partition}] epoch {a.epoch}: {a.status}", soft_wrap=True, markup=False)
    return 0 if ok else 1


def _run_compact(args: argparse.Namespace) -> int:
    from ingest.compact import compact_lake, parse_duration

    settings = load_settings()
    result = compact_lake(settings, _sources(args), parse_duration(args.older_than),
                          int(args.max_file_mb * 1024 * 1024))
    Console().print(f"compacted: {result.merged_files} file(s) written from {result.removed_files} removed, "
                    f"{result.rows} rows")
    return 0
