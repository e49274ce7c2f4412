-- Each landed interaction with the lakehouse rules that classify it (docs/models-lakehouse.md):
-- - the outlier rule: valid when 0 <= duration_ms <= `lakehouse_max_duration_ms` (2 h), else
--   duration_issue says why (negative, over_max);
-- - the action vocabulary: action_class is the action_type when it is one of the case's five,
--   'other' for a value never seen before, 'unknown' when missing. An unseen action still counts
--   as activity; it is counted in fct_app_interactions_quality and warns in `dbt build`.
-- One row per landed row, like its staging model.
with

interactions as (

    select * from {{ ref('stg_lakehouse__user_interactions') }}

),

known_actions as (

    select action_list.action_key
    from (
        values
        ('page_view'),
        ('edit'),
        ('create'),
        ('delete'),
        ('share')
    ) as action_list (action_key)

)

select
    interactions.user_id,
    interactions.interaction_time,
    interactions.interaction_date,
    interactions.action_type,
    case
        when {{ category_key('interactions.action_type') }} is null then 'unknown'
        else coalesce(known_actions.action_key, 'other')
    end as action_class,
    interactions.page_id,
    interactions.duration_ms,
    interactions.app_version,
    case
        when interactions.duration_ms < 0 then 'negative'
        when interactions.duration_ms > {{ var('lakehouse_max_duration_ms') }} then 'over_max'
    end as duration_issue,
    coalesce(interactions.duration_ms between 0 and {{ var('lakehouse_max_duration_ms') }}, false) as is_duration_valid,
    interactions.lake_date,
    interactions.ingested_at

from interactions
left join known_actions on {{ category_key('interactions.action_type') }} = known_actions.action_key
