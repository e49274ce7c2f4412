"""What a source's records look like: typed fields, their parsers, and its lake schema.

A `SourceSpec` turns one raw record (a CSV row or a decoded Kafka message, as a mapping of field
name to value) into a typed row, or raises `RecordError` with every reason the record is bad.
File and Kafka ingestion share it, so a record is valid or invalid the same way on both paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.validate import int_range_error

# Columns every landed row carries. Kafka rows fill _topic/_partition/_offset and the record's own
# timestamp and its type (the record's arrival: docs/incremental.md), file rows fill _file/_row;
# the others stay null so one glob reads both. Files landed before the Kafka timestamp columns
# existed get them as nulls (ingest.lake.conform_files: every file of a source has its columns).
LAKE_FIELDS: tuple[pa.Field, ...] = (
    pa.field("_source", pa.string()),
    pa.field("_ingested_at", pa.timestamp("us")),
    pa.field("_topic", pa.string()),
    pa.field("_partition", pa.int32()),
    pa.field("_offset", pa.int64()),
    pa.field("_file", pa.string()),
    pa.field("_row", pa.int64()),
    pa.field("_kafka_timestamp", pa.timestamp("us")),
    pa.field("_kafka_timestamp_type", pa.string()),
)

# Kafka's record timestamp types (the record batch attribute): the producer's clock, or the broker's.
KAFKA_TIMESTAMP_TYPES = {0: "CreateTime", 1: "LogAppendTime"}


class RecordError(ValueError):
    """A record that cannot be landed; the message is the quarantine reason."""


class FileFormatError(ValueError):
    """A whole file that cannot be read (empty, missing column, not the expected format)."""


@dataclass(frozen=True)
class Field:
    name: str
    type: pa.DataType
    parse: Callable[[Any], Any]
    required: bool = True  # False: the value may be empty
    description: str = ""
    # True: an extract may leave the column out entirely (say why in the description); by default
    # a CSV header must name every column the source defines.
    column_optional: bool = False


@dataclass(frozen=True)
class RawRecord:
    """One record as read from a file, before parsing: its position, raw bytes and fields."""

    row: int
    raw: bytes
    values: Mapping[str, Any] | None  # None: the record could not even be split into fields
    error: str | None = None


# A reader yields the records of one file, or raises FileFormatError for the whole file.
FileReader = Callable[[Path, "SourceSpec"], Iterator[RawRecord]]


@dataclass(frozen=True)
class SourceSpec:
    name: str
    fields: tuple[Field, ...]
    # The timestamp field whose date names the lake partition (date=YYYY-MM-DD).
    partition_field: str | None
    description: str = ""
    csv_delimiter: str = ","
    encoding: str = "utf-8"
    file_reader: FileReader | None = None  # None: a CSV with a header row
    # Extra columns a reader adds from outside the record (e.g. platform from the folder name).
    context_fields: tuple[Field, ...] = field(default_factory=tuple)
    # Splits one decoded Kafka message into its records (e.g. an mParticle batch into its events);
    # None: one message is one record. Raises RecordError when the message has no valid shape.
    explode: Callable[[Any], list[Mapping[str, Any]]] | None = None
    # Also landed from a Kafka topic, by default named like the source (PULSE_TOPIC_<NAME> renames it).
    kafka_topic: bool = False

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def header_columns(self) -> list[str]:
        """Columns a CSV header must name."""
        return [f.name for f in self.fields if not f.column_optional]

    @property
    def required_columns(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def schema(self) -> pa.Schema:
        data = [pa.field(f.name, f.type) for f in (*self.fields, *self.context_fields)]
        return pa.schema([*data, *LAKE_FIELDS])

    def parse(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Typed row for `record`, or RecordError naming every bad field."""
        if not isinstance(record, Mapping):
            raise RecordError(f"expected an object with fields, got {type(record).__name__}")
        row: dict[str, Any] = {}
        reasons: list[str] = []
        for f in (*self.fields, *self.context_fields):
            value = record.get(f.name)
            if isinstance(value, str):
                value = value.strip()
            if value is None or value == "":
                if f.required:
                    reasons.append(f"missing {f.name}")
                row[f.name] = None
                continue
            try:
                parsed = f.parse(value)
            except (ValueError, TypeError, OverflowError, RecursionError) as exc:
                reasons.append(f"bad {f.name} {_short(value)}: {exc or type(exc).__name__}")
                continue
            if type(parsed) is int and (why := int_range_error(parsed, f.type)):
                reasons.append(f"bad {f.name} {_short(value)}: {why}")
            row[f.name] = parsed
        if reasons:
            raise RecordError("; ".join(reasons))
        return row

    def partition_date(self, row: Mapping[str, Any]) -> date:
        if self.partition_field is None:
            return date(1970, 1, 1)
        value = row[self.partition_field]
        return value.date() if isinstance(value, datetime) else value


def _short(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except RecursionError:
        return f"<a {type(value).__name__} nested too deeply to show>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
