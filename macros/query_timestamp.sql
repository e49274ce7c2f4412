{#- The first value `sql` returns, as a SQL timestamp literal (a typed null when there is none).
    Incremental models use it at compile time to turn their watermarks into constants: a constant
    filter on a lake column lets DuckDB skip whole Parquet row groups by their min/max stats, so a
    run reads what is new, not the history. Unit tests override this macro. -#}
{% macro query_timestamp(sql) -%}
    {%- if not execute -%}
        {{ return('cast(null as timestamp)') }}
    {%- endif -%}
    {%- set value = run_query(sql).columns[0].values()[0] -%}
    {{ return('cast(null as timestamp)' if value is none else "timestamp '" ~ value ~ "'") }}
{%- endmacro %}

{#- The landing watermark of an incremental model: the newest `last_ingested_at` it holds, minus
    `lookback_seconds` (default var `lake_ingest_lookback_seconds`), as a timestamp literal; the
    epoch when the table is empty. Lake rows with `_ingested_at` after it are new to the model. -#}
{% macro landed_since(lookback_seconds=none) -%}
    {%- set lookback = var('lake_ingest_lookback_seconds') if lookback_seconds is none else lookback_seconds -%}
    {{ return(query_timestamp(
        "select coalesce(max(last_ingested_at), timestamp '1970-01-01') - interval "
        ~ lookback ~ " second from " ~ this
    )) }}
{%- endmacro %}
