"""`pulse lake compact [--older-than 1h]`: merge small Kafka-landed files, keeping offsets exact.

Per date folder and topic partition (and log epoch), the landed files older than `--older-than`
and smaller than `--max-file-mb` are merged, one file per partition and landing hour (the hour of
the files' modification time). A merged file keeps the naming form `<topic>+<p>+<first>-<last>`:
its range is the union of the merged ranges. Gaps inside it are offsets whose rows live elsewhere
(another date folder, the quarantine), so the name says "all offsets here lie in first..last",
and `pulse lake audit` still accounts for every offset from the rows themselves.

Rules that keep this exact and safe while ingestion runs:
  - the partition's newest range (where the ingester resumes and replays) is never merged;
  - only runs of consecutive eligible files (in offset order) merge, so a merged range never
    spans a file that stays;
  - the merged file is written atomically (hidden tmp + rename), then the originals are removed.
    A crash in between leaves originals whose range lies inside a merged file's: the next run
    removes them first. A reader listing the folder in the milliseconds between the rename and
    the removals sees those rows twice; readers that must be exact then dedupe on
    (_topic, _partition, _offset, _row), which is unique in the lake.
The quarantine is not compacted (it stays small).
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.config import Settings
from ingest.kafka.epochs import LAST_FP_KEY
from ingest.kafka.names import OffsetRange, file_stem, kafka_files, resume_points
from ingest.lake import source_dir, write_hidden

DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024


@dataclass
class CompactResult:
    merged_files: int = 0  # files written
    removed_files: int = 0  # originals removed (including leftovers of an interrupted run)
    rows: int = 0


def parse_duration(text: str) -> float:
    """'90s', '15m', '1h', '2d' or plain seconds -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    t = text.strip().lower()
    try:
        if t and t[-1] in units:
            return float(t[:-1]) * units[t[-1]]
        return float(t)
    except ValueError:
        raise ValueError(f"--older-than: expected a duration like 90s, 15m, 1h, got {text!r}") from None


def compact_lake(settings: Settings, sources: list[str], older_than_s: float = 3600.0,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, now: float | None = None) -> CompactResult:
    """Merge and publish group by group (at most one merged file waits under a hidden name)."""
    leftovers, groups = _plan(settings, sources, older_than_s, max_file_bytes, now)
    result = PreparedCompaction(leftovers=leftovers).commit()
    for group in groups:
        merged = PreparedCompaction(merges=[_prepare_merge(group)]).commit()
        result.merged_files += merged.merged_files
        result.removed_files += merged.removed_files
        result.rows += merged.rows
    return result


@dataclass
class PreparedMerge:
    """A merged file written under a hidden name, not yet in the lake."""

    originals: list[Path]
    target: Path
    tmp: Path
    rows: int


@dataclass
class PreparedCompaction:
    """What a compaction pass will change, prepared without changing anything readers see: the
    merged files are written and synced under hidden names, the leftovers only listed. `commit()`
    makes it visible (renames and removals, milliseconds), so the heavy part can run beside
    readers and the commit where none reads (pulse/live/compaction.py)."""

    merges: list[PreparedMerge] = field(default_factory=list)
    leftovers: list[Path] = field(default_factory=list)

    def commit(self) -> CompactResult:
        result = CompactResult()
        for path in self.leftovers:
            path.unlink(missing_ok=True)
            result.removed_files += 1
        for merge in self.merges:
            os.replace(merge.tmp, merge.target)
            for path in merge.originals:
                if path != merge.target:
                    os.unlink(path)
                    result.removed_files += 1
            result.merged_files += 1
            result.rows += merge.rows
        self.merges, self.leftovers = [], []
        return result

    def discard(self) -> None:
        for merge in self.merges:
            merge.tmp.unlink(missing_ok=True)
        self.merges, self.leftovers = [], []


