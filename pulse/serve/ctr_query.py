"""CTR per time bucket, platform and product, read from the Parquet export only.

The export `exports/fct_product_activity_minute.parquet` (dbt, sorted by minute) holds product
views and purchases per minute (GMT-3), platform and product. A request is validated into a
`CtrRequest`, then one parameterized DuckDB query buckets the minutes and writes the JSON
array as text itself, so a large answer costs no Python object per row.

Buckets start at `start` and step by `aggregation` minutes; the range is [start, end) and the
last bucket is cut at `end`. Only (bucket, platform, product) with at least one view or purchase
are returned; CTR = purchases / views with four decimals, or null when the bucket had purchases
but no views (a ratio over zero views is undefined).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from ingest.config import Settings
from pulse.serve.export_reader import stable_query

EXPORT_NAME = "fct_product_activity_minute"
PLATFORMS = ("iOS", "Android", "MobileWeb")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
_ACCEPTED_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")
# Bucket sizes beyond a century answer the same single bucket; the bound keeps the bucket's
# microseconds far inside int64 (an unbounded value overflowed into a 500).
MAX_AGGREGATION_MINUTES = 100 * 366 * 24 * 60


class CtrParameterError(ValueError):
    """A bad request parameter; the message starts with the parameter's name."""

    def __init__(self, parameter: str, reason: str):
        super().__init__(f"{parameter}: {reason}")
        self.parameter = parameter


@dataclass(frozen=True)
class CtrRequest:
    start: datetime
    end: datetime
    aggregation: int  # minutes
    product: str | None = None
    platform: str | None = None


def parse_timestamp(parameter: str, value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    text = (value or "").strip()
    for fmt in _ACCEPTED_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise CtrParameterError(parameter, f"expected a GMT-3 time like '2016-01-03 13:55:00', got {value!r}")


def make_request(start, end, aggregation, product: str | None = None, platform: str | None = None) -> CtrRequest:
    """Validate the API's parameters; CtrParameterError names the first bad one."""
    if start is None or start == "":
        raise CtrParameterError("startTimestamp", "missing")
    if end is None or end == "":
        raise CtrParameterError("endTimestamp", "missing")
    start_ts = parse_timestamp("startTimestamp", start)
    end_ts = parse_timestamp("endTimestamp", end)
    if end_ts <= start_ts:
        raise CtrParameterError("endTimestamp", "must be after startTimestamp")
    try:
        minutes = int(aggregation)
    except (TypeError, ValueError):
        raise CtrParameterError("aggregation", f"expected a whole number of minutes, got {aggregation!r}") from None
    if minutes <= 0:
        raise CtrParameterError("aggregation", "must be a positive number of minutes")
    if minutes > MAX_AGGREGATION_MINUTES:
        raise CtrParameterError("aggregation", f"must be at most {MAX_AGGREGATION_MINUTES} minutes (100 years)")
    if platform is not None and platform not in PLATFORMS:
        raise CtrParameterError("platform", f"must be one of {', '.join(PLATFORMS)}, got {platform!r}")
    return CtrRequest(start_ts, end_ts, minutes, product or None, platform)


EXPORT_RELATIVE = f"exports/{EXPORT_NAME}.parquet"  # what responses show: never the server's absolute paths


def export_path(settings: Settings) -> Path:
    return settings.exports_dir / f"{EXPORT_NAME}.parquet"


def _sql(request: CtrRequest) -> str:
    # Only the shape depends on the request (which filters exist); every value is a parameter.
    filters = ["activity_minute >= $start", "activity_minute < $end"]
    if request.platform:
        filters.append("platform = $platform")
    if request.product:
        filters.append("product = $product")
    return f"""
        with minutes as (
            select activity_minute, platform, product, product_views, purchases
            from read_parquet($path)
            where {' and '.join(filters)}
        ),
        buckets as (
            select
                $start + to_microseconds(
                    (epoch_us(activity_minute) - epoch_us($start)) // $bucket_us * $bucket_us
                ) as bucket,
                platform,
                product,
                sum(product_views) as views,
                sum(purchases) as purchases
            from minutes
            group by all
        )
        -- Each row's JSON object written as text and joined in order: the same bytes as to_json()
        -- of a list of structs, without building the list (a third less time on a 106k-row answer).
        select '[' || coalesce(string_agg(
            '{{"timestamp":"' || strftime(bucket, '{TIMESTAMP_FORMAT}')
            || '","platform":' || to_json(platform)
            || ',"product":' || to_json(product)
            || ',"CTR":' || coalesce(to_json(case when views > 0 then printf('%.4f', purchases / views) end), 'null')
            || '}}',
            ',' order by bucket, platform, product
        ), '') || ']'
        from buckets
    """


class CtrReader:
    """Answers CTR requests from the export; safe to share between threads (a cursor per query).

    Every query reads the file afresh, so a new export (dbt renames it into place) is seen by the
    next request without a restart, and a reader never blocks dbt.
    """

    def __init__(self, settings: Settings):
        self.path = export_path(settings)
        self._db = duckdb.connect(":memory:")

    def query_json(self, request: CtrRequest) -> str:
        if not self.path.exists():
            raise FileNotFoundError(f"{EXPORT_RELATIVE}: no CTR data yet; run `dbt build` (or `pulse run`)")
        params = {
            "path": str(self.path),
            "start": request.start,
            "end": request.end,
            "bucket_us": request.aggregation * 60_000_000,
        }
        if request.platform:
            params["platform"] = request.platform
        if request.product:
            params["product"] = request.product
        sql = _sql(request)

        def run() -> str:
            cursor = self._db.cursor()
            try:
                return cursor.execute(sql, params).fetchone()[0]
            finally:
                cursor.close()

        # The live loop swaps the export every cycle; a query straddling a swap is re-run.
        return stable_query([self.path], run)


def query_ctr(settings: Settings, start, end, aggregation, product: str | None = None,
              platform: str | None = None) -> list[dict]:
    """The API's answer as Python objects (used by the dashboard's CTR explorer)."""
    request = make_request(start, end, aggregation, product, platform)
    return json.loads(CtrReader(settings).query_json(request))
