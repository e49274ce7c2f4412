{#- Custom incremental strategy `replace_windows` (config: unique_key = the partition key, e.g.
    user_id; replace_from_column = the row's start time, e.g. session_start).

    The model's new rows hold, for every affected key, everything recomputed from some point in
    time on. For each key this deletes the target rows that start at or after the earliest new
    row of that key, then inserts the new rows. That is how a late event that bridges two old
    sessions replaces both with one merged session, while the key's older rows stay untouched.
    Plain SQL (a correlated delete, then an insert): DuckDB, Postgres and Delta/Iceberg tables run
    it; a Parquet-only Spark target needs another strategy (dispatch `replace_windows_sql`). -#}
{% macro get_incremental_replace_windows_sql(arg_dict) -%}
    {{ return(adapter.dispatch('replace_windows_sql', 'pulse')(arg_dict)) }}
{%- endmacro %}

{% macro default__replace_windows_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set from_column = config.require('replace_from_column') -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where exists (
        select 1
        from (
            select {{ key }}, min({{ from_column }}) as replace_from
            from {{ source }}
            group by {{ key }}
        ) as windows
        where {{ target }}.{{ key }} = windows.{{ key }}
            and {{ target }}.{{ from_column }} >= windows.replace_from
    );

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}
