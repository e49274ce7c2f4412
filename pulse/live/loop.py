"""The `pulse run` cycle: land, look at what landed, move the arrival clock, run the realtime
models, evaluate alerts, refresh the analysts' database, merge old small lake files now and then
(pulse/live/compaction.py), show the status. Repeat.

Ingestion runs on its own thread (it keeps consuming while dbt runs); each cycle first asks it
to land what it has polled, so a cycle models everything that arrived before it began.
The first SIGINT/SIGTERM lets the current cycle finish, lands what was polled and closes the
consumers; a second one interrupts at once.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.live import Live

from ingest.config import Settings
from ingest.lake import ensure_data_dirs
from ingest.sources import SOURCES, TOPIC_SOURCES
from pulse.live.analyst import AnalystDb
from pulse.live.arrival_clock import SEND_MARGIN_S, ArrivalClock, utc_naive
from pulse.live.compaction import LiveCompaction
from pulse.live.dbt_cycle import RealtimeDbt
from pulse.live.ingester import IngestThread
from pulse.live.lake_watch import LakeWatch, NewData, count_stamped_through
from pulse.live.lookback import LandingLookback
from pulse.live.status import LiveStatus, SourceStatus, log_line, render, write_status

log = logging.getLogger("pulse.run")


@dataclass
class LoopOptions:
    sources: list[str] | None = None  # None: every registered source that arrives on a topic
    interval_s: float = 1.0  # shortest time between the starts of two cycles
    alerts_file: Path | None = None
    kafka: bool = True  # False: model what lands by other means (files), consume nothing
    max_cycles: int | None = None
    live_view: bool | None = None  # None: a redrawing table on a terminal, log lines otherwise
    ingester_factory: object | None = None  # tests/benchmarks: an alternative landing class
    compiled: bool = True  # False: every cycle through dbt (a baseline; pulse/live/dbt_cycle.py)
    # DuckDB threads of the replayed cycles, taken in turn cycle by cycle (several: to compare them
    # under the same load); empty: compiled_run.default_threads()
    threads: tuple[int, ...] = ()
    send_margin_s: float = SEND_MARGIN_S  # the arrival clock's (pulse/live/arrival_clock.py)


def live_sources(requested: list[str] | None) -> list[str]:
    if requested:
        unknown = [s for s in requested if s not in SOURCES]
        if unknown:
            raise ValueError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(sorted(SOURCES))}")
        return requested
    return list(TOPIC_SOURCES)


class LiveLoop:
    def __init__(self, settings: Settings, options: LoopOptions, console: Console | None = None):
        self.settings = settings
        self.options = options
        self.console = console or Console()
        self.sources = live_sources(options.sources)
        self.stop_event = threading.Event()
        self.watch = LakeWatch(settings, [SOURCES[s] for s in self.sources])
        self.clock = ArrivalClock(self.sources, send_margin_s=options.send_margin_s)
        self.newest_event: dict[str, object] = {}
        self.lookback = LandingLookback()
        self.analyst = AnalystDb(settings)
        self.compaction = LiveCompaction(settings, self.sources) if options.kafka else None
        self.status = LiveStatus(started_at=time.time(), sources={s: SourceStatus(s) for s in self.sources})
        self.alerter = None
        if options.alerts_file is not None:
            from pulse.alerts import Alerter, load_rules

            self.alerter = Alerter(settings, load_rules(options.alerts_file))
        self._signals = 0

    # -- lifecycle
    def request_stop(self, signum: int | None = None, _frame=None) -> None:
        self._signals += 1
        if self._signals > 1:
            raise KeyboardInterrupt
        log.info("stopping after this cycle (signal %s)", signum)
        self.stop_event.set()

    def run(self) -> int:
        ensure_data_dirs(self.settings)
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, self.request_stop)
        dbt = RealtimeDbt(self.settings.warehouse_path, compiled=self.options.compiled)
        self.status.dbt_parse_seconds = dbt.parse_seconds
        self.console.print(
            f"pulse run: {len(dbt.models)} realtime models ({', '.join(dbt.models) or 'none yet'}); "
            f"parsed once in {dbt.parse_seconds:.1f} s; sources {', '.join(self.sources)}"
        )
        ingest = None
        if self.options.kafka:
            ingest = IngestThread(self.settings, self.sources, factory=self.options.ingester_factory)
            ingest.start()
            ingest.ready.wait(60)
            if ingest.error is not None:
                raise RuntimeError(f"Kafka ingestion could not start: {ingest.error}")
        live_view = self.console.is_terminal if self.options.live_view is None else self.options.live_view
        live = Live(render(self.status), console=self.console, refresh_per_second=2) if live_view else None
        try:
            if live:
                live.start()
            while not self.stop_event.is_set():
                started = time.monotonic()
                self.cycle(dbt, ingest)
                if live:
                    live.update(render(self.status))
                else:
                    self.console.print(log_line(self.status), highlight=False, soft_wrap=True)
                if self.options.max_cycles and self.status.cycle >= self.options.max_cycles:
                    break
                self.stop_event.wait(max(0.0, self.options.interval_s - (time.monotonic() - started)))
        finally:
            if live:
                live.stop()
            if ingest is not None:
                ingest.stop()
            dbt.close()
            if self.compaction is not None:
                self.compaction.close()
            write_status(self.settings, self.status)
        if ingest is not None and ingest.error is not None:
            raise RuntimeError(f"Kafka ingestion failed: {ingest.error}")
        self.console.print(f"pulse run: stopped cleanly after {self.status.cycle} cycles")
        return 0

    # -- one cycle
    def count_behind_clock(self, s: SourceStatus, data: NewData) -> None:
        """Records that landed stamped at or before the clock already handed to the models: the
        clock promised they were in (their windows are corrected now). Logged, counted in the status."""
        through = self.clock.through.get(s.source)
        if through is None or data.earliest_arrival is None or data.earliest_arrival > through:
            return
        behind = count_stamped_through(data, through)
        if behind:
            s.behind_clock += behind
            log.warning("%s: %d records landed stamped up to %.2f s before the arrival clock already passed; "
                        "their windows are corrected in this cycle (a producer slower than --send-margin %.2f s, "
                        "or its host's clock behind this one)", s.source, behind,
                        (through - data.earliest_arrival).total_seconds(), self.clock.send_margin_s)

    def cycle(self, dbt: RealtimeDbt, ingest: IngestThread | None) -> None:
        started = time.perf_counter()
        stages: dict[str, float] = {}
        previous = self.status.updated_at or self.status.started_at
        caught_up: dict[str, float] = {}
        if ingest is not None:
            ingest.flush()
            if ingest.error is not None:
                raise RuntimeError(f"Kafka ingestion failed: {ingest.error}")
            caught_up = ingest.caught_up
            stages["catch_up"] = ingest.catch_up_seconds
        landed = time.perf_counter()
        stages["land"] = landed - started - stages.get("catch_up", 0.0)
        now = time.time()
        new = self.watch.scan()
        progress = dict(ingest.progress) if ingest is not None else {}
        first = self.status.cycle == 0
        for source, data in new.items():
            s = self.status.sources[source]
            p = progress.get(source)
            s.lag_records = None if p is None else p.lag
            self.count_behind_clock(s, data)
            self.clock.observe(source, now=now, kafka=self.options.kafka, caught_up_at=caught_up.get(source),
                               polled_at=p and p.polled_at, lag=p and p.lag, behind_s=p.behind_s if p else 0.0)
            if not first:  # the first scan is the lake's history, not this run's rate
                s.records_total += data.rows
                s.records_per_s = data.rows / max(now - previous, 1e-3)
            if data.newest_event is not None and (self.newest_event.get(source) is None
                                                  or data.newest_event > self.newest_event[source]):
                self.newest_event[source] = data.newest_event
            newest = self.newest_event.get(source)
            if newest is not None:
                s.newest_event = str(newest)
                s.freshness_s = max(0.0, (utc_naive(now) - newest).total_seconds())
            # Seconds behind: the ingester's own figure (age of the newest consumed message while
            # messages wait). Never the data's age: a quiet topic is old and caught up, not behind.
            s.lag_seconds = p.behind_s if p is not None and s.lag_records else 0.0
            arrived = self.clock.through.get(source)
            s.watermark = None if arrived is None else str(arrived)
        oldest = min((d.oldest_ingested for d in new.values() if d.oldest_ingested is not None), default=None)
        lookback = self.lookback.seconds(oldest)
        self.clock.write(self.settings, lookback)
        stages["detect"] = time.perf_counter() - landed
        threads = self.options.threads[self.status.cycle % len(self.options.threads)] if self.options.threads else None
        result = dbt.run(with_parents=first, threads=threads)
        self.lookback.dbt_ran(time.time(), clean=not result.failed)
        stages["export"] = result.export_seconds or 0.0
        stages["model"] = result.seconds - stages["export"]
        mark = time.perf_counter()
        self.status.lookback_seconds = lookback
        self.status.model_path = result.path
        self.status.duckdb_threads = result.threads
        self.status.dbt_seconds = result.seconds
        self.status.dbt_models = result.models
        self.status.errors = result.failed[-5:]
        self.status.model_seconds = {m: round(t, 4) for m, t in result.timings.items()}
        for failure in result.failed:
            log.error("dbt: %s", failure)
        if self.alerter is not None:
            fired = self.alerter.evaluate(
                {s: d.files for s, d in new.items()},
                {s: st.lag_seconds for s, st in self.status.sources.items()},
                now,
            )
            self.status.alerts_fired += len(fired)
            for alert in fired:
                self.console.print(f"[bold red]ALERT[/] {alert.message}")
        stages["alerts"] = time.perf_counter() - mark
        mark = time.perf_counter()
        self.analyst.refresh()
        stages["analyst"] = time.perf_counter() - mark
        if self.compaction is not None:  # after the models: they never see a merge published mid-scan
            mark = time.perf_counter()
            self.compaction.commit_ready()
            self.compaction.maybe_start()
            stages["compact"] = time.perf_counter() - mark
        self.status.stages = {k: round(v, 4) for k, v in stages.items()}
        self.status.cycle_records = sum(d.rows for d in new.values())
        self.status.cycle += 1
        self.status.cycle_seconds = time.perf_counter() - started
        self.status.updated_at = now
        write_status(self.settings, self.status)
