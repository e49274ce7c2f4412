-- Grain: one row, the user snapshot as a whole: how the landed user_metadata rows reconcile with
-- dim_users (rows_landed = distinct_rows + duplicate_rows_removed; distinct_rows =
-- users_with_metadata + conflicting_rows_resolved; total_users = users_with_metadata +
-- inferred_users), and the users whose attributes the marts could not classify: a device type or
-- plan never seen before ('other' in int_user_metadata_classified, listed by value) or missing.
{{ config(post_hook="{{ export_parquet() }}") }}
with

metadata as (

    select * from {{ ref('int_user_metadata_classified') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

landed as (

    select
        coalesce(sum(copies_landed), 0) as rows_landed,
        coalesce(sum(copies_landed - 1), 0) as duplicate_rows_removed,
        count(*) as distinct_rows,
        count(distinct user_id) as users_with_metadata
    from metadata

),

resolved as (

    select
        count(*) as total_users,
        sum(case when has_conflicting_metadata then 1 else 0 end) as users_with_conflicting_metadata,
        sum(case when is_inferred then 1 else 0 end) as inferred_users,
        sum(case when device_class = 'other' then 1 else 0 end) as unseen_device_type_users,
        sum(case when device_class = 'unknown' and not is_inferred then 1 else 0 end) as missing_device_type_users,
        sum(case when subscription_class = 'other' then 1 else 0 end) as unseen_subscription_type_users,
        sum(case when subscription_class = 'unknown' and not is_inferred then 1 else 0 end)
            as missing_subscription_type_users
    from users

),

unseen_device_types as (

    select distinct device_type
    from users
    where device_class = 'other'

),

unseen_subscription_types as (

    select distinct subscription_type
    from users
    where subscription_class = 'other'

),

unseen_values as (

    select
        (
            select {{ dbt.listagg('device_type', "', '", 'order by device_type') }}
            from unseen_device_types
        ) as unseen_device_types,
        (
            select {{ dbt.listagg('subscription_type', "', '", 'order by subscription_type') }}
            from unseen_subscription_types
        ) as unseen_subscription_types

)

select
    cast(landed.rows_landed as integer) as rows_landed,
    cast(landed.duplicate_rows_removed as integer) as duplicate_rows_removed,
    cast(landed.distinct_rows as integer) as distinct_rows,
    cast(landed.distinct_rows - landed.users_with_metadata as integer) as conflicting_rows_resolved,
    cast(landed.users_with_metadata as integer) as users_with_metadata,
    cast(coalesce(resolved.users_with_conflicting_metadata, 0) as integer) as users_with_conflicting_metadata,
    cast(coalesce(resolved.inferred_users, 0) as integer) as inferred_users,
    cast(resolved.total_users as integer) as total_users,
    cast(coalesce(resolved.unseen_device_type_users, 0) as integer) as unseen_device_type_users,
    unseen_values.unseen_device_types,
    cast(coalesce(resolved.missing_device_type_users, 0) as integer) as missing_device_type_users,
    cast(coalesce(resolved.unseen_subscription_type_users, 0) as integer) as unseen_subscription_type_users,
    unseen_values.unseen_subscription_types,
    cast(coalesce(resolved.missing_subscription_type_users, 0) as integer) as missing_subscription_type_users

from landed
cross join resolved
cross join unseen_values
