"""order_items.csv (CTR case): `;`-separated `id;order_id;sku;quantity;code_color`.

One row per item bought; `code_color` is the product id the product views call `codeColor`.
Items carry no time of their own (their order's date places them), so they land in the lake's
undated partition.
"""

import pyarrow as pa

from ingest.sources import parsers
from ingest.sources.base import Field, SourceSpec

SPEC = SourceSpec(
    name="order_items",
    description="Order items (one row per product line of an order).",
    partition_field=None,
    csv_delimiter=";",
    fields=(
        Field("id", pa.int64(), parsers.integer),
        Field("order_id", pa.int64(), parsers.integer),
        Field("sku", pa.string(), parsers.text, required=False),
        Field("quantity", pa.int32(), parsers.integer, required=False),
        Field("code_color", pa.string(), parsers.text),
    ),
)
