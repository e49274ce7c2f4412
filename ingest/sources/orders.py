"""orders.csv (CTR case): `;`-separated, `order_date` as `dd/mm/yyyy HH:MM` in GMT-3.

order_date is kept as written (naive, GMT-3): the CTR marts work in GMT-3, the case's time zone.
The lake partition is that local date.
"""

import pyarrow as pa

from ingest.sources import parsers
from ingest.sources.base import Field, SourceSpec

SPEC = SourceSpec(
    name="orders",
    description="Orders (one row per transaction) from the shop's SQL database extract.",
    partition_field="order_date",
    csv_delimiter=";",
    fields=(
        Field("id", pa.int64(), parsers.integer),
        Field("user_id", pa.string(), parsers.text, required=False),
        Field("order_date", pa.timestamp("us"), parsers.local_day_month_year, description="GMT-3"),
        Field("order_subtotal", pa.float64(), parsers.number, required=False),
        Field("order_discount", pa.float64(), parsers.number, required=False),
        Field("order_total", pa.float64(), parsers.number),
        Field("order_status", pa.string(), parsers.text),
        Field("payment_type", pa.string(), parsers.text, required=False),
        Field("shipping_cost", pa.float64(), parsers.number, required=False),
        Field("shipping_service", pa.string(), parsers.text, required=False),
        Field("address_city", pa.string(), parsers.text, required=False),
        Field("address_state", pa.string(), parsers.text, required=False),
        Field("utm_source_medium", pa.string(), parsers.text, required=False),
        Field("device_type", pa.string(), parsers.text),
    ),
)
