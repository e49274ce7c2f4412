-- Silver cleaning of the landed interactions: names, trimmed text, the 0-2 h duration rule.
-- One row per landed row (duplicates are collapsed by fct_app_interactions, per event day).
with

source as (

    select * from {{ source('lakehouse', 'user_interactions') }}

)

select
    source.user_id,
    source.timestamp as interaction_time,
    cast(source.timestamp as date) as interaction_date,
    lower(trim(action_type)) as action_type,
    page_id,
    duration_ms,
    app_version,
    case
        when duration_ms < 0 then 'negative'
        when duration_ms > {{ var('lakehouse_max_duration_ms') }} then 'over_max'
    end as duration_issue,
    coalesce(duration_ms between 0 and {{ var('lakehouse_max_duration_ms') }}, false) as is_duration_valid,
    -- The lake's hive partition (= interaction_date): filtering on it skips other days' files.
    source.date as lake_date,
    _ingested_at as ingested_at

from source
