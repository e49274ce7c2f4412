-- The web-events case: its four questions answered from the marts, one row each.
with

most_active_day as (

    select
        activity_date,
        event_count
    from {{ ref('fct_daily_activity') }}
    order by event_count desc, activity_date asc
    limit 1

),

sessions as (

    select
        max(event_count) as max_events_in_session,
        avg(duration_seconds) as avg_session_duration_seconds,
        count(*) as session_count
    from {{ ref('fct_web_sessions') }}

)

select
    1 as question_number,
    'On which day did we observe the most activity?' as question,
    coalesce(
        (
            select cast(activity_date as string) || ' (' || cast(event_count as string) || ' events)'
            from most_active_day
        ),
        'none yet (no web events in the warehouse: land an extract, then dbt build)'
    ) as answer

union all

select
    2 as question_number,
    'How would you define a session?' as question,
    'A user''s run of events with no gap longer than {{ var("web_session_gap_minutes") }} minutes '
    || 'between consecutive events; exact duplicate rows count once.' as answer

union all

select
    3 as question_number,
    'What is the highest number of events observed in a session?' as question,
    coalesce(
        cast(max_events_in_session as string) || ' events',
        'none yet (no web events in the warehouse: land an extract, then dbt build)'
    ) as answer
from sessions

union all

select
    4 as question_number,
    'What is the average session duration?' as question,
    coalesce(
        cast(round(avg_session_duration_seconds, 1) as string) || ' s over '
        || cast(session_count as string) || ' sessions',
        'none yet (no web events in the warehouse: land an extract, then dbt build)'
    ) as answer
from sessions
