-- Grain: one row per activity window: window_type 'calendar_month' (one per month) or
-- 'rolling_28d' / 'rolling_30d' (one per day, the window ending that day). active_users counts
-- distinct users active (>= 1 valid, deduplicated interaction) on any day of the window.
{{ config(post_hook="{{ export_parquet() }}") }}
with

user_days as (

    select
        user_id,
        activity_date
    from {{ ref('fct_app_active_user_days') }}

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

calendar_months as (

    select
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as window_start,
        count(distinct user_id) as active_users
    from user_days
    group by cast({{ dbt.date_trunc('month', 'activity_date') }} as date)

),

window_sizes as (

    select 28 as window_days
    union all
    select 30 as window_days

),

-- Rolling windows in one pass: a user active on day d is counted in the windows ending on d ..
-- d + N - 1, but only until their next active day, which takes over. Each user's spans are then
-- disjoint, so a running sum of +1 (span starts) and -1 (span ends) steps counts distinct users.
spans as (

    select
        user_days.user_id,
        user_days.activity_date as span_start,
        window_sizes.window_days,
        cast(
            least(
                {{ dbt.dateadd('day', 'window_sizes.window_days', 'user_days.activity_date') }},
                coalesce(
                    lead(user_days.activity_date) over (
                        partition by window_sizes.window_days, user_days.user_id order by user_days.activity_date
                    ),
                    {{ dbt.dateadd('day', 'window_sizes.window_days', 'user_days.activity_date') }}
                )
            ) as date
        ) as span_end
    from user_days
    cross join window_sizes

),

steps as (

    select
        window_days,
        step_date,
        sum(step) as step
    from (
        select
            window_days,
            span_start as step_date,
            1 as step
        from spans
        union all
        select
            window_days,
            span_end as step_date,
            -1 as step
        from spans
    ) as all_steps
    group by window_days, step_date

),

rolling as (

    select
        window_sizes.window_days,
        days.spine_date as window_end,
        sum(coalesce(steps.step, 0)) over (
            partition by window_sizes.window_days
            order by days.spine_date
            rows between unbounded preceding and current row
        ) as active_users
    from days
    cross join window_sizes
    left join steps
        on
            window_sizes.window_days = steps.window_days
            and days.spine_date = steps.step_date

),

windows as (

    select
        'calendar_month' as window_type,
        calendar_months.window_start,
        cast({{ dbt.last_day('calendar_months.window_start', 'month') }} as date) as window_end,
        calendar_months.active_users,
        cast(extract(day from {{ dbt.last_day('calendar_months.window_start', 'month') }}) as integer)
            as window_days
    from calendar_months

    union all

    select
        'rolling_' || cast(window_days as {{ dbt.type_string() }}) || 'd' as window_type,
        cast({{ dbt.dateadd('day', '1 - window_days', 'window_end') }} as date) as window_start,
        window_end,
        active_users,
        window_days
    from rolling

)

select
    {{ surrogate_key(['windows.window_type', 'windows.window_end']) }} as window_id,
    windows.window_type,
    windows.window_start,
    windows.window_end,
    windows.window_days,
    cast(windows.active_users as integer) as active_users,
    -- False for a window reaching outside the days with data (the first 27/29 rolling windows,
    -- a calendar month the data only partly covers): its count is a lower bound.
    windows.window_start >= bounds.first_day and windows.window_end <= bounds.last_day as is_complete

from windows
cross join bounds
