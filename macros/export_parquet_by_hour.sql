{#- Post-hook of a mart whose config meta has `export_by_hour: {column, landed, open, new_in_run_of}`
    (the last three for the live loop, pulse/live/hourly_export.py): its rows to
    <data_dir>/exports/<name>/<column>_hour=<YYYY-MM-DDTHH>/data_0.parquet, one file per hour of
    `column`, for readers that must not wait on the warehouse lock (as export_parquet()). This COPY
    writes every hour (the folder replaced; it cannot go through temporary files): `dbt build`, and
    the loop's cycles that run dbt. The loop's replayed cycles rewrite only the hours that may have
    changed, each through a temporary file (pulse/live/hourly_export.py), so a live cycle's export
    follows the new data, not the history. -#}
{% macro export_parquet_by_hour() -%}
    {{ return(adapter.dispatch('export_parquet_by_hour', 'pulse')()) }}
{%- endmacro %}

{#- An export step: targets other than DuckDB skip it. -#}
{% macro default__export_parquet_by_hour() -%}
    select 1 as export_skipped
{%- endmacro %}

{#- Rendered when it runs: at parse time the model's meta is not known yet. -#}
{% macro duckdb__export_parquet_by_hour() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set column = model.config.meta.export_by_hour.column -%}
    {%- set path = var('data_dir') ~ '/exports/' ~ this.identifier -%}
    copy (
        select *, strftime({{ column }}, '%Y-%m-%dT%H') as {{ column }}_hour
        from {{ this }}
    ) to '{{ path }}' (
        format parquet,
        compression zstd,
        partition_by ({{ column }}_hour),
        write_partition_columns false,
        overwrite true
    )
{%- endmacro %}
