-- Grain: one row per user_id with its interaction counts over the minutes before settled_through
-- (the newest minute minus interaction_settle_after_minutes): fct_interactions_per_user adds the
-- minutes after it instead of re-summing every minute since the beginning (see interaction_settled).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_id',
    tags=['realtime'],
) }}

{{ interaction_settled('user_id', ref('int_interactions_by_user_minute')) }}
