-- Grain: one row per watch stream (a session_id's run of heartbeats for one program with no
-- silence over `stream_timeout_seconds`; see int_watch_events_streamed).
--
-- A stream is open while its last heartbeat is within the timeout of the source watermark, the
-- newest valid event time in the lake (event time, not wall clock: replays and backfills give the
-- same answer, and a stalled ingester does not close every stream); in the live loop, the later
-- `watermark_watch_events` it passes (event time carried on by the clock while caught up).
-- Open streams are kept with `is_open = true`; consumers of finished streams take `not is_open`.
--
-- Incremental like fct_web_sessions: the sessions with lake rows landed since the last run, plus
-- the sessions with a stream still open (the watermark may have closed it), are re-streamed from
-- a recompute point (their earliest new event, or earlier the start of any stream ending within
-- the timeout of it) and the `replace_windows` strategy replaces their streams from that point on.
-- depends_on: {{ source('streams', 'watch_events') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_windows',
    unique_key='session_id',
    replace_from_column='first_event_time',
    on_schema_change='fail',
    tags=['realtime'],
    post_hook="{{ export_parquet() }}",
) }}

{%- set timeout = var('stream_timeout_seconds') %}

with

{% if is_incremental() %}

    {%- set since = landed_since() %}

    {%- set recompute_windows_sql %}
        select
            affected.session_id,
            least(min(affected.from_time), min(streams.first_event_time)) as recompute_from
        from (
            select session_id, min(from_time) as from_time
            from (
                select session_id, event_time as from_time
                from {{ source('streams', 'watch_events') }}
                where _ingested_at > {{ since }}
                union all
                select session_id, first_event_time as from_time
                from {{ this }}
                where is_open
            ) as candidates
            group by session_id
        ) as affected
        left join {{ this }} as streams
            on affected.session_id = streams.session_id
            and streams.last_event_time >= {{ dbt.dateadd('second', -timeout, 'affected.from_time') }}
        group by affected.session_id
    {%- endset %}

    {%- set earliest = query_timestamp('select min(recompute_from) from (' ~ recompute_windows_sql ~ ')') %}

recompute_windows as (
    {{ recompute_windows_sql }}
),

{% endif %}

valid_events as (

    select * from {{ ref('stg_streams__watch_events') }}
    where is_valid

),

events as (

    select
        events.session_id,
        events.user_id,
        events.program_id,
        events.start_time,
        events.device,
        events.event_time,
        events.quality_issue,
        events.last_ingested_at
    from valid_events as events
    {%- if is_incremental() %}
    inner join recompute_windows
        on
            events.session_id = recompute_windows.session_id
            and events.event_time >= recompute_windows.recompute_from
    -- A constant bound: lets DuckDB skip the lake's older row groups entirely.
    where events.event_time >= {{ earliest }}
    {%- endif %}

),

-- The rule of int_watch_events_streamed, aggregated per stream right away.
{{ sessionize(
    'streamed', 'events', ['session_id'], 'event_time', timeout,
    tie_breakers=['program_id', 'device'], break_columns=['program_id'], row_level=false,
) }},

watermark as (

    -- The newest valid event time in the lake (the recomputed events hold every new one), or
    -- later the live loop's `watermark_watch_events`, which goes on with the wall clock while the
    -- topic is caught up and quiet, so the last streams close without new heartbeats.
    {%- set stored = '(select max(stored.last_event_time) from ' ~ this ~ ' as stored)' %}
    {%- set live = var('watermark_watch_events', none) %}
    select
        greatest(
            max(event_time),
            {{ stored if is_incremental() else 'null' }},
            {{ "timestamp '" ~ live ~ "'" if live else 'null' }}
        ) as watermark
    from events

),

streams as (

    select
        session_id,
        min(user_id) as user_id,
        min(program_id) as program_id,
        min(start_time) as program_start_time,
        max(case when is_session_start then device end) as device,
        min(event_time) as first_event_time,
        max(event_time) as last_event_time,
        count(*) as heartbeat_count,
        count(quality_issue) as flagged_event_count,
        max(last_ingested_at) as last_ingested_at
    from streamed
    group by session_id, session_number

)

select
    {{ surrogate_key(['streams.session_id', 'streams.first_event_time']) }} as stream_id,
    streams.user_id,
    streams.program_id,
    coalesce(streams.program_start_time, streams.first_event_time) as start_time,
    streams.session_id,
    streams.device,
    {{ seconds_between('streams.first_event_time', 'streams.last_event_time') }} as stream_duration,
    streams.first_event_time,
    streams.last_event_time,
    cast(streams.first_event_time as date) as stream_date,
    streams.heartbeat_count,
    streams.flagged_event_count,
    streams.last_event_time
    >= {{ dbt.dateadd('second', -timeout, 'watermark.watermark') }} as is_open,
    streams.last_ingested_at
from streams
cross join watermark
