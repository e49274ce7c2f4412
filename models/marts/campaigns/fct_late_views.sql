-- Grain: one row per late view (view_id): a streamed view whose first copy arrived (Kafka record
-- timestamp) more than `campaign_view_lateness_seconds` after its minute closed, so its minute's
-- report went out without it. Kept here, with its campaign, network and how late it was, never
-- dropped. A view over int_campaign_views_deduplicated, exact whatever landed when.
{{ config(materialized='view', tags=['realtime'], post_hook="{{ export_parquet() }}") }}

with

views as (

    select * from {{ ref('int_campaign_views_deduplicated') }}
    where is_late

),

campaigns as (

    select * from {{ ref('stg_campaigns__campaigns') }}

)

select
    views.view_id,
    views.campaign_id,
    campaigns.network_id,
    views.banner_id,
    views.minute_timestamp,
    views.start_timestamp,
    views.end_timestamp,
    views.duration_seconds,
    views.minute_closed_at,
    views.arrived_at,
    views.arrived_after_close_seconds,
    views.copies_landed,
    views.landed_at
from views
left join campaigns on views.campaign_id = campaigns.campaign_id
