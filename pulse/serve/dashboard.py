"""The near-real-time dashboard (`pulse serve dashboard`, Streamlit).

Reads only the Parquet exports the live loop refreshes (pulse/serve/dashboard_data.py), so it never
waits for or blocks the pipeline; the page re-runs itself every REFRESH_S seconds.
Run directly: `streamlit run pulse/serve/dashboard.py` with PULSE_DATA_DIR set like the pipeline's.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

import streamlit as st

from ingest.config import load_settings
from pulse.serve import dashboard_charts as charts
from pulse.serve import dashboard_data as dd

REFRESH_S = float(os.environ.get("PULSE_DASHBOARD_REFRESH_S", "3"))

st.set_page_config(page_title="pulse: live", layout="wide")


def no_data(section: str, status: dict | None) -> None:
    st.info(dd.missing_note(section, status))


def panel(title: str, df, section: str, draw, status: dict | None, x: dd.Exports | None = None) -> None:
    """A titled chart or table, or the section's note on why there is no data yet; a batch mart's
    panel says what refreshes it (pass `x`)."""
    st.markdown(f"**{title}**")
    if x is not None and section in dd.BATCH_SECTIONS:
        batch_note(x, section)
    if df is None:
        no_data(section, status)
    else:
        draw(df)


def batch_note(x: dd.Exports, section: str) -> None:
    at = dd.exported_at(x, section)
    st.caption(dd.BATCH_NOTE + ("" if at is None else f" (exported {at:%Y-%m-%d %H:%M:%S})"))


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} d"


def number(value, digits: int = 2) -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    if isinstance(value, float) and value != int(value):
        return f"{value:,.{digits}f}"
    return f"{int(value):,}"


def pipeline(settings, status: dict | None) -> None:
    if status is None:
        st.caption("Pipeline: `pulse run` has not reported yet.")
        return
    age = time.time() - status.get("updated_at", 0)
    state = "" if dd.run_is_reporting(status) else " (not running now)"
    parts = [f"cycle {status['cycle']} took {status['cycle_seconds']:.2f} s (dbt {status['dbt_seconds']:.2f} s)",
             f"updated {duration(age)} ago{state}"]
    for s in status["sources"].values():
        if s.get("freshness_s") is not None:
            lag = "?" if s["lag_records"] is None else f"{s['lag_records']:,}"
            parts.append(f"{s['source']}: {s['records_per_s']:.0f}/s, lag {lag}, "
                         f"newest event {duration(s['freshness_s'])} old")
    st.caption("Pipeline: " + " | ".join(parts))


def interactions(x: dd.Exports, status: dict | None) -> None:
    st.subheader("Interactions")
    overview = dd.interactions_overview(x)
    if overview is None:
        no_data("interactions_overview", status)
    else:
        c = st.columns(5)
        c[0].metric("Avg interactions per user", number(overview.get("avg_interactions_per_user")))
        c[1].metric("Max interactions per item", number(overview.get("max_item_interactions")))
        c[2].metric("Min interactions per item", number(overview.get("min_item_interactions")))
        c[3].metric("Interactions", number(overview.get("interaction_count")))
        c[4].metric("Users / items", f"{number(overview.get('user_count'))} / {number(overview.get('item_count'))}")
    left, right = st.columns(2)
    with left:
        per_minute = dd.rate_per_minute(x, until=dd.watermark(status, "interactions"))
        panel("Interactions per minute, by type", per_minute, "interactions_per_minute",
              lambda df: st.altair_chart(charts.interactions_per_minute(df)), status)
        if per_minute is not None and per_minute["partial"].any():
            st.caption("Dashed, hollow: the newest minute is partial (after the interactions watermark, "
                       "its events are still arriving).")
    with right:
        panel("Top items", dd.top_items(x), "interactions_per_item", st.table, status)
        fewest = dd.fewest_items(x)
        if fewest is not None and fewest["items"]:
            st.caption(f"Fewest interactions per item: {number(fewest['interaction_count'])} "
                       f"({number(fewest['items'])} items, e.g. {fewest['example']})")


def campaigns(x: dd.Exports, status: dict | None) -> None:
    st.subheader("Campaigns")
    per_minute = dd.campaign_views_per_minute(x)
    if per_minute is None:
        no_data("campaign_minutes", status)
        return
    left, right = st.columns(2)
    with left:
        st.markdown("**Banner views per minute**")
        st.altair_chart(charts.views_per_minute(per_minute))
        st.caption("Closed minutes only: live, a minute is reported once the view_log watermark "
                   "(newest view minus the 10 s lateness) has passed its end.")
        st.markdown("**Average view duration per network**")
        st.table(dd.network_durations(x))
    with right:
        st.markdown("**Average view duration per campaign (top by views)**")
        st.table(dd.campaign_durations(x))


def activity(x: dd.Exports, status: dict | None) -> None:
    st.subheader("Activity")
    left, right = st.columns(2)
    with left:
        panel("DAU / MAU", dd.dau_mau(x), "dau_mau", dau_mau, status, x)
    with right:
        panel("Session duration distribution", dd.session_duration_distribution(x), "session_buckets",
              lambda df: st.bar_chart(df.set_index("bucket"), sort=False), status, x)


def dau_mau(df) -> None:
    if not df.empty:
        latest = df.iloc[0]
        c = st.columns(3)
        c[0].metric(f"DAU ({latest['day']:%Y-%m-%d})", number(latest["dau"]))
        c[1].metric("MAU (30 days)", number(latest["mau"]))
        c[2].metric("DAU / MAU", number(latest["dau_mau"], 3))
    st.table(df)


def streams(x: dd.Exports, status: dict | None) -> None:
    st.subheader("Watch streams")
    summary = dd.streams_summary(x)
    if summary is None:
        no_data("streams", status)
        return
    c = st.columns(3)
    c[0].metric("Streams active now", number(summary["active_now"]))
    c[1].metric("Finished streams", number(summary["finished"]))
    c[2].metric("Avg finished duration (s)", number(summary["avg_duration_s"], 1))
    durations = dd.stream_durations(x)
    if durations is not None and not durations.empty:
        st.bar_chart(durations.set_index("duration")["streams"], sort=False)


def ctr_explorer(settings) -> None:
    st.subheader("CTR explorer")
    try:
        from pulse.serve.ctr_query import query_ctr
    except ImportError:
        st.info("No data yet: the CTR API (pulse/serve/api.py) is not installed.")
        return
    with st.form("ctr"):
        c = st.columns(5)
        end = datetime.now().replace(second=0, microsecond=0)
        start = c[0].text_input("start", (end - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"))
        stop = c[1].text_input("end", end.strftime("%Y-%m-%d %H:%M:%S"))
        aggregation = c[2].number_input("aggregation (min)", min_value=1, value=60)
        product = c[3].text_input("product (optional)", "")
        platform = c[4].selectbox("platform", ["(all)", "iOS", "Android", "MobileWeb"])
        submitted = st.form_submit_button("Query")
    if submitted:
        try:
            rows = query_ctr(settings, start, stop, int(aggregation), product or None,
                             None if platform == "(all)" else platform)
        except (ValueError, OSError) as exc:
            st.warning(str(exc))
            return
        st.dataframe(rows)


def alerts(x: dd.Exports) -> None:
    st.subheader("Alerts")
    df = dd.recent_alerts(x)
    if df is None or df.empty:
        st.success("No alerts fired.")
    else:
        st.caption(f"{dd.alert_count(x):,} fired in all; the latest:")
        st.table(df)


settings = load_settings()
st.title("pulse: live")


@st.fragment(run_every=REFRESH_S)
def live_sections() -> None:
    x = dd.Exports(settings)
    status = dd.pipeline_status(settings)
    pipeline(settings, status)
    interactions(x, status)
    campaigns(x, status)
    activity(x, status)
    streams(x, status)
    alerts(x)
    st.caption(f"Refreshed {datetime.now():%H:%M:%S}, every {REFRESH_S:g} s, from {settings.exports_dir}")


live_sections()
ctr_explorer(settings)
