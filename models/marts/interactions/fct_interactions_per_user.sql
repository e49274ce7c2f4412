-- Grain: one row per user_id with its running interaction totals (see macro interaction_totals).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_id',
    tags=['realtime'],
) }}

{{ interaction_totals('user_id', ref('int_interactions_by_user_minute'), ref('int_interactions_by_user_settled')) }}
