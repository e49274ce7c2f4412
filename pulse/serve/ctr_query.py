"""CTR per time bucket, platform and product, read from the Parquet export only.

The export `exports/fct_product_activity_minute.parquet` (dbt, sorted by minute) holds product
views and purchases per minute (GMT-3), platform and product. A request is validated into a
`CtrRequest`, then one parameterized DuckDB query buckets the minutes and writes the JSON
array as text itself, so a large answer costs no Python object per row.

Requests for 60-minute buckets on whole hours without a product (a day by hour: the dashboard's
question, and the largest answers) read the answers dbt wrote ahead instead
(`exports/ctr_hourly_answers/day=<YYYY-MM-DD>/`, fct_product_activity_hourly's post-hook): one row
per hour and platform holding that hour's objects, so the answer is a join of at most 72 strings a
day. Both paths give the same bytes (tests/pulse/test_api_ctr.py).

Buckets start at `start` and step by `aggregation` minutes; the range is [start, end) and the
last bucket is cut at `end`. Only (bucket, platform, product) with at least one view or purchase
are returned; CTR = purchases / views with four decimals, or null when the bucket had purchases
but no views (a ratio over zero views is undefined).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
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
HOURLY_ANSWERS_NAME = "ctr_hourly_answers"
HOURLY_ANSWERS_MODEL = "fct_product_activity_hourly"  # its post-hook writes them
MARTS_READ = (EXPORT_NAME, HOURLY_ANSWERS_MODEL)  # what models/exposures.yml says the API depends on


def export_path(settings: Settings) -> Path:
    return settings.exports_dir / f"{EXPORT_NAME}.parquet"


def hourly_answers_dir(settings: Settings) -> Path:
    return settings.exports_dir / HOURLY_ANSWERS_NAME


def _on_the_hour(moment: datetime) -> bool:
    return moment.minute == 0 and moment.second == 0 and moment.microsecond == 0


def answered_ahead(request: CtrRequest) -> bool:
    """Whether the hourly answers hold this request: hour buckets from a whole hour to a whole hour."""
    return (request.aggregation == 60 and request.product is None
            and _on_the_hour(request.start) and _on_the_hour(request.end))


def _day_files(folder: Path, request: CtrRequest) -> list[Path]:
    """The day files of the request's range, from the folder's listing (a range of centuries costs
    what the data holds, not a lookup per day)."""
    first, last = str(request.start.date()), str((request.end - timedelta(microseconds=1)).date())
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return [folder / name / "data_0.parquet" for name in sorted(names)
            if name.startswith("day=") and first <= name[4:] <= last and (folder / name / "data_0.parquet").exists()]


# Unordered: at most 72 rows a day, sorted and joined in Python (DuckDB's ordered string_agg over
# ~140 KB strings took 31 of the 38 ms of a one-day answer).
_HOURLY_SQL = """
    select activity_hour, platform, answer_json
    from read_parquet($paths, hive_partitioning = false)
    where activity_hour >= $start and activity_hour < $end {platform}
"""


def answer_object_sql(bucket: str, views: str, purchases: str) -> str:
    """One answer row's JSON object, as SQL text over the named columns (the same bytes as
    to_json() of a struct). macros/ctr_activity.sql writes the same for the hourly answers."""
    return (f"""'{{"timestamp":"' || strftime({bucket}, '{TIMESTAMP_FORMAT}')"""
            f""" || '","platform":' || to_json(platform) || ',"product":' || to_json(product)"""
            f""" || ',"CTR":' || coalesce(to_json("""
            f"""case when {views} > 0 then printf('%.4f', {purchases} / {views}) end), 'null') || '}}'""")


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
            {answer_object_sql('bucket', 'views', 'purchases')},
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
        self.hourly_dir = hourly_answers_dir(settings)
        self._db = duckdb.connect(":memory:")

    def query_json(self, request: CtrRequest) -> str:
        if not self.path.exists():
            raise FileNotFoundError(f"{EXPORT_RELATIVE}: no CTR data yet; run `dbt build` (or `pulse run`)")
        # A warehouse built before the hourly mart existed has no answers ahead: the minutes serve.
        if answered_ahead(request) and self.hourly_dir.is_dir():
            return self._hourly_json(request)
        return self._minutes_json(request)

    def _run(self, paths: list[Path], sql: str, params: dict, in_place: bool = False) -> list[tuple]:
        def run() -> list[tuple]:
            cursor = self._db.cursor()
            try:
                return cursor.execute(sql, params).fetchall()
            finally:
                cursor.close()

        # The live loop replaces the exports every cycle: a query straddling a swap or an in-place
        # rewrite (the hourly answers' day files) is run again (pulse/serve/export_reader.py).
        return stable_query(paths, run, in_place=in_place)

    def _hourly_json(self, request: CtrRequest) -> str:
        # A day without a file had no activity (dbt writes every day that has a row). The files are
        # rewritten in place by the live loop, hence in_place below.
        paths = _day_files(self.hourly_dir, request)
        if not paths:
            return "[]"
        params = {"paths": [str(p) for p in paths], "start": request.start, "end": request.end}
        if request.platform:
            params["platform"] = request.platform
        sql = _HOURLY_SQL.format(platform="and platform = $platform" if request.platform else "")
        rows = sorted(self._run(paths, sql, params, in_place=True), key=lambda row: (row[0], row[1]))
        return "[" + ",".join(row[2] for row in rows) + "]"

    def _minutes_json(self, request: CtrRequest) -> str:
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
        return self._run([self.path], _sql(request), params)[0][0]


def query_ctr(settings: Settings, start, end, aggregation, product: str | None = None,
              platform: str | None = None) -> list[dict]:
    """The API's answer as Python objects (used by the dashboard's CTR explorer)."""
    request = make_request(start, end, aggregation, product, platform)
    return json.loads(CtrReader(settings).query_json(request))
