-- Grain: one row per extreme (`max`, `min`) and item: the items with the most and with the fewest
-- interactions so far (every item on a tie). Reads the per-item totals, so it costs in the number
-- of items, not of interactions.
{{ config(tags=['realtime'], post_hook="{{ export_parquet() }}") }}

with

items as (

    select
        item_id,
        interaction_count,
        last_interaction_at
    from {{ ref('fct_interactions_per_item') }}

),

bounds as (

    select
        max(interaction_count) as max_count,
        min(interaction_count) as min_count,
        count(*) as item_total
    from items

),

extremes as (

    select
        'max' as extreme,
        items.*
    from items
    inner join bounds on items.interaction_count = bounds.max_count

    union all

    select
        'min' as extreme,
        items.*
    from items
    inner join bounds on items.interaction_count = bounds.min_count

)

select
    {{ surrogate_key(['extreme', 'item_id']) }} as extreme_item_id,
    extreme,
    item_id,
    interaction_count,
    last_interaction_at
from extremes
