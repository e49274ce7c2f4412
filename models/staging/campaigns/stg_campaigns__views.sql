-- Banner views as landed, one row per landed copy (deduplication needs every copy's arrival,
-- so it happens in int_campaign_views_deduplicated). Times UTC. A copy's arrival is its Kafka
-- record timestamp; copies from files (and Kafka files landed before that column existed) have
-- none.
with

source as (

    select * from {{ source('campaigns', 'view_log') }}

)

select
    view_id,
    start_timestamp,
    end_timestamp,
    banner_id,
    campaign_id,
    {{ seconds_between('start_timestamp', 'end_timestamp') }} as duration_seconds,
    {{ dbt.date_trunc('minute', 'end_timestamp') }} as minute_timestamp,
    case when _topic is not null then 'kafka' else 'file' end as arrival,
    _kafka_timestamp as arrived_at,
    _kafka_timestamp_type as arrived_at_type,
    _topic as kafka_topic,
    _partition as kafka_partition,
    _offset as kafka_offset,
    _file as file_name,
    _row as file_row,
    _ingested_at as ingested_at,
    date as lake_date
from source
