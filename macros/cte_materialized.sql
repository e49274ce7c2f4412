{#- The keyword after `name as` that makes DuckDB compute a CTE once, where it is defined, instead
    of inlining it into the query that reads it; nothing on engines without it (Spark).
    int_watch_streams' incremental runs use it on a small CTE: inlined there, it made the query
    DuckDB plans every cycle larger (planning 0.066 -> 0.037 s materialized; docs/live.md). -#}
{% macro cte_materialized() -%}
    {{ return(adapter.dispatch('cte_materialized', 'pulse')()) }}
{%- endmacro %}

{% macro default__cte_materialized() -%}
{%- endmacro %}

{% macro duckdb__cte_materialized() -%}
    materialized
{%- endmacro %}
