-- Grain: one row per watch stream (int_watch_streams) with whether it is still open.
-- Event-time rule: a stream is open while its last heartbeat is within `stream_timeout_seconds`
-- (60 s) of the watermark: the newest valid heartbeat in the lake (event time, so replays and
-- backfills give the same answer and a stalled ingester closes nothing), or, in the live loop,
-- the later arrival clock of the watch_events topic (everything the broker held up to then has
-- landed), so the last streams close when the source goes quiet. Consumers of finished streams
-- take `not is_open`. A view: `is_open` follows every run's watermark without rewriting rows.
{{ config(materialized='view', tags=['realtime'], post_hook="{{ export_parquet() }}") }}

with

streams as (

    select * from {{ ref('int_watch_streams') }}

),

watermark as (

    select
        greatest(
            max(last_event_time),
            {{ this_run('closed_through', for_model='int_watch_streams') }}
        ) as watermark
    from streams

)

select
    streams.stream_id,
    streams.user_id,
    streams.program_id,
    streams.start_time,
    streams.session_id,
    streams.device,
    streams.stream_duration,
    streams.first_event_time,
    streams.last_event_time,
    streams.stream_date,
    streams.heartbeat_count,
    streams.flagged_event_count,
    streams.last_event_time
    >= {{ dbt.dateadd('second', -var('stream_timeout_seconds'), 'watermark.watermark') }} as is_open,
    streams.last_ingested_at
from streams
cross join watermark
