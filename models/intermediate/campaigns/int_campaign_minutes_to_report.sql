-- Grain: one row per minute that fct_campaign_views_minute (re)computes and whose report folder
-- it rewrites in this run (docs/incremental.md; bounds: fct_campaign_views_minute's).
-- Event-time rule: a minute is closed once its end + `campaign_view_lateness_seconds` has passed
-- on the view_log arrival clock: live, the clock up to which the loop has landed everything the
-- broker held (bounds closed_through); in batch runs (no clock) every minute with data is closed.
-- A closed minute is (re)computed when it closes, and again whenever the first copy of an on-time
-- view of it lands later (a correction: its on-time arrival makes it count, so the minute's report
-- is rewritten).
-- A view, evaluated when the mart and its report hook run.
with

-- The arrival clock's bounds moved back by the lateness: a minute that closed at or before
-- closes_through is closed now; one that closed after closes_after closed in this run.
closing as (

    {%- set lateness = -var('campaign_view_lateness_seconds') %}
    {%- set closed_after = this_run('closed_after', for_model='fct_campaign_views_minute') %}
    {%- set closed_through = this_run('closed_through', for_model='fct_campaign_views_minute') %}
    select
        {{ dbt.dateadd('second', lateness, "coalesce(" ~ closed_after ~ ", " ~ epoch() ~ ")") }} as closes_after,
        {{ dbt.dateadd('second', lateness, "coalesce(" ~ closed_through ~ ", " ~ far_future() ~ ")") }}
            as closes_through

)

-- Two selects, not one with `or`, each reading the table itself with plain ranges against scalar
-- subqueries: DuckDB turns those into filters inside the scan, which skip the row groups outside
-- the run's window by their zone maps, so the cost follows the window, not the history. (Joined
-- to the bounds, or through one CTE of the table both selects share, every run read all of it.)
select deduplicated.minute_timestamp
from {{ ref('int_campaign_views_deduplicated') }} as deduplicated
where
    deduplicated.minute_closed_at <= (select closing.closes_through from closing)
    and deduplicated.minute_closed_at > (select closing.closes_after from closing)

union

-- A report counts each on-time view once, from its first copy to arrive: only a view whose first
-- copy landed in this run changes it, not a duplicate landing after it, nor a late view. (A view
-- never turns late: a copy that arrived before its first one takes its place, on time as well.)
select deduplicated.minute_timestamp
from {{ ref('int_campaign_views_deduplicated') }} as deduplicated
where
    deduplicated.minute_closed_at <= (select closing.closes_through from closing)
    and {{ landed_this_run('deduplicated.landed_at', for_model='fct_campaign_views_minute') }}
    and not deduplicated.is_late
