-- Nothing dropped silently on the user side: every landed user_metadata row is a distinct row or
-- a removed copy, every distinct row is a user's or a resolved conflict, and dim_users holds
-- exactly those users plus the inferred ones. Returns a row if not.
with

lake as (

    select count(*) as lake_rows from {{ source('lakehouse', 'user_metadata') }}

),

quality as (

    select
        count(*) as quality_rows,
        max(rows_landed) as rows_landed,
        max(duplicate_rows_removed) as duplicate_rows_removed,
        max(distinct_rows) as distinct_rows,
        max(conflicting_rows_resolved) as conflicting_rows_resolved,
        max(users_with_metadata) as users_with_metadata,
        max(inferred_users) as inferred_users,
        max(total_users) as total_users
    from {{ ref('fct_app_users_quality') }}

),

users as (

    select count(*) as dim_rows from {{ ref('dim_users') }}

)

select
    lake.lake_rows,
    users.dim_rows,
    quality.*
from lake
cross join quality
cross join users
where
    quality.quality_rows != 1
    or lake.lake_rows != quality.rows_landed
    or quality.rows_landed != quality.distinct_rows + quality.duplicate_rows_removed
    or quality.distinct_rows != quality.users_with_metadata + quality.conflicting_rows_resolved
    or quality.total_users != quality.users_with_metadata + quality.inferred_users
    or users.dim_rows != quality.total_users
