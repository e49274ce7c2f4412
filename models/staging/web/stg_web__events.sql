-- Web-app events, typed and with exact duplicate rows collapsed into one (their count kept).
with

source as (

    select * from {{ source('web', 'web_events') }}

),

deduplicated as (

    select
        event_name,
        user_id,
        app_version,
        event_time,
        device_id,
        client,
        date as lake_date,
        count(*) as copies_landed,
        min(_ingested_at) as first_ingested_at,
        max(_ingested_at) as last_ingested_at

    from source
    group by event_name, user_id, app_version, event_time, device_id, client, date

)

select
    {{ surrogate_key(['event_name', 'user_id', 'app_version', 'event_time', 'device_id', 'client']) }}
        as event_id,
    event_name,
    user_id,
    app_version,
    event_time,
    cast(event_time as date) as event_date,
    device_id,
    client,
    lake_date,
    copies_landed,
    copies_landed - 1 as duplicates_removed,
    first_ingested_at,
    last_ingested_at

from deduplicated
