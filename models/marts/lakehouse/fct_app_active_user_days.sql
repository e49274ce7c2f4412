-- Grain: one row per user and UTC day on which the user was active: at least one valid
-- (duration 0-2 h), deduplicated interaction of any action type. The compact base of every
-- DAU/MAU figure: distinct users over any window are counted from here, not from interactions.
-- Incremental by activity day like fct_app_interactions (macros/lakehouse_days.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_date',
    day_column='activity_date',
    partition_by=('activity_date' if target.type == 'spark' else none),
) }}


with

{% if is_incremental() %}

days_this_run as (

    {{ lakehouse_days_this_run(ref('fct_app_interactions'), 'interaction_date', 'last_ingested_at') }}

),

{% endif %}

interactions as (

    select * from {{ ref('fct_app_interactions') }}
    where
        is_duration_valid
        and {{ lakehouse_day_filter('interaction_date') }}

)

select
    {{ surrogate_key(['user_id', 'interaction_date']) }} as user_day_id,
    user_id,
    interaction_date as activity_date,
    count(*) as interaction_count,
    min(interaction_time) as first_interaction_time,
    max(interaction_time) as last_interaction_time,
    max(last_ingested_at) as last_ingested_at

from interactions
group by user_id, interaction_date
