"""Drive the Kafka lander (`ingest.kafka.lander.KafkaIngester`) from a background thread.

The thread owns the ingester (kafka-python consumers are not thread-safe) and lands only when
the loop asks, at the start of a cycle. Before landing it catches up with the ends the topics'
logs have at that moment, so the loop knows up to when the broker's records are all in the lake
(`caught_up`, for the arrival clock). Between cycles it polls only when the loop is slow to ask
(IDLE_POLL_S) or through a backlog (without pause), so that at the loop's pace a cycle costs the
broker one fetch. The loop reads the latest lag per source from here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ingest.config import Settings
from ingest.kafka.lander import KafkaIngester


@dataclass
class SourceProgress:
    lag: int | None = None  # records in Kafka not consumed yet
    behind_s: float = 0.0  # age of the newest consumed message while lagging
    buffered: int = 0  # consumed, not landed yet
    polled_at: float | None = None  # wall clock when the poll that reported this started


def progress_by_source(stats: Any, topic_source: Mapping[str, str]) -> dict[str, SourceProgress]:
    """Per source, summed over its partitions, from the ingester's per-partition stats."""
    out: dict[str, SourceProgress] = {}
    parts = getattr(stats, "partitions", stats) if stats is not None else {}
    items = parts.items() if isinstance(parts, Mapping) else [(None, v) for v in parts]
    for key, value in items:
        get = value.get if isinstance(value, Mapping) else lambda name, v=value: getattr(v, name, None)
        topic = get("topic") or (key[0] if isinstance(key, tuple) else key)
        source = get("source") or topic_source.get(str(topic), str(topic))
        p = out.setdefault(source, SourceProgress())
        lag = get("lag")
        if lag is not None:
            p.lag = (p.lag or 0) + max(int(lag), 0)
        p.behind_s = max(p.behind_s, float(get("behind_s") or 0.0))
        p.buffered += int(get("buffered") or 0)
    return out


# While caught up, the thread fetches only for the loop's flush (whose catch-up sends a fetch
# anyway), or after this long without one: a cycle costs the broker one fetch. The embedded broker
# lists every record batch a partition holds to answer a fetch with new records
# (docs/architecture.md), so each fetch costs more as a run goes on; polling every 0.5 s between
# flushes, as before, made two or three of them a cycle (docs/live.md, run 51). Records wait in
# the broker instead of in memory until the flush, which lands them in the same cycle either way.
IDLE_POLL_S = 2.0
# A source is in a backlog when the records waiting for it are older than this: then the thread
# polls without pause and the flush does not try to catch up. Not on a lag alone: a few records
# always wait (those produced during the poll interval, and the embedded broker reads a partition's
# end after its batches), and polling at once on them kept the broker fetching.
BACKLOG_S = 2.0


def in_backlog(progress: Mapping[str, SourceProgress]) -> bool:
    return any(p.lag and p.behind_s > BACKLOG_S for p in progress.values())


