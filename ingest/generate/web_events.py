"""Web-app events in the real extract's format: `... UTC` times with 0-6 fraction digits,
unsorted rows, exact duplicate rows, 64-hex user and device ids.

Realism: each user has one or two devices and an app version; their events come in sessions
separated by gaps well over the 30-minute session gap, denser in the daytime.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

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


def iter_events(
    rng: random.Random, users: int, start: datetime, days: int
) -> Iterator[tuple[str, str, str, datetime, str, str]]:
    for _ in range(users):
        user = _hex_id(rng)
        devices = [_hex_id(rng) for _ in range(rng.choice((1, 1, 2)))]
        version = rng.choice(APP_VERSIONS)
        for day in range(days):
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                # Sessions cluster in the daytime (UTC 7-23h), with a random start.
                t = start + timedelta(days=day, hours=rng.uniform(7, 22.5))
                device = rng.choice(devices)
                for _ in range(max(1, int(rng.expovariate(1 / 8)))):
                    event = rng.choices(EVENT_NAMES, EVENT_WEIGHTS)[0]
                    yield event, user, version, t, device, "web"
                    t += timedelta(seconds=rng.expovariate(1 / 60), microseconds=rng.randrange(10**6))


def write_web_events_csv(
    path: Path,
    users: int = 200,
    start: datetime = datetime(2023, 2, 1),
    days: int = 7,
    seed: int = 7,
    duplicate_fraction: float = 0.01,
) -> WebEventsSummary:
    """Write an extract-like CSV; returns how many rows, distinct events and duplicates it holds."""
    rng = random.Random(seed)
    rows = []
    for event, user, version, t, device, client in iter_events(rng, users, start, days):
        rows.append((event, user, version, format_utc(t, rng.randint(0, 6)), device, client))
    events = len(rows)
    duplicates = [rng.choice(rows) for _ in range(int(events * duplicate_fraction))]
    rows.extend(duplicates)
    rng.shuffle(rows)  # the real extract is not sorted
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return WebEventsSummary(rows=len(rows), events=events, duplicates=len(duplicates))
