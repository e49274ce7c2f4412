"""Reader for JSON-lines extracts (one JSON object per line), for sources whose messages are JSON.

A file of the same objects the topic carries can be landed with `pulse ingest files`; a line that
is not a JSON object becomes a quarantined record with the reason, never a failed file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ingest.sources.base import FileFormatError, RawRecord, SourceSpec
from ingest.validate import utf8_reason


def read_json_lines(path: Path, spec: SourceSpec) -> Iterator[RawRecord]:
    """One record per non-blank line, streamed; a line that is not a JSON object is quarantined."""
    row = 0
    seen_content = False
    with open(path, "rb") as fh:
        for line in fh:
            if b"\x00" in line:
                raise FileFormatError(f"{path}: binary content, not a JSON-lines file")
            if not line.strip():
                continue  # blank line: not a record
            seen_content = True
            line = line.rstrip(b"\r\n")
            row += 1
            if (why := utf8_reason(line, spec.encoding)) is not None:
                yield RawRecord(row, line, None, why)
                continue
            try:
                value = json.loads(line.decode(spec.encoding))
            except json.JSONDecodeError as exc:
                yield RawRecord(row, line, None, f"not a JSON object: {exc}")
                continue
            except RecursionError:
                yield RawRecord(row, line, None, "not a JSON object: nested too deeply")
                continue
            if not isinstance(value, dict):
                yield RawRecord(row, line, None, f"expected a JSON object, got {type(value).__name__}")
                continue
            yield RawRecord(row, line, value)
    if not seen_content:
        raise FileFormatError(f"{path}: empty file")
