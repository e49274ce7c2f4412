"""What the dashboard shows, as plain queries over the Parquet exports (no Streamlit here).

Every function reads only `data/exports/*.parquet` (and the live status JSON), each time with a
fresh in-memory DuckDB, so the dashboard never opens the warehouse and never waits on dbt.
A section whose export does not exist yet returns None; `missing_note` says why, honestly: a
batch mart waits for `dbt build`, a live one for `pulse run`.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from ingest.config import Settings
from pulse.serve.export_reader import export_files, parquet_source, stable_query

# Section -> export names accepted, first existing one wins.
EXPORTS = {
    "interactions_overview": ("fct_interactions_overview",),
    "interactions_per_minute": ("fct_interactions_per_minute",),
    "interactions_per_item": ("fct_interactions_per_item",),
    "item_extremes": ("fct_interaction_item_extremes",),
    "campaign_minutes": ("fct_campaign_views_minute",),
    "dau_mau": ("fct_daily_active_users",),
    "session_buckets": ("fct_app_session_duration_buckets",),
    "streams": ("fct_streams",),
    "alerts": ("alerts",),
}
# Sections over batch marts (not tagged `realtime`): `dbt build` refreshes them, `pulse run` never.
BATCH_SECTIONS = frozenset({"dau_mau", "session_buckets"})
BATCH_NOTE = "batch mart: refreshed by dbt build"
RUN_REPORTS_WITHIN_S = 60  # a status older than this: `pulse run` is not running


class Exports:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.dir = settings.exports_dir

    def export(self, section: str) -> tuple[str, list[Path]] | None:
        """The section's export (name, files), the first of its names that has files; None if none has."""
        for name in EXPORTS[section]:
            if files := export_files(self.dir, name):
                return name, files
        return None

    def query(self, section: str, sql: str, params: list | None = None) -> pd.DataFrame | None:
        """`sql` reads the section's export as `t`; None when the export does not exist yet."""
        found = self.export(section)
        if found is None:
            return None
        name, files = found

        def run() -> pd.DataFrame:
            source = parquet_source(self.dir, name)
            if source is None:  # an hourly export's last hour removed meanwhile
                raise duckdb.IOException(f"{name}: no files")
            con = duckdb.connect()
            try:
                con.execute(f"create view t as select * from {source}")
                return con.execute(sql, params or []).df()
            finally:
                con.close()

        return stable_query(files, run)  # the loop may swap the export (or an hour of it) mid-query

    def columns(self, section: str) -> list[str]:
        df = self.query(section, "select * from t limit 0")
        return [] if df is None else list(df.columns)


def pipeline_status(settings: Settings) -> dict | None:
    try:
        return json.loads((settings.run_dir / "live_status.json").read_text())
    except (OSError, ValueError):
        return None


def run_is_reporting(status: dict | None) -> bool:
    return status is not None and time.time() - status.get("updated_at", 0) < RUN_REPORTS_WITHIN_S


def watermark(status: dict | None, source: str) -> datetime | None:
    """The live run's watermark of `source` (events up to it have all arrived), if any."""
    value = ((status or {}).get("sources", {}).get(source) or {}).get("watermark")
    return None if value is None else datetime.fromisoformat(value)


def missing_note(section: str, status: dict | None) -> str:
    """What a section with no export yet says: what refreshes it, and what to do."""
    exports = " / ".join(f"`{name}`" for name in EXPORTS[section])
    if section in BATCH_SECTIONS:
        return f"No data yet ({BATCH_NOTE}, not by `pulse run`): run `dbt build --profiles-dir .` to export {exports}."
    if run_is_reporting(status):
        return f"Waiting for data: `pulse run` is running but has not exported {exports} yet (nothing landed for it)."
    return f"No data yet: {exports} has not been exported. Start `pulse run` (or run `dbt build --profiles-dir .`)."


def exported_at(x: Exports, section: str) -> datetime | None:
    found = x.export(section)
    if found is None:
        return None
    stamps = []
    for path in found[1]:
        try:
            stamps.append(path.stat().st_mtime)
        except OSError:  # an hour removed since it was listed
            continue
    return datetime.fromtimestamp(max(stamps)) if stamps else None


# ------------------------------------------------------------------------------ interactions

def interactions_overview(x: Exports) -> dict | None:
    df = x.query("interactions_overview", "select * from t")
    return None if df is None or df.empty else df.iloc[0].to_dict()


def top_items(x: Exports, n: int = 10) -> pd.DataFrame | None:
    df = x.query("interactions_per_item",
                 "select item_id, interaction_count from t order by interaction_count desc, item_id limit ?", [n])
    if df is not None:
        return df
    return x.query("item_extremes", "select item_id, interaction_count from t where extreme = 'max' "
                                    "order by interaction_count desc, item_id limit ?", [n])


