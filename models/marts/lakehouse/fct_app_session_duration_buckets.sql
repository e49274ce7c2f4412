-- Grain: one row per session duration bucket (all sessions, every bucket listed, empty ones
-- with 0): the distribution of app session durations the dashboard draws.
{{ config(post_hook="{{ export_parquet() }}") }}
with

buckets as (

    select
        bucket_list.bucket_number,
        bucket_list.bucket_label,
        bucket_list.min_seconds,
        bucket_list.max_seconds
    from (
        values
        (1, 'under 1 min', 0, 60),
        (2, '1-5 min', 60, 300),
        (3, '5-15 min', 300, 900),
        (4, '15-30 min', 900, 1800),
        (5, '30-60 min', 1800, 3600),
        (6, '1-2 h', 3600, 7200),
        (7, '2 h and over', 7200, null)
    ) as bucket_list (bucket_number, bucket_label, min_seconds, max_seconds)

),

sessions as (

    select
        duration_seconds,
        interaction_count
    from {{ ref('fct_app_sessions') }}

),

per_bucket as (

    select
        buckets.bucket_number,
        count(sessions.duration_seconds) as session_count,
        sum(sessions.interaction_count) as interaction_count
    from buckets
    left join sessions
        on
            buckets.min_seconds <= sessions.duration_seconds
            and (buckets.max_seconds is null or buckets.max_seconds > sessions.duration_seconds)
    group by buckets.bucket_number

)

select
    buckets.bucket_number,
    buckets.bucket_label,
    cast(buckets.min_seconds as integer) as min_seconds,
    cast(buckets.max_seconds as integer) as max_seconds,
    cast(per_bucket.session_count as integer) as session_count,
    cast(per_bucket.session_count as double) / nullif(sum(per_bucket.session_count) over (), 0) as share_of_sessions,
    cast(per_bucket.interaction_count as double) / nullif(per_bucket.session_count, 0) as avg_actions_per_session

from buckets
inner join per_bucket on buckets.bucket_number = per_bucket.bucket_number
