-- Grain: one row per web session (a user's events with no gap over the session gap).
--
-- Incremental (docs/incremental.md): users with lake rows landed in this run's window are
-- re-sessionized from a recompute point: their earliest new event, or earlier
-- the start of any of their sessions that ends within one gap of it (a late event can bridge
-- it). The `replace_windows` strategy then deletes that user's sessions from the recompute
-- point on and inserts the recomputed ones. Sessions ids are hash(user, start): unchanged
-- sessions keep their id. Cost follows the new data, not the history (bench/bench_web_sessions.py).
-- depends_on: {{ source('web', 'web_events') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_windows',
    unique_key='user_id',
    replace_from_column='session_start',
) }}

{%- set gap_seconds = var('web_session_gap_minutes') * 60 %}

with

{% if is_incremental() %}

new_events as (

    select user_id, min(event_time) as first_new_event_time
    from {{ source('web', 'web_events') }}
    where {{ landed_this_run('_ingested_at') }}
    group by user_id

),

recompute_windows as (

    select
        new_events.user_id,
        least(min(new_events.first_new_event_time), min(sessions.session_start)) as recompute_from
    from new_events
    left join {{ this }} as sessions
        on
            new_events.user_id = sessions.user_id
            and sessions.session_end >= {{ dbt.dateadd('second', -gap_seconds, 'new_events.first_new_event_time') }}
    group by new_events.user_id

),

{% endif %}

events as (

    select
        events.user_id,
        events.device_id,
        events.event_name,
        events.event_time,
        events.last_ingested_at
    from {{ ref('stg_web__events') }} as events
    {%- if is_incremental() %}
    inner join recompute_windows
        on
            events.user_id = recompute_windows.user_id
            and events.event_time >= recompute_windows.recompute_from
    where {{ event_time_from('events.event_time', '(select min(recompute_from) from recompute_windows)', 'events.lake_date') }}
    {%- endif %}

),

-- The rule of int_web_events_sessionized, aggregated per session right away.
{{ sessionize(
    'sessionized', 'events', ['user_id'], 'event_time', gap_seconds,
    tie_breakers=['event_name', 'device_id'], row_level=false,
) }},

sessions as (

    select
        user_id,
        min(event_time) as session_start,
        max(event_time) as session_end,
        count(*) as event_count,
        count(distinct device_id) as device_count,
        max(case when is_session_start then device_id end) as device_id,
        max(last_ingested_at) as last_ingested_at
    from sessionized
    group by user_id, session_number

)

select
    {{ surrogate_key(['user_id', 'session_start']) }} as session_id,
    user_id,
    device_id,
    session_start,
    session_end,
    cast(session_start as date) as session_date,
    {{ seconds_between('session_start', 'session_end') }} as duration_seconds,
    event_count,
    device_count,
    last_ingested_at

from sessions
