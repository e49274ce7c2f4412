"""dbt-duckdb plugin: prepare the data dir before dbt opens the warehouse.

Listed under `plugins:` in profiles.yml, so a plain `dbt build` on a fresh clone works: the
warehouse's folder, the export and report folders and a typed zero-row file for every lake source
exist before any model reads `read_parquet()` over the lake (which fails on an empty glob).
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from ingest.config import load_settings
from ingest.lake import ensure_data_dirs


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        ensure_data_dirs(load_settings())
