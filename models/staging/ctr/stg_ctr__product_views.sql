-- Product views: mParticle events with event_type `custom_event` and event_name `product`, one
-- row per distinct event. event_id/session_id are not unique in the extract, so an event is
-- identified by everything that places it (platform, batch, position in the batch, time,
-- product); the same batch landed twice is collapsed, the copies counted. Times converted from
-- UTC (GMT) to GMT-3 (`ctr_utc_offset_hours`), the orders' time zone.
with

source as (

    select * from {{ source('ctr', 'product_views') }}

),

product_views as (

    select
        {{ surrogate_key([
            'platform', 'message_id', 'batch_id', 'mpid', 'batch_time', 'event_index', 'event_time', 'code_color',
        ]) }} as product_view_id,
        platform,
        code_color,
        event_time,
        mpid,
        session_id,
        date as lake_date,
        _ingested_at
    from source
    where event_type = 'custom_event' and event_name = 'product'

),

deduplicated as (

    select
        product_view_id,
        platform,
        code_color,
        event_time,
        mpid,
        session_id,
        lake_date,
        count(*) as copies_landed,
        min(_ingested_at) as first_ingested_at,
        max(_ingested_at) as last_ingested_at
    from product_views
    group by product_view_id, platform, code_color, event_time, mpid, session_id, lake_date

)

select
    product_view_id,
    platform,
    code_color as product,
    event_time as viewed_at_utc,
    {{ dbt.dateadd('hour', var('ctr_utc_offset_hours'), 'event_time') }} as viewed_at,
    {{ dbt.date_trunc('minute', dbt.dateadd('hour', var('ctr_utc_offset_hours'), 'event_time')) }} as viewed_minute,
    mpid,
    session_id,
    lake_date,
    copies_landed,
    first_ingested_at,
    last_ingested_at
from deduplicated
