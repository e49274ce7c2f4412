"""What the dashboard shows, as plain queries over the Parquet exports (no Streamlit here).

Every function reads only `data/exports/*.parquet` (and the live status JSON), each time with a
fresh in-memory DuckDB, so the dashboard never opens the warehouse and never waits on dbt.
A section whose export does not exist yet returns None; the page says "no data yet".
Where a mart's name is still settling, a section lists the export names it accepts, first wins.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from ingest.config import Settings

# Section -> export names accepted, first existing one wins.
EXPORTS = {
    "interactions_overview": ("fct_interactions_overview",),
    "interactions_per_minute": ("fct_interactions_per_minute",),
    "interactions_per_item": ("fct_interactions_per_item",),
    "item_extremes": ("fct_interaction_item_extremes",),
    "campaign_minutes": ("fct_campaign_minute_report", "fct_campaign_minutes", "campaign_minute_report"),
    "dau_mau": ("fct_dau_mau", "fct_daily_active_users", "fct_active_users_daily", "fct_user_activity_daily"),
    "activity_sessions": ("fct_sessions", "fct_user_sessions", "fct_activity_sessions", "fct_web_sessions"),
    "streams": ("fct_streams",),
    "alerts": ("alerts",),
}


class Exports:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.dir = settings.exports_dir

    def path(self, section: str) -> Path | None:
        for name in EXPORTS[section]:
            p = self.dir / f"{name}.parquet"
            if p.exists():
                return p
        return None

    def query(self, section: str, sql: str, params: list | None = None) -> pd.DataFrame | None:
        """`sql` reads the section's export as `t`; None when the export does not exist yet."""
        path = self.path(section)
        if path is None:
            return None
        con = duckdb.connect()
        try:
            con.execute(f"create view t as select * from read_parquet('{path}')")
            return con.execute(sql, params or []).df()
        finally:
            con.close()

    def columns(self, section: str) -> list[str]:
        df = self.query(section, "select * from t limit 0")
        return [] if df is None else list(df.columns)


def pipeline_status(settings: Settings) -> dict | None:
    try:
        return json.loads((settings.run_dir / "live_status.json").read_text())
    except (OSError, ValueError):
        return None


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


def rate_per_minute(x: Exports, minutes: int = 60) -> pd.DataFrame | None:
    """Interactions per minute by type (the last `minutes` minutes with data), wide: one column per type."""
    df = x.query("interactions_per_minute", """
        select minute_start, interaction_type, interaction_count
        from t
        where interaction_type <> 'all'
          and minute_start > (select max(minute_start) from t) - to_minutes(cast(? as bigint))
        order by minute_start
    """, [minutes])
    if df is None or df.empty:
        return None if df is None else df
    return df.pivot_table(index="minute_start", columns="interaction_type", values="interaction_count",
                          aggfunc="sum", fill_value=0)


# -------------------------------------------------------------------------------- campaigns

def campaign_views_per_minute(x: Exports, minutes: int = 60) -> pd.DataFrame | None:
    return x.query("campaign_minutes", """
        select minute_timestamp, sum(total_count) as views
        from t
        where minute_timestamp > (select max(minute_timestamp) from t) - to_minutes(cast(? as bigint))
        group by minute_timestamp order by minute_timestamp
    """, [minutes])


def campaign_durations(x: Exports, n: int = 15) -> pd.DataFrame | None:
    """Average view duration per campaign and network (view-weighted over the minutes)."""
    return x.query("campaign_minutes", """
        select network_id, campaign_id, sum(total_count) as views,
               round(sum(avg_duration * total_count) / nullif(sum(total_count), 0), 2) as avg_duration_s
        from t group by network_id, campaign_id order by views desc, campaign_id limit ?
    """, [n])


def network_durations(x: Exports) -> pd.DataFrame | None:
    return x.query("campaign_minutes", """
        select network_id, sum(total_count) as views,
               round(sum(avg_duration * total_count) / nullif(sum(total_count), 0), 2) as avg_duration_s
        from t group by network_id order by network_id
    """)


# --------------------------------------------------------------------------------- activity

def dau_mau(x: Exports) -> pd.DataFrame | None:
    cols = set(x.columns("dau_mau"))
    if not cols:
        return None
    day = next((c for c in ("activity_date", "date", "day", "event_date") if c in cols), None)
    wanted = [c for c in ("dau", "mau", "dau_mau_ratio", "stickiness") if c in cols]
    if day is None or not wanted:
        return x.query("dau_mau", "select * from t limit 60")
    return x.query("dau_mau", f'select "{day}" as day, {", ".join(wanted)} from t order by 1 desc limit 60')


def session_duration_distribution(x: Exports) -> pd.DataFrame | None:
    cols = set(x.columns("activity_sessions"))
    col = next((c for c in ("duration_seconds", "session_duration_seconds", "session_duration_s", "duration_s")
                if c in cols), None)
    if col is None:
        return None
    return x.query("activity_sessions", f"""
        with b as (
            select case
                when "{col}" < 60 then '0-1 min' when "{col}" < 300 then '1-5 min'
                when "{col}" < 900 then '5-15 min' when "{col}" < 1800 then '15-30 min'
                when "{col}" < 3600 then '30-60 min' else '60+ min' end as bucket,
                case when "{col}" < 60 then 1 when "{col}" < 300 then 2 when "{col}" < 900 then 3
                     when "{col}" < 1800 then 4 when "{col}" < 3600 then 5 else 6 end as ord
            from t where "{col}" is not null
        )
        select bucket, count(*) as sessions from b group by bucket, ord order by ord
    """)


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
    return x.query("streams", """
        select case
            when stream_duration < 60 then '0-1 min' when stream_duration < 300 then '1-5 min'
            when stream_duration < 900 then '5-15 min' when stream_duration < 1800 then '15-30 min'
            else '30+ min' end as duration,
            min(stream_duration) as ord, count(*) as streams
        from t where not is_open group by 1 order by ord
    """)


# ----------------------------------------------------------------------------------- alerts

def recent_alerts(x: Exports, n: int = 10) -> pd.DataFrame | None:
    return x.query("alerts", "select fired_at, rule, key, value, op, threshold, window_start "
                             "from t order by fired_at desc, window_start desc limit ?", [n])


def alert_count(x: Exports) -> int:
    df = x.query("alerts", "select count(*) as n from t")
    return 0 if df is None else int(df.iloc[0]["n"])
