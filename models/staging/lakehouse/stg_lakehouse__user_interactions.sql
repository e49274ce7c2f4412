-- Silver staging of the landed interactions: names, types and trimmed text only. One row per
-- landed row (fct_app_interactions collapses duplicates per event day); the duration rule and
-- the action vocabulary are applied by int_user_interactions_classified.
with

source as (

    select * from {{ source('lakehouse', 'user_interactions') }}

)

select
    source.user_id,
    source.timestamp as interaction_time,
    cast(source.timestamp as date) as interaction_date,
    lower(trim(source.action_type)) as action_type,
    source.page_id,
    source.duration_ms,
    source.app_version,
    -- The lake's hive partition (= interaction_date): filtering on it skips other days' files.
    source.date as lake_date,
    source._ingested_at as ingested_at

from source
