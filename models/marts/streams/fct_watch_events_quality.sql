-- Grain: one row per UTC day and data-quality issue in the watch heartbeats. Counts every
-- heartbeat that was not a clean, unique event: flagged rows (kept or left out of the streams),
-- exact duplicates collapsed, and records quarantined at landing (by the day they were landed).
-- Together with the clean rows these reconcile with what arrived.
with

flagged as (

    select
        event_date as issue_date,
        quality_issue as issue,
        not is_valid as is_excluded,
        count(*) as event_count
    from {{ ref('int_watch_events_classified') }}
    where quality_issue is not null
    group by event_date, quality_issue, is_valid

),

duplicates as (

    select
        event_date as issue_date,
        'duplicate' as issue,
        true as is_excluded,
        sum(duplicates_removed) as event_count
    from {{ ref('int_watch_events_classified') }}
    where duplicates_removed > 0
    group by event_date

),

quarantined as (

    select
        cast(_ingested_at as date) as issue_date,
        'quarantined' as issue,
        true as is_excluded,
        count(*) as event_count
    from {{ source('streams', 'watch_events_quarantine') }}
    group by cast(_ingested_at as date)

),

issues as (

    select * from flagged
    union all
    select * from duplicates
    union all
    select * from quarantined

)

select
    {{ surrogate_key(['issue_date', 'issue']) }} as issue_day_id,
    issue_date,
    issue,
    is_excluded,
    cast(event_count as bigint) as event_count
from issues
