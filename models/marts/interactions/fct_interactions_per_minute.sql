-- Grain: one row per minute (UTC, by interaction time) and interaction type, plus an `all` row per minute.
-- Incremental: the minutes that received lake rows since the last run (watermark = newest
-- `last_ingested_at` here, minus `lake_ingest_lookback_seconds`) are recomputed from the lake
-- and replace their old rows (delete+insert on the minute), so late records and re-reads are exact.
-- depends_on: {{ ref('stg_interactions__events') }}, {{ source('interactions', 'interactions') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='minute_start',
    tags=['realtime'],
    post_hook="{{ export_parquet() }}",
) }}

with

{{ interactions_in_changed_minutes() }},

per_type as (

    select
        interaction_minute as minute_start,
        interaction_type,
        count(*) as interaction_count,
        count(distinct user_id) as user_count,
        count(distinct item_id) as item_count,
        max(ingested_at) as last_ingested_at
    from interactions
    group by interaction_minute, interaction_type

),

-- `all`: the minute's total over every type (distinct users are not additive over types).
all_types as (

    select
        interaction_minute as minute_start,
        'all' as interaction_type,
        count(*) as interaction_count,
        count(distinct user_id) as user_count,
        count(distinct item_id) as item_count,
        max(ingested_at) as last_ingested_at
    from interactions
    group by interaction_minute

),

per_minute as (

    select * from per_type
    union all
    select * from all_types

)

select
    {{ surrogate_key(['minute_start', 'interaction_type']) }} as minute_type_id,
    minute_start,
    interaction_type,
    interaction_count,
    user_count,
    item_count,
    interaction_count * 1.0 / user_count as avg_interactions_per_user,
    last_ingested_at
from per_minute
