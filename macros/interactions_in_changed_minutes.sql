{#- The `interactions` CTE of a minute-grain incremental model: on an incremental run, every
    interaction of the minutes that received lake rows in this run's window (landed_this_run), or
    with `key` (user_id, item_id) of the (minute, key) pairs that did, read from the earliest such
    minute on (DuckDB skips older files and row groups); on a full refresh, all of them.
    Recomputing whole minutes (or pairs) makes late records, re-reads and re-landed (replayed)
    files exact. Event time rule: a minute is never closed; it is recomputed whenever a record of
    it lands, however late. Keys are never null (the ingester quarantines a record without one),
    so pairs join by equality. -#}
{% macro interactions_in_changed_minutes(key=none) -%}
{% if is_incremental() %}
changed as (

    select distinct
        {{ dbt.date_trunc('minute', 'landed.timestamp') }} as minute_start
        {%- if key %},
        landed.{{ key }}
        {%- endif %}
    from {{ source('interactions', 'interactions') }} as landed
    where {{ landed_this_run('landed._ingested_at') }}

),

interactions as (

    select interactions.*
    from {{ ref('stg_interactions__events') }} as interactions
    inner join changed
        on
            interactions.interaction_minute = changed.minute_start
            {%- if key %}
            and interactions.{{ key }} = changed.{{ key }}
            {%- endif %}
    where {{ event_time_from(
        'interactions.interaction_time', '(select min(minute_start) from changed)', 'interactions.lake_date'
    ) }}

)
{% else %}
interactions as (

    select * from {{ ref('stg_interactions__events') }}

)
{% endif %}
{%- endmacro %}
