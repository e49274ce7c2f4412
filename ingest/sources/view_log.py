"""Banner views (campaign-minute-report case): topic `view_log`, one JSON object per view.

`{"view_id", "start_timestamp", "end_timestamp", "banner_id", "campaign_id"}`, published at
end_timestamp (contracts). The same objects can be landed from JSON-lines (`*.jsonl`) or CSV
files, for backfills and tests. A view that ends before it starts is quarantined: its duration
would poison the minute's average.
"""

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ingest.sources import parsers
from ingest.sources.base import Field, RecordError, SourceSpec
from ingest.sources.checked import CheckedSourceSpec
from ingest.sources.csv_reader import read_csv
from ingest.sources.json_lines import read_json_lines


def _read(path: Path, spec: SourceSpec):

    reader = read_csv if path.suffix.lower() == ".csv" else read_json_lines
    return reader(path, spec)


def _ends_after_start(row: dict) -> None:
    if row["end_timestamp"] < row["start_timestamp"]:
        raise RecordError(
            f"end_timestamp {row['end_timestamp'].isoformat()} before start_timestamp "
            f"{row['start_timestamp'].isoformat()}"
        )


SPEC = CheckedSourceSpec(
    name="view_log",
    kafka_topic=True,
    description="Banner views, one row per received view message (duplicates included).",
    partition_field="end_timestamp",
    file_reader=_read,
    check=_ends_after_start,
    may_fail=lambda table: pc.less(table["end_timestamp"], table["start_timestamp"]),
    fields=(
        Field("view_id", pa.string(), parsers.text),
        Field("start_timestamp", pa.timestamp("us"), parsers.utc_timestamp),
        Field("end_timestamp", pa.timestamp("us"), parsers.utc_timestamp),
        Field("banner_id", pa.int64(), parsers.integer),
        Field("campaign_id", pa.int32(), parsers.integer),
    ),
)
