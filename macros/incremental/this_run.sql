{#- How a model reads this run's bounds (run_bounds.sql; docs/incremental.md). Every incremental
    model uses these and nothing else to know what is new: the values are read when the model
    runs, so its compiled SQL does not change between runs. -#}

{#- One bound of the calling model for this run, as a scalar subquery: landed_after,
    landed_through, closed_after, closed_through, backfill_from or backfill_through.
    `for_model`: the bounds of another (incremental) model, for a view or per-run table that
    prepares its input. -#}
{% macro this_run(bound, for_model=none) -%}
    (select {{ bound }} from {{ source('pulse_run', 'run_bounds') }} where model_name = '{{ for_model or current_model_name() }}')
{%- endmacro %}

{#- The model being rendered; in a unit test, the model it tests. -#}
{% macro current_model_name() -%}
    {%- if model.resource_type == 'unit_test' -%}
        {{ return(model.tested_node_unique_id.split('.')[-1]) }}
    {%- endif -%}
    {{ return(model.name) }}
{%- endmacro %}

{#- A predicate keeping the rows landed in this run's window. On a first run or a full refresh the
    model reads everything landed up to this run's start (a model new to the manifest has
    landed_after 1970, so `for_model` needs no such case). -#}
{% macro landed_this_run(column, for_model=none) -%}
    {%- if for_model is not none or is_incremental() -%}
        {{ column }} > {{ this_run('landed_after', for_model) }} and {{ column }} <= {{ this_run('landed_through', for_model) }}
    {%- else -%}
        {{ column }} <= {{ this_run('landed_through') }}
    {%- endif -%}
{%- endmacro %}

{#- A predicate keeping rows at or after `bound_sql` by event time, written so that the engine can
    skip what lies before it: on the event-time column (Parquet row-group statistics) and, when
    given, on the lake's hive `date` partition column (whole files). `bound_sql` may be a scalar
    subquery; a null bound keeps nothing. It is compared as the far future instead: DuckDB turns a
    subquery's value into a filter inside the scan, but not a null one, and would read every file
    only to keep nothing. -#}
{% macro event_time_from(column, bound_sql, date_column=none) -%}
    {%- set bound = 'coalesce(' ~ bound_sql ~ ', ' ~ far_future() ~ ')' -%}
    {{ column }} >= {{ bound }}
    {%- if date_column %} and {{ date_column }} >= cast({{ bound }} as date){%- endif %}
{%- endmacro %}
