{#- Bodies of the interaction count models, per `key` (user_id or item_id).

    interaction_minute_counts(key): one row per minute and key, recomputed for the minutes that
    received lake rows (see interactions_in_changed_minutes).

    interaction_totals(key, minute_counts): one row per key with its totals since the beginning,
    summed from the minute counts of the keys whose minutes this run's window changed
    (delete+insert on the key). Re-summing instead of adding the new rows to the stored totals
    keeps them exact when the ingester re-lands (replays) a range: the same rows land again with
    a newer `_ingested_at`, which an additive total would count twice. -#}
{% macro interaction_minute_counts(key) -%}
with

{{ interactions_in_changed_minutes() }}

select
    {{ surrogate_key(['interaction_minute', key]) }} as minute_key_id,
    interaction_minute as minute_start,
    {{ key }},
    count(*) as interaction_count,
    {%- for kind in ['view', 'click', 'purchase'] %}
    sum(case when interaction_type = '{{ kind }}' then 1 else 0 end) as {{ kind }}_count,
    {%- endfor %}
    min(interaction_time) as first_interaction_at,
    max(interaction_time) as last_interaction_at,
    max(ingested_at) as last_ingested_at
from interactions
group by interaction_minute, {{ key }}
{%- endmacro %}

{% macro interaction_totals(key, minute_counts) -%}
with

{% if is_incremental() %}
changed_keys as (

    select distinct {{ key }} from {{ minute_counts }}
    where {{ landed_this_run('last_ingested_at') }}

),

minute_counts as (

    select minute_counts.*
    from {{ minute_counts }} as minute_counts
    inner join changed_keys on minute_counts.{{ key }} = changed_keys.{{ key }}

)
{% else %}
minute_counts as (

    select * from {{ minute_counts }}

)
{% endif %}

select
    {{ key }},
    cast(sum(interaction_count) as bigint) as interaction_count,
    {%- for kind in ['view', 'click', 'purchase'] %}
    cast(sum({{ kind }}_count) as bigint) as {{ kind }}_count,
    {%- endfor %}
    min(first_interaction_at) as first_interaction_at,
    max(last_interaction_at) as last_interaction_at,
    max(last_ingested_at) as last_ingested_at
from minute_counts
group by {{ key }}
{%- endmacro %}
