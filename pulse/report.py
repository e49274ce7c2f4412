"""`pulse report <case>`: run a case's analysis (analyses/*.sql) on the warehouse and print it."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ingest.config import Settings
from pulse.dbt import show

# case -> (analysis file, title). Each analysis returns the rows to print, in order.
REPORTS: dict[str, tuple[str, str]] = {
    "web": ("web_questions", "Web-app events: the four questions"),
    "streams": ("streams_questions", "Watch streams: durations, open streams, sessions per user per day"),
    "interactions": ("interactions_questions", "Interactions: per-user, per-minute and per-item aggregates"),
    "activity": ("activity_questions", "Lakehouse activity: DAU/MAU and app sessions"),
    "ctr": ("ctr_overview", "CTR: purchases / product views per platform and day (GMT-3)"),
    "campaigns": ("campaign_minute_report", "Campaign minute report: newest minutes per network, late views"),
}


def fetch_report(settings: Settings, case: str) -> tuple[list[str], list[tuple]]:
    if case not in REPORTS:
        raise ValueError(f"unknown report {case!r}; known: {', '.join(sorted(REPORTS))}")
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"{settings.warehouse_path}: no warehouse yet; run `dbt build` first")
    return show(REPORTS[case][0])


# The analyses say "none yet (reason)" themselves; this covers a value or a report they left empty.
NONE_YET = "none yet (nothing in the marts it reads)"


def print_report(settings: Settings, case: str, console: Console | None = None) -> list[tuple]:
    columns, rows = fetch_report(settings, case)
    table = Table(title=REPORTS[case][1], show_lines=True)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(NONE_YET if v is None or v == "" else str(v) for v in row))
    if not rows:
        table.add_row(*[NONE_YET, *([""] * (len(columns) - 1))])
    (console or Console()).print(table)
    return rows
