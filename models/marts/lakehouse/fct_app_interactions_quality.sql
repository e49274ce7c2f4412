-- Grain: one row per UTC interaction day: how the landed rows reconcile with what the metrics
-- use. rows_landed = interactions + duplicates_removed; interactions = valid_interactions +
-- negative_duration_count + over_max_duration_count. Action types outside the case's
-- vocabulary are counted too (they still count as activity).
{{ config(post_hook="{{ export_parquet() }}") }}
with

interactions as (

    select * from {{ ref('fct_app_interactions') }}

),

users as (

    select * from {{ ref('dim_users') }}

)

select
    interactions.interaction_date,
    cast(sum(interactions.copies_landed) as integer) as rows_landed,
    cast(sum(interactions.duplicates_removed) as integer) as duplicates_removed,
    cast(count(*) as integer) as interactions,
    cast(sum(case when interactions.is_duration_valid then 1 else 0 end) as integer) as valid_interactions,
    cast(sum(case when interactions.duration_issue = 'negative' then 1 else 0 end) as integer)
        as negative_duration_count,
    cast(sum(case when interactions.duration_issue = 'over_max' then 1 else 0 end) as integer)
        as over_max_duration_count,
    cast(sum(case when users.is_inferred then 1 else 0 end) as integer) as unknown_user_interactions,
    cast(sum(case when interactions.action_class = 'other' then 1 else 0 end) as integer) as unseen_action_type_count,
    1 - cast(sum(case when interactions.is_duration_valid then 1 else 0 end) as double) / count(*)
        as excluded_share

from interactions
inner join users on interactions.user_id = users.user_id
group by interactions.interaction_date
