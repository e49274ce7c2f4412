"""Registry of every source pulse lands. Add a module with a `SPEC` and list it here."""

from __future__ import annotations

from . import (
    campaigns,
    interactions,
    order_items,
    orders,
    product_views,
    user_interactions,
    user_metadata,
    view_log,
    watch_events,
    web_events,
)
from .base import FileFormatError, RecordError, SourceSpec

SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        web_events.SPEC,
        watch_events.SPEC,
        interactions.SPEC,
        view_log.SPEC,
        campaigns.SPEC,
        product_views.SPEC,
        orders.SPEC,
        order_items.SPEC,
        user_interactions.SPEC,
        user_metadata.SPEC,
    )
}


def get_source(name: str) -> SourceSpec:
    try:
        return SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown source {name!r}; known: {', '.join(sorted(SOURCES))}") from None


__all__ = ["SOURCES", "FileFormatError", "RecordError", "SourceSpec", "get_source"]
