-- Grain: one row per campaign and day (UTC). See macros/campaign_views_rollup.sql.
{{ config(post_hook="{{ export_parquet() }}") }}

{{ campaign_views_rollup('day') }}
