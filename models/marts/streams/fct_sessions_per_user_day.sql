-- Grain: one row per user and UTC day on which at least one of the user's watch sessions started.
-- A session is one `session_id` (the app's own session: the same id for all of a user's events
-- while they keep watching), counted on the day of its first valid heartbeat. Built from
-- fct_streams (one row per stream, far smaller than the heartbeats).
with

sessions as (

    select
        session_id,
        min(user_id) as user_id,
        min(first_event_time) as session_start,
        max(last_event_time) as session_end,
        count(*) as stream_count,
        sum(stream_duration) as watch_seconds,
        bool_or(is_open) as is_open
    from {{ ref('fct_streams') }}
    group by session_id

),

per_user_day as (

    select
        user_id,
        cast(session_start as date) as activity_date,
        count(*) as sessions_started,
        sum(stream_count) as streams_in_sessions,
        -- durations are whole microseconds: rounding to them makes the sum independent of the
        -- order a parallel aggregate adds the doubles in (the last digits differed between runs)
        round(sum(watch_seconds), 6) as watch_seconds,
        sum(case when is_open then 1 else 0 end) as sessions_open
    from sessions
    group by user_id, cast(session_start as date)

)

select
    {{ surrogate_key(['user_id', 'activity_date']) }} as user_day_id,
    user_id,
    activity_date,
    sessions_started,
    streams_in_sessions,
    watch_seconds,
    sessions_open
from per_user_day
