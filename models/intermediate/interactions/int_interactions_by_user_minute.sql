-- Grain: one row per minute (UTC, interaction time) and user_id: that minute's interaction counts.
-- Incremental: the (minute, user_id) pairs with new lake rows are recomputed and replaced (see
-- interaction_totals).
-- depends_on: {{ ref('stg_interactions__events') }}, {{ source('interactions', 'interactions') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['minute_start', 'user_id'],
    tags=['realtime'],
) }}

{{ interaction_minute_counts('user_id') }}
