"""Which statements of a recorded dbt run the live loop replays (pulse/live/compiled_run.py).

Pure string rules, no database: the replay against a real warehouse is
tests/pulse/test_compiled_live_path.py."""

from __future__ import annotations

from pulse.live.compiled_run import classify

COMMENT = '/* {"app": "dbt", "node_id": "model.pulse.int_watch_streams"} */ '


def test_transactions_and_introspection_are_not_replayed():
    for sql in ("BEGIN", "COMMIT", "rollback", "", COMMENT + "select column_name from information_schema.columns",
                COMMENT + "DESCRIBE (select 1)", COMMENT + "SELECT version()"):
        assert classify(sql) is None, sql


def test_a_model_statement_is_kept_with_its_model_and_a_temp_table_replaces_the_previous_cycles():
    kept = classify(COMMENT + 'create temporary table\n      "int_watch_streams__dbt_tmp1" as (select 1)')
    assert kept.node == "int_watch_streams" and kept.kind == "model"
    assert kept.sql.startswith('create or replace temporary table "int_watch_streams__dbt_tmp1"')


def test_exports_and_hooks_are_told_apart():
    export = classify(COMMENT + "copy (select 1) to 'x.parquet' (format parquet)")
    assert export.kind == "export" and export.node == "int_watch_streams"
    hook = classify('/* {"app": "dbt", "connection_name": "master"} */ drop table if exists b')
    assert hook.node == "hooks" and hook.kind == "model" and hook.sql == "drop table if exists b"
