-- Grain: one row per item_id with its interaction counts over the minutes before settled_through
-- (the newest minute minus interaction_settle_after_minutes): fct_interactions_per_item adds the
-- minutes after it instead of re-summing every minute since the beginning (see interaction_settled).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='item_id',
    tags=['realtime'],
) }}

{{ interaction_settled('item_id', ref('int_interactions_by_item_minute')) }}
