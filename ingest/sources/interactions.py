"""User interactions (interactions-realtime case): `{user_id, item_id, interaction_type, timestamp}`.

Arrives on topic `interactions` (JSON objects keyed by user_id) or as CSV / JSON-lines files.
"""

from pathlib import Path

import pyarrow as pa

from . import parsers
from .base import Field, SourceSpec
from .json_lines import read_json_lines


def _read(path: Path, spec: SourceSpec):
    from ..files import read_csv  # late import: ingest.files imports the source registry

    reader = read_json_lines if path.suffix.lower() in (".jsonl", ".json", ".ndjson") else read_csv
    return reader(path, spec)


SPEC = SourceSpec(
    name="interactions",
    description="User interactions with items, one row per interaction.",
    partition_field="timestamp",
    file_reader=_read,
    fields=(
        Field("user_id", pa.string(), parsers.text),
        Field("item_id", pa.string(), parsers.text),
        # Kept as sent (the dbt staging model lower-cases it): plain `text` keeps the Kafka
        # ingester's columnar fast path (ingest/kafka_batch.py) open for this busy topic.
        Field("interaction_type", pa.string(), parsers.text),
        Field("timestamp", pa.timestamp("us"), parsers.utc_timestamp),
    ),
)
