"""The arrival clock `pulse run` hands the models each cycle (docs/incremental.md).

Per topic source, `arrived_through`: a wall-clock time up to which every record the producers
stamped (Kafka CreateTime) has landed in the lake. Each cycle the ingester catches up with the ends
the source's partitions have when the cycle begins, then lands (pulse/live/ingester.py): every
record the broker held at that moment is landed, and a record stamped more than the producers'
send margin (`send_margin_s`: a producer's linger and the trip to the broker) before it was in the
broker by then; the clock is that moment less the margin. When the catch-up did not finish in time,
the ingester's last poll decides: caught up (no lag) gives the poll's start less a wider margin for
a fetch answered before it; behind, the Kafka timestamp of the newest record consumed. It never goes
back. Without Kafka (`--no-kafka`) nothing arrives by the broker, so the clock is the wall clock.
A record stamped earlier than the clock when it lands (a producer lingering longer than the margin,
or a producer host's clock behind this one) arrived behind it: the loop counts those records per
source (the status's `behind_clock`), and their windows are corrected when they land.

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

# A producer stamps a record when it is handed over, then sends it within its linger (100 ms for
# pulse's generators, 5 ms by default since Kafka 4.0): the default leaves 150 ms more for the
# sender to wake and the broker to append. `pulse run --send-margin`.
SEND_MARGIN_S = 0.25
# Without a catch-up: kafka-python answers a poll from fetch responses received before the poll
# began: up to its fetch_max_wait_ms (200 ms in the lander) plus the time the ingester spent landing
# between two polls, on top of the send margin.
FETCH_MARGIN_S = 1.0
CLOCK_FILE = "live_clock.parquet"
CLOCK_SCHEMA = pa.schema([("source", pa.string()), ("arrived_through", pa.timestamp("us")),
                          ("lookback_seconds", pa.int32())])


def utc_naive(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)


@dataclass
class ArrivalClock:
    sources: list[str]
    send_margin_s: float = SEND_MARGIN_S
    through: dict[str, datetime] = field(default_factory=dict)

    def observe(self, source: str, *, now: float, kafka: bool, caught_up_at: float | None = None,
                polled_at: float | None = None, lag: int | None = None, behind_s: float = 0.0) -> None:
        if not kafka:
            candidate = now
        elif caught_up_at is not None:
            candidate = caught_up_at - self.send_margin_s
        elif polled_at is None or lag is None:
            return  # the ingester has not reported on this source yet
        elif lag == 0:
            candidate = polled_at - max(FETCH_MARGIN_S, self.send_margin_s)
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
