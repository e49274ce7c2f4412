-- Grain: one row per item_id with its running interaction totals (see macro interaction_totals).
-- Exported: the dashboard ranks its top items from it.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='item_id',
    tags=['realtime'],
    post_hook="{{ export_parquet() }}",
) }}

{{ interaction_totals('item_id', ref('int_interactions_by_item_minute'), ref('int_interactions_by_item_settled')) }}
