"""campaigns.csv (campaign-minute-report case): `network_id,campaign_id,campaign_name`, names quoted.

A reference table of about 10 MB in production, so it is a lake source, not a dbt seed. Landing a
newer version of the file adds its rows; staging keeps each campaign's most recently landed row.
"""

import pyarrow as pa

from ingest.sources import parsers
from ingest.sources.base import Field, SourceSpec

SPEC = SourceSpec(
    name="campaigns",
    description="Campaigns and the network each belongs to, one row per landed CSV row.",
    partition_field=None,
    fields=(
        Field("network_id", pa.int32(), parsers.integer),
        Field("campaign_id", pa.int32(), parsers.integer),
        Field("campaign_name", pa.string(), parsers.text, required=False),
    ),
)
