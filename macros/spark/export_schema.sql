{#- `dbt run-operation export_schema_to_parquet --args '{schema: marts, path: /some/dir}' --target spark`
    Copies every table and view of a Spark schema to <path>/<relation>/ as Parquet (what DuckDB's
    exports/ holds), so a DuckDB, pandas or pyarrow reader can compare or take over Spark's marts
    without a Spark session (tests/models/test_spark_equivalence.py). -#}
{% macro export_schema_to_parquet(schema, path) -%}
    {%- for row in run_query('show tables in ' ~ schema) if not row['isTemporary'] -%}
        {%- set name = row['tableName'] -%}
        {%- do run_query("insert overwrite directory '" ~ path ~ "/" ~ name ~ "' using parquet select * from " ~ schema ~ "." ~ name) -%}
        {{ log('exported ' ~ schema ~ '.' ~ name ~ ' to ' ~ path ~ '/' ~ name, info=true) }}
    {%- endfor -%}
{%- endmacro %}
