"""Keep the live lake's file count low while `pulse run` runs.

Every cycle lands one file per topic partition, and every lake scan of the realtime models opens
the footers of all of a day's files before its filters skip them, so without this a cycle's cost
grows with the number of cycles run so far. Between cycles (never while the models read the lake)
the loop merges the Kafka-landed files older than OLDER_THAN_S with `pulse lake compact`'s rules
(ingest/compact.py: exact offsets, the newest range of each partition untouched, atomic writes).

Merging only files older than a cycle can last keeps it invisible to the models: such a file was
seen by the lake watch and modeled before; its rows keep their `_ingested_at`, so no landing
window sees them again. A merged file stops growing at MAX_FILE_BYTES, which bounds what one pass
rewrites.
"""

from __future__ import annotations

import logging
import time

from ingest.compact import CompactResult, compact_lake
from ingest.config import Settings

log = logging.getLogger("pulse.run")

EVERY_S = 30.0
OLDER_THAN_S = 30.0
MAX_FILE_BYTES = 1024 * 1024


class LiveCompaction:
    def __init__(self, settings: Settings, sources: list[str], every_s: float = EVERY_S,
                 older_than_s: float = OLDER_THAN_S, max_file_bytes: int = MAX_FILE_BYTES):
        self.settings = settings
        self.sources = sources
        self.every_s = every_s
        self.older_than_s = older_than_s
        self.max_file_bytes = max_file_bytes
        self._next = time.monotonic() + every_s
        self.merged_files = 0
        self.removed_files = 0

    def maybe_run(self) -> CompactResult | None:
        """Merge the old small files when a pass is due; None when it is not."""
        if time.monotonic() < self._next:
            return None
        result = compact_lake(self.settings, self.sources, older_than_s=self.older_than_s,
                              max_file_bytes=self.max_file_bytes)
        self._next = time.monotonic() + self.every_s
        self.merged_files += result.merged_files
        self.removed_files += result.removed_files
        if result.merged_files:
            log.info("compacted the lake: %d files merged into %d (%d rows)", result.removed_files,
                     result.merged_files, result.rows)
        return result
