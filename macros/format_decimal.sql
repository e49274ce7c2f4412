{#- `value` as text with exactly `places` decimals (for report answers). -#}
{% macro format_decimal(value, places) -%}
    {{ return(adapter.dispatch('format_decimal', 'pulse')(value, places)) }}
{%- endmacro %}

{% macro default__format_decimal(value, places) -%}
    format_string('%.{{ places }}f', {{ value }})
{%- endmacro %}

{% macro duckdb__format_decimal(value, places) -%}
    printf('%.{{ places }}f', {{ value }})
{%- endmacro %}