def fewest_items(x: Exports) -> dict | None:
    """The smallest per-item count, how many items share it, and one of them."""
    df = x.query("item_extremes", "select min(interaction_count) as interaction_count, count(*) as items, "
                                  "min(item_id) as example from t where extreme = 'min'")
    return None if df is None else df.iloc[0].to_dict()


def rate_per_minute(x: Exports, minutes: int = 60, until: datetime | None = None) -> pd.DataFrame | None:
    """Interactions per minute by type (the last `minutes` minutes with data), one row per minute and
    type; `partial` marks a minute that ends after `until` (the interactions watermark of the live
    run): its events may still be arriving, so its count is not final."""
    df = x.query("interactions_per_minute", """
        select minute_start, interaction_type, interaction_count
        from t
        where interaction_type <> 'all'
          and minute_start > (select max(minute_start) from t) - to_minutes(cast(? as bigint))
        order by minute_start, interaction_type
    """, [minutes])
    if df is None:
        return None
    ends = pd.to_datetime(df["minute_start"]) + pd.Timedelta(minutes=1)
    return df.assign(partial=False if until is None else ends > pd.Timestamp(until))


# -------------------------------------------------------------------------------- campaigns

def campaign_views_per_minute(x: Exports, minutes: int = 60) -> pd.DataFrame | None:
    return x.query("campaign_minutes", """
        select minute_timestamp, cast(sum(total_count) as bigint) as views
        from t
        where minute_timestamp > (select max(minute_timestamp) from t) - to_minutes(cast(? as bigint))
        group by minute_timestamp order by minute_timestamp
    """, [minutes])


def campaign_durations(x: Exports, n: int = 15) -> pd.DataFrame | None:
    """Average view duration per campaign and network (view-weighted over the minutes)."""
    return x.query("campaign_minutes", """
        select network_id, campaign_id, cast(sum(total_count) as bigint) as views,
               round(sum(avg_duration * total_count) / nullif(sum(total_count), 0), 2) as avg_duration_s
        from t group by network_id, campaign_id order by views desc, campaign_id limit ?
    """, [n])


def network_durations(x: Exports) -> pd.DataFrame | None:
    return x.query("campaign_minutes", """
        select network_id, cast(sum(total_count) as bigint) as views,
               round(sum(avg_duration * total_count) / nullif(sum(total_count), 0), 2) as avg_duration_s
        from t group by network_id order by network_id
    """)


# --------------------------------------------------------------------------------- activity

def dau_mau(x: Exports, days: int = 14) -> pd.DataFrame | None:
    """The latest days: daily active users, 30-day active users and their ratio."""
    return x.query("dau_mau", """
        select cast(activity_date as date) as day, daily_active_users as dau, active_users_30d as mau,
               round(dau_mau_ratio, 3) as dau_mau
        from t order by activity_date desc limit ?
    """, [days])


def session_duration_distribution(x: Exports) -> pd.DataFrame | None:
    return x.query("session_buckets", "select bucket_label as bucket, session_count as sessions "
                                      "from t order by bucket_number")


# ---------------------------------------------------------------------------------- streams

def streams_summary(x: Exports) -> dict | None:
    df = x.query("streams", """
        select count(*) filter (where is_open) as active_now,
               count(*) filter (where not is_open) as finished,
               avg(stream_duration) filter (where not is_open) as avg_duration_s,
               max(last_event_time) as newest_event
        from t
    """)
    return None if df is None else df.iloc[0].to_dict()


def stream_durations(x: Exports) -> pd.DataFrame | None:
    """Finished streams per duration bucket, shortest first."""
    df = x.query("streams", """
        select case
            when stream_duration < 60 then '0-1 min' when stream_duration < 300 then '1-5 min'
            when stream_duration < 900 then '5-15 min' when stream_duration < 1800 then '15-30 min'
            else '30+ min' end as duration,
            min(stream_duration) as shortest, count(*) as streams
        from t where not is_open group by 1 order by shortest
    """)
    return None if df is None else df.drop(columns="shortest")


# ----------------------------------------------------------------------------------- alerts

def recent_alerts(x: Exports, n: int = 10) -> pd.DataFrame | None:
    return x.query("alerts", "select fired_at, rule, key, value, threshold, window_start "
                             "from t order by fired_at desc, window_start desc limit ?", [n])


def alert_count(x: Exports) -> int:
    df = x.query("alerts", "select count(*) as n from t")
    return 0 if df is None else int(df.iloc[0]["n"])
