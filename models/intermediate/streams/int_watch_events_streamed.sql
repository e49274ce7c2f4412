-- Every valid heartbeat tagged with its stream. A stream is a session_id's run of heartbeats for
-- one program with no silence longer than `stream_timeout_seconds` (exactly the timeout still
-- continues it); a program switch inside a session starts a new stream. The rule lives in the
-- `sessionize` macro, which the incremental fct_streams applies to its recompute windows too.
with

events as (

    select
        event_id,
        session_id,
        user_id,
        program_id,
        start_time,
        device,
        event_time,
        quality_issue,
        last_ingested_at
    from {{ ref('int_watch_events_classified') }}
    where is_valid

),

{{ sessionize(
    'streamed', 'events', ['session_id'], 'event_time', var('stream_timeout_seconds'),
    tie_breakers=['program_id', 'device'], break_columns=['program_id'], id_column='stream_id',
) }}

select
    stream_id,
    event_id,
    session_id,
    user_id,
    program_id,
    start_time,
    device,
    event_time,
    session_start as stream_first_event_time,
    session_number as session_stream_number,
    is_session_start as is_stream_start,
    quality_issue,
    last_ingested_at
from streamed
