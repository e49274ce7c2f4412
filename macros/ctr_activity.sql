{#- The CTR marts' shared pieces (fct_product_activity_minute, fct_product_activity_hourly). -#}

{#- The minutes (GMT-3) that lake rows landed in the calling model's run touch: product views, orders,
    and the orders of order items. A model recomputes these minutes (or their hours) in full. -#}
{% macro ctr_minutes_landed_this_run() -%}
    {%- set offset_hours = var('ctr_utc_offset_hours') -%}
    select {{ dbt.date_trunc('minute', dbt.dateadd('hour', offset_hours, 'pv.event_time')) }} as activity_minute
    from {{ source('ctr', 'product_views') }} as pv
    where {{ landed_this_run('pv._ingested_at', for_model=current_model_name()) }}
    union
    select {{ dbt.date_trunc('minute', 'o.order_date') }} as activity_minute
    from {{ source('ctr', 'orders') }} as o
    where {{ landed_this_run('o._ingested_at', for_model=current_model_name()) }}
    union
    select {{ dbt.date_trunc('minute', 'o.order_date') }} as activity_minute
    from {{ source('ctr', 'order_items') }} as oi
    inner join {{ source('ctr', 'orders') }} as o on oi.order_id = o.id
    where {{ landed_this_run('oi._ingested_at', for_model=current_model_name()) }}
{%- endmacro %}

{#- Post-hook of fct_product_activity_hourly: the CTR API's answers at 60-minute buckets, written
    ahead, one row per hour and platform (`answer_json`: that hour's JSON objects, ordered by
    product and joined by commas, exactly as `GET /ctr?aggregation=60` renders them), in one file
    per day: <data_dir>/exports/ctr_hourly_answers/day=<YYYY-MM-DD>/data_0.parquet. Only the days
    of this run's recomputed hours are rewritten (every day on a first run or full refresh);
    OVERWRITE_OR_IGNORE leaves the other days' files alone. An export step: DuckDB writes it, other
    targets skip it (dispatch). pulse/serve/ctr_query.py reads it and renders the same objects
    itself for every other request; tests/pulse/test_api_ctr.py holds the two to the same bytes. -#}
{% macro ctr_hourly_answers_export() -%}
    {{ return(adapter.dispatch('ctr_hourly_answers_export', 'pulse')()) }}
{%- endmacro %}

{% macro default__ctr_hourly_answers_export() -%}
    select 1 as ctr_hourly_answers_export_skipped
{%- endmacro %}

{% macro duckdb__ctr_hourly_answers_export() -%}
    copy (
        select
            activity_hour,
            platform,
            string_agg(
                '{"timestamp":"' || strftime(activity_hour, '%Y-%m-%d %H:%M:%S')
                || '","platform":' || to_json(platform)
                || ',"product":' || to_json(product)
                || ',"CTR":' || coalesce(to_json(case when product_views > 0 then printf('%.4f', purchases / product_views) end), 'null')
                || '}',
                ',' order by product
            ) as answer_json,
            strftime(activity_hour, '%Y-%m-%d') as day
        from {{ this }}
        {%- if not flags.FULL_REFRESH %}
        where cast(activity_hour as date) in (
            select distinct cast(activity_minute as date) from ({{ ctr_minutes_landed_this_run() }}) as landed
        )
        {%- endif %}
        group by activity_hour, platform
        order by activity_hour, platform
    ) to '{{ var("data_dir") }}/exports/ctr_hourly_answers' (
        format parquet,
        compression zstd,
        partition_by (day),
        write_partition_columns false,
        overwrite_or_ignore true
    )
{%- endmacro %}
