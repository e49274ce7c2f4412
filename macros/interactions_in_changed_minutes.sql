{#- The `interactions` CTE of a minute-grain incremental model (delete+insert on minute_start):
    on an incremental run, every interaction of the minutes that received lake rows in this run's
    window (landed_this_run), read from the earliest such minute on (DuckDB skips older files and
    row groups); on a full refresh, all of them. Recomputing whole minutes makes late records,
    re-reads and re-landed (replayed) files exact. Event time rule: a minute is never closed; it
    is recomputed whenever a record of it lands, however late. -#}
{% macro interactions_in_changed_minutes() -%}
{% if is_incremental() %}
new_minutes as (

    select distinct {{ dbt.date_trunc('minute', 'landed.timestamp') }} as minute_start
    from {{ source('interactions', 'interactions') }} as landed
    where {{ landed_this_run('landed._ingested_at') }}

),

interactions as (

    select interactions.*
    from {{ ref('stg_interactions__events') }} as interactions
    inner join new_minutes on interactions.interaction_minute = new_minutes.minute_start
    where {{ event_time_from(
        'interactions.interaction_time', '(select min(minute_start) from new_minutes)', 'interactions.lake_date'
    ) }}

)
{% else %}
interactions as (

    select * from {{ ref('stg_interactions__events') }}

)
{% endif %}
{%- endmacro %}
