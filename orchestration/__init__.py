"""Orchestration of pulse's batch pipelines: the Airflow DAG and the warehouse loads it runs."""
