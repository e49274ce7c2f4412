-- Each distinct web event with the session it belongs to.
-- A session is a user's run of events with no gap longer than `web_session_gap_minutes`
-- (exactly the gap still continues the session). Ties in time are ordered by the other event
-- columns so the result does not depend on input order. The rule lives in the `sessionize`
-- macro, which the incremental fct_web_sessions applies to its recompute windows too.
with

events as (

    select
        event_id,
        user_id,
        device_id,
        event_name,
        event_time,
        last_ingested_at
    from {{ ref('stg_web__events') }}

),

{{ sessionize(
    'sessionized', 'events', ['user_id'], 'event_time', var('web_session_gap_minutes') * 60,
    tie_breakers=['event_name', 'device_id'],
) }}

select
    session_id,
    event_id,
    user_id,
    device_id,
    event_name,
    event_time,
    session_start,
    session_number as user_session_number,
    is_session_start,
    last_ingested_at
from sessionized
