"""Registry of every source pulse lands. A new source: a module with a `SPEC`, listed here once."""

from __future__ import annotations

from ingest.sources.base import FileFormatError, RecordError, SourceSpec

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

# Sources also landed from Kafka, in registry order (the topics `pulse ingest kafka` and `pulse run` read).
TOPIC_SOURCES: tuple[str, ...] = tuple(name for name, spec in SOURCES.items() if spec.kafka_topic)


def get_source(name: str) -> SourceSpec:
    try:
        return SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown source {name!r}; known: {', '.join(sorted(SOURCES))}") from None


__all__ = ["SOURCES", "FileFormatError", "RecordError", "SourceSpec", "get_source"]
