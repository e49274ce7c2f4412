{#- Incremental models on Spark (docs/scaling.md).

    The one incremental mechanism (macros/incremental) is the same on every engine: this run's
    bounds in bookkeeping.run_bounds, what each model covered in bookkeeping.incremental_manifest.
    What an engine can do with a model's new rows differs: the models replace what they recompute
    (delete+insert by minute, day or key; replace_windows per user from a point in time), and plain
    Parquet tables on Spark cannot delete rows (Delta or Iceberg tables can). Spark can replace
    whole partitions, so a model that replaces whole days and is partitioned by that day on Spark
    (config partition_by = unique_key, the lakehouse marts) stays incremental there: delete+insert
    becomes insert_overwrite of the recomputed days (dynamic partition overwrite). Every other
    incremental model rebuilds from the lake in each run on Spark: the same SQL with
    is_incremental() false, the same bounds recorded. -#}

{% macro spark_replaces_partitions() -%}
    {%- set partition_by = config.get('partition_by') -%}
    {{ return(config.get('incremental_strategy') == 'delete+insert' and partition_by is not none
              and config.get('unique_key') == partition_by) }}
{%- endmacro %}

{% macro should_full_refresh() -%}
    {%- if target.type == 'spark' and model.config.materialized == 'incremental' and not spark_replaces_partitions() -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(dbt.should_full_refresh()) }}
{%- endmacro %}

{#- dbt-spark checks a model's strategy before it runs. delete+insert of whole partitions is
    insert_overwrite; the other row-deleting strategies are accepted because should_full_refresh()
    (above) means they are never applied on Spark. -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {%- if raw_strategy == 'delete+insert' and spark_replaces_partitions() -%}
        {{ return('insert_overwrite') }}
    {%- endif -%}
    {%- if raw_strategy in ['delete+insert', 'replace_windows'] -%}
        {{ return(raw_strategy) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{%- endmacro %}

{#- on-run-end on Spark: a Parquet table cannot delete rows, so the manifest is rewritten whole
    (a few rows: one per incremental model) through a scratch table. -#}
{% macro spark__record_in_manifest(manifest, bounds, models) -%}
    {%- set names = "'" ~ models | join("', '") ~ "'" -%}
    {%- set next = manifest.incorporate(path={'identifier': manifest.identifier ~ '__next'}) -%}
    {%- do run_query('drop table if exists ' ~ next) -%}
    {%- do run_query(
        'create table ' ~ next ~ ' as select * from ' ~ manifest ~ ' where model_name not in (' ~ names ~ ')'
        ~ ' union all select model_name, landed_through, coalesce(closed_through, ' ~ far_future() ~ '), '
        ~ utc_now() ~ ' from ' ~ bounds ~ ' where model_name in (' ~ names ~ ')'
    ) -%}
    {%- do run_query('insert overwrite table ' ~ manifest ~ ' select * from ' ~ next) -%}
    {%- do run_query('drop table ' ~ next) -%}
{%- endmacro %}
