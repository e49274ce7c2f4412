{#- Bodies of the interaction count models, per `key` (user_id or item_id).

    interaction_minute_counts(key): one row per minute and key; an incremental run recomputes
    the (minute, key) pairs with lake rows landed in its window, each from all of that pair's rows
    (interactions_in_changed_minutes(key); delete+insert on minute and key), and leaves the other
    keys of those minutes alone: a busy minute's other keys are neither re-counted nor rewritten
    each cycle.

    interaction_settled(key, minute_counts): one row per key with its counts summed over the
    minutes before a boundary, `settled_through`: the newest minute minus
    `interaction_settle_after_minutes`. Each run moves the boundary on (never back) and adds the
    minutes it passed to the keys that have them; a key with a minute before the old boundary
    rewritten in this run (a record later than that) is summed again from all its minutes.

    interaction_totals(key, minute_counts, settled): one row per key with its totals since the
    beginning, for the keys whose minutes this run's window changed (delete+insert on the key):
    the key's settled counts plus its minutes from the boundary on, so a run reads a few minutes
    of minute rows and the settled rows of the changed keys instead of every minute since the
    beginning (which grew with the run). A key with a minute before the boundary rewritten in this
    run is summed from all its minutes. Summing the stored minutes again instead of adding the new
    lake rows to the stored totals keeps them exact when the ingester re-lands (replays) a range:
    the same rows land again with a newer `_ingested_at`, which an additive total would count
    twice; a rewritten minute replaces its count. The changed keys go through few_keys, so the
    settled rows are probed with them instead of hashed whole each run. -#}
{% macro interaction_minute_counts(key) -%}
with

{{ interactions_in_changed_minutes(key) }}

select
    {{ surrogate_key(['interaction_minute', key]) }} as minute_key_id,
    interaction_minute as minute_start,
    {{ key }},
    count(*) as interaction_count,
    {#- bigint as count(*): DuckDB sums integers to HUGEINT, whose stored columns it reads ~100x
        slower than bigint ones (the per-user totals' scan of a few minutes of these rows took
        0.19 s a cycle, 0.03 s as bigint; docs/live.md). #}
    {%- for kind in ['view', 'click', 'purchase'] %}
    cast(sum(case when interaction_type = '{{ kind }}' then 1 else 0 end) as bigint) as {{ kind }}_count,
    {%- endfor %}
    min(interaction_time) as first_interaction_at,
    max(interaction_time) as last_interaction_at,
    max(ingested_at) as last_ingested_at
from interactions
group by interaction_minute, {{ key }}
{%- endmacro %}

{#- The summed count columns of a set of minute (or settled) rows, aggregated per key. -#}
{% macro interaction_count_sums() -%}
    cast(sum(interaction_count) as bigint) as interaction_count,
    {%- for kind in ['view', 'click', 'purchase'] %}
    cast(sum({{ kind }}_count) as bigint) as {{ kind }}_count,
    {%- endfor %}
    min(first_interaction_at) as first_interaction_at,
    max(last_interaction_at) as last_interaction_at,
    max(last_ingested_at) as last_ingested_at
{%- endmacro %}

{#- The count columns of a minute (or settled) row, prefixed by its relation's alias. -#}
{% macro interaction_count_columns(alias) -%}
    {%- for column in ['interaction_count', 'view_count', 'click_count', 'purchase_count',
                       'first_interaction_at', 'last_interaction_at', 'last_ingested_at'] %}
    {{ alias }}.{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro interaction_settled(key, minute_counts) -%}
{%- set newest_boundary = dbt.dateadd('minute', -var('interaction_settle_after_minutes'), 'max(minute_start)') -%}
with

{% if is_incremental() %}
bounds as (

    select
        previous.settled_through as settled_from,
        case
            when previous.settled_through is null or newest.settled_through > previous.settled_through
                then newest.settled_through
            else previous.settled_through
        end as settled_through
    from (select max(settled_through) as settled_through from {{ this }}) as previous
    cross join (select {{ newest_boundary }} as settled_through from {{ minute_counts }}) as newest

),

-- Keys with a minute before the old boundary rewritten in this run: summed again from all of it.
late_keys as (

    select distinct minute_counts.{{ key }}
    from {{ minute_counts }} as minute_counts
    where
        {{ landed_this_run('minute_counts.last_ingested_at') }}
        and minute_counts.minute_start < (select settled_from from bounds)

),

-- The minutes the boundary passed in this run (every minute before it when nothing is settled yet).
newly_settled as (

    select minute_counts.*
    from {{ minute_counts }} as minute_counts
    where
        minute_counts.minute_start >= coalesce((select settled_from from bounds), {{ far_past() }})
        and minute_counts.minute_start < (select settled_through from bounds)
        and minute_counts.{{ key }} not in (select late_keys.{{ key }} from late_keys)

),

counts as (

    select
        minute_counts.{{ key }},
        {{- interaction_count_columns('minute_counts') }}
    from {{ minute_counts }} as minute_counts
    inner join late_keys on minute_counts.{{ key }} = late_keys.{{ key }}
    where minute_counts.minute_start < (select settled_through from bounds)

    union all

    select
        newly_settled.{{ key }},
        {{- interaction_count_columns('newly_settled') }}
    from newly_settled

    union all

    select
        previous.{{ key }},
        {{- interaction_count_columns('previous') }}
    from {{ this }} as previous
    where previous.{{ key }} in (select newly_settled.{{ key }} from newly_settled)

)
{% else %}
bounds as (

    select {{ newest_boundary }} as settled_through
    from {{ minute_counts }}

),

counts as (

    select minute_counts.*
    from {{ minute_counts }} as minute_counts
    where minute_counts.minute_start < (select settled_through from bounds)

)
{% endif %}

select
    {{ key }},
    {{- interaction_count_sums() }},
    (select settled_through from bounds) as settled_through
from counts
group by {{ key }}
{%- endmacro %}

{% macro interaction_totals(key, minute_counts, settled) -%}
with

{% if is_incremental() %}
changed_keys as (

    {%- set landed_keys %}
    select distinct {{ key }} from {{ minute_counts }}
    where {{ landed_this_run('last_ingested_at') }}
    {%- endset %}
    {{ few_keys(landed_keys, key) }}

),

boundary as (

    select max(settled_through) as settled_through from {{ settled }}

),

-- Keys with a minute before the boundary rewritten in this run: their settled counts may not hold
-- it yet (the settled model had not run since), so all their minutes are summed.
late_keys as (

    select distinct {{ key }} from {{ minute_counts }}
    where
        {{ landed_this_run('last_ingested_at') }}
        and minute_start < (select settled_through from boundary)

),

counts as (

    -- The changed keys' minutes from the boundary on (all of them while nothing is settled).
    select
        minute_counts.{{ key }},
        {{- interaction_count_columns('minute_counts') }}
    from {{ minute_counts }} as minute_counts
    inner join changed_keys on minute_counts.{{ key }} = changed_keys.{{ key }}
    where
        minute_counts.minute_start >= coalesce((select settled_through from boundary), {{ far_past() }})
        and minute_counts.{{ key }} not in (select late_keys.{{ key }} from late_keys)

    union all

    -- and what they had before it.
    select
        settled.{{ key }},
        {{- interaction_count_columns('settled') }}
    from {{ settled }} as settled
    inner join changed_keys on settled.{{ key }} = changed_keys.{{ key }}
    where settled.{{ key }} not in (select late_keys.{{ key }} from late_keys)

    union all

    select
        minute_counts.{{ key }},
        {{- interaction_count_columns('minute_counts') }}
    from {{ minute_counts }} as minute_counts
    inner join late_keys on minute_counts.{{ key }} = late_keys.{{ key }}

)
{% else %}
counts as (

    select * from {{ minute_counts }}

)
{% endif %}

select
    {{ key }},
    {{- interaction_count_sums() }}
from counts
group by {{ key }}
{%- endmacro %}
