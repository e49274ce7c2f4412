"""User interactions (lakehouse case): `user_id,timestamp,action_type,page_id,duration_ms,app_version`.

CSV extracts with naive UTC times (`2023-05-01 10:00:04`), one row per app interaction. Any
integer duration lands, negative or hours long included: the 0-2 h rule is applied by the dbt
models, which exclude those rows from the metrics and count them in `fct_app_interactions_quality`
(quarantine is for records that cannot be typed at all).
"""

import pyarrow as pa

from ingest.sources import parsers
from ingest.sources.base import Field, SourceSpec

SPEC = SourceSpec(
    name="user_interactions",
    description="App interactions of the lakehouse case, one row per action; bronze layer.",
    partition_field="timestamp",
    fields=(
        Field("user_id", pa.string(), parsers.text),
        Field("timestamp", pa.timestamp("us"), parsers.utc_timestamp),
        Field("action_type", pa.string(), lambda v: parsers.text(v).lower()),
        Field("page_id", pa.string(), parsers.text, required=False),
        Field("duration_ms", pa.int64(), parsers.integer),
        Field("app_version", pa.string(), parsers.text, required=False),
    ),
)
