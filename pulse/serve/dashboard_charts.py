"""The dashboard's time charts as Altair specs (no Streamlit here, so they can be checked alone).

Time axes read 24-hour UTC (`%H:%M`); a minute that is not closed yet (its events may still
arrive) is drawn dashed and hollow instead of as a drop in the line.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

TIME_FORMAT = "%H:%M"  # 24-hour clock; the data's times are UTC


def minute_axis(field: str) -> alt.X:
    return alt.X(f"{field}:T", title="minute (UTC)", axis=alt.Axis(format=TIME_FORMAT, labelAngle=0),
                 scale=alt.Scale(type="utc"))


def as_utc(df: pd.DataFrame, field: str) -> pd.DataFrame:
    """The exports' times are naive UTC: say so, so the browser never shifts them to its zone."""
    return df.assign(**{field: pd.to_datetime(df[field]).dt.tz_localize("UTC")})


def interactions_per_minute(df: pd.DataFrame) -> alt.LayerChart:
    """`df`: minute_start, interaction_type, interaction_count, partial. Closed minutes as solid
    lines; the partial minutes as a dashed continuation from the last closed one, hollow points."""
    tooltip = [alt.Tooltip("utcyearmonthdatehoursminutes(minute_start):T", title="minute (UTC)"),
               "interaction_type:N", "interaction_count:Q", "state:N"]
    df = as_utc(df, "minute_start").assign(
        state=df["partial"].map({True: "partial: still arriving", False: "closed"}))
    closed = df[~df["partial"]]
    # The partial segment starts at each type's last closed minute, so the line does not break.
    bridge = closed.sort_values("minute_start").groupby("interaction_type").tail(1)
    partial = pd.concat([bridge, df[df["partial"]]]) if df["partial"].any() else df[df["partial"]]
    x = minute_axis("minute_start")
    y = alt.Y("interaction_count:Q", title="interactions")
    color = alt.Color("interaction_type:N", title="type")
    solid = alt.Chart(closed).mark_line(point=True).encode(x=x, y=y, color=color, tooltip=tooltip)
    dashed = alt.Chart(partial).mark_line(strokeDash=[4, 3], opacity=0.7).encode(x=x, y=y, color=color)
    hollow = (alt.Chart(df[df["partial"]]).mark_point(filled=False, size=60)
              .encode(x=x, y=y, color=color, tooltip=tooltip))
    return alt.layer(solid, dashed, hollow)


def views_per_minute(df: pd.DataFrame) -> alt.Chart:
    """`df`: minute_timestamp, views (closed minutes only: the report holds no other)."""
    return alt.Chart(as_utc(df, "minute_timestamp")).mark_bar().encode(
        x=minute_axis("minute_timestamp"), y=alt.Y("views:Q", title="views"),
        tooltip=[alt.Tooltip("utcyearmonthdatehoursminutes(minute_timestamp):T", title="minute (UTC)"), "views:Q"])
