{#- The campaign minute report folder: written by fct_campaign_views_minute's post-hook
    (campaign_report_export) for the minutes of int_campaign_minutes_to_report, every minute on a
    full refresh. An export step: DuckDB writes the folder; other targets skip it (dispatch). -#}

{% macro campaign_report_export() -%}
    {{ return(adapter.dispatch('campaign_report_export', 'pulse')()) }}
{%- endmacro %}

{% macro default__campaign_report_export() -%}
    select 1 as campaign_report_export_skipped
{%- endmacro %}

{% macro duckdb__campaign_report_export() -%}
    {{ write_campaign_minute_reports() }}
{%- endmacro %}

{#- Rewrites the changed minutes' report files:
    <data_dir>/reports/campaign_minute/network_id=<n>/minute_timestamp=<ts>/data_0.parquet
    (folder values hive-encoded, e.g. `minute_timestamp=2024-05-01%2010%3A00%3A00`), the report
    columns inside every file too. OVERWRITE_OR_IGNORE replaces the file of each partition written
    and leaves every other partition alone (DuckDB's OVERWRITE would empty the whole folder). -#}
{% macro write_campaign_minute_reports() -%}
    {%- set changed = this if flags.FULL_REFRESH else ref('int_campaign_minutes_to_report') -%}
    copy (
        select campaign_id, network_id, minute_timestamp, avg_duration, total_count
        from {{ this }}
        where minute_timestamp in (select minute_timestamp from {{ changed }})
        order by network_id, minute_timestamp, campaign_id
    ) to '{{ var("data_dir") }}/reports/campaign_minute' (
        format parquet,
        partition_by (network_id, minute_timestamp),
        write_partition_columns true,
        overwrite_or_ignore true
    )
{%- endmacro %}
