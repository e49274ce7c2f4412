-- Grain: one row per app session: a user's valid interactions (duration 0-2 h, deduplicated) on
-- one UTC day, each less than `lakehouse_session_gap_minutes` (30) after the previous one. A gap
-- of 30 minutes or more starts a new session, and so does midnight (a session never spans two
-- days). It lasts from its first interaction's start to the latest end (start + duration_ms)
-- of its interactions, so a single-interaction session lasts that interaction's duration.
-- Incremental by session day like fct_app_interactions (macros/lakehouse_days.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='session_date',
    day_column='session_date',
    partition_by=('session_date' if target.type == 'spark' else none),
) }}


with

{% if is_incremental() %}

days_this_run as (

    {{ lakehouse_days_this_run(ref('fct_app_interactions'), 'interaction_date', 'last_ingested_at') }}

),

{% endif %}

interactions as (

    select
        user_id,
        interaction_date,
        interaction_time,
        action_type,
        page_id,
        duration_ms,
        last_ingested_at
    from {{ ref('fct_app_interactions') }}
    where
        is_duration_valid
        and {{ lakehouse_day_filter('interaction_date') }}

),

-- Partitioned by user and day: the midnight split is the partition boundary.
{{ sessionize(
    'sessionized', 'interactions', ['user_id', 'interaction_date'], 'interaction_time',
    var('lakehouse_session_gap_minutes') * 60,
    tie_breakers=['action_type', 'page_id'], row_level=false, gap_starts_session=true,
) }},

sessions as (

    select
        user_id,
        interaction_date as session_date,
        min(interaction_time) as session_start,
        max({{ dbt.dateadd('millisecond', 'duration_ms', 'interaction_time') }}) as session_end,
        count(*) as interaction_count,
        count(distinct page_id) as page_count,
        max(last_ingested_at) as last_ingested_at
    from sessionized
    group by user_id, interaction_date, session_number

)

select
    {{ surrogate_key(['user_id', 'session_start']) }} as session_id,
    user_id,
    session_date,
    session_start,
    cast(session_end as timestamp) as session_end,
    {{ seconds_between('session_start', 'session_end') }} as duration_seconds,
    interaction_count,
    page_count,
    last_ingested_at

from sessions
