"""pulse_watch_sessions: the watch-events batch pipeline, hourly (Kafka -> lake -> dbt -> warehouse).

1. `land_watch_events`: `pulse ingest kafka --topics watch_events --until-caught-up` lands the topic
   into the Parquet lake exactly once by offsets; records that cannot be deserialized go to the
   lake's quarantine with their reason.
2. `dbt_streams`: the streams models (staging, intermediate, marts) rendered by astronomer-cosmos as
   one task per model that builds it and runs its tests (`dbt build --select <model>`): a failing
   test fails that task, so nothing downstream of it runs, the load included.
3. `load_marts`: replaces the changed day partitions of fct_streams and fct_sessions_per_user_day in
   the serving DuckDB database, or in BigQuery when the `pulse_bigquery` connection exists.

Every task runs the project's own commands in the project's environment; this file only needs
Airflow and cosmos. Settings are environment variables of the Airflow processes (docs/orchestration.md):
PULSE_PROJECT_DIR, PULSE_VENV, PULSE_DATA_DIR, PULSE_DBT_TARGET, PULSE_BIGQUERY_CONN_ID, and the
Kafka settings the `pulse` command reads (KAFKA_BOOTSTRAP_SERVERS or PULSE_BROKER_PORT, ...).
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from airflow.exceptions import AirflowException, AirflowNotFoundException
from airflow.providers.standard.hooks.subprocess import SubprocessHook
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import BaseHook, dag, get_current_context, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

# The project: by default the checkout this file lives in (orchestration/airflow/dags/ of it).
PROJECT_DIR = Path(os.environ.get("PULSE_PROJECT_DIR") or Path(__file__).resolve().parents[3])
VENV_BIN = Path(os.environ.get("PULSE_VENV") or PROJECT_DIR / ".venv") / "bin"
DATA_DIR = PROJECT_DIR / os.environ.get("PULSE_DATA_DIR", "data")  # relative: to the project, as for `pulse`
# One setting moves the dbt models to another target of profiles.yml (e.g. `spark`).
DBT_TARGET = os.environ.get("PULSE_DBT_TARGET", "dev")
BIGQUERY_CONN_ID = os.environ.get("PULSE_BIGQUERY_CONN_ID", "pulse_bigquery")
# The streams models by folder, not by name: models added to or split in these folders follow.
STREAMS_MODELS = ["path:models/staging/streams", "path:models/intermediate/streams", "path:models/marts/streams"]
# Read by `pulse`, dbt (profiles.yml, dbt_project.yml) and the load alike.
PROJECT_ENV = {"PULSE_DATA_DIR": str(DATA_DIR), "PULSE_DBT_TARGET": DBT_TARGET, "PULSE_PROJECT_DIR": str(PROJECT_DIR)}


@task
def load_marts() -> None:
    """Load the marts' changed day partitions into BigQuery if its connection exists, else DuckDB."""
    context = get_current_context()
    command = [str(VENV_BIN / "python"), "-m", "orchestration.load", "--dbt-target", DBT_TARGET,
               "--run-id", context["run_id"]]
    with tempfile.TemporaryDirectory(prefix="pulse-load-") as tmp:
        command += _target_arguments(Path(tmp))
        result = SubprocessHook().run_command(command, env={**os.environ, **PROJECT_ENV}, cwd=str(PROJECT_DIR))
    if result.exit_code != 0:
        raise AirflowException(f"load failed: {result.output}")


def _target_arguments(tmp: Path) -> list[str]:
    """`--to bigquery ...` from the connection's extras (the google provider's names); `--to duckdb` without one."""
    try:
        conn = BaseHook.get_connection(BIGQUERY_CONN_ID)
    except AirflowNotFoundException:
        return ["--to", "duckdb"]
    extra = conn.extra_dejson

    def get(name: str) -> str | None:
        return extra.get(name) or extra.get(f"extra__google_cloud_platform__{name}")

    arguments = ["--to", "bigquery", "--bigquery-dataset", get("dataset") or conn.schema or "pulse"]
    for option, name in (("--bigquery-project", "project"), ("--bigquery-location", "location"),
                         ("--credentials-file", "key_path")):
        if get(name):
            arguments += [option, get(name)]
    keyfile = get("keyfile_dict")
    if keyfile and not get("key_path"):
        path = tmp / "key.json"
        path.write_text(keyfile if isinstance(keyfile, str) else json.dumps(keyfile))
        path.chmod(0o600)
        arguments += ["--credentials-file", str(path)]
    return arguments


@dag(
    dag_id="pulse_watch_sessions",
    schedule="@hourly",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,  # runs share the lake, the warehouse file and the serving tables
    default_args={"retries": 0, "execution_timeout": timedelta(hours=1)},
    tags=["pulse", "watch-streams"],
    doc_md=__doc__,
)
def pulse_watch_sessions():
    land = BashOperator(
        task_id="land_watch_events",
        bash_command=shlex.join([str(VENV_BIN / "pulse"), "ingest", "kafka", "--topics", "watch_events",
                                 "--until-caught-up"]),
        env=PROJECT_ENV,
        append_env=True,
        cwd=str(PROJECT_DIR),
    )
    dbt_streams = DbtTaskGroup(
        group_id="dbt_streams",
        project_config=ProjectConfig(dbt_project_path=PROJECT_DIR, env_vars=PROJECT_ENV),
        profile_config=ProfileConfig(profile_name="pulse", target_name=DBT_TARGET,
                                     profiles_yml_filepath=PROJECT_DIR / "profiles.yml"),
        execution_config=ExecutionConfig(execution_mode=ExecutionMode.LOCAL, invocation_mode=InvocationMode.SUBPROCESS,
                                         dbt_executable_path=VENV_BIN / "dbt"),
        # BUILD: a model and its tests in one dbt process (AFTER_EACH would start two per model, and
        # dbt's start-up, not the SQL, is most of a task's time on these small hourly increments).
        render_config=RenderConfig(select=STREAMS_MODELS, test_behavior=TestBehavior.BUILD,
                                   load_method=LoadMode.DBT_LS, invocation_mode=InvocationMode.SUBPROCESS,
                                   dbt_executable_path=VENV_BIN / "dbt", enable_mock_profile=False,
                                   emit_datasets=False),
        operator_args={"install_deps": False},
    )
    land >> dbt_streams >> load_marts()


pulse_watch_sessions()
