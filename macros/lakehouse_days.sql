{#- Day-partitioned incremental processing of the lakehouse models (docs/models-lakehouse.md,
    docs/incremental.md).

    Every incremental lakehouse model holds whole event days: a run recomputes a set of days from
    everything its parent holds for them and replaces those days (delete+insert on the day
    column; insert_overwrite by day partition on engines without deletes). A day is self-contained
    (sessions split at midnight, duplicates share their timestamp), so recomputing it alone gives
    exactly what a full refresh gives for it.

    `lakehouse_days_this_run(...)` is the CTE body of the days a run recomputes, read from this
    run's bounds when the model runs:
      - a backfill (bounds backfill_from/backfill_through, from vars backfill_start/backfill_end,
        both inclusive): exactly the parent's days in that range;
      - otherwise every day of the parent's rows landed in this run's window, however old the
        day, plus the newest `lakehouse_lookback_days` days the model already holds.
    `lakehouse_day_filter(column)` keeps a relation's rows of those days (every row on a first run
    or a full refresh). -#}
{% macro lakehouse_days_this_run(parent, parent_day_column, parent_ingested_column) -%}
    {%- if execute and is_incremental() -%}
        {%- do log_backfill_days() -%}
    {%- endif %}
    select distinct cast(parent.{{ parent_day_column }} as date) as day
    from {{ parent }} as parent
    where
        (
            {{ this_run('backfill_from') }} is not null
            and cast(parent.{{ parent_day_column }} as date)
            between {{ this_run('backfill_from') }} and {{ this_run('backfill_through') }}
        )
        or (
            {{ this_run('backfill_from') }} is null
            and {{ landed_this_run('parent.' ~ parent_ingested_column) }}
        )
    {%- if is_incremental() %}
    {%- set day_column = config.require('day_column') %}
    union
    select distinct held.{{ day_column }} as day
    from {{ this }} as held
    where
        {{ this_run('backfill_from') }} is null
        and held.{{ day_column }} > (
            select cast({{ dbt.dateadd('day', -var('lakehouse_lookback_days'), 'max(' ~ day_column ~ ')') }} as date)
            from {{ this }}
        )
    {%- endif %}
{%- endmacro %}

{% macro lakehouse_day_filter(column) -%}
    {%- if is_incremental() -%}
        {{ column }} in (select day from days_this_run)
        and {{ column }} >= (select min(day) from days_this_run)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
