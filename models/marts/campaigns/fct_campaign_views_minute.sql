-- Grain: one row per campaign and minute (UTC, the minute of the views' end_timestamp), with
-- exactly the case's report schema. Only views that arrived on time count, once each
-- (int_campaign_views_to_report; late ones are in fct_late_views).
-- Event-time rule: see int_campaign_minutes_to_report (a minute is reported once closed on the
-- view_log arrival clock, and rewritten when an on-time view lands later).
-- Incremental (docs/incremental.md): the minutes of int_campaign_minutes_to_report are recomputed
-- and their report folders rewritten (write_campaign_minute_reports).
-- live_priority: `pulse run` builds it and writes its reports first in a cycle (pulse/live/replay_order.py).
-- depends_on: {{ ref('int_campaign_minutes_to_report') }} (its report hook rewrites those minutes' folders)
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='minute_timestamp',
    tags=['realtime'],
    meta={'clock_source': 'view_log', 'live_priority': 1},
    post_hook=[
        "{{ campaign_report_export() }}",
        "{{ export_parquet() }}",
    ],
) }}

with

views as (

    select * from {{ ref('int_campaign_views_to_report') }}

),

campaigns as (

    select * from {{ ref('stg_campaigns__campaigns') }}

),

per_minute as (

    select
        views.campaign_id,
        campaigns.network_id,
        views.minute_timestamp,
        {{ mean_seconds("views.duration_seconds") }} as avg_duration,
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
