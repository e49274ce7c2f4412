{#- Gap-based sessionization, shared by web sessions and watch streams (and anyone else).

    Emits CTEs (to paste after `with` or a comma) that tag every row of `relation` with the
    session it belongs to. Within each `partition_by` group, ordered by `time_column` then
    `tie_breakers`, a row starts a new session when it is the first, when it comes more than
    `max_gap_seconds` after the previous row (exactly the gap still continues), or when any of
    `break_columns` differs from the previous row's value. The last CTE, named `name`, holds the
    input columns plus:
      `is_session_start` (boolean), `session_number` (1, 2, ... per partition),
      `session_start` (time of the session's first row) and `id_column`, a stable hash of the
      partition columns and `session_start` (never a running number, so it survives re-runs).
-#}
{% macro sessionize(name, relation, partition_by, time_column, max_gap_seconds,
                    tie_breakers=[], break_columns=[], id_column='session_id') -%}
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
            when {{ time_column }} > {{ dbt.dateadd('second', max_gap_seconds, '_previous_time') }} then 1
            {%- for column in break_columns %}
            when coalesce(cast({{ column }} as {{ dbt.type_string() }}), '_pulse_null_')
                != coalesce(cast(_previous_{{ column }} as {{ dbt.type_string() }}), '_pulse_null_') then 1
            {%- endfor %}
            else 0
        end as _starts_session
    from {{ name }}__previous

),

{{ name }}__numbered as (

    select
        *,
        sum(_starts_session) over (
            partition by {{ partition }} order by {{ ordering }}
            rows between unbounded preceding and current row
        ) as session_number
    from {{ name }}__flagged

),

{{ name }}__started as (

    select
        *,
        min({{ time_column }}) over (partition by {{ partition }}, session_number) as session_start
    from {{ name }}__numbered

),

{{ name }} as (

    select
        *,
        {{ surrogate_key(partition_by + ['session_start']) }} as {{ id_column }},
        _starts_session = 1 as is_session_start
    from {{ name }}__started

)
{%- endmacro %}
