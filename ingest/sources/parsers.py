"""Value parsers shared by the source specs. Each raises ValueError with a short reason."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

# Timestamps outside this range are "absurd": a clock bug or a unit mix-up, not an event.
MIN_EVENT_TIME = datetime(2000, 1, 1)
MAX_FUTURE = timedelta(days=2)


def text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise ValueError("expected text, got a nested object")
    return str(value)


def integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("expected an integer")
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value)
    raise ValueError(f"expected an integer, got {type(value).__name__}")


def number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    result = float(value) if isinstance(value, (int, float, str)) else None
    if result is None or math.isnan(result) or math.isinf(result):
        raise ValueError("expected a finite number")
    return result


def _check_range(ts: datetime) -> datetime:
    if ts < MIN_EVENT_TIME or ts > datetime.now(UTC).replace(tzinfo=None) + MAX_FUTURE:
        raise ValueError("timestamp out of the plausible range (2000-01-01 .. now + 2 days)")
    return ts


def utc_timestamp(value: Any) -> datetime:
    """'2023-02-01 09:38:43.955 UTC' (0-6 fraction digits), ISO 8601 with Z/offset, or epoch ms.

    Returns a naive datetime in UTC: the lake stores every event time as UTC.
    """
    if isinstance(value, bool):
        raise ValueError("expected a timestamp, got a boolean")
    if isinstance(value, (int, float)):
        return epoch_millis(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a timestamp, got {type(value).__name__}")
    s = value.strip()
    if s.endswith(" UTC"):
        s = s[:-4]
    elif s.endswith("Z"):
        s = s[:-1]
    ts = datetime.fromisoformat(s)  # raises ValueError("Invalid isoformat string ...")
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return _check_range(ts)


def epoch_millis(value: Any) -> datetime:
    """Milliseconds since the epoch, possibly with a fraction (mParticle's timestamp_unixtime_ms)."""
    ms = number(value)
    return _check_range(datetime(1970, 1, 1) + timedelta(microseconds=round(ms * 1000)))


def local_day_month_year(value: Any) -> datetime:
    """'dd/mm/yyyy HH:MM' as written in the orders extract (a local time, kept naive)."""
    ts = datetime.strptime(text(value).strip(), "%d/%m/%Y %H:%M")
    return _check_range(ts)


def iso_date(value: Any) -> date:
    return date.fromisoformat(text(value).strip()[:10])
