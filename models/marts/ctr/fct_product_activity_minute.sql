-- Grain: one row per minute (GMT-3), platform and product with its product views and purchases
-- (see int_order_products_purchased for what a purchase is). Rows exist only where something
-- happened. Incremental (docs/incremental.md): the minutes touched by lake rows landed in this
-- run's window (views, orders, or order items of an order) are recomputed in full and replace
-- their old rows. Event-time rule: a minute is never closed; a late view or order rewrites it.
-- depends_on: {{ ref('stg_ctr__product_views') }}, {{ ref('int_order_products_purchased') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_minute',
    tags=['realtime'],
    post_hook="{{ export_parquet(order_by='activity_minute, platform, product') }}",
) }}

{%- set offset_hours = var('ctr_utc_offset_hours') %}

with

{% if is_incremental() %}

new_minutes as (

    {{ ctr_minutes_landed_this_run() }}

),

product_views as (

    select pv.*
    from {{ ref('stg_ctr__product_views') }} as pv
    inner join new_minutes on pv.viewed_minute = new_minutes.activity_minute
    -- From the earliest new minute on (UTC, the lake's time): DuckDB skips older files and row groups.
    where {{ event_time_from(
        'pv.viewed_at_utc',
        dbt.dateadd('hour', -offset_hours, '(select min(activity_minute) from new_minutes)'),
        'pv.lake_date',
    ) }}

),

purchases as (

    select p.*
    from {{ ref('int_order_products_purchased') }} as p
    inner join new_minutes on p.ordered_minute = new_minutes.activity_minute
    where p.is_purchase

),

{% else %}

    product_views as (

        select * from {{ ref('stg_ctr__product_views') }}

    ),

    purchases as (

        select * from {{ ref('int_order_products_purchased') }}
        where is_purchase

    ),

{% endif %}

views_per_minute as (

    select
        viewed_minute as activity_minute,
        platform,
        product,
        count(*) as product_views,
        max(last_ingested_at) as last_ingested_at
    from product_views
    group by viewed_minute, platform, product

),

purchases_per_minute as (

    select
        ordered_minute as activity_minute,
        platform,
        product,
        count(*) as purchases,
        max(last_ingested_at) as last_ingested_at
    from purchases
    group by ordered_minute, platform, product

),

joined as (

    select
        coalesce(v.activity_minute, p.activity_minute) as activity_minute,
        coalesce(v.platform, p.platform) as platform,
        coalesce(v.product, p.product) as product,
        coalesce(v.product_views, 0) as product_views,
        coalesce(p.purchases, 0) as purchases,
        greatest(
            coalesce(v.last_ingested_at, p.last_ingested_at),
            coalesce(p.last_ingested_at, v.last_ingested_at)
        ) as last_ingested_at
    from views_per_minute as v
    full outer join purchases_per_minute as p
        on
            v.activity_minute = p.activity_minute
            and v.platform = p.platform
            and v.product = p.product

)

select
    {{ surrogate_key(['activity_minute', 'platform', 'product']) }} as activity_minute_id,
    activity_minute,
    platform,
    product,
    cast(product_views as integer) as product_views,
    cast(purchases as integer) as purchases,
    last_ingested_at
from joined
