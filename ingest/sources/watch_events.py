"""Watch heartbeats (the watch-streams case): one event every ~4 s per stream.

Topic `watch_events` carries JSON objects `{user_id, program_id, start_time, session_id, device,
event_time}` keyed by session_id; the same objects can be landed from JSON-lines files (`*.jsonl`)
or a CSV with those columns. Only what is needed to place an event in a stream is required
(user_id, session_id, event_time); a missing program, start time or device is landed and flagged
by the dbt staging model, so data quality is counted there instead of hidden in the quarantine.
"""

from pathlib import Path

import pyarrow as pa

from ingest.sources import parsers
from ingest.sources.base import Field, SourceSpec
from ingest.sources.csv_reader import read_csv
from ingest.sources.json_lines import read_json_lines


def _read(path: Path, spec: SourceSpec):

    reader = read_csv if path.suffix.lower() == ".csv" else read_json_lines
    return reader(path, spec)


SPEC = SourceSpec(
    name="watch_events",
    kafka_topic=True,
    description="Watch/listen heartbeats, one row per event.",
    partition_field="event_time",
    file_reader=_read,
    fields=(
        Field("user_id", pa.string(), parsers.text),
        Field("program_id", pa.string(), parsers.text, required=False),
        Field("start_time", pa.timestamp("us"), parsers.utc_timestamp, required=False),
        Field("session_id", pa.string(), parsers.text),
        Field("device", pa.string(), parsers.text, required=False),
        Field("event_time", pa.timestamp("us"), parsers.utc_timestamp),
    ),
)
