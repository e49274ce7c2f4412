"""Reader for JSON-lines extracts (one JSON object per line), for sources whose messages are JSON.

A file of the same objects the topic carries can be landed with `pulse ingest files`; a line that
is not a JSON object becomes a quarantined record with the reason, never a failed file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from .base import FileFormatError, RawRecord, SourceSpec


def read_json_lines(path: Path, spec: SourceSpec) -> Iterator[RawRecord]:
    data = path.read_bytes()
    if not data.strip():
        raise FileFormatError(f"{path}: empty file")
    if b"\x00" in data:
        raise FileFormatError(f"{path}: binary content, not a JSON-lines file")
    row = 0
    for line in data.splitlines():
        if not line.strip():
            continue  # blank line: not a record
        row += 1
        try:
            value = json.loads(line.decode(spec.encoding))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            yield RawRecord(row, line, None, f"not a JSON object: {exc}")
            continue
        if not isinstance(value, dict):
            yield RawRecord(row, line, None, f"expected a JSON object, got {type(value).__name__}")
            continue
        yield RawRecord(row, line, value)
