-- Grain: one row per reported minute: when pulse first and last wrote its report, how often,
-- and how many of its on-time views landed after the first report (corrections: a view with an
-- on-time Kafka timestamp that pulse landed late, e.g. from a slow producer, rewrote the report).
-- Unlike every other mart this is bookkeeping of when pulse ran: a replay or a batch run gives the
-- same reports (fct_campaign_views_minute) but another log. Runs with fct_campaign_views_minute
-- (same minutes, same bounds).
-- depends_on: {{ ref('int_campaign_minutes_to_report') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='minute_timestamp',
    tags=['realtime'],
) }}

with

to_report as {{ cte_materialized() }} (

    select minute_timestamp from {{ ref('int_campaign_minutes_to_report') }}

),

reported_at as (

    select {{ this_run('landed_through', for_model='fct_campaign_views_minute') }} as reported_at

),

{% if is_incremental() %}

previous as (

    select
        log.minute_timestamp,
        log.first_reported_at,
        log.report_writes
    from {{ this }} as log
    inner join to_report on log.minute_timestamp = to_report.minute_timestamp

),

{% else %}

    previous as (

        select
            cast(null as {{ dbt.type_timestamp() }}) as minute_timestamp,
            cast(null as {{ dbt.type_timestamp() }}) as first_reported_at,
            cast(null as {{ dbt.type_int() }}) as report_writes
        where 1 = 0

    ),

{% endif %}

minutes as (

    select
        to_report.minute_timestamp,
        coalesce(previous.first_reported_at, reported_at.reported_at) as first_reported_at,
        reported_at.reported_at as last_reported_at,
        coalesce(previous.report_writes, 0) + 1 as report_writes
    from to_report
    cross join reported_at
    left join previous on to_report.minute_timestamp = previous.minute_timestamp

),

on_time_views as (

    select
        minute_timestamp,
        landed_at
    from {{ ref('int_campaign_views_to_report') }}

)

select
    minutes.minute_timestamp,
    minutes.first_reported_at,
    minutes.last_reported_at,
    cast(minutes.report_writes as integer) as report_writes,
    cast(count(on_time_views.landed_at) as integer) as on_time_views,
    cast(sum(case when on_time_views.landed_at > minutes.first_reported_at then 1 else 0 end) as integer)
        as corrected_views
from minutes
left join on_time_views on minutes.minute_timestamp = on_time_views.minute_timestamp
group by minutes.minute_timestamp, minutes.first_reported_at, minutes.last_reported_at, minutes.report_writes
