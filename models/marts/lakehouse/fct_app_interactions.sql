-- Grain: one row per distinct interaction, keyed by (user_id, interaction_time, action_type,
-- page_id): the same user cannot do the same action on the same page twice in one instant, so
-- rows sharing that key are copies of one interaction (re-sent or re-extracted). Of conflicting
-- copies the one kept is: a copy with a valid duration first, then the longest duration, then
-- the highest app_version (a value order, so every run picks the same copy).
-- Outliers stay here, flagged (is_duration_valid); the metrics use valid rows only.
-- Incremental by event day (macros/lakehouse_days.sql): a run recomputes whole days from every
-- lake row of those days, so increments and backfills equal a full refresh.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='interaction_date',
    day_column='interaction_date',
    partition_by=('interaction_date' if target.type == 'spark' else none),
) }}


with

{% if is_incremental() %}

days_this_run as (

    {{ lakehouse_days_this_run(source('lakehouse', 'user_interactions'), 'date', '_ingested_at') }}

),

{% endif %}

landed as (

    select * from {{ ref('int_user_interactions_classified') }}
    where {{ lakehouse_day_filter('lake_date') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by user_id, interaction_time, action_type, page_id
            order by is_duration_valid desc, duration_ms desc, app_version desc nulls last
        ) as copy_rank,
        count(*) over (partition by user_id, interaction_time, action_type, page_id) as copies_landed,
        max(ingested_at) over (
            partition by user_id, interaction_time, action_type, page_id
        ) as last_ingested_at
    from landed

)

select
    {{ surrogate_key(['user_id', 'interaction_time', 'action_type', 'page_id']) }} as interaction_id,
    user_id,
    interaction_time,
    interaction_date,
    action_type,
    action_class,
    page_id,
    duration_ms,
    app_version,
    is_duration_valid,
    duration_issue,
    copies_landed,
    copies_landed - 1 as duplicates_removed,
    last_ingested_at

from ranked
where copy_rank = 1
