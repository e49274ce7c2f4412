{#- Post-hook: write the model's table to <data_dir>/exports/<name>.parquet for readers (API,
    dashboard, analysts) that must never wait on the warehouse lock (DESIGN.md, decision 6).
    DuckDB writes to a temporary file and renames it over the old one, so a reader sees the old
    export or the new one, never half of either.
    `order_by`: sort the file, so readers filtering on those columns skip row groups by their
    min/max statistics (the CTR API reads one day out of months this way). -#}
{% macro export_parquet(name=none, order_by=none) -%}
    {%- set path = var('data_dir') ~ '/exports/' ~ (name or this.identifier) ~ '.parquet' -%}
    copy (select * from {{ this }}{% if order_by %} order by {{ order_by }}{% endif %}) to '{{ path }}' (format parquet, compression zstd, use_tmp_file true)
{%- endmacro %}
