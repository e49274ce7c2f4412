"""Per-source event-time watermarks for the live loop, handed to dbt as vars.

A source's watermark is the newest event time landed minus the source's allowed lateness: every
event older than it is assumed to have arrived, so windows ending before it can close.
When the source is caught up and goes quiet, event time is assumed to go on with the wall clock
from the newest event, so minute windows and 60-second streams still close when nothing new
arrives. While the ingester is behind (a backlog) only landed events move it, never the clock.
A watermark never goes back, and an event stamped in the future moves it at most to the clock
plus `max_future_s` (one bad clock must not close every open window).

dbt vars (documented in dbt_project.yml and docs/live.md):
    watermark_<source>  'YYYY-MM-DD HH:MM:SS.ffffff' (UTC), absent until the source has data
    live_now            the loop's wall clock at the cycle, same format
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Allowed lateness per source, seconds. view_log: the case's 10 s maximum Kafka delay.
DEFAULT_LATENESS_S = {"view_log": 10.0}
FALLBACK_LATENESS_S = 5.0


def utc_naive(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)


def as_var(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass
class SourceClock:
    lateness: timedelta
    newest_event: datetime | None = None
    newest_at_wall: float = 0.0  # wall clock when newest_event last moved
    watermark: datetime | None = None

    def observe(self, newest_event: datetime | None, caught_up: bool, now: float, max_future_s: float) -> None:
        ceiling = utc_naive(now + max_future_s)
        if newest_event is not None and (self.newest_event is None or newest_event > self.newest_event):
            self.newest_event = min(newest_event, ceiling)
            self.newest_at_wall = now
        if self.newest_event is None:
            return
        event_time = self.newest_event
        if caught_up:
            event_time += timedelta(seconds=max(0.0, now - self.newest_at_wall))
        candidate = event_time - self.lateness
        if self.watermark is None or candidate > self.watermark:
            self.watermark = candidate


class Watermarks:
    def __init__(self, sources: list[str], lateness_s: dict[str, float] | None = None, max_future_s: float = 60.0):
        lateness = {**DEFAULT_LATENESS_S, **(lateness_s or {})}
        self.max_future_s = max_future_s
        self.clocks = {s: SourceClock(timedelta(seconds=lateness.get(s, FALLBACK_LATENESS_S))) for s in sources}

    def observe(self, source: str, newest_event: datetime | None, caught_up: bool, now: float) -> None:
        self.clocks[source].observe(newest_event, caught_up, now, self.max_future_s)

    def dbt_vars(self, now: float) -> dict[str, str]:
        out = {f"watermark_{s}": as_var(c.watermark) for s, c in self.clocks.items() if c.watermark is not None}
        out["live_now"] = as_var(utc_naive(now))
        return out