class IngestThread(threading.Thread):
    """Keeps polling; lands only when the loop asks (`flush`), between dbt runs.

    A run reads the lake rows landed up to its start (docs/incremental.md); landing only at the
    start of a cycle means no file lands while dbt reads the lake, so each run reads exactly the
    rows landed since the previous one. Consuming goes on while dbt runs (into memory), up to
    `max_buffered` messages, then waits for the next cycle.
    """

    def __init__(self, settings: Settings, sources: list[str], *, poll_timeout_s: float = 0.2,
                 max_buffered: int = 300_000, catch_up_s: float = 1.0, idle_poll_s: float = IDLE_POLL_S,
                 factory: Callable[..., Any] | None = None):
        super().__init__(name="pulse-ingest", daemon=True)
        self.settings = settings
        self.sources = sources
        self.poll_timeout_s = poll_timeout_s
        self.max_buffered = max_buffered
        self._factory = factory
        self._stopping = threading.Event()
        self._flush_wanted = threading.Event()
        self._flushed = threading.Condition()
        self._flush_count = 0
        self.catch_up_s = catch_up_s  # longest a flush waits to reach the logs' ends
        self.idle_poll_s = idle_poll_s  # while caught up: the longest time without a poll
        self.progress: dict[str, SourceProgress] = {}
        # Per source, the wall time up to which the broker's records were all landed by the last
        # flush (sources that did not catch up within `catch_up_s` are missing).
        self.caught_up: dict[str, float] = {}
        self.catch_up_seconds = 0.0  # of the last flush: waiting for the logs' ends (a broker round trip)
        self.error: BaseException | None = None
        self.ready = threading.Event()
        self._topic_source = {settings.topic(s): s for s in sources}

    def _make(self):
        if self._factory:  # a stand-in landing class (tests)
            return self._factory(self.settings, self.sources)
        # land only on flush(), when the loop asks (never due by time or size)
        return KafkaIngester(self.settings, self.sources, flush_interval_s=1e9, flush_records=10**9)

    def run(self) -> None:
        try:
            ingester = self._make()
        except BaseException as exc:  # reported to the loop, which stops with the reason
            self.error = exc
            self.ready.set()
            return
        self.ready.set()
        buffered = 0
        polled_at = time.time()
        try:
            while not self._stopping.is_set():
                if self._flush_wanted.is_set():
                    self._flush_wanted.clear()
                    # A stand-in landing class (tests) may not know the logs' ends, and a backlog is
                    # not caught up within `catch_up_s`: nothing caught up, the clock falls back.
                    catch_up = getattr(ingester, "catch_up", None)
                    backlog = in_backlog(self.progress)
                    asked, asked_wall = time.perf_counter(), time.time()
                    caught_up = catch_up(self.catch_up_s) if catch_up and not backlog else {}
                    self.catch_up_seconds = time.perf_counter() - asked
                    ingester.flush()
                    self.caught_up = caught_up
                    if catch_up and not backlog:  # the catch-up's polls: their lags are the newest
                        polled_at = asked_wall
                        self._note_progress(ingester.stats(), polled_at)
                    buffered = 0
                    with self._flushed:
                        self._flush_count += 1
                        self._flushed.notify_all()
                if buffered >= self.max_buffered:
                    self._flush_wanted.wait(self.poll_timeout_s)  # back-pressure until the next cycle
                    continue
                backlog = in_backlog(self.progress)
                if not backlog and time.time() < polled_at + self.idle_poll_s:
                    self._flush_wanted.wait(polled_at + self.idle_poll_s - time.time())
                    continue  # the flush fetches, or the idle time is up
                polled_at = time.time()
                buffered = self._note_progress(ingester.poll_once(self.poll_timeout_s if backlog else 0.0),
                                               polled_at)
            ingester.flush()
        except BaseException as exc:
            self.error = exc
        finally:
            try:
                ingester.close()
            finally:
                with self._flushed:
                    self._flush_count += 1
                    self._flushed.notify_all()

    def _note_progress(self, stats: Any, polled_at: float) -> int:
        """Take the lag per source from a poll's stats; returns the messages buffered."""
        progress = progress_by_source(stats, self._topic_source)
        for p in progress.values():
            p.polled_at = polled_at
        self.progress = {**self.progress, **progress}
        return sum(p.buffered for p in progress.values())

    def flush(self, timeout_s: float = 60.0) -> bool:
        """Ask the thread to catch up with the logs' ends and land everything polled; wait until it has."""
        if not self.is_alive():
            return False
        with self._flushed:
            target = self._flush_count + 1
            self._flush_wanted.set()
            return self._flushed.wait_for(lambda: self._flush_count >= target or not self.is_alive(), timeout_s)

    def stop(self, timeout_s: float = 60.0) -> None:
        self._stopping.set()
        self.join(timeout_s)

