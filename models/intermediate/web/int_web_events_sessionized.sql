-- Each distinct web event with the session it belongs to.
-- A session is a user's run of events with no gap longer than `web_session_gap_minutes`
-- (exactly the gap still continues the session). Ties in time are ordered by event_id so the
-- result does not depend on input order.
with

events as (

    select
        event_id,
        user_id,
        device_id,
        event_name,
        event_time
    from {{ ref('stg_web__events') }}

),

with_previous as (

    select
        *,
        lag(event_time) over (
            partition by user_id order by event_time, event_id
        ) as previous_event_time
    from events

),

flagged as (

    select
        *,
        case
            when previous_event_time is null then 1
            when event_time > {{ dbt.dateadd('minute', var('web_session_gap_minutes'), 'previous_event_time') }}
                then 1
            else 0
        end as is_session_start
    from with_previous

),

numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by user_id order by event_time, event_id
            rows between unbounded preceding and current row
        ) as user_session_number
    from flagged

),

with_session_start as (

    select
        *,
        min(event_time) over (partition by user_id, user_session_number) as session_start
    from numbered

)

select
    {{ surrogate_key(['user_id', 'session_start']) }} as session_id,
    event_id,
    user_id,
    device_id,
    event_name,
    event_time,
    session_start,
    user_session_number,
    is_session_start = 1 as is_session_start
from with_session_start
