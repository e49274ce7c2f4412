"""Synthetic data for every source (see `pulse generate` and docs/generators.md).

Each dataset module holds a `Dataset` subclass: a session simulation plus renderers for Kafka
messages and for files in the real extract's format. `DATASETS` maps names to them.
"""

from __future__ import annotations

from .campaigns import Campaigns
from .core import Dataset, Plan, generated_records
from .interactions import Interactions
from .orders import Orders
from .product_views import ProductViews
from .user_interactions import UserInteractions
from .user_metadata import UserMetadata
from .view_log import ViewLog
from .watch_events import WatchEvents
from .web_events import WebEvents

DATASETS: dict[str, type[Dataset]] = {
    cls.name: cls
    for cls in (WebEvents, WatchEvents, Interactions, ViewLog, Campaigns, ProductViews, Orders,
                UserInteractions, UserMetadata)
}


def get_dataset(name: str) -> type[Dataset]:
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


__all__ = ["DATASETS", "Dataset", "Plan", "generated_records", "get_dataset"]
