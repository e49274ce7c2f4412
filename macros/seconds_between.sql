{#- Exact elapsed seconds (with fraction) from `start` to `finish`.
    dbt.datediff counts unit boundaries crossed, which is not an elapsed time. -#}
{% macro seconds_between(start, finish) -%}
    {{ return(adapter.dispatch('seconds_between', 'pulse')(start, finish)) }}
{%- endmacro %}

{% macro default__seconds_between(start, finish) -%}
    ({{ dbt.datediff(start, finish, 'millisecond') }} / 1000.0)
{%- endmacro %}

{% macro duckdb__seconds_between(start, finish) -%}
    ((epoch_us({{ finish }}) - epoch_us({{ start }})) / 1000000.0)
{%- endmacro %}

{% macro spark__seconds_between(start, finish) -%}
    ((unix_micros({{ finish }}) - unix_micros({{ start }})) / cast(1000000 as double))
{%- endmacro %}

{#- The mean of durations in seconds (at most microsecond precision), summed exactly as decimals:
    a float sum depends on the order rows are added in, which differs between a live run and a
    full refresh of the same views, and so could the last digit of the mean. -#}
{% macro mean_seconds(durations) -%}
    avg(cast({{ durations }} as decimal(18, 6)))
{%- endmacro %}
