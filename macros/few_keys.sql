{#- The `key` column of `query`'s rows, as a relation the engine plans as small: a join with it
    builds its hash table on these keys and probes the other side, however many rows that has.
    Why: within the live loop's cycle (one transaction) a table written earlier in the cycle loses
    the statistics DuckDB estimates a filter with, so the keys landed in a run (a few thousand) are
    estimated at every row of the table they come from; joined with a table of one row per key
    ever seen, DuckDB then hashed that whole table each cycle (17 ms by a run's tenth minute, and
    growing; docs/live.md). DuckDB estimates the unnest of one list at one row; other engines
    read the keys as they are. -#}
{% macro few_keys(query, key) -%}
    {{ return(adapter.dispatch('few_keys', 'pulse')(query, key)) }}
{%- endmacro %}

{% macro default__few_keys(query, key) -%}
    select {{ key }} from ({{ query }}) as keys
{%- endmacro %}

{% macro duckdb__few_keys(query, key) -%}
    select unnest((select list({{ key }}) from ({{ query }}) as keys)) as {{ key }}
{%- endmacro %}
