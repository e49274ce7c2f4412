"""Drive the Kafka lander (`ingest.kafka.lander.KafkaIngester`) from a background thread.

The thread owns the ingester (kafka-python consumers are not thread-safe): it keeps polling
(every POLL_EVERY_S, without pause through a backlog), so consuming goes on while dbt
runs, and lands only when the loop asks, at the start of a cycle. Before landing it catches up
with the ends the topics' logs have at that moment, so the loop knows up to when the broker's
records are all in the lake (`caught_up`, for the arrival clock). The loop reads the latest lag
per source from here.
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


# While caught up, the thread polls at most this often, without waiting: the poll takes what the
# last fetch brought and sends the next. What it polls waits in memory for the next cycle anyway,
# and the flush catches up with the logs' ends first. The embedded broker lists every batch a
# partition holds to answer a fetch with new records (docs/architecture.md), so each fetch costs
# more as the run goes on: fewer fetches, less of its growing load on the machine.
POLL_EVERY_S = 0.5
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
                 max_buffered: int = 300_000, catch_up_s: float = 1.0, poll_every_s: float = POLL_EVERY_S,
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
        self.poll_every_s = poll_every_s  # while caught up: the shortest time between two polls
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
        try:
            while not self._stopping.is_set():
                if self._flush_wanted.is_set():
                    self._flush_wanted.clear()
                    # A stand-in landing class (tests) may not know the logs' ends, and a backlog is
                    # not caught up within `catch_up_s`: nothing caught up, the clock falls back.
                    catch_up = getattr(ingester, "catch_up", None)
                    backlog = in_backlog(self.progress)
                    asked = time.perf_counter()
                    caught_up = catch_up(self.catch_up_s) if catch_up and not backlog else {}
                    self.catch_up_seconds = time.perf_counter() - asked
                    ingester.flush()
                    self.caught_up = caught_up
                    buffered = 0
                    with self._flushed:
                        self._flush_count += 1
                        self._flushed.notify_all()
                if buffered >= self.max_buffered:
                    self._flush_wanted.wait(self.poll_timeout_s)  # back-pressure until the next cycle
                    continue
                polled_at = time.time()
                backlog = in_backlog(self.progress)
                progress = progress_by_source(ingester.poll_once(self.poll_timeout_s if backlog else 0.0),
                                              self._topic_source)
                for p in progress.values():
                    p.polled_at = polled_at
                buffered = sum(p.buffered for p in progress.values())
                self.progress = {**self.progress, **progress}
                if not in_backlog(progress):  # the next poll can wait
                    self._flush_wanted.wait(max(0.0, polled_at + self.poll_every_s - time.time()))
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

