"""Keep the live lake's file count low while `pulse run` runs.

Every cycle lands one file per topic partition, and every lake scan of the realtime models opens
the footers of all of a day's files before its filters skip them, so without this a cycle's cost
grows with the number of cycles run so far. Between cycles (never while the models read the lake)
the loop merges Kafka-landed files with `pulse lake compact`'s rules (ingest/compact.py: exact
offsets, the newest range of each partition untouched, atomic writes), in two tiers:
  - every 10 s, the files older than 10 s: the cycles' files of a partition join one file that
    grows to TIER1_MAX_BYTES (about 3 minutes of watch_events at 5k events/s), then a new one
    starts; a pass rewrites at most that much per partition;
  - every 5 min, the files older than 10 min, up to `pulse lake compact`'s 32 MB, so a long run's
    file count stays bounded.
A lake scan costs about 70 us per file even when the footer statistics skip it (opening it, its
cached footer, the filters); on a 6-minute bench lake (121 files of watch_events, a cycle's ~12
scans) that was ~0.1 s of a quiet cycle, and most of the files were the last 30-60 s of cycles,
which the former tiers (every 30 s, older than 30 s, up to 256 KB) had not merged yet.
A pass starts after a cycle's models, so every file it merges was landed before that cycle began
(the loop lands only then), seen by its lake watch and modeled; its rows keep their
`_ingested_at`, so no landing window sees them again.

A pass runs in a background thread beside the next cycles (reading and writing the files was up to
1.2 s of a cycle): it writes the merged files under hidden names and changes nothing readers see.
The loop commits a finished pass between cycles (`commit_ready`: renames and removals), where no
model reads the lake, and starts the next one when a tier is due (`maybe_start`), one tier per
pass so two tiers never plan the same file.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from ingest.compact import DEFAULT_MAX_FILE_BYTES, CompactResult, PreparedCompaction, prepare_compaction
from ingest.config import Settings

log = logging.getLogger("pulse.run")

TIER1_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Tier:
    every_s: float
    older_than_s: float
    max_file_bytes: int


TIERS = (Tier(10.0, 10.0, TIER1_MAX_BYTES), Tier(300.0, 600.0, DEFAULT_MAX_FILE_BYTES))


class LiveCompaction:
    def __init__(self, settings: Settings, sources: list[str], tiers: tuple[Tier, ...] = TIERS):
        self.settings = settings
        self.sources = sources
        self.tiers = tiers
        now = time.monotonic()
        self._next = [now + tier.every_s for tier in tiers]
        self._thread: threading.Thread | None = None
        self._prepared: PreparedCompaction | None = None
        self._error: BaseException | None = None

    def maybe_start(self) -> bool:
        """Start preparing the first due tier's pass in the background; False when none is due or a
        pass is still being prepared or waits for its commit."""
        if self._thread is not None:
            return False
        now = time.monotonic()
        due = next((i for i, at in enumerate(self._next) if now >= at), None)
        if due is None:
            return False
        tier = self.tiers[due]
        self._next[due] = now + tier.every_s
        self._thread = threading.Thread(target=self._prepare, args=(tier,), name="pulse-compaction", daemon=True)
        self._thread.start()
        return True

    def _prepare(self, tier: Tier) -> None:
        try:
            self._prepared = prepare_compaction(self.settings, self.sources, older_than_s=tier.older_than_s,
                                                max_file_bytes=tier.max_file_bytes)
        except BaseException as exc:  # reported by commit_ready on the loop's thread
            self._error = exc

    def ready(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def commit_ready(self) -> CompactResult | None:
        """Publish a prepared pass (call where no model reads the lake); None while none is ready."""
        if not self.ready():
            return None
        self._thread = None
        prepared, error = self._prepared, self._error
        self._prepared, self._error = None, None
        if error is not None:
            log.error("lake compaction failed (the lake is unchanged): %s", error)
            return None
        result = prepared.commit()
        if result.merged_files:
            log.info("compacted the lake: %d files merged into %d (%d rows)", result.removed_files,
                     result.merged_files, result.rows)
        return result

    def close(self) -> None:
        """When the loop stops (no model reads any more): finish and commit a pass under way."""
        if self._thread is not None:
            self._thread.join()
            self.commit_ready()
