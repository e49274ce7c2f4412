-- Grain: one row per UTC day from the first to the last day with activity (days without any
-- active user included, with 0). A user is active on a day with at least one valid (duration
-- 0-2 h), deduplicated interaction of any action type.
{{ config(post_hook="{{ export_parquet() }}") }}
with

user_days as (

    select * from {{ ref('fct_app_active_user_days') }}

),

bounds as (

    select
        min(activity_date) as first_day,
        max(activity_date) as last_day
    from user_days

),

days as (

    {{ day_spine('bounds') }}

),

first_days as (

    select
        user_id,
        min(activity_date) as first_activity_date
    from user_days
    group by user_id

),

daily as (

    select
        user_days.activity_date,
        count(*) as daily_active_users,
        sum(user_days.interaction_count) as interaction_count,
        sum(case when user_days.activity_date = first_days.first_activity_date then 1 else 0 end)
            as new_active_users
    from user_days
    inner join first_days on user_days.user_id = first_days.user_id
    group by user_days.activity_date

),

rolling as (

    select
        window_end,
        max(case when window_type = 'rolling_28d' then active_users end) as active_users_28d,
        max(case when window_type = 'rolling_30d' then active_users end) as active_users_30d
    from {{ ref('fct_monthly_active_users') }}
    where window_type in ('rolling_28d', 'rolling_30d')
    group by window_end

)

select
    days.spine_date as activity_date,
    cast(coalesce(daily.daily_active_users, 0) as integer) as daily_active_users,
    cast(coalesce(daily.interaction_count, 0) as integer) as interaction_count,
    cast(coalesce(daily.new_active_users, 0) as integer) as new_active_users,
    rolling.active_users_28d,
    rolling.active_users_30d,
    cast(coalesce(daily.daily_active_users, 0) as double) / nullif(rolling.active_users_30d, 0) as dau_mau_ratio

from days
left join daily on days.spine_date = daily.activity_date
left join rolling on days.spine_date = rolling.window_end
