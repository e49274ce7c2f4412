"""The arrival clock `pulse run` hands the models each cycle (docs/incremental.md).

Per topic source, `arrived_through`: a wall-clock time up to which everything the broker held for
the source has landed in the lake. While the source is caught up (no lag at the ingester's last
poll), that is the time the poll started, less a margin for a fetch answered just before it;
while it is behind, the Kafka timestamp of the newest record consumed (the poll time less how far
behind it was). It never goes back. Without Kafka (`--no-kafka`) nothing arrives by the broker,
so the clock is the wall clock.

The models close windows on it (a campaign minute is reported once its end + 10 s is on or
before the view_log clock; a watch stream is finished 60 s after its last heartbeat on the
watch_events clock). It only decides *when* a window is first reported, never what it holds: a
record that lands after its window was reported rewrites the window (a correction).

The loop writes the clock, with the cycle's landing lookback, to data/run/live_clock.parquet just
before each dbt run; dbt's on-run-start copies it into this run's bounds (var `pulse_live: true`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa

from ingest.config import Settings
from ingest.lake import write_table_atomic

# kafka-python answers a poll from fetch responses it received before the poll began: up to its
# fetch_max_wait_ms (200 ms in the lander) plus the time the ingester spent landing between two
# polls; and a producer stamps a record up to its linger (100 ms for the generators) before sending it.
FETCH_MARGIN_S = 1.0
CLOCK_FILE = "live_clock.parquet"
CLOCK_SCHEMA = pa.schema([("source", pa.string()), ("arrived_through", pa.timestamp("us")),
                          ("lookback_seconds", pa.int32())])


def utc_naive(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)


@dataclass
class ArrivalClock:
    sources: list[str]
    through: dict[str, datetime] = field(default_factory=dict)

    def observe(self, source: str, *, now: float, kafka: bool, polled_at: float | None = None,
                lag: int | None = None, behind_s: float = 0.0) -> None:
        if not kafka:
            candidate = now
        elif polled_at is None or lag is None:
            return  # the ingester has not reported on this source yet
        elif lag == 0:
            candidate = polled_at - FETCH_MARGIN_S
        else:
            candidate = polled_at - behind_s
        value = utc_naive(candidate)
        if source not in self.through or value > self.through[source]:
            self.through[source] = value

    def table(self, lookback_seconds: int | None) -> pa.Table:
        return pa.table({"source": self.sources,
                         "arrived_through": [self.through.get(s) for s in self.sources],
                         "lookback_seconds": [lookback_seconds] * len(self.sources)}, schema=CLOCK_SCHEMA)

    def write(self, settings: Settings, lookback_seconds: int | None) -> None:
        write_table_atomic(self.table(lookback_seconds), settings.run_dir / CLOCK_FILE)
