{#- The `interactions` CTE of a minute-grain incremental model (delete+insert on minute_start):
    on an incremental run, every interaction of the minutes that received lake rows since the
    model's landing watermark (`landed_since()`, with the lookback), read with a constant time
    bound so DuckDB skips older row groups; on a full refresh, all of them. Recomputing whole
    minutes makes late records, re-reads and re-landed (replayed) files exact. -#}
{% macro interactions_in_changed_minutes() -%}
{% if is_incremental() %}
    {%- set since = landed_since() %}
    {%- set new_minutes_sql %}
        select distinct {{ dbt.date_trunc('minute', 'interactions.timestamp') }} as minute_start
        from {{ source('interactions', 'interactions') }} as interactions
        where _ingested_at > {{ since }}
    {%- endset %}
    {%- set earliest = query_timestamp('select min(minute_start) from (' ~ new_minutes_sql ~ ')') %}
new_minutes as (
    {{ new_minutes_sql }}
),

interactions as (

    select interactions.*
    from {{ ref('stg_interactions__events') }} as interactions
    inner join new_minutes on interactions.interaction_minute = new_minutes.minute_start
    -- A constant bound: lets DuckDB skip the lake's older row groups entirely.
    where interactions.interaction_time >= {{ earliest }}

)
{% else %}
interactions as (

    select * from {{ ref('stg_interactions__events') }}

)
{% endif %}
{%- endmacro %}
