"""`pulse lake audit`: does produced = landed + quarantined hold, per partition and offset range?

The unit is the Kafka message (its offset): an exploded message (an mParticle batch) lands as
several rows, numbered by `_row`, some of which may be quarantined; the message counts once.
For each topic partition (and log epoch, see `kafka_names`) the audit reads the `_offset`/`_row`
columns of every landed and quarantined file and checks:
  - no (offset, _row) is stored twice (landed twice, quarantined twice, or both);
  - every file's offsets lie inside the range its name records;
  - for the broker's current log: every offset from its first retained offset to its high
    watermark - 1 is in the lake (offsets past the lake's newest are reported as "not yet landed").
Offsets before the broker's first retained one (expired) are checked within the lake only.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from .config import Settings
from .kafka_names import OffsetRange, kafka_files
from .lake import quarantine_dir, source_dir


@dataclass
class PartitionAudit:
    source: str
    topic: str
    partition: int
    epoch: int
    landed_rows: int = 0
    quarantined_rows: int = 0
    messages: int = 0  # distinct offsets in the lake (landed or quarantined)
    landed_messages: int = 0  # offsets with at least one landed row
    quarantined_messages: int = 0  # offsets with at least one quarantined row
    lake_first: int | None = None
    lake_last: int | None = None
    duplicates: int = 0  # (offset, _row) pairs stored more than once
    outside_name: list[str] = field(default_factory=list)  # files holding offsets outside their name's range
    broker_first: int | None = None  # current epoch only: first retained offset
    broker_highwater: int | None = None
    missing: list[tuple[int, int]] = field(default_factory=list)  # offset ranges produced but not in the lake
    not_yet_landed: int = 0  # past the lake's newest offset (an ingester is behind)

    @property
    def produced(self) -> int | None:
        if self.broker_highwater is None or self.broker_first is None:
            return None
        return self.broker_highwater - self.broker_first

    @property
    def missing_count(self) -> int:
        return sum(b - a + 1 for a, b in self.missing)

    @property
    def ok(self) -> bool:
        return not self.duplicates and not self.missing and not self.outside_name

    def describe_missing(self, limit: int = 5) -> str:
        parts = [str(a) if a == b else f"{a}..{b}" for a, b in self.missing[:limit]]
        return ", ".join(parts) + (" ..." if len(self.missing) > limit else "")


def _read_offsets(path: Path) -> tuple[np.ndarray, np.ndarray]:
    table = pq.ParquetFile(path).read(columns=["_offset", "_row"])
    offsets = table["_offset"].to_numpy(zero_copy_only=False)
    rows = table["_row"].fill_null(-1).to_numpy(zero_copy_only=False)
    return offsets.astype(np.int64), rows.astype(np.int64)


def _ranges(values: np.ndarray) -> list[tuple[int, int]]:
    """Sorted unique ints -> [(first, last), ...] of consecutive runs."""
    if values.size == 0:
        return []
    breaks = np.nonzero(np.diff(values) != 1)[0]
    starts = np.concatenate(([values[0]], values[breaks + 1]))
    ends = np.concatenate((values[breaks], [values[-1]]))
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def audit_lake(settings: Settings, sources: Iterable[str]) -> dict[tuple[str, int, int], PartitionAudit]:
    """Lake-side audit per (topic, partition, epoch)."""
    found: dict[tuple[str, int, int], PartitionAudit] = {}
    keys: dict[tuple[str, int, int], dict[str, list[np.ndarray]]] = defaultdict(lambda: defaultdict(list))
    for source in sources:
        for kind, root in (("landed", source_dir(settings, source)), ("quarantined", quarantine_dir(settings, source))):
            for path, rng in kafka_files([root]):
                _audit_file(found, keys, source, kind, path, rng)
    for key, audit in found.items():
        by_kind = {k: np.concatenate(v) if v else np.empty(0, np.int64) for k, v in keys[key].items()}
        landed = by_kind.get("landed", np.empty(0, np.int64))
        bad = by_kind.get("quarantined", np.empty(0, np.int64))
        both = np.concatenate((landed, bad))
        audit.duplicates = int(both.size - np.unique(both).size)
        offsets = np.unique(both >> 20)
        audit.messages = int(offsets.size)
        audit.landed_messages = int(np.unique(landed >> 20).size)
        audit.quarantined_messages = int(np.unique(bad >> 20).size)
        if offsets.size:
            audit.lake_first, audit.lake_last = int(offsets[0]), int(offsets[-1])
            runs = _ranges(offsets)
            audit.missing = [(b1 + 1, a2 - 1) for (_, b1), (a2, _) in zip(runs, runs[1:], strict=False)]
    return found


def _audit_file(found, keys, source: str, kind: str, path: Path, rng: OffsetRange) -> None:
    key = (rng.topic, rng.partition, rng.epoch)
    audit = found.setdefault(key, PartitionAudit(source, rng.topic, rng.partition, rng.epoch))
    offsets, rows = _read_offsets(path)
    if kind == "landed":
        audit.landed_rows += offsets.size
    else:
        audit.quarantined_rows += offsets.size
    if offsets.size and (offsets.min() < rng.first or offsets.max() > rng.last):
        audit.outside_name.append(path.name)
    # One int per (offset, _row): _row < 2**20 - 1 (a batch of a million events is not a message).
    keys[key][kind].append((offsets << 20) | (rows + 1))


def add_broker_view(settings: Settings, audits: dict[tuple[str, int, int], PartitionAudit],
                    topics: dict[str, str], timeout_s: float = 15.0) -> None:
    """Compare the newest epoch of each partition with the broker's current log."""
    from kafka import TopicPartition

    from . import kafka_client

    consumer = kafka_client.consumer(settings, enable_auto_commit=False, auto_offset_reset="earliest",
                                     allow_auto_create_topics=False, metrics_enabled=False, request_timeout_ms=10_000)
    try:
        existing = consumer.topics()
        tps = [TopicPartition(t, p) for t in topics if t in existing for p in consumer.partitions_for_topic(t)]
        if not tps:
            return
        consumer.assign(tps)
        firsts = consumer.beginning_offsets(tps, timeout_ms=int(timeout_s * 1000))
        consumer.seek_to_beginning(*tps)
        highwater: dict = {}
        deadline = time.monotonic() + timeout_s
        while len(highwater) < len(tps) and time.monotonic() < deadline:
            consumer.poll(timeout_ms=300, max_records=1)  # a fetch answers the high watermark
            for tp in tps:
                hw = consumer.highwater(tp)
                if hw is not None:
                    highwater[tp] = hw
        for tp in tps:
            epochs = [k[2] for k in audits if k[:2] == (tp.topic, tp.partition)]
            key = (tp.topic, tp.partition, max(epochs) if epochs else 0)
            audit = audits.setdefault(key, PartitionAudit(topics[tp.topic], tp.topic, tp.partition, key[2]))
            audit.broker_first, audit.broker_highwater = firsts.get(tp), highwater.get(tp)
            _compare_with_broker(audit)
    finally:
        consumer.close(autocommit=False)


def _compare_with_broker(audit: PartitionAudit) -> None:
    if audit.broker_first is None or audit.broker_highwater is None:
        return
    first, end = audit.broker_first, audit.broker_highwater - 1
    lake_last = audit.lake_last if audit.lake_last is not None else first - 1
    inner = [(a, min(b, end)) for a, b in audit.missing if a <= end]  # gaps below `first` stay: lost
    if audit.lake_first is not None and audit.lake_first > first:
        inner.insert(0, (first, min(audit.lake_first - 1, end)))
    audit.missing = inner
    audit.not_yet_landed = max(end - lake_last, 0)
