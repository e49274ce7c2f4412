"""A source spec with a record-level rule across fields (e.g. a view may not end before it starts).

Field parsers see one value each; `check` sees the typed row and raises RecordError for a record
that is well-typed but impossible, so it goes to quarantine with the reason on both paths
(files and Kafka), like any other bad record. `may_fail` is the rule's columnar twin for the Kafka
fast path (ingest/kafka/batch.py): True for every row `check` could reject (null: maybe), so only
those rows are made Python dicts; `check` stays the one that decides and words the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ingest.sources.base import RecordError, SourceSpec


@dataclass(frozen=True)
class CheckedSourceSpec(SourceSpec):
    check: Callable[[dict[str, Any]], None] | None = None
    may_fail: Callable[[pa.Table], pa.ChunkedArray] | None = None

    def parse(self, record: Mapping[str, Any]) -> dict[str, Any]:
        row = super().parse(record)
        if self.check is not None:
            self.check(row)
        return row


__all__ = ["CheckedSourceSpec", "RecordError"]
