"""Synthetic data for every source (see `pulse generate` and docs/generators.md).

Each dataset module holds a `Dataset` subclass: a session simulation plus renderers for Kafka
messages and for files in the real extract's format. `DATASETS` maps names to them.
"""

from __future__ import annotations

from pulse.generate.campaigns import Campaigns
from pulse.generate.core import Dataset, Plan, generated_records
from pulse.generate.interactions import Interactions
from pulse.generate.orders import Orders
from pulse.generate.product_views import ProductViews
from pulse.generate.user_interactions import UserInteractions
from pulse.generate.user_metadata import UserMetadata
from pulse.generate.view_log import ViewLog
from pulse.generate.watch_events import WatchEvents
from pulse.generate.web_events import WebEvents

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
