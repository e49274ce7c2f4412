-- Grain: one row per watch session with heartbeats landed in int_watch_streams' window this run
-- (docs/incremental.md), with the event time of its earliest such heartbeat. Read by
-- int_watch_streams on its incremental runs; a view, evaluated when that model runs. It reads the
-- lake directly: the landing filter must reach the Parquet scan, which staging's dedup would stop.
-- depends_on: {{ ref('stg_streams__watch_events') }}
select
    session_id,
    min(event_time) as first_new_time
from {{ source('streams', 'watch_events') }}
where {{ landed_this_run('_ingested_at', for_model='int_watch_streams') }}
group by session_id
