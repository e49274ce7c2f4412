"""mParticle product-view batches (CTR case), landed as one lake row per event.

Files: each is a JSON *array* of batches, in a folder named after the platform (`iOS`, `Android`,
`MobileWeb`): the folder is the only place the platform is written. Kafka topic `product_views`:
one batch object per message, with a top-level `"platform"` (contracts). Both paths flatten a
batch the same way (`flatten_batch`), and every event of a batch is landed, whatever its type:
staging keeps `custom_event`/`product`, so the lake stays a faithful copy of what was sent.

Ids (`mpid`, `event_id`, `session_id`, `batch_id`) are kept as text: the real extract rounded some
through floats, so they are neither exact nor unique, and nothing downstream relies on them.
An event is identified by its batch's `message_id` and its position in the batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.sources import parsers
from ingest.sources.base import Field, FileFormatError, RawRecord, RecordError, SourceSpec
from ingest.sources.checked import CheckedSourceSpec
from ingest.sources.json_array import iter_json_array

PLATFORMS = ("iOS", "Android", "MobileWeb")
_BY_LOWER = {p.lower(): p for p in PLATFORMS}
_BATCH_KEYS = ("mpid", "batch_id", "message_id", "message_type", "schema_version", "timestamp_unixtime_ms")


def platform(value: Any) -> str:
    """'iOS' | 'Android' | 'MobileWeb' (any letter case accepted, returned canonical)."""
    found = _BY_LOWER.get(parsers.text(value).strip().lower())
    if found is None:
        raise ValueError(f"not a platform (expected one of {', '.join(PLATFORMS)})")
    return found


def id_text(value: Any) -> str:
    """A numeric id as its integer text; ints rounded through floats (1.5e18) are accepted."""
    if isinstance(value, bool):
        raise ValueError("expected an id, got a boolean")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("expected an integer id")
        return str(int(value))
    return parsers.text(value)


def flatten_batch(batch: Any, platform_name: Any) -> list[dict[str, Any]]:
    """One flat record per event of an mParticle batch. RecordError if it is not a batch."""
    if not isinstance(batch, Mapping) or not isinstance(batch.get("events"), list):
        raise RecordError("expected an mParticle batch: an object with an `events` list")
    header = {
        "platform": platform_name,
        "mpid": batch.get("mpid"),
        "batch_id": batch.get("batch_id"),
        "message_id": batch.get("message_id"),
        "batch_time": batch.get("timestamp_unixtime_ms"),
    }
    records = []
    for index, event in enumerate(batch["events"]):
        event = event if isinstance(event, Mapping) else {}
        data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
        attributes = data.get("custom_attributes") if isinstance(data.get("custom_attributes"), Mapping) else {}
        records.append({
            **header,
            "event_index": index,
            "event_type": event.get("event_type"),
            "event_name": data.get("event_name"),
            "custom_event_type": data.get("custom_event_type"),
            "event_time": data.get("timestamp_unixtime_ms"),
            "event_id": data.get("event_id"),
            "session_id": data.get("session_id"),
            "code_color": attributes.get("codeColor"),
            "actual_price": attributes.get("actualPrice"),
        })
    return records


def explode_message(message: Any) -> list[dict[str, Any]]:
    """A Kafka message (a batch plus `"platform"`) -> its events."""
    if not isinstance(message, Mapping):
        raise RecordError(f"expected a JSON object, got {type(message).__name__}")
    if message.get("platform") in (None, ""):
        raise RecordError("missing platform (the message's top-level \"platform\")")
    return flatten_batch(message, message["platform"])


def _raw(batch: Any, event: Any = None, whole: bool = False) -> bytes:
    """The event with its batch's header (or the whole batch), as the quarantine keeps it."""
    value = batch if whole else {**{k: batch.get(k) for k in _BATCH_KEYS if k in batch}, "events": [event]}
    try:
        return json.dumps(value, separators=(",", ":"), default=str).encode()
    except (RecursionError, ValueError):  # nested deeper than the encoder goes, or a circular value
        return repr(type(value)).encode()


def read_platform_folder_json(path: Path, spec: SourceSpec) -> Iterator[RawRecord]:
    """Events of a JSON-array file whose folder names the platform, streamed batch by batch."""
    folder = path.resolve().parent.name
    try:
        platform_name = platform(folder)
    except ValueError:
        raise FileFormatError(
            f"{path}: folder {folder!r} is not a platform; put each platform's files in a folder "
            f"named {', '.join(PLATFORMS)}"
        ) from None
    row = 0
    for number, batch in enumerate(iter_json_array(path, spec.encoding), start=1):
        try:
            records = flatten_batch(batch, platform_name)
        except RecordError as exc:
            row += 1
            yield RawRecord(row, _raw(batch, whole=True), None, f"batch {number}: {exc}")
            continue
        for record, event in zip(records, batch["events"], strict=True):
            row += 1
            yield RawRecord(row, _raw(batch, event), record)


def _product_view_has_code_color(row: dict[str, Any]) -> None:
    if row["event_type"] == "custom_event" and row["event_name"] == "product" and row["code_color"] is None:
        raise RecordError("product view without custom_attributes.codeColor (the product id)")


SPEC = CheckedSourceSpec(
    name="product_views",
    kafka_topic=True,
    description="mParticle events (product views and others), one row per event of a batch.",
    partition_field="event_time",
    file_reader=read_platform_folder_json,
    explode=explode_message,
    check=_product_view_has_code_color,
    context_fields=(Field("platform", pa.string(), platform, description="iOS, Android or MobileWeb"),),
    fields=(
        Field("mpid", pa.string(), id_text),
        Field("batch_id", pa.string(), id_text, required=False),
        Field("message_id", pa.string(), parsers.text, required=False),
        Field("batch_time", pa.timestamp("us"), parsers.epoch_millis, required=False, description="UTC"),
        Field("event_index", pa.int32(), parsers.integer, description="position of the event in its batch"),
        Field("event_type", pa.string(), parsers.text),
        Field("event_name", pa.string(), parsers.text, required=False),
        Field("custom_event_type", pa.string(), parsers.text, required=False),
        Field("event_time", pa.timestamp("us"), parsers.epoch_millis, description="UTC (GMT)"),
        Field("event_id", pa.string(), id_text, required=False),
        Field("session_id", pa.string(), id_text, required=False),
        Field("code_color", pa.string(), parsers.text, required=False),
        Field("actual_price", pa.float64(), parsers.number, required=False),
    ),
)
