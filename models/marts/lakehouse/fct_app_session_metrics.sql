-- Grain: one row per session day, country and device type (the user's, from dim_users), with
-- the device type's class (mobile, tablet, desktop; other for a type never seen before, unknown
-- when missing), the case's device dimension. Averages are per session; the totals beside them
-- let a reader re-aggregate over days, countries, device types or classes correctly (sum of
-- totals / sum of session_count, never an average of averages).
{{ config(post_hook="{{ export_parquet() }}") }}
with

sessions as (

    select * from {{ ref('fct_app_sessions') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

per_group as (

    select
        sessions.session_date,
        users.country,
        users.device_class,
        users.device_type,
        count(*) as session_count,
        count(distinct sessions.user_id) as user_count,
        sum(sessions.interaction_count) as interaction_count,
        -- Summed as exact microseconds: a sum of doubles depends on the (parallel) order of
        -- its terms, so an incremental and a full build could differ in the last digits.
        sum(cast(sessions.duration_seconds as decimal(38, 6))) as total_duration_seconds
    from sessions
    inner join users on sessions.user_id = users.user_id
    group by sessions.session_date, users.country, users.device_class, users.device_type

)

select
    {{ surrogate_key(['session_date', 'country', 'device_type']) }} as session_metric_id,
    session_date,
    country,
    device_class,
    device_type,
    cast(session_count as integer) as session_count,
    cast(user_count as integer) as user_count,
    cast(interaction_count as integer) as interaction_count,
    cast(total_duration_seconds as double) as total_duration_seconds,
    cast(total_duration_seconds as double) / session_count as avg_session_duration_seconds,
    cast(interaction_count as double) / session_count as avg_actions_per_session

from per_group
