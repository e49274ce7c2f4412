{#- One row per day (column `spine_date`, a date) from `first_day` to `last_day` (both inclusive), for
    each row of `bounds` (a relation or CTE holding those two columns): so that days without
    any activity still get their row. The default is Spark SQL's; DuckDB uses generate_series. -#}
{% macro day_spine(bounds, first_day='first_day', last_day='last_day') -%}
    {{ return(adapter.dispatch('day_spine', 'pulse')(bounds, first_day, last_day)) }}
{%- endmacro %}

{% macro default__day_spine(bounds, first_day, last_day) -%}
    select days.spine_date
    from {{ bounds }}
    lateral view explode(
        sequence(cast({{ bounds }}.{{ first_day }} as date), cast({{ bounds }}.{{ last_day }} as date), interval 1 day)
    ) days as spine_date
{%- endmacro %}

{% macro duckdb__day_spine(bounds, first_day, last_day) -%}
    select cast(days.day_start as date) as spine_date
    from {{ bounds }},
        generate_series(
            cast({{ bounds }}.{{ first_day }} as timestamp),
            cast({{ bounds }}.{{ last_day }} as timestamp),
            interval '1 day'
        ) as days (day_start)
{%- endmacro %}
