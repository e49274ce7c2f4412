{#- Body of the running-total marts fct_interactions_per_user / fct_interactions_per_item: one
    row per `key` with counts since the beginning of time.

    Incremental by addition: only lake rows landed after the newest `last_ingested_at` already
    counted are read, aggregated per key and added to that key's stored totals (the model's
    `delete+insert` on the key swaps the row). Counts are additive, so a run costs what the new rows
    cost. The watermark is strict (no lookback, which would count rows twice): run ingestion and
    dbt one after the other, as `pulse run` does, so no file lands behind a run's back. -#}
{% macro interaction_totals(key) -%}
with

{% if is_incremental() %}
    {%- set since = landed_since(lookback_seconds=0) %}
new_interactions as (

    select * from {{ ref('stg_interactions__events') }}
    where ingested_at > {{ since }}

),
{% else %}
new_interactions as (

    select * from {{ ref('stg_interactions__events') }}

),
{% endif %}

new_totals as (

    select
        {{ key }},
        count(*) as interaction_count,
        {%- for kind in ['view', 'click', 'purchase'] %}
        sum(case when interaction_type = '{{ kind }}' then 1 else 0 end) as {{ kind }}_count,
        {%- endfor %}
        min(interaction_time) as first_interaction_at,
        max(interaction_time) as last_interaction_at,
        max(ingested_at) as last_ingested_at
    from new_interactions
    group by {{ key }}

)

{% if is_incremental() %}
select
    new_totals.{{ key }},
    new_totals.interaction_count + coalesce(stored.interaction_count, 0) as interaction_count,
    {%- for kind in ['view', 'click', 'purchase'] %}
    new_totals.{{ kind }}_count + coalesce(stored.{{ kind }}_count, 0) as {{ kind }}_count,
    {%- endfor %}
    least(new_totals.first_interaction_at, stored.first_interaction_at) as first_interaction_at,
    greatest(new_totals.last_interaction_at, stored.last_interaction_at) as last_interaction_at,
    greatest(new_totals.last_ingested_at, stored.last_ingested_at) as last_ingested_at
from new_totals
left join {{ this }} as stored on new_totals.{{ key }} = stored.{{ key }}
{% else %}
select * from new_totals
{% endif %}
{%- endmacro %}
