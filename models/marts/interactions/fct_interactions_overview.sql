-- Grain: one row (the whole history so far): the dashboard's headline figures. Reads the per-user
-- and per-item totals, so it costs in the number of users and items, not of interactions.
-- live_priority: `pulse run` builds and exports it third in a cycle (pulse/live/replay_order.py).
{{ config(tags=['realtime'], meta={'live_priority': 3}, post_hook="{{ export_parquet() }}") }}

with

users as (

    select
        count(*) as user_count,
        sum(interaction_count) as interaction_count,
        min(first_interaction_at) as first_interaction_at,
        max(last_interaction_at) as last_interaction_at
    from {{ ref('fct_interactions_per_user') }}

),

items as (

    select
        count(*) as item_count,
        max(interaction_count) as max_item_interactions,
        min(interaction_count) as min_item_interactions,
        avg(interaction_count) as avg_item_interactions
    from {{ ref('fct_interactions_per_item') }}

)

select
    'all' as overview_id,
    users.interaction_count,
    users.user_count,
    items.item_count,
    users.interaction_count * 1.0 / nullif(users.user_count, 0) as avg_interactions_per_user,
    items.avg_item_interactions,
    items.max_item_interactions,
    items.min_item_interactions,
    users.first_interaction_at,
    users.last_interaction_at
from users
cross join items
