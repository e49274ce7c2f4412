"""User interactions (interactions-realtime case): `{user_id, item_id, interaction_type, timestamp}`.

Arrives on topic `interactions` (JSON objects keyed by user_id) or as CSV / JSON-lines files.
"""

from pathlib import Path

import pyarrow as pa

from ingest.sources import parsers
from ingest.sources.base import Field, SourceSpec
from ingest.sources.csv_reader import read_csv
from ingest.sources.json_lines import read_json_lines


def _read(path: Path, spec: SourceSpec):

    reader = read_json_lines if path.suffix.lower() in (".jsonl", ".json", ".ndjson") else read_csv
    return reader(path, spec)


SPEC = SourceSpec(
    name="interactions",
    kafka_topic=True,
    description="User interactions with items, one row per interaction.",
    partition_field="timestamp",
    file_reader=_read,
    fields=(
        Field("user_id", pa.string(), parsers.text),
        Field("item_id", pa.string(), parsers.text),
        # Kept as sent (the dbt staging model lower-cases it): plain `text` keeps the Kafka
        # ingester's columnar fast path (ingest/kafka/batch.py) open for this busy topic.
        Field("interaction_type", pa.string(), parsers.text),
        Field("timestamp", pa.timestamp("us"), parsers.utc_timestamp),
    ),
)
