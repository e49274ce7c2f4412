-- Grain: one row per order and product (code_color). A purchase of a product is an order that
-- contains it: several item lines of the product (sizes) in one order are one purchase, and the
-- quantity does not count (CTR measures how often a product view turns into a sale, not units).
-- An order-product is not a purchase when its order is missing, has no platform (device_type
-- not mapped), or has an excluded status (`ctr_excluded_order_statuses`, canceled orders);
-- excluded_reason says which, so nothing is dropped unseen.
with

items as (

    select * from {{ ref('stg_ctr__order_items') }}

),

orders as (

    select * from {{ ref('int_orders_platform_mapped') }}

),

order_products as (

    select
        items.order_id,
        items.product,
        count(*) as item_lines,
        sum(items.quantity) as units,
        max(items.ingested_at) as items_ingested_at
    from items
    group by items.order_id, items.product

),

classified as (

    select
        {{ surrogate_key(['order_products.order_id', 'order_products.product']) }} as order_product_id,
        order_products.order_id,
        order_products.product,
        orders.platform,
        orders.ordered_at,
        orders.ordered_minute,
        orders.order_status,
        order_products.item_lines,
        order_products.units,
        case
            when orders.order_id is null then 'order_missing'
            when orders.platform is null then 'device_type_not_a_platform'
            when orders.order_status in (
                {%- for status in var('ctr_excluded_order_statuses') %}
                    '{{ status }}'{% if not loop.last %},{% endif %}
                {%- endfor %}
            ) then 'order_status_excluded'
        end as excluded_reason,
        greatest(order_products.items_ingested_at, coalesce(orders.ingested_at, order_products.items_ingested_at))
            as last_ingested_at
    from order_products
    left join orders on order_products.order_id = orders.order_id

)

select
    *,
    excluded_reason is null as is_purchase
from classified
