"""`pulse lake audit`: does produced = landed + quarantined hold, per partition and offset range?

The unit is the Kafka message (its offset): an exploded message (an mParticle batch) lands as
several rows, numbered by `_row`, some of which may be quarantined; the message counts once.
For each topic partition (and log epoch, see `ingest.kafka.names`) the audit reads the `_offset`/`_row`
columns of every landed and quarantined file and checks:
  - no (offset, _row) is stored twice (landed twice, quarantined twice, or both);
  - every file's offsets lie inside the range its name records;
  - for the broker's current log: every offset from its first retained offset to its high
    watermark - 1 is in the lake (offsets past the lake's newest are reported as "not yet landed").
Offsets before the broker's first retained one (expired) are checked within the lake only.

What the ingester recorded (`ingest.kafka.epochs`) explains the rest, per epoch: a range lost to
retention or to a reset is "lost" (the audit fails and says how many, where); an epoch that a
later one superseded is "reset" (its log started over; that alone loses nothing the lake held);
a broker whose topic id is not the one the lake's newest files came from holds a new incarnation
that is not landed yet. The statuses are ok / lost / reset / missing / duplicates.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from ingest.config import Settings
from ingest.kafka.epochs import Lost, Reset, read_file_metadata, read_ledger, topic_id_of
from ingest.kafka.names import OffsetRange, kafka_files, parse_name
from ingest.lake import quarantine_dir, source_dir


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
    lost: list[Lost] = field(default_factory=list)  # ranges recorded as lost (retention, a reset)
    reset_by: Reset | None = None  # a later epoch started: this one's log was reset
    topic_id: str | None = None  # the id the newest file of this epoch recorded
    newest_file: Path | None = None
    broker_reset: str | None = None  # the broker's log is a new incarnation, not landed yet

    @property
    def produced(self) -> int | None:
        if self.broker_highwater is None or self.broker_first is None:
            return None
        return self.broker_highwater - self.broker_first

    @property
    def missing_count(self) -> int:
        return sum(b - a + 1 for a, b in self.missing)

    @property
    def lost_count(self) -> int:
        return sum(x.count for x in self.lost)

    @property
    def ok(self) -> bool:
        """Nothing lost, missing, doubled or misfiled (a reset alone is not a loss)."""
        return not (self.duplicates or self.missing or self.outside_name or self.lost or self.broker_reset)

    @property
    def status(self) -> str:
        problems = []
        if self.lost:
            ranges = ", ".join(f"{x.first}..{x.last}" for x in self.lost[:3]) + (" ..." if len(self.lost) > 3 else "")
            problems.append(f"lost {self.lost_count} ({ranges}: {self.lost[0].reason})")
        if self.missing:
            problems.append(f"missing {self.missing_count} ({self.describe_missing()})")
        if self.duplicates:
            problems.append(f"duplicates {self.duplicates}")
        if self.outside_name:
            problems.append(f"outside name range: {', '.join(self.outside_name[:3])}")
        if self.broker_reset:
            problems.append(self.broker_reset)
        if self.reset_by is not None:
            problems.append(f"reset: epoch {self.reset_by.epoch} follows ({self.reset_by.reason})")
        return "; ".join(problems) or "ok"

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
    """Lake-side audit per (topic, partition, epoch), with the lost ranges and resets recorded."""
    sources = list(sources)
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
    _add_ledger(settings, sources, found)
    return found


def _add_ledger(settings: Settings, sources: list[str], found: dict[tuple[str, int, int], PartitionAudit]) -> None:
    """Attach recorded lost ranges and resets; a lost range explains a gap (it is not also "missing")."""
    source_of = {a.topic: a.source for a in found.values()}
    lost, resets = read_ledger(settings, sources)
    for x in lost:
        key = (x.topic, x.partition, x.epoch)
        audit = found.setdefault(key, PartitionAudit(source_of.get(x.topic, ""), *key))
        audit.lost.append(x)
    for r in resets:
        key = (r.topic, r.partition, r.epoch)
        found.setdefault(key, PartitionAudit(source_of.get(r.topic, ""), *key)).topic_id = r.topic_id
    for (topic, partition, epoch), audit in found.items():
        later = [r for r in resets if (r.topic, r.partition) == (topic, partition) and r.epoch > epoch]
        audit.reset_by = min(later, key=lambda r: r.epoch) if later else None
        audit.missing = _subtract(audit.missing, [(x.first, x.last) for x in audit.lost])
        if audit.newest_file is not None:
            audit.topic_id = read_file_metadata(audit.newest_file)[0] or audit.topic_id


def _subtract(ranges: list[tuple[int, int]], minus: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for a, b in ranges:
        pieces = [(a, b)]
        for c, d in minus:
            pieces = [p for x, y in pieces for p in ((x, min(y, c - 1)), (max(x, d + 1), y)) if p[0] <= p[1]]
        out += pieces
    return out


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
    if audit.newest_file is None or rng.last >= parse_name(audit.newest_file.name).last:
        audit.newest_file = path
    # One int per (offset, _row): _row < 2**20 - 1 (a batch of a million events is not a message).
    keys[key][kind].append((offsets << 20) | (rows + 1))


def add_broker_view(settings: Settings, audits: dict[tuple[str, int, int], PartitionAudit],
                    topics: dict[str, str], timeout_s: float = 15.0) -> None:
    """Compare the newest epoch of each partition with the broker's current log."""
    from kafka import TopicPartition

    from ingest.kafka import client as kafka_client

    consumer = kafka_client.consumer(settings, enable_auto_commit=False, auto_offset_reset="earliest",
                                     allow_auto_create_topics=False, metrics_enabled=False, request_timeout_ms=10_000)
    try:
        existing = consumer.topics()
        tps = [TopicPartition(t, p) for t in topics if t in existing for p in consumer.partitions_for_topic(t)]
        if not tps:
            return
        consumer.assign(tps)
        # Where each log starts, from the first record a fetch at offset 0 returns (a log that starts
        # later is reset to its start): not ListOffsets(earliest), which the embedded broker answers
        # with the batch it stored first, a later one when two producers wrote the partition at once.
        for tp in tps:
            consumer.seek(tp, 0)
        firsts: dict = {}
        highwater: dict = {}
        deadline = time.monotonic() + timeout_s
        while (len(highwater) < len(tps) or len(firsts) < len(tps)) and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=300, max_records=100).items():
                if records and tp not in firsts:
                    firsts[tp] = records[0].offset
                    consumer.pause(tp)
            for tp in tps:
                hw = consumer.highwater(tp)  # a fetch answers the high watermark
                if hw is not None:
                    highwater[tp] = hw
                    if tp not in firsts and consumer.position(tp) >= hw:
                        firsts[tp] = hw  # nothing retained
        for tp in tps:
            epochs = [k[2] for k in audits if k[:2] == (tp.topic, tp.partition)]
            key = (tp.topic, tp.partition, max(epochs) if epochs else 0)
            audit = audits.setdefault(key, PartitionAudit(topics[tp.topic], tp.topic, tp.partition, key[2]))
            current = topic_id_of(consumer, tp.topic)
            if audit.topic_id and current and current != audit.topic_id:
                # The broker's log is a later incarnation: its offsets say nothing about this epoch.
                audit.broker_reset = (f"reset not landed yet: the broker's topic id is {current}, the lake's "
                                      f"epoch {audit.epoch} came from {audit.topic_id}; run `pulse ingest kafka`")
                continue
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
    audit.missing = _subtract(inner, [(x.first, x.last) for x in audit.lost])
    audit.not_yet_landed = max(end - lake_last, 0)
