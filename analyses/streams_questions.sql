-- The watch-streams case: its questions answered from the marts, one row each.
with

finished as (

    select
        count(*) as stream_count,
        avg(stream_duration) as avg_duration,
        max(stream_duration) as max_duration
    from {{ ref('fct_streams') }}
    where not is_open

),

still_open as (

    select count(*) as stream_count
    from {{ ref('fct_streams') }}
    where is_open

),

per_user_day as (

    select
        avg(sessions_started) as avg_sessions,
        max(sessions_started) as max_sessions,
        count(*) as user_days
    from {{ ref('fct_sessions_per_user_day') }}

),

quality as (

    select
        coalesce(sum(case when is_excluded then event_count end), 0) as excluded,
        coalesce(sum(case when not is_excluded then event_count end), 0) as kept_flagged
    from {{ ref('fct_watch_events_quality') }}

)

select
    1 as question_number,
    'When is a stream over, and how long did finished streams last?' as question,
    'After more than {{ var("stream_timeout_seconds") }} s without a heartbeat for its session_id '
    || '(or a program switch): '
    || coalesce(
        cast(stream_count as string) || ' finished streams, average '
        || cast(round(avg_duration, 1) as string) || ' s, longest '
        || cast(round(max_duration, 1) as string) || ' s',
        'none finished yet (every stream landed is still open, or no heartbeat landed)'
    ) as answer
from finished

union all

select
    2 as question_number,
    'Which streams are still ongoing (kept open, not reported)?' as question,
    cast(stream_count as string) || ' streams with a heartbeat within the timeout of the newest event' as answer
from still_open

union all

select
    3 as question_number,
    'How is a session defined?' as question,
    'One session_id (the app''s own session), counted on the UTC day of its first valid heartbeat' as answer

union all

select
    4 as question_number,
    'How many sessions per user per day?' as question,
    coalesce(
        'average ' || cast(round(avg_sessions, 2) as string) || ', at most '
        || cast(max_sessions as string) || ' over ' || cast(user_days as string) || ' user-days',
        'none yet (no watch session has started: no valid heartbeat landed)'
    ) as answer
from per_user_day

union all

select
    5 as question_number,
    'How much data needed cleaning?' as question,
    cast(excluded as string) || ' rows left out (invalid, duplicate or quarantined), '
    || cast(kept_flagged as string) || ' kept with a flag (unknown device, missing start...)' as answer
from quality
