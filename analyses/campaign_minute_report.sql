-- The campaign minute report case: the newest minutes reported per network, and the late views
-- that missed their minute (reported, never lost). One row per line of the report.
with

report_rows as (

    select * from {{ ref('fct_campaign_views_minute') }}

),

newest as (

    select max(minute_timestamp) as newest_minute from report_rows

),

latest_minutes as (

    select
        report_rows.network_id,
        report_rows.minute_timestamp,
        sum(report_rows.total_count) as view_count,
        sum(report_rows.avg_duration * report_rows.total_count) / sum(report_rows.total_count) as avg_duration
    from report_rows
    cross join newest
    where report_rows.minute_timestamp >= newest.newest_minute - interval 4 minute
    group by report_rows.network_id, report_rows.minute_timestamp

),

late as (

    select
        count(*) as late_views,
        max(arrived_after_close_seconds) as latest_by_seconds
    from {{ ref('fct_late_views') }}

)

select
    'network ' || coalesce(cast(network_id as string), 'unknown') || ' minute '
    || substr(cast(minute_timestamp as string), 1, 16) || ' UTC' as metric,
    cast(view_count as string) || ' views, average ' || {{ format_decimal('avg_duration', 2) }} || ' s' as answer
from latest_minutes

union all

select
    'minutes reported' as metric,
    'none yet (no minute has closed: live, a minute is reported {{ var("campaign_view_lateness_seconds") }} s '
    || 'after it ends; batch, land views and run dbt build)' as answer
where not exists (select 1 from latest_minutes)

union all

select
    'late views (arrived > {{ var("campaign_view_lateness_seconds") }} s after their minute closed)' as metric,
    cast(late_views as string)
    || coalesce(', the latest ' || {{ format_decimal('latest_by_seconds', 1) }} || ' s after', '') as answer
from late

order by metric
