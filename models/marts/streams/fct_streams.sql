-- Grain: one row per watch stream (int_watch_streams) with whether it is still open.
-- Event-time rule: a stream is open while its last heartbeat is within `stream_timeout_seconds`
-- (60 s) of the watermark: the newest valid heartbeat time in the lake (event time, so replays
-- and backfills give the same answer and a stalled ingester closes nothing), carried on in the
-- live loop by the watch_events arrival clock for as long as the topic has been quiet since the
-- newest heartbeat arrived, so the last streams close when the source goes quiet. Consumers of
-- finished streams take `not is_open`. A view: `is_open` follows every run's watermark.
-- live_priority: `pulse run` builds and exports it second in a cycle (pulse/live/replay_order.py).
-- export_by_hour: one file per hour of start_time, so a live cycle rewrites only the hours of the
-- streams that landed anew or were still open (pulse/live/hourly_export.py), not the history.
{{ config(
    materialized='view',
    tags=['realtime'],
    meta={
        'live_priority': 2,
        'export_by_hour': {
            'column': 'start_time', 'landed': 'last_ingested_at', 'open': 'is_open',
            'new_in_run_of': 'int_watch_streams',
        },
    },
    post_hook="{{ export_parquet_by_hour() }}",
) }}

with

streams as (

    select * from {{ ref('int_watch_streams') }}

),

-- From the model, not from `streams`: DuckDB computes a CTE read twice once, whole, and the
-- view's readers' filters (an hour, the rows landed this run) then no longer reach the table's
-- scan; every query on the view copied the day's streams (0.15 s at 1.6M, 1 ms now; docs/live.md,
-- run 47).
newest as (

    select
        max(last_event_time) as event_time,
        max(last_arrived_at) as arrived_at
    from {{ ref('int_watch_streams') }}

),

watermark as (

    select
        greatest(
            newest.event_time,
            {{ dbt.dateadd(
                'second',
                dbt.datediff('newest.arrived_at', this_run('closed_through', for_model='int_watch_streams'), 'second'),
                'newest.event_time',
            ) }}
        ) as watermark
    from newest

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
