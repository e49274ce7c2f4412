-- The CTR case: CTR per platform and GMT-3 day, and what was left out of the purchases (so the
-- counts reconcile with the orders extract). One row per line of the report.
with

activity as (

    select * from {{ ref('fct_product_activity_minute') }}

),

per_platform_day as (

    select
        platform,
        cast(activity_minute as date) as activity_date,
        sum(product_views) as product_views,
        sum(purchases) as purchases
    from activity
    group by platform, cast(activity_minute as date)

),

not_counted as (

    select
        excluded_reason,
        count(*) as order_products
    from {{ ref('int_order_products_purchased') }}
    where not is_purchase
    group by excluded_reason

)

select
    'CTR ' || platform || ' ' || cast(activity_date as string) || ' (GMT-3)' as metric,
    cast(purchases as string) || ' purchases / ' || cast(product_views as string) || ' product views = '
    || coalesce({{ format_decimal('purchases / nullif(product_views, 0)', 4) }}, 'n/a') as answer
from per_platform_day

union all

select
    'CTR' as metric,
    'none yet (no product views or orders landed)' as answer
where not exists (select 1 from per_platform_day)

union all

select
    'Order products not counted as purchases: ' || excluded_reason as metric,
    cast(order_products as string) as answer
from not_counted

order by metric
