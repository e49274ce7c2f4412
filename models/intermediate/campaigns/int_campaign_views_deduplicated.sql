-- Grain: one row per view_id (duplicates removed: the first copy to arrive wins, its arrival
-- decides lateness, later copies are only counted).
-- Event-time rule: a streamed view is late when it arrived (its Kafka record timestamp) more than
-- `campaign_view_lateness_seconds` after its minute closed (minute_timestamp + 1 minute). When pulse
-- landed it (`ingested_at`) never matters, so a backlog or a replay gives the same answer. Views
-- with no arrival (landed from files, or from Kafka files older than the timestamp column) are
-- never late; such a copy counts as the first to arrive.
-- Incremental (docs/incremental.md): every view_id with a copy landed in this run's window is
-- recomputed from all of its landed copies and replaces its row, so re-reads, duplicates in later
-- batches and replays stay exact. The delete matches rows on end_timestamp as well as view_id
-- (a view's copies share it): DuckDB then skips the stored rows by their end_timestamp instead of
-- reading every view_id of the history each run (docs/live.md).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['end_timestamp', 'view_id'],
    tags=['realtime'],
) }}

with

{% if is_incremental() %}

new_views as (

    select view_id, min(end_timestamp) as end_timestamp
    from {{ source('campaigns', 'view_log') }}
    where {{ landed_this_run('_ingested_at') }}
    group by view_id

),

copies as (

    select views.*
    from {{ ref('stg_campaigns__views') }} as views
    inner join new_views on views.view_id = new_views.view_id
    -- Copies of a view share its end_timestamp: DuckDB skips files and row groups before it.
    where {{ event_time_from('views.end_timestamp', '(select min(end_timestamp) from new_views)', 'views.lake_date') }}

),

{% else %}

    copies as (

        select * from {{ ref('stg_campaigns__views') }}

    ),

{% endif %}

ranked as (

    select
        *,
        row_number() over (
            partition by view_id
            order by arrived_at nulls first, kafka_partition, kafka_offset, file_name, file_row
        ) as arrival_rank,
        count(*) over (partition by view_id) as copies_landed,
        max(ingested_at) over (partition by view_id) as last_ingested_at
    from copies

),

first_arrivals as (

    select
        *,
        {{ dbt.dateadd('minute', 1, 'minute_timestamp') }} as minute_closed_at
    from ranked
    where arrival_rank = 1

)

select
    view_id,
    start_timestamp,
    end_timestamp,
    banner_id,
    campaign_id,
    duration_seconds,
    minute_timestamp,
    minute_closed_at,
    arrival,
    arrived_at,
    {{ seconds_between('minute_closed_at', 'arrived_at') }} as arrived_after_close_seconds,
    coalesce(
        {{ seconds_between('minute_closed_at', 'arrived_at') }} > {{ var('campaign_view_lateness_seconds') }},
        false
    ) as is_late,
    copies_landed,
    copies_landed - 1 as duplicates_removed,
    ingested_at as landed_at,
    last_ingested_at
from first_arrivals
