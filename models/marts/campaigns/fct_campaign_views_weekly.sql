-- Grain: one row per campaign and week (UTC). See macros/campaign_views_rollup.sql.
{{ config(post_hook="{{ export_parquet() }}") }}

{{ campaign_views_rollup('week') }}
