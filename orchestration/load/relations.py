"""Where dbt built the marts: resolved from the project's manifest for the chosen dbt target.

Reading the manifest (not a hard-coded `main.fct_streams`) keeps the load right whatever schema
a model is configured into, and never reads a stale copy left in an old schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BuiltRelation:
    adapter: str
    schema: str
    identifier: str


def built_relations(names: list[str], target: str) -> dict[str, BuiltRelation]:
    from pulse.dbt import run_dbt

    manifest = run_dbt("parse", "--target", target, "--log-level", "none").result
    adapter = manifest.metadata.adapter_type
    by_name = {node.name: node for node in manifest.nodes.values() if node.resource_type == "model"}
    missing = [name for name in names if name not in by_name]
    if missing:
        raise ValueError(f"the dbt project has no model {', '.join(missing)}")
    return {name: BuiltRelation(adapter, by_name[name].schema, by_name[name].alias or name) for name in names}


def warehouse_catalog(warehouse: Path) -> str:
    """The name to attach the dbt warehouse under: its own catalog name (the file's stem).

    dbt-duckdb writes views with catalog-qualified references (`"warehouse"."intermediate"...`), so a
    view such as `fct_streams` only resolves when the file is attached under that same name.
    """
    return warehouse.stem
