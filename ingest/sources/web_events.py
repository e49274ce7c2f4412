"""Web-app events (the web-events case): the real extract is a CSV with `... UTC` times."""

import pyarrow as pa

from ingest.sources import parsers
from ingest.sources.base import Field, SourceSpec

SPEC = SourceSpec(
    name="web_events",
    kafka_topic=True,
    description="Events tracked by the web app, one row per event.",
    partition_field="event_time",
    fields=(
        Field("event_name", pa.string(), parsers.text),
        Field("user_id", pa.string(), parsers.text),
        Field("app_version", pa.string(), parsers.text, required=False),
        Field("event_time", pa.timestamp("us"), parsers.utc_timestamp),
        Field("device_id", pa.string(), parsers.text, required=False),
        Field("client", pa.string(), parsers.text, required=False),
    ),
)
