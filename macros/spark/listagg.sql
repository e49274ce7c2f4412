{#- dbt's Spark listagg ignores the order: the pieces come in whatever order the shuffle gives.
    Here the values are sorted by the order key (then by value) before they are joined, as DuckDB
    does with `order by`. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("listagg with a limit is not supported on Spark") }}
    {%- endif -%}
    {#- null over no (non-null) values, as in DuckDB, not an empty string -#}
    case when count({{ measure }}) > 0 then
    {%- if order_by_clause -%}
        {%- set key = modules.re.sub('^\\s*order\\s+by\\s+', '', order_by_clause, flags=modules.re.I) %}
        array_join(transform(array_sort(collect_list(struct({{ key }} as k, {{ measure }} as v))), p -> p.v), {{ delimiter_text }})
    {%- else %}
        array_join(collect_list({{ measure }}), {{ delimiter_text }})
    {%- endif %}
    end
{%- endmacro %}
