-- Grain: one row per minute that fct_campaign_views_minute (re)computes and whose report folder
-- it rewrites in this run (docs/incremental.md; bounds: fct_campaign_views_minute's).
-- Event-time rule: a minute is closed once its end + `campaign_view_lateness_seconds` has passed
-- on the view_log arrival clock: live, the clock up to which the loop has landed everything the
-- broker held (bounds closed_through); in batch runs (no clock) every minute with data is closed.
-- A closed minute is (re)computed when it closes, and again whenever one of its views lands later
-- (a correction: its on-time arrival makes it count, so the minute's report is rewritten).
-- A view, evaluated when the mart and its report hook run.
with

views as (

    select
        minute_timestamp,
        minute_closed_at,
        last_ingested_at
    from {{ ref('int_campaign_views_deduplicated') }}

),

-- The arrival clock's bounds moved back by the lateness: a minute that closed at or before
-- closes_through is closed now; one that closed after closes_after closed in this run.
bounds as (

    {%- set lateness = -var('campaign_view_lateness_seconds') %}
    {%- set closed_after = this_run('closed_after', for_model='fct_campaign_views_minute') %}
    {%- set closed_through = this_run('closed_through', for_model='fct_campaign_views_minute') %}
    select
        {{ dbt.dateadd('second', lateness, "coalesce(" ~ closed_after ~ ", " ~ epoch() ~ ")") }} as closes_after,
        {{ dbt.dateadd('second', lateness, "coalesce(" ~ closed_through ~ ", " ~ far_future() ~ ")") }}
            as closes_through

)

-- Two selects, not one with `or`: each keeps a plain range on one column, which DuckDB prunes by
-- the table's zone maps, so the cost follows the run's window, not the history.
select views.minute_timestamp
from views
cross join bounds
where
    views.minute_closed_at <= bounds.closes_through
    and views.minute_closed_at > bounds.closes_after

union

select views.minute_timestamp
from views
cross join bounds
where
    views.minute_closed_at <= bounds.closes_through
    and {{ landed_this_run('views.last_ingested_at', for_model='fct_campaign_views_minute') }}
