-- Grain: one row per view_id (duplicates removed: the first copy to arrive wins, its arrival
-- decides lateness, later copies are only counted).
-- Lateness: a streamed view is late when it arrived (was landed: `_ingested_at`) more than
-- `campaign_view_lateness_seconds` after its minute closed (minute_timestamp + 1 minute).
-- Views landed from files (backfills) have no arrival time in that sense and are never late.
-- Incremental: every view_id with a copy landed since the last run (watermark = newest
-- last_ingested_at here, minus `lake_ingest_lookback_seconds`) is recomputed from all of its
-- landed copies and replaces its row, so re-reads and duplicates in later batches stay exact.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='view_id',
    on_schema_change='fail',
    tags=['realtime'],
) }}

with

{% if is_incremental() %}

    {%- set since = query_timestamp(
        "select coalesce(max(last_ingested_at), timestamp '1970-01-01') - interval "
        ~ var('lake_ingest_lookback_seconds') ~ " second from " ~ this
    ) %}

    {%- set new_views_sql %}
        select view_id, end_timestamp
        from {{ ref('stg_campaigns__views') }}
        where ingested_at > {{ since }}
    {%- endset %}

    {%- set earliest = query_timestamp('select min(end_timestamp) from (' ~ new_views_sql ~ ')') %}

new_views as (

    select distinct view_id from ({{ new_views_sql }}) as landed

),

copies as (

    select views.*
    from {{ ref('stg_campaigns__views') }} as views
    inner join new_views on views.view_id = new_views.view_id
    -- Copies of a view share its end_timestamp: a constant bound lets DuckDB skip older files.
    where views.end_timestamp >= {{ earliest }}

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
            order by ingested_at, kafka_partition, kafka_offset, file_name, file_row
        ) as arrival_rank,
        count(*) over (partition by view_id) as copies_landed,
        max(ingested_at) over (partition by view_id) as last_ingested_at
    from copies

),

first_arrivals as (

    select
        view_id,
        start_timestamp,
        end_timestamp,
        banner_id,
        campaign_id,
        duration_seconds,
        minute_timestamp,
        {{ dbt.dateadd('minute', 1, 'minute_timestamp') }} as minute_closed_at,
        ingested_at as arrived_at,
        arrival,
        copies_landed,
        last_ingested_at
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
    arrived_at,
    arrival,
    case
        when arrival = 'kafka' then {{ seconds_between('minute_closed_at', 'arrived_at') }}
    end as arrived_after_close_seconds,
    coalesce(
        arrival = 'kafka'
        and {{ seconds_between('minute_closed_at', 'arrived_at') }} > {{ var('campaign_view_lateness_seconds') }},
        false
    ) as is_late,
    copies_landed,
    copies_landed - 1 as duplicates_removed,
    last_ingested_at,
    {{ run_timestamp() }} as processed_at
from first_arrivals
