-- Orders, one row per order id (the most recently landed version wins, so a newer extract can
-- update a status). order_date is GMT-3 already. device_type is mapped to the three platforms:
-- ios/iphone/ipad -> iOS, android -> Android, mobileweb/mobile_web/mweb/mobile -> MobileWeb
-- (case, spaces, `_` and `-` ignored); anything else has no platform and is not a CTR purchase.
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

    select
        *,
        replace(replace(replace(lower(trim(device_type)), ' ', ''), '_', ''), '-', '') as device_key
    from ranked
    where version_rank = 1

)

select
    id as order_id,
    user_id,
    order_date as ordered_at,
    {{ dbt.date_trunc('minute', 'order_date') }} as ordered_minute,
    upper(trim(order_status)) as order_status,
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
    _ingested_at as ingested_at
from latest
