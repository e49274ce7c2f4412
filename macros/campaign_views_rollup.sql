{#- Campaign views per `period` window ('hour', 'day', 'week'; weeks start on Monday), UTC, for
    the customers' reports. Built from every deduplicated view, late ones included: a view too
    late for its minute report still arrives long before its hour, day or week is reported.
    avg_duration is the mean over the window's views (the minute averages weighted by their
    counts), never an average of averages. -#}
{% macro campaign_views_rollup(period) -%}
with

views as (

    select * from {{ ref('int_campaign_views_deduplicated') }}

),

campaigns as (

    select * from {{ ref('stg_campaigns__campaigns') }}

),

per_window as (

    select
        views.campaign_id,
        campaigns.network_id,
        {{ dbt.date_trunc(period, 'views.end_timestamp') }} as window_start,
        {{ mean_seconds("views.duration_seconds") }} as avg_duration,
        count(*) as total_count,
        sum(case when views.is_late then 1 else 0 end) as late_count
    from views
    left join campaigns on views.campaign_id = campaigns.campaign_id
    group by views.campaign_id, campaigns.network_id, {{ dbt.date_trunc(period, 'views.end_timestamp') }}

)

select
    {{ surrogate_key(['campaign_id', 'window_start']) }} as campaign_window_id,
    cast(campaign_id as integer) as campaign_id,
    cast(network_id as integer) as network_id,
    cast(window_start as timestamp) as window_start,
    cast({{ dbt.dateadd(period, 1, 'window_start') }} as timestamp) as window_end,
    cast(avg_duration as double) as avg_duration,
    cast(total_count as integer) as total_count,
    cast(late_count as integer) as late_count
from per_window
{%- endmacro %}
