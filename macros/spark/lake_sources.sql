{#- Sources on every engine: dbt's own `source()`, except where the engine has no DuckDB
    `read_parquet` (the sources' meta `external_location`, which dbt-duckdb reads). Spark reads
    the same lake folders with its Parquet reader: hive partitions (`date=...`) discovered from the
    folder names, schemas of files landed from extracts and from Kafka merged
    (spark.sql.parquet.mergeSchema in profiles.yml). -#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {#- A unit test's sources are its given rows (dbt's source() supplies them). -#}
    {%- if execute and target.type == 'spark' and model.resource_type != 'unit_test' -%}
        {%- set location = lake_location(source_name, table_name) -%}
        {%- if location -%}
            {{ return('parquet.`' ~ location ~ '`') }}
        {%- endif -%}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{#- The folder (or file) a lake source's external_location reads, without DuckDB's glob:
    "read_parquet('data/lake/web_events/*/*.parquet', ...)" -> data/lake/web_events. -#}
{% macro lake_location(source_name, table_name) -%}
    {%- set node = graph.sources.get('source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name) -%}
    {%- set external = node.meta.get('external_location') or node.source_meta.get('external_location') if node else none -%}
    {%- if not external -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set path = modules.re.search("read_parquet\\('([^']+)'", external.replace('{name}', node.name)).group(1) -%}
    {{ return(modules.re.sub('(/\\*)+(\\.parquet)?$', '', path)) }}
{%- endmacro %}
