-- Grain: one row per campaign and minute (UTC, the minute of the views' end_timestamp), with
-- exactly the case's report schema. Only views that arrived on time count (late ones are in
-- fct_late_views); duplicates are removed upstream. Incremental by minute: see
-- macros/campaign_minutes.sql for which minutes a run recomputes and rewrites as report files.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='minute_timestamp',
    on_schema_change='fail',
    tags=['realtime'],
    pre_hook="{{ campaign_minutes_prepare() }}",
    post_hook=[
        "{{ write_campaign_minute_reports() }}",
        "{{ campaign_minutes_advance() }}",
        "{{ export_parquet() }}",
    ],
) }}

with

views as (

    select deduplicated.*
    from {{ ref('int_campaign_views_deduplicated') }} as deduplicated
    {%- if is_incremental() %}
        inner join {{ campaign_minutes_relation('__changed_minutes') }} as changed_minutes
            on deduplicated.minute_timestamp = changed_minutes.minute_timestamp
    {%- endif %}
    where
        not deduplicated.is_late
        and {{ campaign_minute_is_closed('deduplicated.minute_timestamp') }}

),

campaigns as (

    select * from {{ ref('stg_campaigns__campaigns') }}

),

per_minute as (

    select
        views.campaign_id,
        campaigns.network_id,
        views.minute_timestamp,
        avg(views.duration_seconds) as avg_duration,
        count(*) as total_count
    from views
    left join campaigns on views.campaign_id = campaigns.campaign_id
    group by views.campaign_id, campaigns.network_id, views.minute_timestamp

)

select
    cast(campaign_id as integer) as campaign_id,
    cast(network_id as integer) as network_id,
    cast(minute_timestamp as timestamp) as minute_timestamp,
    cast(avg_duration as double) as avg_duration,
    cast(total_count as integer) as total_count
from per_minute
