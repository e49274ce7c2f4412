-- Grain: one row per user_id with its running interaction totals (see macro interaction_totals).
-- depends_on: {{ ref('stg_interactions__events') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_id',
    on_schema_change='fail',
    tags=['realtime'],
) }}

{{ interaction_totals('user_id') }}
