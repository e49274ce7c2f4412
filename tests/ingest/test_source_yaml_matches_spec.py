"""The dbt source YAML and the ingestion spec describe the same lake columns.

A source's columns are declared once, in its `SourceSpec` (ingest/sources/); the YAML beside the
staging models documents them for dbt. This fails when one of the two changes without the other.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ingest.sources import SOURCES

ROOT = Path(__file__).resolve().parents[2]
PARTITION_COLUMNS = {"date"}  # the hive partition folder, not a column of the files


def yaml_tables() -> dict[str, set[str]]:
    tables = {}
    for path in sorted((ROOT / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source.get("tables", []):
                if table["name"] in SOURCES:
                    tables[table["name"]] = {c["name"] for c in table.get("columns", [])}
    return tables


def test_every_source_has_its_yaml_table():
    assert sorted(yaml_tables()) == sorted(SOURCES)


def test_the_yaml_documents_every_field_of_the_spec_and_nothing_else():
    for name, columns in yaml_tables().items():
        spec = SOURCES[name]
        data = {f.name for f in (*spec.fields, *spec.context_fields)}
        lake = set(spec.schema.names)
        assert data <= columns, f"{name}: fields of the spec missing in the source YAML: {sorted(data - columns)}"
        unknown = columns - lake - PARTITION_COLUMNS
        assert not unknown, f"{name}: source YAML columns the lake files do not have: {sorted(unknown)}"
