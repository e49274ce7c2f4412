-- Every distinct watch heartbeat (stg_streams__watch_events) with its data-quality issue named.
-- Rows with an issue that makes them unusable for a stream (no program, or sent before the
-- program started) are kept here but flagged `is_valid = false`; the stream models leave them
-- out and fct_watch_events_quality counts them. A missing device reads `unknown`.
with

events as (

    select * from {{ ref('stg_streams__watch_events') }}

),

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
    from events

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
