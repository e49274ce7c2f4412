-- Grain: one row per watch stream (a session_id's run of heartbeats for one program with no
-- silence over `stream_timeout_seconds`; the rule of int_watch_events_streamed), without its
-- open/finished state, which fct_streams derives from the watermark.
--
-- Incremental (docs/incremental.md): only the sessions of int_watch_sessions_changed are
-- streamed again.
-- * In order (every new heartbeat after the session's latest stored stream, whose stored row is
--   exact; the live case): the stored row stands in for that stream's heartbeats, as one row at
--   its last heartbeat carrying its counts, and is sessionized with the new heartbeats. Cost
--   follows the new rows, not the length of the open streams.
-- * Otherwise (late or re-read heartbeats): re-streamed from a recompute point (the earliest new
--   heartbeat, or earlier the start of any stream ending within the timeout of it).
-- `replace_windows` replaces each session's streams from the earliest emitted one on.
-- depends_on: {{ ref('int_watch_sessions_changed') }}
-- depends_on: {{ source('streams', 'watch_events') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_windows',
    unique_key='session_id',
    replace_from_column='first_event_time',
    tags=['realtime'],
    meta={'clock_source': 'watch_events'},
) }}

{%- set timeout = var('stream_timeout_seconds') %}

with

{% if is_incremental() %}

-- The stored streams this run's heartbeats can extend or merge: those ending at most the timeout
-- before the earliest new heartbeat. An older one ends over the timeout before every new
-- heartbeat, so it is left as it is (its session, if it has no newer stream, is streamed from its
-- first new heartbeat). A bound on a constant lets DuckDB skip the row groups of older streams,
-- which lie in the order they were written (by time): a run reads the last minutes' streams, not
-- the day's (0.57 -> 0.08 s a cycle with 1.6M streams stored; docs/live.md, run 47).
recent_streams as (

    select * from {{ this }}
    where last_event_time >= (
        select {{ dbt.dateadd('second', -timeout, 'min(first_new_time)') }}
        from {{ ref('int_watch_sessions_changed') }}
    )

),

-- Per changed session: its latest stored stream, and whether the new heartbeats extend it. A
-- stored `start_time` equal to the first heartbeat may be the fallback for "no event said",
-- exact only when no heartbeat was flagged.
newest as (

    select stored.session_id, max(stored.last_event_time) as last_event_time
    from recent_streams as stored
    inner join {{ ref('int_watch_sessions_changed') }} as changed on stored.session_id = changed.session_id
    group by stored.session_id

),

tails as (

    select
        changed.session_id,
        changed.first_new_time,
        stored.user_id, stored.program_id, stored.start_time, stored.device,
        stored.first_event_time, stored.last_event_time,
        stored.heartbeat_count, stored.flagged_event_count, stored.last_arrived_at, stored.last_ingested_at,
        coalesce(
            count(*) over (partition by changed.session_id) = 1
            and changed.first_new_time > stored.last_event_time
            and (stored.start_time < stored.first_event_time or stored.flagged_event_count = 0),
            false
        ) as appends
    from {{ ref('int_watch_sessions_changed') }} as changed
    left join newest on changed.session_id = newest.session_id
    left join recent_streams as stored
        on newest.session_id = stored.session_id
        and newest.last_event_time = stored.last_event_time

),

recompute_windows as (

    select
        tails.session_id,
        tails.appends,
        -- Appending sessions read only their new heartbeats: none landed earlier lies after the
        -- stored stream's last one, so the range starts at the first new heartbeat (not at the
        -- stored stream's end, which for a session silent for minutes would make the one lake
        -- scan of all sessions read those minutes).
        case
            when tails.appends then tails.first_new_time
            else least(tails.first_new_time, min(streams.first_event_time))
        end as recompute_from
    from tails
    -- Appending sessions join too (their CASE ignores it): a left-side-only condition here
    -- would turn the hash join into a nested loop.
    left join recent_streams as streams
        on tails.session_id = streams.session_id
        and streams.last_event_time >= {{ dbt.dateadd('second', -timeout, 'tails.first_new_time') }}
    group by tails.session_id, tails.appends, tails.first_new_time

),

-- The scan starts at the earliest recompute point. A late heartbeat moves its session's point back
-- to the start of its stream, minutes back for a long one, so past the appending sessions' earliest
-- new heartbeat only the sessions that go back are kept: the dedup and sessionizing below read
-- their heartbeats, not every session's since then.
scan_bounds as (

    select
        min(recompute_from) as scan_from,
        coalesce(min(case when appends then recompute_from end), {{ far_future() }}) as appending_from
    from recompute_windows

),

-- The heartbeats of the recompute range only, filtered in the lake scan itself: through staging's
-- dedup (a GROUP BY) the bound could not skip a file, and every cycle would read the whole day.
-- The same rules as int_watch_events_classified (macros/watch_events.sql).
lake_rows as (

    select * from {{ source('streams', 'watch_events') }}
    where
        {{ event_time_from('event_time', '(select scan_from from scan_bounds)', 'date') }}
        and (
            event_time >= (select appending_from from scan_bounds)
            or session_id in (
                select recompute_windows.session_id
                from recompute_windows
                where recompute_windows.recompute_from < (select appending_from from scan_bounds)
            )
        )

),

staged as (

    {{ watch_events_staged('lake_rows') | indent(4) }}

),

heartbeats as (

    {{ watch_events_classified('staged') | indent(4) }}

),

{% else %}

    heartbeats as (

        select * from {{ ref('int_watch_events_classified') }}

    ),

{% endif %}

valid_events as (

    select * from heartbeats
    where is_valid

),

-- Heartbeats to stream, each with the weight it carries: itself (1), or, for a stored stream
-- that is extended, all the heartbeats of that stream. Incremental runs compute these few rows
-- once (cte_materialized): inlined into the sessionizing below, the query took longer to plan.
events as {% if is_incremental() %}{{ cte_materialized() }} {% endif %}(

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
        events.last_arrived_at,
        events.last_ingested_at
    from valid_events as events
    {%- if is_incremental() %}
    -- A semi join, not an inner one (a heartbeat is in one window at most): DuckDB estimates its
    -- rows by its left side, the inner join's estimate multiplied both (4.6M for 2k rows late in a
    -- run), and the windows below size their partitioning by the estimate: 55 -> 35 ms a run.
    where exists (
        select 1
        from recompute_windows
        where
            events.session_id = recompute_windows.session_id
            and events.event_time >= recompute_windows.recompute_from
    )

    union all

    select
        session_id,
        user_id,
        program_id,
        start_time,
        device,
        last_event_time,
        first_event_time,
        heartbeat_count,
        flagged_event_count,
        last_arrived_at,
        last_ingested_at
    from tails
    where appends
    {%- endif %}

),

{{ sessionize(
    'streamed', 'events', ['session_id'], 'event_time', timeout,
    tie_breakers=['program_id', 'device'], break_columns=['program_id'], row_level=false,
) }},

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
        max(last_arrived_at) as last_arrived_at,
        max(last_ingested_at) as last_ingested_at
    from streamed
    group by session_id, session_number

)

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
    cast(heartbeat_count as bigint) as heartbeat_count,
    cast(flagged_event_count as bigint) as flagged_event_count,
    last_arrived_at,
    last_ingested_at
from streams
{#- Stored in time order, as incremental runs append: their reads of recent streams skip the rest. #}
{% if not is_incremental() %}
    order by last_event_time
{% endif %}
