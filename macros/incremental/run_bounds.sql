{#- The one incremental mechanism (docs/incremental.md).

    Two relations in the `bookkeeping` schema, declared as the `pulse_run` source:
      incremental_manifest  one row per incremental model: what its last successful run covered
                            (landed_through: lake rows landed up to then; closed_through: the
                            arrival clock of its clock source up to which windows were closed).
      run_bounds            one row per incremental model: what THIS run covers, computed once
                            at the start of every dbt invocation (on-run-start), whatever the
                            selection, so every model of a run sees the same bounds.
    Models read them only through `this_run()` / `landed_this_run()` (this_run.sql): scalar
    subqueries evaluated when the model runs, never at compile time, so a model's compiled SQL is
    the same from one run to the next. DuckDB pushes such subquery results into its Parquet scans
    as dynamic filters: row groups and hive partitions outside the bounds are skipped as with a
    constant (bench/bench_incremental.py measures it).

    on-run-end records the bounds of every incremental model that succeeded into the manifest. -#}

{% macro bookkeeping_relation(identifier) -%}
    {#- Spark has no catalog level: its target has no database. -#}
    {%- set database = target.database if target.database is defined else none -%}
    {{ return(api.Relation.create(database=database, schema=bookkeeping_schema(), identifier=identifier)) }}
{%- endmacro %}

{% macro bookkeeping_schema() -%}
    {{ return('bookkeeping') }}
{%- endmacro %}

{#- Every incremental model of the project, from the parsed graph (fixed for a project), with
    the source whose arrival clock closes its windows (config meta `clock_source`, e.g. view_log)
    and the incremental models upstream of it (through views and tables). -#}
{% macro incremental_models() -%}
    {%- set models = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {%- if node.resource_type == 'model' and node.config.materialized == 'incremental' -%}
            {%- do models.append({
                'name': node.name,
                'clock_source': node.config.meta.get('clock_source'),
                'upstream': incremental_upstream(node, []),
            }) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(models) }}
{%- endmacro %}

{% macro incremental_upstream(node, found) -%}
    {%- for parent_id in node.depends_on.nodes if parent_id in graph.nodes -%}
        {%- set parent = graph.nodes[parent_id] -%}
        {%- if parent.resource_type == 'model' -%}
            {%- if parent.config.materialized == 'incremental' -%}
                {%- if parent.name not in found -%}
                    {%- do found.append(parent.name) -%}
                {%- endif -%}
            {%- else -%}
                {%- do incremental_upstream(parent, found) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}

{#- on-run-start: make sure the manifest exists, then compute this run's bounds. -#}
{% macro start_incremental_run() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set backfill = backfill_days() -%}
    {%- do adapter.create_schema(bookkeeping_relation('incremental_manifest')) -%}
    {%- set manifest = bookkeeping_relation('incremental_manifest') -%}
    {%- do run_query(create_manifest_if_missing_sql(manifest)) -%}
    {%- set bounds = bookkeeping_relation('run_bounds') -%}
    {%- do run_query('drop table if exists ' ~ bounds) -%}
    {%- do run_query('create table ' ~ bounds ~ ' as ' ~ run_bounds_sql(manifest, backfill)) -%}
    {{ return('') }}
{%- endmacro %}

{% macro create_manifest_if_missing_sql(manifest) -%}
    create table if not exists {{ manifest }} (
        model_name {{ dbt.type_string() }},
        landed_through {{ dbt.type_timestamp() }},
        closed_through {{ dbt.type_timestamp() }},
        recorded_at {{ dbt.type_timestamp() }}
    )
{%- endmacro %}

{#- The bounds of this run, one row per incremental model:
    landed_after / landed_through  the model reads lake rows with landed_after < _ingested_at <=
        landed_through. landed_through is this run's start (the clock that stamps _ingested_at);
        landed_after the model's previous landed_through minus a lookback (a file may become
        visible after a run that read newer rows; re-reading is idempotent): the live loop's
        exact figure when it runs (live_clock), else `lake_ingest_lookback_seconds`. A model the
        manifest does not know yet reads everything.
    closed_after / closed_through  the model's clock source's arrival clock at its previous run and
        now: every record that arrived (Kafka timestamp) up to closed_through has landed. Only the
        live loop knows it (data/run/live_clock.parquet); null in batch runs, where windows close
        as soon as they have data. closed_after is null on a model's first run.
    backfill_from / backfill_through  the event days a backfill recomputes (vars), else null. -#}
{% macro run_bounds_sql(manifest, backfill) -%}
    {%- set models = incremental_models() -%}
    {%- set live = var('pulse_live', false) -%}
with

models as (
    {%- for m in models %}
    select
        '{{ m.name }}' as model_name,
        {{ "'" ~ m.clock_source ~ "'" if m.clock_source else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as clock_source
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if not models %}
    select cast(null as {{ dbt.type_string() }}) as model_name, cast(null as {{ dbt.type_string() }}) as clock_source
    {%- endif %}
),

-- Each model and the incremental models upstream of it: a model reads from the oldest of their
-- previous runs, so rows an upstream model (re)wrote since are read even if this model ran alone.
lineage as (
    {%- for m in models %}
    {%- for covered in [m.name] + m.upstream %}
    select '{{ m.name }}' as model_name, '{{ covered }}' as covered_model
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if not models %}
    select cast(null as {{ dbt.type_string() }}) as model_name, cast(null as {{ dbt.type_string() }}) as covered_model
    {%- endif %}
),

recorded as (
    select model_name, max(landed_through) as landed_through, max(closed_through) as closed_through
    from {{ manifest }}
    group by model_name
),

previous as (
    select
        lineage.model_name,
        -- null (read everything) while the model or one upstream of it has never run
        case when count(recorded.model_name) = count(*) then min(recorded.landed_through) end as landed_through,
        max(case when recorded.model_name = lineage.model_name then recorded.closed_through end) as closed_through
    from lineage
    left join recorded on lineage.covered_model = recorded.model_name
    group by lineage.model_name
),

clock as (
    {%- if live %}
    select source, arrived_through, lookback_seconds from {{ source('pulse_run', 'live_clock') }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as source,
        cast(null as {{ dbt.type_timestamp() }}) as arrived_through,
        cast(null as {{ dbt.type_int() }}) as lookback_seconds
    {%- endif %}
),

lookback as (
    select coalesce(max(lookback_seconds), {{ var('lake_ingest_lookback_seconds') }}) as seconds from clock
)

select
    models.model_name,
    coalesce(
        {{ dbt.dateadd('second', '-1 * lookback.seconds', 'previous.landed_through') }},
        cast('1970-01-01' as {{ dbt.type_timestamp() }})
    ) as landed_after,
    cast({{ utc_now() }} as {{ dbt.type_timestamp() }}) as landed_through,
    previous.closed_through as closed_after,
    {%- if live %}
    -- live: a source the loop has no clock for yet closes nothing
    case
        when models.clock_source is not null
            then coalesce(clock.arrived_through, cast('1970-01-01' as {{ dbt.type_timestamp() }}))
    end as closed_through,
    {%- else %}
    clock.arrived_through as closed_through,
    {%- endif %}
    {{ "cast('" ~ backfill[0] ~ "' as date)" if backfill else 'cast(null as date)' }} as backfill_from,
    {{ "cast('" ~ backfill[1] ~ "' as date)" if backfill else 'cast(null as date)' }} as backfill_through
from models
cross join lookback
left join previous on models.model_name = previous.model_name
left join clock on models.clock_source = clock.source
where models.model_name is not null
{%- endmacro %}

{#- on-run-end: every incremental model that succeeded has covered its bounds. In batch runs
    (no live clock) every window with data was closed: recorded as closed through the far
    future, so the next live run does not re-close them. -#}
{% macro finish_incremental_run(results) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set done = [] -%}
    {%- for r in results -%}
        {%- if r.node.resource_type == 'model' and r.node.config.materialized == 'incremental'
            and r.status | string == 'success' -%}
            {%- do done.append(r.node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if done -%}
        {%- do record_in_manifest(bookkeeping_relation('incremental_manifest'), bookkeeping_relation('run_bounds'), done) -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{% macro record_in_manifest(manifest, bounds, models) -%}
    {{ return(adapter.dispatch('record_in_manifest', 'pulse')(manifest, bounds, models)) }}
{%- endmacro %}

{% macro default__record_in_manifest(manifest, bounds, models) -%}
    {%- set names = "'" ~ models | join("', '") ~ "'" -%}
    {%- do run_query('delete from ' ~ manifest ~ ' where model_name in (' ~ names ~ ')') -%}
    {%- do run_query(
        'insert into ' ~ manifest ~ ' select model_name, landed_through, coalesce(closed_through, '
        ~ far_future() ~ '), ' ~ utc_now() ~ ' from ' ~ bounds ~ ' where model_name in (' ~ names ~ ')'
    ) -%}
{%- endmacro %}

{% macro epoch() -%}
    cast('1970-01-01 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro far_past() -%}
    cast('0001-01-01 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro far_future() -%}
    cast('9999-12-31 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- The wall clock now, as a UTC timestamp without time zone (what `_ingested_at` holds). -#}
{% macro utc_now() -%}
    {{ return(adapter.dispatch('utc_now', 'pulse')()) }}
{%- endmacro %}

{% macro default__utc_now() -%}
    to_utc_timestamp(current_timestamp(), current_timezone())
{%- endmacro %}

{% macro duckdb__utc_now() -%}
    cast(timezone('UTC', now()) as timestamp)
{%- endmacro %}

{#- The backfill's (first, last) event day as ISO strings, or none when no backfill is asked for.
    `--vars '{backfill_start: 2023-03-01, backfill_end: 2023-03-31}'`, both inclusive. -#}
{% macro backfill_days() -%}
    {%- set start, end = var('backfill_start'), var('backfill_end') -%}
    {%- if start is none and end is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if start is none or end is none -%}
        {{ exceptions.raise_compiler_error("a backfill needs both vars backfill_start and backfill_end (YYYY-MM-DD)") }}
    {%- endif -%}
    {%- set first = modules.datetime.date.fromisoformat(start | string) -%}
    {%- set last = modules.datetime.date.fromisoformat(end | string) -%}
    {%- if last < first -%}
        {{ exceptions.raise_compiler_error("backfill_end " ~ last ~ " is before backfill_start " ~ first) }}
    {%- endif -%}
    {{ return((first.isoformat(), last.isoformat())) }}
{%- endmacro %}
