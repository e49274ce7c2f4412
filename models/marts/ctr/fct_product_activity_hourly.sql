-- Grain: one row per hour (GMT-3), platform and product: fct_product_activity_minute summed by hour.
-- The CTR API answers 60-minute buckets from it (its post-hook writes those answers ahead,
-- macros/ctr_activity.sql). Incremental (docs/incremental.md): the hours of the minutes touched by
-- lake rows landed in this run's window are recomputed in full from the minute mart and replace
-- their old rows, as the minute mart replaces its minutes.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_hour',
    tags=['realtime'],
    post_hook="{{ ctr_hourly_answers_export() }}",
) }}

with

{% if is_incremental() %}

new_hours as (

    select distinct {{ dbt.date_trunc('hour', 'landed.activity_minute') }} as activity_hour
    from ({{ ctr_minutes_landed_this_run() }}) as landed

),

minutes as (

    select minutes.*
    from {{ ref('fct_product_activity_minute') }} as minutes
    inner join new_hours
        on {{ dbt.date_trunc('hour', 'minutes.activity_minute') }} = new_hours.activity_hour
    -- From the earliest new hour on: DuckDB skips the older row groups.
    where minutes.activity_minute >= (select min(activity_hour) from new_hours)

),

{% else %}

    minutes as (

        select * from {{ ref('fct_product_activity_minute') }}

    ),

{% endif %}

per_hour as (

    select
        {{ dbt.date_trunc('hour', 'activity_minute') }} as activity_hour,
        platform,
        product,
        sum(product_views) as product_views,
        sum(purchases) as purchases,
        max(last_ingested_at) as last_ingested_at
    from minutes
    group by {{ dbt.date_trunc('hour', 'activity_minute') }}, platform, product

)

select
    {{ surrogate_key(['activity_hour', 'platform', 'product']) }} as activity_hour_id,
    activity_hour,
    platform,
    product,
    cast(product_views as integer) as product_views,
    cast(purchases as integer) as purchases,
    last_ingested_at
from per_hour
