{#- This dbt invocation's start time (UTC) as a SQL timestamp literal. Incremental models stamp
    the rows they (re)write with it, so a later model can pick up exactly what changed since it
    last looked, even when the two ran in different invocations. -#}
{% macro run_timestamp() -%}
    timestamp '{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}'
{%- endmacro %}