def prepare_compaction(settings: Settings, sources: list[str], older_than_s: float = 3600.0,
                       max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, now: float | None = None) -> PreparedCompaction:
    """Every merge of a pass written under hidden names, for one commit later."""
    leftovers, groups = _plan(settings, sources, older_than_s, max_file_bytes, now)
    prepared = PreparedCompaction(leftovers=leftovers)
    try:
        for group in groups:
            prepared.merges.append(_prepare_merge(group))
    except BaseException:
        prepared.discard()  # no hidden file outlives a failed pass
        raise
    return prepared


Group = list[tuple[Path, OffsetRange]]


def _plan(settings: Settings, sources: list[str], older_than_s: float, max_file_bytes: int,
          now: float | None) -> tuple[list[Path], list[Group]]:
    """The leftovers of an interrupted run to remove, and the groups of files to merge."""
    now = time.time() if now is None else now
    leftovers: list[Path] = []
    groups: list[Group] = []
    newest = {key: r.latest for key, r in resume_points(settings, sources).items() if r.latest is not None}
    for source in sources:
        by_folder: dict[tuple[Path, str, int, int], Group] = defaultdict(list)
        for path, rng in kafka_files([source_dir(settings, source)]):
            by_folder[(path.parent, rng.topic, rng.epoch, rng.partition)].append((path, rng))
        for files in by_folder.values():
            files = _without_leftovers(files, leftovers)
            groups.extend(_groups(files, newest, now - older_than_s, max_file_bytes))
    return leftovers, groups


def _without_leftovers(files: list[tuple[Path, OffsetRange]], leftovers: list[Path]) -> list[tuple[Path, OffsetRange]]:
    """Set aside originals an interrupted run already merged (their range lies inside another file's)."""
    keep = []
    for path, rng in files:
        covered = any(o is not rng and o.first <= rng.first and rng.last <= o.last
                      and (o.first, o.last) != (rng.first, rng.last) for _, o in files)
        if covered:
            leftovers.append(path)
        else:
            keep.append((path, rng))
    return keep


def _groups(files, newest: dict, cutoff: float, max_bytes: int) -> list[list[tuple[Path, OffsetRange]]]:
    """Runs of consecutive eligible files of one folder and partition, split by landing hour."""
    groups: list[list[tuple[Path, OffsetRange]]] = []
    run: list[tuple[Path, OffsetRange]] = []
    run_hour = None
    for path, rng in sorted(files, key=lambda f: (f[1].first, f[1].last)):
        try:
            st = path.stat()
        except FileNotFoundError:
            st = None
        latest = newest.get(rng.key)
        eligible = (st is not None and st.st_mtime < cutoff and st.st_size < max_bytes
                    and not (latest is not None and latest.epoch == rng.epoch
                             and (latest.first, latest.last) == (rng.first, rng.last)))
        hour = int(st.st_mtime // 3600) if st else None
        if not eligible or hour != run_hour:
            if len(run) > 1:
                groups.append(run)
            run, run_hour = [], hour
        if eligible:
            run.append((path, rng))
    if len(run) > 1:
        groups.append(run)
    return groups


def _prepare_merge(group: list[tuple[Path, OffsetRange]]) -> PreparedMerge:
    tables = [pq.ParquetFile(path).read() for path, _ in group]  # no hive column from the path
    table = pa.concat_tables(tables, promote_options="default").sort_by([("_offset", "ascending"),
                                                                          ("_row", "ascending")])
    first = min(r.first for _, r in group)
    last = max(r.last for _, r in group)
    r0 = group[0][1]
    target = group[0][0].parent / f"{file_stem(r0.topic, r0.partition, first, last, r0.epoch)}.parquet"
    # The merged file keeps the topic id (same epoch) but not a last-message fingerprint: resume
    # reads it only from the newest range, which is never merged.
    meta = {k: v for k, v in (table.schema.metadata or {}).items() if k != LAST_FP_KEY}
    tmp = write_hidden(table.replace_schema_metadata(meta), target)
    return PreparedMerge(originals=[path for path, _ in group], target=target, tmp=tmp, rows=table.num_rows)
