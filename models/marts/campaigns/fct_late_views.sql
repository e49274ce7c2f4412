-- Grain: one row per late view (view_id): a streamed view that arrived more than
-- `campaign_view_lateness_seconds` after its minute closed, so its minute's report went out
-- without it. Kept here, with its campaign, network and how late it was, never dropped.
-- Incremental: views (re)processed upstream since the newest processed_at here replace their rows.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='view_id',
    on_schema_change='fail',
    tags=['realtime'],
    post_hook="{{ export_parquet() }}",
) }}

{%- if is_incremental() %}
    {%- set since = query_timestamp("select coalesce(max(processed_at), timestamp '1970-01-01') from " ~ this) %}
{%- else %}
    {%- set since = "timestamp '1970-01-01'" %}
{%- endif %}

with

views as (

    select *
    from {{ ref('int_campaign_views_deduplicated') }}
    where is_late and processed_at > {{ since }}

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
    views.processed_at
from views
left join campaigns on views.campaign_id = campaigns.campaign_id
