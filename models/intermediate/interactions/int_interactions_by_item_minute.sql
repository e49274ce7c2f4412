-- Grain: one row per minute (UTC, interaction time) and item_id: that minute's interaction counts.
-- Incremental: the (minute, item_id) pairs with new lake rows are recomputed and replaced (see
-- interaction_totals).
-- depends_on: {{ ref('stg_interactions__events') }}, {{ source('interactions', 'interactions') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['minute_start', 'item_id'],
    tags=['realtime'],
) }}

{{ interaction_minute_counts('item_id') }}
