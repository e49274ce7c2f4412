"""Names of Kafka-landed lake files, and what the lake says about each partition's offsets.

A flush of one topic partition covers a contiguous offset range `first..last`; every file it writes
(one per event date, plus the quarantine file when some messages were bad) is named

    <topic>+<partition>+<first>-<last>.parquet          (the contract with the lake readers)
    <topic>@<epoch>+<partition>+<first>-<last>.parquet  (after the broker's log was reset)

so the resume point of a partition is found from file names alone.
`@` cannot occur in a Kafka topic name, so the two forms never clash. The epoch counts log resets:
Tansu keeps topics in memory, so after a broker restart a partition's offsets start again at 0;
the new offsets get a new epoch instead of overwriting the files of the old ones.
A compacted file keeps the form; its range is the union of the ranges it merged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.config import Settings
from ingest.lake import quarantine_dir, source_dir

_NAME = re.compile(
    r"^(?P<topic>[A-Za-z0-9._-]+)(?:@(?P<epoch>\d+))?\+(?P<partition>\d+)\+(?P<first>\d+)-(?P<last>\d+)\.parquet$"
)


@dataclass(frozen=True, order=True)
class OffsetRange:
    """Offsets `first..last` (inclusive) of one topic partition in one log epoch."""

    topic: str
    partition: int
    epoch: int
    first: int
    last: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.topic, self.partition)

    def file_stem(self) -> str:
        return file_stem(self.topic, self.partition, self.first, self.last, self.epoch)


def file_stem(topic: str, partition: int, first: int, last: int, epoch: int = 0) -> str:
    qualified = topic if epoch == 0 else f"{topic}@{epoch}"
    return f"{qualified}+{partition}+{first}-{last}"


def parse_name(name: str) -> OffsetRange | None:
    """The offset range a lake file name records, or None for any other file."""
    m = _NAME.match(name)
    if not m:
        return None
    return OffsetRange(m["topic"], int(m["partition"]), int(m["epoch"] or 0), int(m["first"]), int(m["last"]))


def kafka_files(roots: Iterable[Path]) -> Iterable[tuple[Path, OffsetRange]]:
    """Every visible Kafka-landed file under the `date=*` folders of `roots`, with its range."""
    for root in roots:
        if not root.is_dir():
            continue
        for day in os.scandir(root):
            if not (day.is_dir() and day.name.startswith("date=")):
                continue
            for entry in os.scandir(day.path):
                rng = parse_name(entry.name)
                if rng is not None:
                    yield Path(entry.path), rng


def source_roots(settings: Settings, sources: Iterable[str]) -> list[Path]:
    """Landed and quarantine folders of `sources` (both account for offsets)."""
    roots: list[Path] = []
    for s in sources:
        roots += [source_dir(settings, s), quarantine_dir(settings, s)]
    return roots


@dataclass(frozen=True)
class Resume:
    """Where a partition continues: the lake's latest epoch and its newest flush range."""

    epoch: int
    latest: OffsetRange | None  # None: nothing of this epoch landed yet
    path: Path | None = None  # a file of the latest range (its metadata identifies the log it came from)

    @property
    def next_offset(self) -> int:
        return 0 if self.latest is None else self.latest.last + 1


def resume_points(settings: Settings, sources: Iterable[str]) -> dict[tuple[str, int], Resume]:
    """Per (topic, partition): the newest epoch and, in it, the range with the highest last offset.

    Ties on `last` go to the narrowest range: a fresh flush file, not a compacted one around it.
    """
    best: dict[tuple[str, int], tuple[OffsetRange, Path]] = {}
    for path, rng in kafka_files(source_roots(settings, sources)):
        cur = best.get(rng.key)
        if cur is None or _newer(rng, cur[0]):
            best[rng.key] = (rng, path)
    return {key: Resume(rng.epoch, rng, path) for key, (rng, path) in best.items()}


def _newer(a: OffsetRange, b: OffsetRange) -> bool:
    return (a.epoch, a.last, b.last - b.first) > (b.epoch, b.last, a.last - a.first)
