"""Injected faults: late (out-of-order) records, exact duplicates and bad records, all off by
default and counted, so a test or a model can reconcile what it sees with what was sent."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: core's datasets are written through formats, which uses Item
    from pulse.generate.core import Dataset, Record

# malformed_json: truncated bytes; missing_field: a required field left out; wrong_type: e.g. a
# text where a number or a time belongs; negative_duration: end before start / duration < 0.
BAD_KINDS = ("malformed_json", "missing_field", "wrong_type", "negative_duration")


@dataclass(frozen=True)
class Faults:
    late_fraction: float = 0.0
    max_delay: float = 10.0  # seconds a late record's event time lies before its publish time
    duplicate_fraction: float = 0.0
    bad_fraction: float = 0.0

    def __post_init__(self) -> None:
        for name in ("late_fraction", "duplicate_fraction", "bad_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"--{name.replace('_', '-')} must be between 0 and 1, got {value}")
        if self.late_fraction + self.bad_fraction > 1.0:
            raise ValueError("--late-fraction plus --bad-fraction must not exceed 1")
        if self.max_delay <= 0:
            raise ValueError(f"--max-delay must be positive, got {self.max_delay}")

    @property
    def any(self) -> bool:
        return bool(self.late_fraction or self.duplicate_fraction or self.bad_fraction)


@dataclass
class FaultCounts:
    late: int = 0
    duplicates: int = 0
    bad: Counter = field(default_factory=Counter)

    @property
    def bad_total(self) -> int:
        return sum(self.bad.values())


# An item to render: (record, shift seconds (<= 0), bad kind or None, is a duplicate copy).
Item = tuple["Record", float, str | None, bool]


def items(ds: Dataset, records: Iterator[Record], faults: Faults, counts: FaultCounts,
          kinds: tuple[str, ...]) -> Iterator[Item]:
    """Each record once (possibly late or bad), then a duplicate copy for some; counted on yield."""
    if not faults.any:
        for rec in records:
            yield rec, 0.0, None, False
        return
    rng = random.Random(f"{ds.plan.seed}:{ds.plan.shard}:faults")
    late_p, bad_p, dup_p, delay = faults.late_fraction, faults.bad_fraction, faults.duplicate_fraction, faults.max_delay
    for rec in records:
        r = rng.random()
        shift, bad = 0.0, None
        if r < bad_p:
            bad = kinds[rng.randrange(len(kinds))]
            counts.bad[bad] += 1
        elif r < bad_p + late_p:
            shift = -rng.uniform(0.001, delay)
            counts.late += 1
        dup = rng.random() < dup_p
        yield rec, shift, bad, False
        if dup:
            counts.duplicates += 1
            yield rec, shift, bad, True


def kafka_messages(ds: Dataset, stream: Iterator[Item]) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) bytes per item; a duplicate copy repeats the bytes of its original exactly."""
    key_of, value_of = ds.kafka_key, ds.kafka_value
    rng = random.Random(f"{ds.plan.seed}:{ds.plan.shard}:bad-values")
    last = (b"", b"")
    for rec, shift, bad, dup in stream:
        if dup:
            yield last
            continue
        if bad is None:
            last = (key_of(rec), value_of(rec, shift))
        elif bad == "malformed_json":
            good = value_of(rec, shift)
            last = (key_of(rec), good[: len(good) // 2])
        else:
            last = (key_of(rec), json.dumps(ds.bad_dict(rec, bad, rng), separators=(",", ":")).encode())
        yield last
