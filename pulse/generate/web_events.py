"""Web-app events in the real extract's format: `... UTC` times with 0-6 fraction digits,
unsorted rows, exact duplicate rows, 64-hex user and device ids.

Realism: each user has one or two devices and an app version; their events come in sessions
separated by gaps well over the 30-minute session gap, denser in the evening (daily cycle).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from pulse.generate.core import Dataset, Picker, Plan, TimeText, UserPool, generated_records, to_epoch
from pulse.generate.faults import FaultCounts, Faults, items
from pulse.generate.formats import write_csv

HEADER = ("event_name", "user_id", "app_version", "event_time", "device_id", "client")
EVENT_NAMES = ("page_view", "click", "search", "add_to_cart", "login", "logout", "share")
EVENT_WEIGHTS = (50, 25, 10, 6, 4, 3, 2)
APP_VERSIONS = ("1.0.0", "1.1.0", "1.2.3", "2.0.1")


@dataclass(frozen=True)
class WebEventsSummary:
    rows: int
    events: int
    duplicates: int


def _hex_id(rng: random.Random) -> str:
    return hashlib.sha256(rng.getrandbits(128).to_bytes(16, "big")).hexdigest()


def format_utc(ts: datetime, digits: int) -> str:
    """'2023-02-01 09:38:43.955 UTC' with `digits` (0-6) fraction digits, as in the extract."""
    base = ts.strftime("%Y-%m-%d %H:%M:%S")
    if digits:
        base += "." + f"{ts.microsecond:06d}"[:digits]
    return base + " UTC"


def write_web_events_csv(
    path: Path,
    users: int = 200,
    start: datetime = datetime(2023, 2, 1),
    days: int = 7,
    seed: int = 7,
    duplicate_fraction: float = 0.01,
) -> WebEventsSummary:
    """Write an extract-like CSV; returns how many rows, distinct events and duplicates it holds."""
    plan = Plan(seed=seed, start=to_epoch(start), end=to_epoch(start + timedelta(days=days)), users=users)
    ds = WebEvents(plan)
    counts = FaultCounts()
    stream = items(ds, generated_records(WebEvents, plan, ds), Faults(duplicate_fraction=duplicate_fraction),
                   counts, ds.bad_kinds)
    rows = ds.write_extract(stream, Path(path))
    return WebEventsSummary(rows=rows, events=rows - counts.duplicates, duplicates=counts.duplicates)


_WEB_TIME = TimeText("%Y-%m-%d %H:%M:%S")


class WebEvents(Dataset):
    """Web-app events: per-user devices and app version, sessions of events a minute or so apart,
    then at least 35 minutes away (so a 30-minute gap separates sessions)."""

    name = "web_events"
    help = "web-app events (web-events case): CSV in the extract's format, or topic web_events"
    fields = HEADER
    sessions_per_user_day = 1.5
    wrong_types = {"event_time": "yesterday at noon"}

    def setup(self) -> None:
        self.pool = UserPool(self.plan, self.users)
        self._event = Picker(self.np_rng, np.asarray(EVENT_WEIGHTS, dtype=float))
        self._people: dict[int, tuple[str, list[str], str]] = {}

    def person(self, i: int) -> tuple[str, list[str], str]:
        p = self._people.get(i)
        if p is None:
            r = random.Random(f"{self.plan.seed}:web-user:{self.pool.global_index(self.plan, i)}")
            p = self._people[i] = (_hex_id(r), [_hex_id(r) for _ in range(r.choice((1, 1, 2)))],
                                   r.choice(APP_VERSIONS))
        return p

    def session(self, t: float):
        rng = self.rng
        u = self.pool.acquire(t)
        user, devices, version = self.person(u)
        device = devices[rng.randrange(len(devices))]
        for _ in range(max(1, int(rng.expovariate(1 / 8)))):
            yield (t, EVENT_NAMES[self._event()], user, version, device)
            t += min(rng.expovariate(1 / 60), 1200.0) + 0.05
        self.pool.release(u, t + rng.uniform(35 * 60, 8 * 3600))

    def _time(self, t: float) -> str:
        return f"{_WEB_TIME.second(t)}.{int((t % 1) * 1000):03d} UTC"

    def as_dict(self, rec, shift: float = 0.0) -> dict:
        return {"event_name": rec[1], "user_id": rec[2], "app_version": rec[3],
                "event_time": self._time(rec[0] + shift), "device_id": rec[4], "client": "web"}

    def kafka_key(self, rec) -> bytes:
        return rec[2].encode()

    def kafka_value(self, rec, shift: float = 0.0) -> bytes:
        return (f'{{"event_name":"{rec[1]}","user_id":"{rec[2]}","app_version":"{rec[3]}",'
                f'"event_time":"{self._time(rec[0] + shift)}","device_id":"{rec[4]}","client":"web"}}').encode()

    def required_fields(self) -> tuple[str, ...]:
        return ("event_name", "user_id", "event_time")

    def write_files(self, stream, out: Path) -> list:
        path = out / "web_events.csv"
        self.write_extract(stream, path)
        return [path]

    def write_extract(self, stream, path: Path) -> int:
        """The extract's quirks: 0-6 fraction digits, rows not sorted. Returns the rows written."""
        digits = random.Random(f"{self.plan.seed}:{self.plan.shard}:digits")
        return write_csv(_ExtractTimes(self, digits), stream, path, shuffle=True)


class _ExtractTimes:
    """WebEvents rendered with the extract's varying fraction digits (files only)."""

    def __init__(self, ds: WebEvents, digits: random.Random):
        self._ds, self._digits = ds, digits
        self.plan, self.fields = ds.plan, ds.fields

    def as_dict(self, rec, shift: float = 0.0) -> dict:
        d = self._ds.as_dict(rec, shift)
        when = datetime(1970, 1, 1) + timedelta(seconds=rec[0] + shift)
        d["event_time"] = format_utc(when, self._digits.randint(0, 6))
        return d

    def bad_dict(self, rec, kind, rng):
        return self._ds.bad_dict(rec, kind, rng)
