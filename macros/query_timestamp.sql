{#- The first value `sql` returns, as a SQL timestamp literal (a typed null when there is none).
    Incremental models use it at compile time to turn their watermarks into constants: a constant
    filter on a lake column lets DuckDB skip whole Parquet row groups by their min/max stats, so a
    run reads what is new, not the history. Unit tests override this macro. -#}
{% macro query_timestamp(sql) -%}
    {%- if not execute -%}
        {{ return('cast(null as timestamp)') }}
    {%- endif -%}
    {%- set value = run_query(sql).columns[0].values()[0] -%}
    {{ return('cast(null as timestamp)' if value is none else "timestamp '" ~ value ~ "'") }}
{%- endmacro %}
