{#- dbt's spark__dateadd goes through whole unix seconds: it drops fractions of a second and adds
    nothing for milliseconds. The sub-day parts here add an exact interval, as DuckDB does
    (dbt_project.yml puts this project first in dbt's dispatch search order). -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- set seconds = {'hour': 3600, 'minute': 60, 'second': 1, 'millisecond': 0.001, 'microsecond': 0.000001} -%}
    {%- if datepart in seconds -%}
        ({{ from_date_or_timestamp }} + make_dt_interval(0, 0, 0, cast(({{ interval }}) * {{ seconds[datepart] }} as decimal(18, 6))))
    {%- else -%}
        {{ return(dbt.spark__dateadd(datepart, interval, from_date_or_timestamp)) }}
    {%- endif -%}
{%- endmacro %}
