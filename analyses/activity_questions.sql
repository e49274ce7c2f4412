-- The lakehouse case: DAU/MAU over the data's year and session metrics, one answer per row.
with

daily as (

    select * from {{ ref('fct_daily_active_users') }}

),

dau as (

    select
        count(*) as day_count,
        min(activity_date) as first_day,
        max(activity_date) as last_day,
        avg(daily_active_users) as avg_dau,
        min(daily_active_users) as min_dau,
        max(daily_active_users) as max_dau
    from daily

),

-- Stickiness over the days whose 30-day window lies inside the data (when there are any).
stickiness as (

    select
        coalesce(
            avg(case when rolling_30d.is_complete then daily.dau_mau_ratio end),
            avg(daily.dau_mau_ratio)
        ) as avg_stickiness
    from daily
    inner join {{ ref('fct_monthly_active_users') }} as rolling_30d
        on
            daily.activity_date = rolling_30d.window_end
            and rolling_30d.window_type = 'rolling_30d'

),

peak_day as (

    select
        activity_date,
        daily_active_users
    from daily
    order by daily_active_users desc, activity_date asc
    limit 1

),

months as (

    select
        count(*) as month_count,
        sum(case when is_complete then 1 else 0 end) as complete_month_count,
        -- Partly covered months at the data's edges would pull the average down.
        coalesce(avg(case when is_complete then active_users end), avg(active_users)) as avg_mau,
        max(active_users) as max_mau
    from {{ ref('fct_monthly_active_users') }}
    where window_type = 'calendar_month'

),

latest_rolling as (

    select
        max(case when window_type = 'rolling_28d' then active_users end) as mau_28d,
        max(case when window_type = 'rolling_30d' then active_users end) as mau_30d,
        max(window_end) as window_end
    from {{ ref('fct_monthly_active_users') }}
    where window_end = (
        select max(rolling_30d.window_end)
        from {{ ref('fct_monthly_active_users') }} as rolling_30d
        where rolling_30d.window_type = 'rolling_30d'
    )

),

sessions as (

    select
        count(*) as session_count,
        avg(duration_seconds) as avg_duration_seconds,
        avg(interaction_count) as avg_actions
    from {{ ref('fct_app_sessions') }}

),

quality as (

    select
        sum(rows_landed) as rows_landed,
        sum(duplicates_removed) as duplicates_removed,
        sum(negative_duration_count + over_max_duration_count) as outliers
    from {{ ref('fct_app_interactions_quality') }}

),

quarantined as (

    select count(*) as quarantined_rows
    from {{ source('lakehouse', 'user_interactions_quarantine') }}

)

select
    1 as question_number,
    'What counts as an active user?' as question,
    'A user with at least one interaction of any type (page_view, edit, create, delete, share) in the '
    || 'period, counting only interactions lasting 0 to 2 hours, duplicates (same user, time, action '
    || 'and page) once.' as answer

union all

select
    2 as question_number,
    'Daily active users (DAU)' as question,
    coalesce(
        'average ' || cast(round(dau.avg_dau, 1) as string) || ' per day over ' || cast(dau.day_count as string)
        || ' days (' || cast(dau.first_day as string) || ' .. ' || cast(dau.last_day as string) || '); min '
        || cast(dau.min_dau as string) || ', max ' || cast(dau.max_dau as string) || ' on '
        || cast(peak_day.activity_date as string),
        'none yet (no valid user interactions landed)'
    ) as answer
from dau
left join peak_day on true

union all

select
    3 as question_number,
    'Monthly active users (MAU, calendar month)' as question,
    coalesce(
        'average ' || cast(round(months.avg_mau, 1) as string) || ' over '
        || case
            when months.complete_month_count > 0 then cast(months.complete_month_count as string) || ' complete'
            else cast(months.month_count as string) || ' (partly covered)'
        end
        || ' months; max ' || cast(months.max_mau as string),
        'none yet (no valid user interactions landed)'
    ) as answer
from months

union all

select
    4 as question_number,
    'MAU, rolling 28 / 30 days, and stickiness' as question,
    coalesce(
        cast(latest_rolling.mau_28d as string) || ' / ' || cast(latest_rolling.mau_30d as string)
        || ' in the windows ending ' || cast(latest_rolling.window_end as string)
        || '; average DAU/MAU(30d) ' || cast(round(stickiness.avg_stickiness, 3) as string),
        'none yet (no valid user interactions landed)'
    ) as answer
from latest_rolling
cross join stickiness

union all

select
    5 as question_number,
    'What is a session?' as question,
    'A user''s interactions, each less than {{ var("lakehouse_session_gap_minutes") }} minutes after the '
    || 'previous one; a gap of {{ var("lakehouse_session_gap_minutes") }} minutes or more, or midnight UTC, '
    || 'starts a new session. It lasts from its first start to its last interaction''s end.' as answer

union all

select
    6 as question_number,
    'Average session duration' as question,
    coalesce(
        cast(round(sessions.avg_duration_seconds, 1) as string) || ' s ('
        || cast(round(sessions.avg_duration_seconds / 60, 1) as string) || ' min) over '
        || cast(sessions.session_count as string) || ' sessions',
        'none yet (no valid user interactions landed)'
    ) as answer
from sessions

union all

select
    7 as question_number,
    'Actions per session' as question,
    coalesce(
        cast(round(sessions.avg_actions, 2) as string) || ' on average',
        'none yet (no valid user interactions landed)'
    ) as answer
from sessions

union all

select
    8 as question_number,
    'Outliers and duplicates' as question,
    coalesce(
        cast(quality.outliers as string) || ' interactions outside 0-2 h excluded, '
        || cast(quality.duplicates_removed as string) || ' duplicate rows removed, of '
        || cast(quality.rows_landed as string) || ' landed',
        'none yet (no user interactions landed)'
    )
    || '; ' || cast(quarantined.quarantined_rows as string)
    || ' unparseable rows quarantined at landing' as answer
from quality
cross join quarantined
