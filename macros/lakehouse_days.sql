{#- Day-partitioned incremental processing of the lakehouse models (docs/models-lakehouse.md).

    Every incremental lakehouse model holds whole event days: a run (re)computes a set of days
    from everything its parent holds for them, deletes those days from the model (pre-hook
    `lakehouse_delete_days`) and appends the recomputed rows. A day is self-contained (sessions
    split at midnight, duplicates share their timestamp), so recomputing it alone gives exactly
    what a full refresh gives for it.

    `lakehouse_days_to_process` returns the days as ISO date strings, or none for "all" (a first
    run or --full-refresh):
      - backfill (vars backfill_start and backfill_end, both inclusive): exactly those days;
      - otherwise every day for which the parent has rows landed after the model's own
        watermark (its newest last_ingested_at, minus lake_ingest_lookback_seconds for files that
        became visible late), however old the day, plus the newest lakehouse_lookback_days days
        the model already holds. -#}
{% macro lakehouse_days_to_process(parent, parent_day_column, parent_ingested_column) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {#- Checked on every run, so a malformed backfill fails even before the tables exist. -#}
    {%- set backfill = lakehouse_backfill_days() -%}
    {%- if not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if backfill is not none -%}
        {{ return(backfill) }}
    {%- endif -%}
    {%- set day_column = config.require('day_column') -%}
    {%- set since = query_timestamp(
        "select coalesce(max(last_ingested_at), timestamp '1970-01-01') - interval "
        ~ var('lake_ingest_lookback_seconds') ~ " second from " ~ this
    ) -%}
    {%- set days_sql -%}
        select distinct cast({{ parent_day_column }} as date) as day
        from {{ parent }}
        where {{ parent_ingested_column }} > {{ since }}
        union
        select distinct {{ day_column }} as day
        from {{ this }}
        where {{ day_column }} > (
            select cast({{ dbt.dateadd('day', -var('lakehouse_lookback_days'), 'max(' ~ day_column ~ ')') }} as date)
            from {{ this }}
        )
        order by day
    {%- endset -%}
    {{ return(run_query(days_sql).columns[0].values() | map('string') | list) }}
{%- endmacro %}

{#- The days of a backfill as ISO strings, or none when no backfill is asked for. -#}
{% macro lakehouse_backfill_days() -%}
    {%- set start, end = var('backfill_start'), var('backfill_end') -%}
    {%- if start is none and end is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if start is none or end is none -%}
        {{ exceptions.raise_compiler_error("a backfill needs both vars backfill_start and backfill_end (YYYY-MM-DD)") }}
    {%- endif -%}
    {%- set date = modules.datetime.date -%}
    {%- set first = date.fromisoformat(start | string) -%}
    {%- set last = date.fromisoformat(end | string) -%}
    {%- if last < first -%}
        {{ exceptions.raise_compiler_error("backfill_end " ~ last ~ " is before backfill_start " ~ first) }}
    {%- endif -%}
    {%- set days = [] -%}
    {%- for offset in range((last - first).days + 1) -%}
        {%- do days.append((first + modules.datetime.timedelta(days=offset)).isoformat()) -%}
    {%- endfor -%}
    {{ return(days) }}
{%- endmacro %}

{#- A predicate keeping the rows of `days` (none: every row; an empty list: none). -#}
{% macro lakehouse_day_filter(column, days) -%}
    {%- if days is none -%}
        true
    {%- elif days | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in ({% for day in days %}cast('{{ day }}' as date){{ ", " if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook: delete the days this run recomputes (a no-op on a first run or a full refresh). -#}
{% macro lakehouse_delete_days(parent, parent_day_column, parent_ingested_column) -%}
    {%- set days = lakehouse_days_to_process(parent, parent_day_column, parent_ingested_column) -%}
    {%- if execute -%}
        {{ log_rebuilt_days(days, "backfill" if lakehouse_backfill_days() is not none else "this run") }}
    {%- endif -%}
    {%- if days is none or days | length == 0 -%}
        select 1 as nothing_to_delete
    {%- else -%}
        delete from {{ this }} where {{ lakehouse_day_filter(config.require('day_column'), days) }}
    {%- endif -%}
{%- endmacro %}
