"""User metadata (lakehouse case): `user_id,join_date,country,device_type,subscription_type`.

A snapshot extract without an event time, so it lands in one fixed partition (`date=1970-01-01`,
beside the schema placeholder), one file per extract. Partitioning it by join_date would spread
a small table over hundreds of tiny files and prune nothing: `dim_users` must read every row of a
user anyway, because the same user_id can appear more than once with conflicting attributes
(the dbt model resolves them, see docs/models-lakehouse.md).
"""

import pyarrow as pa

from ingest.sources import parsers
from ingest.sources.base import Field, SourceSpec

SPEC = SourceSpec(
    name="user_metadata",
    description="User profiles of the lakehouse case, one row per extract line (duplicates included).",
    partition_field=None,
    fields=(
        Field("user_id", pa.string(), parsers.text),
        Field("join_date", pa.date32(), parsers.iso_date),
        Field("country", pa.string(), parsers.text, required=False),
        Field("device_type", pa.string(), parsers.text, required=False),
        Field("subscription_type", pa.string(), parsers.text, required=False),
    ),
)
