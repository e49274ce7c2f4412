{#- A stable hash of several columns (nulls included), like dbt_utils.generate_surrogate_key,
    written here because dbt Hub packages are unreachable. -#}
{% macro surrogate_key(columns) -%}
    md5(
        {%- for column in columns %}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '_pulse_null_')
        {%- if not loop.last %} || '|' ||{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
