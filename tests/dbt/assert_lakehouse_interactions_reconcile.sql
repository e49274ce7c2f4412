-- Nothing dropped silently: every landed user_interactions row is an interaction or a removed
-- copy, and every interaction is valid or counted as an outlier. Returns a row if not.
with

lake as (

    select count(*) as lake_rows from {{ source('lakehouse', 'user_interactions') }}

),

quality as (

    select
        coalesce(sum(rows_landed), 0) as rows_landed,
        coalesce(sum(interactions), 0) as interactions,
        coalesce(sum(duplicates_removed), 0) as duplicates_removed,
        coalesce(sum(valid_interactions + negative_duration_count + over_max_duration_count), 0) as classified
    from {{ ref('fct_app_interactions_quality') }}

)

select
    lake.lake_rows,
    quality.rows_landed,
    quality.interactions,
    quality.duplicates_removed,
    quality.classified
from lake
cross join quality
where
    lake.lake_rows != quality.rows_landed
    or quality.rows_landed != quality.interactions + quality.duplicates_removed
    or quality.interactions != quality.classified
