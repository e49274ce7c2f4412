-- Watch heartbeats, typed, device names normalised, exact duplicates collapsed (count kept), and
-- each row's data-quality issue named. Rows with an issue that makes them unusable for a stream
-- (no program, or sent before the program started) are kept here but flagged `is_valid = false`;
-- int_watch_events_streamed leaves them out and fct_watch_events_quality counts them.
with

source as (

    select * from {{ source('streams', 'watch_events') }}

),

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
    from source

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

),

flagged as (

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
    from deduplicated

)

select
    {{ surrogate_key(['session_id', 'event_time', 'user_id', 'program_id', 'start_time', 'device']) }} as event_id,
    user_id,
    program_id,
    start_time,
    session_id,
    coalesce(device, 'unknown') as device,
    event_time,
    cast(event_time as date) as event_date,
    lake_date,
    quality_issue,
    coalesce(quality_issue not in ('missing_program_id', 'event_before_start'), true) as is_valid,
    copies_landed,
    copies_landed - 1 as duplicates_removed,
    last_arrived_at,
    first_ingested_at,
    last_ingested_at
from flagged
