-- Grain: one row per on-time view (its first copy, int_campaign_views_deduplicated) of a minute
-- that fct_campaign_views_minute (re)computes in this run (int_campaign_minutes_to_report): the
-- views its report counts and fct_campaign_minute_report_log tallies. A view, evaluated when they
-- run.
with

to_report as {{ cte_materialized() }} (

    select minute_timestamp from {{ ref('int_campaign_minutes_to_report') }}

)

-- The bound on the earliest minute to report makes DuckDB skip the views' older row groups (all
-- of them in the many runs that report no minute); without it each run probed every view of the
-- history. It reaches the scan only with to_report computed once (materialized): inlined, the bound
-- was applied after the join.
-- Only the columns the marts read: with the materialized CTE, DuckDB reads every column a query of
-- this view selects (`deduplicated.*` read the view_ids too: 9 -> 13 ms for a minute's 75k views).
{%- set earliest_to_report = '(select min(earliest.minute_timestamp) from to_report as earliest)' %}
select
    deduplicated.campaign_id,
    deduplicated.minute_timestamp,
    deduplicated.duration_seconds,
    deduplicated.landed_at
from {{ ref('int_campaign_views_deduplicated') }} as deduplicated
inner join to_report on deduplicated.minute_timestamp = to_report.minute_timestamp
where
    not deduplicated.is_late
    and {{ event_time_from('deduplicated.minute_timestamp', earliest_to_report) }}
