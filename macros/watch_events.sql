{#- The watch heartbeat rules, written once: stg_streams__watch_events and
    int_watch_events_classified apply them to the whole lake, int_watch_streams' incremental runs
    to the lake rows of their recompute range, filtered in the Parquet scan itself (a filter above
    the dedup's GROUP BY could not skip a file: docs/incremental.md). -#}

{#- Typed lake rows (`relation`: the watch_events source or a filtered select of it) ->
    heartbeats with device names normalised (lower case, spaces and dashes as `_`) and exact
    duplicates collapsed (count kept). -#}
{% macro watch_events_staged(relation) -%}
with

normalised as (

    select
        user_id,
        nullif(trim(program_id), '') as program_id,
        start_time,
        session_id,
        nullif(replace(replace(lower(trim(device)), ' ', '_'), '-', '_'), '') as device,
        event_time,
        date as lake_date,
        _kafka_timestamp,
        _ingested_at
    from {{ relation }}

),

deduplicated as (

    select
        user_id,
        program_id,
        start_time,
        session_id,
        device,
        event_time,
        lake_date,
        count(*) as copies_landed,
        max(_kafka_timestamp) as last_arrived_at,
        min(_ingested_at) as first_ingested_at,
        max(_ingested_at) as last_ingested_at
    from normalised
    group by user_id, program_id, start_time, session_id, device, event_time, lake_date

)

select
    {{ surrogate_key(['session_id', 'event_time', 'user_id', 'program_id', 'start_time', 'device']) }} as event_id,
    user_id,
    program_id,
    start_time,
    session_id,
    device,
    event_time,
    cast(event_time as date) as event_date,
    lake_date,
    copies_landed,
    copies_landed - 1 as duplicates_removed,
    last_arrived_at,
    first_ingested_at,
    last_ingested_at
from deduplicated
{%- endmacro %}

{#- Staged heartbeats (`relation`) -> each with its data-quality issue named. Rows with an issue
    that makes them unusable for a stream (no program, or sent before the program started) are
    kept but flagged `is_valid = false`. A missing device reads `unknown`. -#}
{% macro watch_events_classified(relation) -%}
with

classified as (

    select
        *,
        case
            when program_id is null then 'missing_program_id'
            when event_time < start_time then 'event_before_start'
            when device is null then 'missing_device'
            when device not in (
                {%- for device in var('stream_known_devices') %}
                    '{{ device }}'{% if not loop.last %},{% endif %}
                {%- endfor %}
            ) then 'unknown_device'
            when start_time is null then 'missing_start_time'
        end as quality_issue
    from {{ relation }}

)

select
    event_id,
    user_id,
    program_id,
    start_time,
    session_id,
    coalesce(device, 'unknown') as device,
    event_time,
    event_date,
    lake_date,
    quality_issue,
    coalesce(quality_issue not in ('missing_program_id', 'event_before_start'), true) as is_valid,
    copies_landed,
    duplicates_removed,
    last_arrived_at,
    first_ingested_at,
    last_ingested_at
from classified
{%- endmacro %}
