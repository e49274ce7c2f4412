-- Grain: one row per web session (a user's events with no gap over the session gap).
with

sessionized as (

    select * from {{ ref('int_web_events_sessionized') }}

),

sessions as (

    select
        session_id,
        user_id,
        min(session_start) as session_start,
        max(event_time) as session_end,
        count(*) as event_count,
        count(distinct device_id) as device_count
    from sessionized
    group by session_id, user_id

),

first_device as (

    select
        session_id,
        device_id
    from sessionized
    where is_session_start

)

select
    sessions.session_id,
    sessions.user_id,
    first_device.device_id,
    sessions.session_start,
    sessions.session_end,
    cast(sessions.session_start as date) as session_date,
    {{ seconds_between('sessions.session_start', 'sessions.session_end') }} as duration_seconds,
    sessions.event_count,
    sessions.device_count

from sessions
inner join first_device on sessions.session_id = first_device.session_id
