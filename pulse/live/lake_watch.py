"""Which lake files appeared since the last look, how many rows they add, and their newest event.

The live loop learns what was landed from the lake itself, not from the ingester's counters, so
the same code sees Kafka-landed and file-landed rows, and a restart picks up where the lake is.
Reading only Parquet footers (row counts, min/max statistics) keeps a scan cheap.

Kafka-landed files are named `<topic>+<partition>+<first>-<last>.parquet` (ingest.kafka.names,
with an `@<epoch>` after the topic once a broker lost its log); a compacted file may
span offsets already seen, so rows are counted by offset range past the highest offset seen for
that partition (exact for fresh files, proportional for a compacted one), never twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingest.config import Settings
from ingest.kafka.names import parse_name
from ingest.lake import source_dir
from ingest.sources.base import SourceSpec

KAFKA_TIMESTAMP = "_kafka_timestamp"  # the record's Kafka timestamp, a lake column of topic sources


@dataclass
class NewFile:
    path: Path
    rows: int  # rows this file adds that were not counted before
    # Kafka files: rows with `_offset` above this were not seen before (None: the whole file is new).
    offset_floor: int | None = None
    earliest_arrival: datetime | None = None  # min Kafka timestamp of a wholly new file


@dataclass
class NewData:
    source: str
    files: list[NewFile] = field(default_factory=list)
    newest_event: datetime | None = None  # max event time over the new files
    # Min `_ingested_at` over the new files: how far back the next dbt run must look for them.
    oldest_ingested: datetime | None = None

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def earliest_arrival(self) -> datetime | None:
        """Min Kafka timestamp over the wholly new files (compacted ones hold rows seen before)."""
        return min((f.earliest_arrival for f in self.files if f.earliest_arrival is not None), default=None)


class LakeWatch:
    """Remembers the files and Kafka offsets already seen, per source."""

    def __init__(self, settings: Settings, specs: list[SourceSpec]):
        self.settings = settings
        self.specs = {s.name: s for s in specs}
        self._seen: set[str] = set()
        self._offset_hi: dict[tuple[str, int, int], int] = {}  # (topic, partition, epoch) -> offset

    def scan(self) -> dict[str, NewData]:
        return {name: self._scan_source(spec) for name, spec in self.specs.items()}

    def _scan_source(self, spec: SourceSpec) -> NewData:
        out = NewData(spec.name)
        root = source_dir(self.settings, spec.name)
        if not root.is_dir():
            return out
        new: list[Path] = []
        for day in os.scandir(root):
            if not (day.is_dir() and day.name.startswith("date=")):
                continue
            for entry in os.scandir(day.path):
                name = entry.name
                if name.startswith((".", "_")) or not name.endswith(".parquet") or entry.path in self._seen:
                    continue
                new.append(Path(entry.path))
        for path in sorted(new):
            try:
                meta = pq.read_metadata(path)
            except (OSError, ValueError):
                continue  # vanished (compaction) or unreadable: the next scan decides
            self._seen.add(str(path))
            rows, floor = self._count(path, meta.num_rows)
            if rows <= 0:
                continue
            arrival = None if floor is not None else column_bound(path, meta, KAFKA_TIMESTAMP, "min")
            out.files.append(NewFile(path, rows, floor, arrival))
            newest = column_bound(path, meta, spec.partition_field, "max")
            if newest is not None and (out.newest_event is None or newest > out.newest_event):
                out.newest_event = newest
            landed = column_bound(path, meta, "_ingested_at", "min")
            if landed is not None and (out.oldest_ingested is None or landed < out.oldest_ingested):
                out.oldest_ingested = landed
        return out

    def _count(self, path: Path, num_rows: int) -> tuple[int, int | None]:
        r = parse_name(path.name)
        if r is None:
            return num_rows, None
        key = (r.topic, r.partition, r.epoch)
        first, last = r.first, r.last
        hi = self._offset_hi.get(key, -1)
        if last <= hi:
            return 0, hi
        self._offset_hi[key] = last
        if first > hi:
            return num_rows, None
        span = last - first + 1
        return round(num_rows * (last - hi) / span), hi


def count_stamped_through(data: NewData, through: datetime) -> int:
    """Rows of the wholly new files stamped (Kafka timestamp) at or before `through`."""
    n = 0
    for f in data.files:
        if f.earliest_arrival is not None and f.earliest_arrival <= through:
            try:
                stamps = pq.read_table(f.path, columns=[KAFKA_TIMESTAMP])[KAFKA_TIMESTAMP]
            except (OSError, ValueError):
                continue  # vanished or unreadable since the scan: not counted (bookkeeping only)
            n += pc.sum(pc.less_equal(stamps, pa.scalar(through, stamps.type))).as_py() or 0
    return n


def column_bound(path: Path, meta: pq.FileMetaData, column: str | None, bound: str) -> datetime | None:
    """Max (`bound="max"`) or min of `column` in a Parquet file, from the footer statistics when
    written (else read)."""
    if column is None or meta.num_rows == 0:
        return None
    schema = meta.schema.to_arrow_schema()
    if column not in schema.names:
        return None
    idx = schema.get_field_index(column)
    pick = max if bound == "max" else min
    best = None
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(idx).statistics
        if stats is None or not stats.has_min_max:
            values = pq.read_table(path, columns=[column])[column]
            return (pc.max if bound == "max" else pc.min)(values).as_py()
        value = stats.max if bound == "max" else stats.min
        if value is not None:
            best = value if best is None else pick(best, value)
    return best
