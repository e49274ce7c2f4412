-- Orders, one row per order id (the most recently landed version wins, so a newer extract can
-- update a status). order_date is GMT-3 already. The device -> platform mapping is in
-- int_orders_platform_mapped.
with

source as (

    select * from {{ source('ctr', 'orders') }}

),

ranked as (

    select
        *,
        row_number() over (partition by id order by _ingested_at desc, _file desc, _row desc) as version_rank
    from source

),

latest as (

    select * from ranked
    where version_rank = 1

)

select
    id as order_id,
    user_id,
    order_date as ordered_at,
    {{ dbt.date_trunc('minute', 'order_date') }} as ordered_minute,
    upper(trim(order_status)) as order_status,
    device_type,
    order_subtotal,
    order_discount,
    order_total,
    payment_type,
    shipping_cost,
    shipping_service,
    address_city,
    address_state,
    utm_source_medium,
    _ingested_at as ingested_at
from latest
