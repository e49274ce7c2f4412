-- Order items, one row per item id (the most recently landed version wins).
with

source as (

    select * from {{ source('ctr', 'order_items') }}

),

ranked as (

    select
        *,
        row_number() over (partition by id order by _ingested_at desc, _file desc, _row desc) as version_rank
    from source

)

select
    id as order_item_id,
    order_id,
    sku,
    quantity,
    code_color as product,
    _ingested_at as ingested_at
from ranked
where version_rank = 1
