"""`python -m orchestration.load`: load the watch-sessions marts into DuckDB (default) or BigQuery."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from .marts import MARTS, MARTS_BY_NAME


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m orchestration.load", description=__doc__)
    p.add_argument("--to", choices=("duckdb", "bigquery"), default="duckdb", help="target warehouse")
    p.add_argument("--marts", nargs="+", choices=sorted(MARTS_BY_NAME), default=[m.name for m in MARTS])
    p.add_argument("--dbt-target", default=os.environ.get("PULSE_DBT_TARGET", "dev"),
                   help="dbt target the marts were built with (default PULSE_DBT_TARGET or dev)")
    p.add_argument("--serving", type=Path, help="DuckDB serving database (default <data dir>/serving.duckdb)")
    p.add_argument("--bigquery-project", help="GCP project of the jobs (default: the credentials')")
    p.add_argument("--bigquery-dataset", help="project.dataset (or dataset) the tables live in")
    p.add_argument("--bigquery-location", help="location of the dataset, e.g. EU")
    p.add_argument("--credentials-file", help="service-account key file (default: Application Default Credentials)")
    p.add_argument("--run-id", default=f"manual__{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}",
                   help="recorded with each loaded day (the DAG passes its run id)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except Exception as exc:  # noqa: BLE001 - one line naming the reason, never a traceback
        print(f"load: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace) -> int:
    from ingest.config import load_settings

    from .relations import built_relations
    from .run import load_marts

    settings = load_settings()
    marts = [MARTS_BY_NAME[name] for name in args.marts]
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"no warehouse at {settings.warehouse_path}: run dbt first")
    built = built_relations([m.name for m in marts], args.dbt_target)
    target = _target(args, settings)
    try:
        print(f"load: {', '.join(args.marts)} from {settings.warehouse_path} into {target.describe()}", flush=True)
        for result in load_marts(target, marts, built, args.run_id):
            print(f"load: {result.line()}", flush=True)
    finally:
        target.close()
    return 0


def _target(args: argparse.Namespace, settings):
    if args.to == "duckdb":
        from .duckdb_target import DuckDBServing

        return DuckDBServing(args.serving or settings.data_dir / "serving.duckdb", settings.warehouse_path)
    from .bigquery_target import BigQueryTarget, make_client

    if not args.bigquery_dataset:
        raise ValueError("--to bigquery needs --bigquery-dataset (project.dataset)")
    client = make_client(args.bigquery_project, args.bigquery_location, args.credentials_file)
    dataset = args.bigquery_dataset if "." in args.bigquery_dataset else f"{client.project}.{args.bigquery_dataset}"
    return BigQueryTarget(client, dataset, settings.warehouse_path)


if __name__ == "__main__":
    sys.exit(main())
