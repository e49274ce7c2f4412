{#- Gap-based sessionization, shared by web sessions and watch streams (and anyone else).

    Emits CTEs (to paste after `with` or a comma) that tag every row of `relation` with the
    session it belongs to. Within each `partition_by` group, ordered by `time_column` then
    `tie_breakers`, a row starts a new session when it is the first, when it comes more than
    `max_gap_seconds` after the previous row (exactly the gap still continues, unless
    `gap_starts_session`: then a gap of exactly `max_gap_seconds` starts one too), or when any of
    `break_columns` differs from the previous row's value. The last CTE, named `name`, holds the
    input columns plus `is_session_start` (boolean) and `session_number` (1, 2, ... per partition)
    and, when `row_level` (the default), `session_start` (time of the session's first row) and
    `id_column`, a stable hash of the partition columns and `session_start` (never a running
    number, so it survives re-runs). Marts that aggregate per session pass `row_level=false`
    and derive both per session: one window pass and one hash per session instead of per row.
-#}
{% macro sessionize(name, relation, partition_by, time_column, max_gap_seconds,
                    tie_breakers=[], break_columns=[], id_column='session_id', row_level=true,
                    gap_starts_session=false) -%}
{%- set partition = partition_by | join(', ') -%}
{%- set ordering = ([time_column] + tie_breakers) | join(', ') -%}
{{ name }}__previous as (

    select
        *,
        lag({{ time_column }}) over (partition by {{ partition }} order by {{ ordering }}) as _previous_time
        {%- for column in break_columns %},
        lag({{ column }}) over (partition by {{ partition }} order by {{ ordering }}) as _previous_{{ column }}
        {%- endfor %}
    from {{ relation }}

),

{{ name }}__flagged as (

    select
        *,
        case
            when _previous_time is null then 1
            when {{ time_column }} {{ '>=' if gap_starts_session else '>' }}
                {{ dbt.dateadd('second', max_gap_seconds, '_previous_time') }} then 1
            {%- for column in break_columns %}
            when coalesce(cast({{ column }} as {{ dbt.type_string() }}), '_pulse_null_')
                != coalesce(cast(_previous_{{ column }} as {{ dbt.type_string() }}), '_pulse_null_') then 1
            {%- endfor %}
            else 0
        end as _starts_session
    from {{ name }}__previous

),

{%- if row_level %}
{{ name }}__numbered as (
{%- else %}
{{ name }} as (
{%- endif %}

    select
        *,
        _starts_session = 1 as is_session_start,
        sum(_starts_session) over (
            {#- Rows tied in time are never apart (no gap between them), so without break columns
                the running count can order by time alone, peers together: a cheaper sort than the
                tie-broken one, with the same result. A break column can split tied rows. #}
            {%- if break_columns %}
            partition by {{ partition }} order by {{ ordering }}
            rows between unbounded preceding and current row
            {%- else %}
            partition by {{ partition }} order by {{ time_column }}
            range between unbounded preceding and current row
            {%- endif %}
        ) as session_number
    from {{ name }}__flagged

)
{%- if row_level %},

{{ name }} as (

    select
        *,
        {{ surrogate_key(partition_by + ['session_start']) }} as {{ id_column }}
    from (
        select
            *,
            min({{ time_column }}) over (partition by {{ partition }}, session_number) as session_start
        from {{ name }}__numbered
    ) as started

)
{%- endif %}
{%- endmacro %}
