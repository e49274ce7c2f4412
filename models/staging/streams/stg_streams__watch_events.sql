-- Watch heartbeats, typed, device names normalised (lower case, spaces and dashes as `_`), exact
-- duplicates collapsed (count kept). Data-quality classification: int_watch_events_classified.
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
