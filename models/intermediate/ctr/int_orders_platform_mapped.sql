-- Orders (stg_ctr__orders) with the CTR platform their device_type maps to: ios/iphone/ipad ->
-- iOS, android -> Android, mobileweb/mobile_web/mweb/mobile -> MobileWeb (case, spaces, `_` and
-- `-` ignored); anything else (e.g. Desktop) has no platform and is not a CTR purchase.
with

orders as (

    select
        *,
        replace(replace(replace(lower(trim(device_type)), ' ', ''), '_', ''), '-', '') as device_key
    from {{ ref('stg_ctr__orders') }}

)

select
    order_id,
    user_id,
    ordered_at,
    ordered_minute,
    order_status,
    device_type,
    case
        when device_key in ('ios', 'iphone', 'ipad') then 'iOS'
        when device_key = 'android' then 'Android'
        when device_key in ('mobileweb', 'mweb', 'mobile') then 'MobileWeb'
    end as platform,
    order_subtotal,
    order_discount,
    order_total,
    payment_type,
    shipping_cost,
    shipping_service,
    address_city,
    address_state,
    utm_source_medium,
    ingested_at
from orders
