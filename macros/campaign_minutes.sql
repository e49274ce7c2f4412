{#- Bookkeeping of fct_campaign_views_minute: which minutes a run (re)computes and reports.

    A minute is reported once it is closed: in the live loop when its end is at or before the
    view_log watermark (`var('watermark_view_log')`, the newest landed view minus the allowed
    10 s), in batch runs (no watermark) always. A minute is (re)computed when it is closed and
    either had views (re)processed by int_campaign_views_deduplicated since the last report run
    (state: `<mart>__state.processed_through`), or is newer than every minute already reported.
    The pre-hook writes that set to `<mart>__changed_minutes`; the model recomputes those
    minutes and the post-hooks rewrite exactly their report folders, then advance the state. -#}

{% macro campaign_minutes_relation(suffix) -%}
    {{ return(api.Relation.create(database=this.database, schema=this.schema, identifier=this.identifier ~ suffix)) }}
{%- endmacro %}

{% macro campaign_minute_is_closed(minute_column) -%}
    {%- if var('watermark_view_log') is none -%}
        true
    {%- else -%}
        {{ dbt.dateadd('minute', 1, minute_column) }} <= timestamp '{{ var("watermark_view_log") }}'
    {%- endif -%}
{%- endmacro %}

{% macro campaign_minutes_prepare() -%}
    {%- set state = campaign_minutes_relation('__state') -%}
    {%- set changed = campaign_minutes_relation('__changed_minutes') -%}
    create table if not exists {{ state }} (processed_through timestamp);
    create or replace table {{ changed }} as
    select distinct views.minute_timestamp
    from {{ ref('int_campaign_views_deduplicated') }} as views
    where {{ campaign_minute_is_closed('views.minute_timestamp') }}
    {%- if is_incremental() %}
        and (
            views.processed_at > (select coalesce(max(processed_through), timestamp '1970-01-01') from {{ state }})
            or views.minute_timestamp > (
                select coalesce(max(minute_timestamp), timestamp '1970-01-01') from {{ this }}
            )
        )
    {%- endif %}
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
    {%- set changed = campaign_minutes_relation('__changed_minutes') -%}
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

{% macro campaign_minutes_advance() -%}
    {%- set state = campaign_minutes_relation('__state') -%}
    delete from {{ state }};
    insert into {{ state }}
    select max(processed_at) from {{ ref('int_campaign_views_deduplicated') }}
{%- endmacro %}
