-- Grain: one row per UTC day with at least one web event.
with

events as (

    select
        event_date,
        user_id,
        duplicates_removed
    from {{ ref('stg_web__events') }}

),

daily_events as (

    select
        event_date as activity_date,
        count(*) as event_count,
        count(distinct user_id) as active_users,
        sum(duplicates_removed) as duplicates_removed
    from events
    group by event_date

),

daily_sessions as (

    select
        session_date as activity_date,
        count(*) as sessions_started,
        -- Exact microseconds, so the average does not depend on the (parallel) summation order.
        cast(avg(cast(duration_seconds as decimal(38, 6))) as double) as avg_session_duration_seconds
    from {{ ref('fct_web_sessions') }}
    group by session_date

)

select
    daily_events.activity_date,
    daily_events.event_count,
    daily_events.active_users,
    coalesce(daily_sessions.sessions_started, 0) as sessions_started,
    daily_sessions.avg_session_duration_seconds,
    daily_events.duplicates_removed

from daily_events
left join daily_sessions on daily_events.activity_date = daily_sessions.activity_date
