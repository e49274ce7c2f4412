{#- Post-hook: write the model's table to <data_dir>/exports/<name>.parquet for readers (API,
    dashboard, analysts) that must never wait on the warehouse lock.
    DuckDB writes to a temporary file and renames it over the old one, so a reader sees the old
    export or the new one, never half of either.
    `order_by`: sort the file, so readers filtering on those columns skip row groups by their
    min/max statistics (the CTR API reads one day out of months this way). -#}
{% macro export_parquet(name=none, order_by=none) -%}
    {{ return(adapter.dispatch('export_parquet', 'pulse')(name, order_by)) }}
{%- endmacro %}

{#- An export step: targets other than DuckDB skip it. -#}
{% macro default__export_parquet(name, order_by) -%}
    select 1 as export_skipped
{%- endmacro %}

{% macro duckdb__export_parquet(name, order_by) -%}
    {%- set path = var('data_dir') ~ '/exports/' ~ (name or this.identifier) ~ '.parquet' -%}
    copy (select * from {{ this }}{% if order_by %} order by {{ order_by }}{% endif %}) to '{{ path }}' (format parquet, compression zstd, use_tmp_file true)
{%- endmacro %}
