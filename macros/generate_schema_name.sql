{#- Custom schemas are used as named (`staging`, `intermediate`, `marts`, `bookkeeping`), not
    prefixed with the target's schema as dbt does by default: analysts query `marts.fct_streams`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
