"""`pulse ingest kafka --follow`: the consume loop with a live status view and clean shutdown.

On a terminal a rich table redraws in place (per topic/partition: lag, records/s, last flush);
otherwise a log line every few seconds. SIGINT/SIGTERM land what is buffered and exit 0.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from ingest.config import Settings
from ingest.kafka.lander import IngestStats, KafkaIngester

log = logging.getLogger("pulse.ingest.kafka")


def render(stats: IngestStats, title: str = "pulse ingest kafka") -> Table:
    state = "broker ok" if stats.broker_ok else f"[red]broker unavailable, retrying[/] ({stats.error or ''})"
    table = Table(title=f"{title} - {state}", title_justify="left")
    for col in ("topic", "part", "epoch", "position", "highwater", "lag", "rec/s", "landed", "quarantined",
                "last flush"):
        table.add_column(col, justify="left" if col == "topic" else "right")
    now = time.time()
    for (topic, partition), p in sorted(stats.partitions.items()):
        lag = "?" if p.lag is None else str(p.lag)
        if p.warning:
            lag = f"[red]{lag}[/]"
        last = "-" if p.last_flush_at is None else f"{now - p.last_flush_at:.1f}s ago"
        table.add_row(topic, str(partition), str(p.epoch), str(p.position),
                      "?" if p.highwater is None else str(p.highwater), lag, f"{p.records_per_s:.0f}",
                      str(p.landed_messages), str(p.quarantined), last)
    if not stats.partitions:
        table.add_row("(no partitions of the topics exist yet)", *[""] * 9)
    return table


def summary_line(stats: IngestStats) -> str:
    landed = sum(p.landed_messages for p in stats.partitions.values())
    bad = sum(p.quarantined for p in stats.partitions.values())
    rate = sum(p.records_per_s for p in stats.partitions.values())
    broker = "ok" if stats.broker_ok else "UNAVAILABLE"
    return (f"partitions={len(stats.partitions)} landed={landed} quarantined={bad} lag={stats.lag} "
            f"rec/s={rate:.0f} broker={broker}")


class StopFlag:
    """Set by SIGINT/SIGTERM; the loop then flushes and returns (a second signal interrupts)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._old: dict[int, Any] = {}

    def __enter__(self) -> StopFlag:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        log.warning("signal %d: landing buffered messages and stopping", signum)
        self.event.set()

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)


def follow(settings: Settings, sources: list[str] | None, *, live_view: bool | None = None,
           console: Console | None = None, max_seconds: float | None = None, **options: Any) -> IngestStats:
    """Consume until a signal (or `max_seconds`), landing on the ingester's cadence."""
    console = console or Console(stderr=True)
    live_view = console.is_terminal if live_view is None else live_view
    started = time.monotonic()
    last_line = 0.0
    with StopFlag() as stop, KafkaIngester(settings, sources, **options) as ing:
        stats = IngestStats()
        live = Live(render(stats), console=console, refresh_per_second=2) if live_view else None
        try:
            if live:
                live.start()
            while not stop.event.is_set():
                stats = ing.poll_once(0.2)
                if live:
                    live.update(render(stats))
                elif time.monotonic() - last_line >= 5.0:
                    last_line = time.monotonic()
                    log.info(summary_line(stats))
                if max_seconds is not None and time.monotonic() - started >= max_seconds:
                    break
        finally:
            if live:
                live.stop()
        ing.flush()
        return ing.stats()
