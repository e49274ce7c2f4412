"""Load the watch-sessions marts into a serving warehouse, one day partition at a time.

`python -m orchestration.load` (what the Airflow DAG runs, in the project's environment): reads
the marts where dbt built them, finds the day partitions whose content differs from what was
loaded last, and replaces exactly those days in the target: a separate DuckDB serving database
(default) or BigQuery. A rerun finds nothing changed and loads nothing; docs/orchestration.md.
"""
