"""One Kafka message -> typed rows of its source, or the reasons it cannot be landed.

The message is the unit of accounting (its offset); with `spec.explode` one message (an mParticle
batch) becomes several records, numbered by `_row` (0-based), each landed or quarantined on its own.
Every failure is a reason string that goes to the quarantine with the raw bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ingest.sources.base import RecordError, SourceSpec
from ingest.validate import utf8_reason

DEFAULT_MAX_MESSAGE_BYTES = 1_000_000


@dataclass
class Decoded:
    rows: list[dict[str, Any]] = field(default_factory=list)  # typed rows, `_row` set when exploded
    bad: list[tuple[int | None, str]] = field(default_factory=list)  # (_row, reason)


def decode_message(value: bytes | None, spec: SourceSpec, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Decoded:
    out = Decoded()
    try:
        obj = _json_value(value, max_bytes)
        if spec.explode is None:
            out.rows.append(spec.parse(_object(obj)))
            return out
        records = spec.explode(obj)
    except RecordError as exc:
        out.bad.append((None, str(exc)))
        return out
    if not records:
        out.bad.append((None, "message holds no records"))
    for i, rec in enumerate(records):
        try:
            row = spec.parse(_object(rec))
        except RecordError as exc:
            out.bad.append((i, str(exc)))
            continue
        row["_row"] = i
        out.rows.append(row)
    return out


def _json_value(value: bytes | None, max_bytes: int) -> Any:
    if value is None:
        raise RecordError("empty message (null value)")
    if len(value) > max_bytes:
        raise RecordError(f"oversized message: {len(value)} bytes > max {max_bytes}")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        raise RecordError(utf8_reason(value)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"not JSON: {exc.msg} at char {exc.pos}") from None
    except RecursionError:
        raise RecordError("not JSON: nested too deeply") from None


def _object(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RecordError(f"expected a JSON object, got {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number",
            type(None): "null"}.get(type(value), type(value).__name__)
