"""Keep the live lake's file count low while `pulse run` runs.

Every cycle lands one file per topic partition, and every lake scan of the realtime models opens
the footers of all of a day's files before its filters skip them, so without this a cycle's cost
grows with the number of cycles run so far. Between cycles (never while the models read the lake)
the loop merges Kafka-landed files with `pulse lake compact`'s rules (ingest/compact.py: exact
offsets, the newest range of each partition untouched, atomic writes), in two tiers:
  - every 30 s, the small files older than 30 s: a cycle's files become one file per partition
    and half minute; a merged file over TIER1_MAX_BYTES is left alone, so a pass rewrites only
    what landed since the last one (re-merging a growing file each pass cost up to 1.7 s);
  - every 10 min, the files older than an hour, up to `pulse lake compact`'s 32 MB: the half-minute
    files of an hour become a few, so a long run's file count stays bounded.
Merging only files older than a cycle can last keeps it invisible to the models: such a file was
seen by the lake watch and modeled before; its rows keep their `_ingested_at`, so no landing
window sees them again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ingest.compact import DEFAULT_MAX_FILE_BYTES, CompactResult, compact_lake
from ingest.config import Settings

log = logging.getLogger("pulse.run")

TIER1_MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class Tier:
    every_s: float
    older_than_s: float
    max_file_bytes: int


TIERS = (Tier(30.0, 30.0, TIER1_MAX_BYTES), Tier(600.0, 3600.0, DEFAULT_MAX_FILE_BYTES))


class LiveCompaction:
    def __init__(self, settings: Settings, sources: list[str], tiers: tuple[Tier, ...] = TIERS):
        self.settings = settings
        self.sources = sources
        self.tiers = tiers
        now = time.monotonic()
        self._next = [now + tier.every_s for tier in tiers]

    def maybe_run(self) -> CompactResult | None:
        """Run the tiers that are due; None when none is."""
        now = time.monotonic()
        due = [i for i, at in enumerate(self._next) if now >= at]
        if not due:
            return None
        total = CompactResult()
        for i in due:
            tier = self.tiers[i]
            result = compact_lake(self.settings, self.sources, older_than_s=tier.older_than_s,
                                  max_file_bytes=tier.max_file_bytes)
            self._next[i] = time.monotonic() + tier.every_s
            total.merged_files += result.merged_files
            total.removed_files += result.removed_files
            total.rows += result.rows
        if total.merged_files:
            log.info("compacted the lake: %d files merged into %d (%d rows)", total.removed_files,
                     total.merged_files, total.rows)
        return total
