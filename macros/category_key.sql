{#- The comparable form of a source-driven category value: trimmed, lower case, spaces and dashes
    as `_`, empty as null ('Android Phone', 'android-phone ' -> 'android_phone'). Vocabulary
    look-ups join on it, so a change of spelling in a source is not a new value. -#}
{% macro category_key(expression) -%}
    nullif(replace(replace(lower(trim({{ expression }})), ' ', '_'), '-', '_'), '')
{%- endmacro %}
