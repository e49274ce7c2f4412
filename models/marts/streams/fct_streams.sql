-- Grain: one row per watch stream (a session_id's run of heartbeats for one program with no
-- silence over `stream_timeout_seconds`; see int_watch_events_streamed).
--
-- A stream is open while its last heartbeat is within the timeout of the source watermark, the
-- newest valid event time in the lake (event time, not wall clock: replays and backfills give the
-- same answer, and a stalled ingester does not close every stream); in the live loop, the later
-- `watermark_watch_events` it passes (event time carried on by the clock while caught up).
-- Open streams are kept with `is_open = true`; consumers of finished streams take `not is_open`.
--
-- Incremental: only sessions with lake rows landed since the last run are streamed again.
-- * In order (every new heartbeat after the session's latest stored stream, whose stored row is
--   exact; the live case): the stored row stands in for that stream's heartbeats, as one row at
--   its last heartbeat carrying its counts, and is sessionized with the new heartbeats. Cost
--   follows the new rows, not the length of the open streams.
-- * Otherwise (late or replayed heartbeats): re-streamed from a recompute point (the earliest new
--   heartbeat, or earlier the start of any stream ending within the timeout of it), like
--   fct_web_sessions.
-- Stored open streams not otherwise replaced are re-emitted as they are, so `is_open` follows the
-- new watermark without reading their heartbeats. The `replace_windows` strategy replaces each
-- session's streams from the earliest emitted one on (a session's open streams are its newest).
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

    {#- Per session with new rows: its first new heartbeat, its latest stored stream, and whether
        the stored row can be extended. A stored `start_time` equal to the first heartbeat may be
        the fallback for "no event said", exact only when no heartbeat was flagged. -#}
    {%- set landed_sql %}
        with landed as (
            select session_id, min(event_time) as first_new_time
            from {{ source('streams', 'watch_events') }}
            where _ingested_at > {{ since }}
            group by session_id
        ),

        latest as (
            select stored.*, count(*) over (partition by stored.session_id) as tied
            from {{ this }} as stored
            inner join (
                select stored.session_id, max(stored.last_event_time) as last_event_time
                from {{ this }} as stored
                inner join landed on stored.session_id = landed.session_id
                group by stored.session_id
            ) as newest
                on stored.session_id = newest.session_id
                and stored.last_event_time = newest.last_event_time
        )

        select
            landed.session_id,
            landed.first_new_time,
            latest.stream_id as tail_stream_id,
            latest.user_id as tail_user_id,
            latest.program_id as tail_program_id,
            latest.start_time as tail_start_time,
            latest.device as tail_device,
            latest.first_event_time as tail_first_event_time,
            latest.last_event_time as tail_last_event_time,
            latest.heartbeat_count as tail_heartbeat_count,
            latest.flagged_event_count as tail_flagged_event_count,
            latest.last_ingested_at as tail_last_ingested_at,
            coalesce(
                latest.tied = 1
                and landed.first_new_time > latest.last_event_time
                and (latest.start_time < latest.first_event_time or latest.flagged_event_count = 0),
                false
            ) as appends
        from landed
        left join latest on landed.session_id = latest.session_id
    {%- endset %}

    {%- set recompute_windows_sql %}
        select
            landed.session_id,
            -- Appending sessions read only heartbeats after their latest stream.
            case
                when landed.appends then landed.tail_last_event_time + interval 1 microsecond
                else least(landed.first_new_time, min(streams.first_event_time))
            end as recompute_from,
            -- The session's streams starting here or later are emitted (and replaced) by this run.
            case
                when landed.appends then landed.tail_first_event_time
                else least(landed.first_new_time, min(streams.first_event_time))
            end as replace_from
        from landed
        left join {{ this }} as streams
            on not landed.appends
            and landed.session_id = streams.session_id
            and streams.last_event_time >= {{ dbt.dateadd('second', -timeout, 'landed.first_new_time') }}
        group by
            landed.session_id, landed.appends, landed.first_new_time, landed.tail_first_event_time,
            landed.tail_last_event_time
    {%- endset %}

    {%- set earliest = query_timestamp(
        'with landed as (' ~ landed_sql ~ ') select min(recompute_from) from (' ~ recompute_windows_sql ~ ')'
    ) %}

landed as (
    {{ landed_sql }}
),

recompute_windows as (
    {{ recompute_windows_sql }}
),

{% endif %}

valid_events as (

    select * from {{ ref('stg_streams__watch_events') }}
    where is_valid

),

-- Heartbeats to stream, each with the weight it carries: itself (1), or, for a stored stream
-- that is extended, all the heartbeats of that stream.
events as (

    select
        events.session_id,
        events.user_id,
        events.program_id,
        events.start_time,
        events.device,
        events.event_time,
        events.event_time as first_event_time,
        1 as heartbeat_count,
        case when events.quality_issue is null then 0 else 1 end as flagged_event_count,
        events.last_ingested_at
    from valid_events as events
    {%- if is_incremental() %}
    inner join recompute_windows
        on
            events.session_id = recompute_windows.session_id
            and events.event_time >= recompute_windows.recompute_from
    -- A constant bound: lets DuckDB skip the lake's older row groups entirely.
    where events.event_time >= {{ earliest }}

    union all

    select
        session_id,
        tail_user_id,
        tail_program_id,
        tail_start_time,
        tail_device,
        tail_last_event_time,
        tail_first_event_time,
        tail_heartbeat_count,
        tail_flagged_event_count,
        tail_last_ingested_at
    from landed
    where appends
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
        min(first_event_time) as first_event_time,
        max(event_time) as last_event_time,
        sum(heartbeat_count) as heartbeat_count,
        sum(flagged_event_count) as flagged_event_count,
        max(last_ingested_at) as last_ingested_at
    from streamed
    group by session_id, session_number

),

emitted as (

    select
        {{ surrogate_key(['session_id', 'first_event_time']) }} as stream_id,
        user_id,
        program_id,
        coalesce(program_start_time, first_event_time) as start_time,
        session_id,
        device,
        {{ seconds_between('first_event_time', 'last_event_time') }} as stream_duration,
        first_event_time,
        last_event_time,
        cast(first_event_time as date) as stream_date,
        heartbeat_count,
        flagged_event_count,
        last_ingested_at
    from streams
    {%- if is_incremental() %}

    union all

    -- Open streams this run does not stream again: kept as stored, `is_open` re-evaluated below.
    select
        stored.stream_id,
        stored.user_id,
        stored.program_id,
        stored.start_time,
        stored.session_id,
        stored.device,
        stored.stream_duration,
        stored.first_event_time,
        stored.last_event_time,
        stored.stream_date,
        stored.heartbeat_count,
        stored.flagged_event_count,
        stored.last_ingested_at
    from {{ this }} as stored
    left join recompute_windows on stored.session_id = recompute_windows.session_id
    where
        stored.is_open
        and (recompute_windows.session_id is null or stored.first_event_time < recompute_windows.replace_from)
    {%- endif %}

)

select
    emitted.stream_id,
    emitted.user_id,
    emitted.program_id,
    emitted.start_time,
    emitted.session_id,
    emitted.device,
    emitted.stream_duration,
    emitted.first_event_time,
    emitted.last_event_time,
    emitted.stream_date,
    cast(emitted.heartbeat_count as bigint) as heartbeat_count,
    cast(emitted.flagged_event_count as bigint) as flagged_event_count,
    emitted.last_event_time
    >= {{ dbt.dateadd('second', -timeout, 'watermark.watermark') }} as is_open,
    emitted.last_ingested_at
from emitted
cross join watermark
