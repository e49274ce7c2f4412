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

{#- Spark writes the same folders through an external table over the report folder, partitioned
    by the same keys (network, minute); dynamic partition overwrite replaces the partitions written
    and leaves every other one alone, as DuckDB's OVERWRITE_OR_IGNORE does. Spark rebuilds the
    model in every run (macros/spark/incremental.sql), so it rewrites every minute. Its files are
    named part-*.parquet instead of data_0.parquet; readers see the same columns and types. -#}
{% macro spark__campaign_report_export() -%}
    {%- set reports = api.Relation.create(schema='reports', identifier='campaign_minute') -%}
    {%- do adapter.create_schema(reports) -%}
    {%- do run_query(
        'create table if not exists ' ~ reports ~ ' (campaign_id int, network_id int, minute_timestamp timestamp_ntz,'
        ~ ' avg_duration double, total_count int, network string, minute string) using parquet'
        ~ ' partitioned by (network, minute)'
        ~ " location '" ~ var('data_dir') ~ "/reports/campaign_minute'"
    ) -%}
    {%- do run_query('set spark.sql.sources.partitionOverwriteMode = DYNAMIC') %}
    insert overwrite table {{ reports }} partition (network, minute)
    select
        campaign_id,
        network_id,
        cast(minute_timestamp as timestamp_ntz) as minute_timestamp,
        avg_duration,
        total_count,
        coalesce(cast(network_id as string), 'unknown') as network,
        date_format(minute_timestamp, "yyyyMMdd'T'HHmm") as minute
    from {{ this }}
{%- endmacro %}

{#- Rewrites the changed minutes' report files:
    <data_dir>/reports/campaign_minute/network=<n>/minute=<YYYYMMDDTHHMM>/data_0.parquet
    Each file holds exactly the report's five typed columns. The folder keys are named apart from
    them (network, not network_id) and are not written into the files, so hive readers (pandas,
    pyarrow, DuckDB, Spark) keep the files' types and add the keys as extra columns instead of
    clashing with them; the minute's key has no character that needs escaping, and a view of an
    unknown campaign goes to network=unknown (a null key breaks pandas). See docs/campaign-report.md.
    OVERWRITE_OR_IGNORE replaces the file of each partition written and leaves every other
    partition alone (DuckDB's OVERWRITE would empty the whole folder). -#}
{% macro write_campaign_minute_reports() -%}
    {%- set changed = this if flags.FULL_REFRESH else ref('int_campaign_minutes_to_report') -%}
    copy (
        select
            campaign_id,
            network_id,
            minute_timestamp,
            avg_duration,
            total_count,
            coalesce(cast(network_id as varchar), 'unknown') as network,
            strftime(minute_timestamp, '%Y%m%dT%H%M') as minute
        from {{ this }}
        where minute_timestamp in (select minute_timestamp from {{ changed }})
        order by network_id, minute_timestamp, campaign_id
    ) to '{{ var("data_dir") }}/reports/campaign_minute' (
        format parquet,
        partition_by (network, minute),
        write_partition_columns false,
        overwrite_or_ignore true
    )
{%- endmacro %}
