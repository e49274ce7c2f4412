{#- Says which days a day-partitioned model (re)builds, e.g.
    `fct_app_sessions: backfill rebuilds 2023-03-01..2023-03-31 (31 days)`, so a backfill shows
    what it touched. `days`: ISO date strings; none (every day: a first run or --full-refresh) and
    an empty list (nothing new) are said too. -#}
{% macro log_rebuilt_days(days, why) -%}
    {%- if days is none -%}
        {%- set what = "every day (first run or full refresh)" -%}
    {%- elif days | length == 0 -%}
        {%- set what = "no day (nothing new)" -%}
    {%- else -%}
        {%- set parse = modules.datetime.date.fromisoformat -%}
        {%- set ranges = [] -%}
        {%- for day in days | sort -%}
            {%- if ranges and (parse(day) - parse(ranges[-1][1])).days == 1 -%}
                {%- do ranges[-1].pop() -%}
                {%- do ranges[-1].append(day) -%}
            {%- else -%}
                {%- do ranges.append([day, day]) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set spans = [] -%}
        {%- for first, last in ranges -%}
            {%- do spans.append(first if first == last else first ~ ".." ~ last) -%}
        {%- endfor -%}
        {%- set what = spans | join(", ") ~ " (" ~ days | length ~ (" day)" if days | length == 1 else " days)") -%}
    {%- endif -%}
    {{ log(this.identifier ~ ": " ~ why ~ " rebuilds " ~ what, info=True) }}
{%- endmacro %}

{#- A backfill's days come from its vars (backfill_days()), so saying them costs no query. -#}
{% macro log_backfill_days() -%}
    {%- set backfill = backfill_days() -%}
    {%- if backfill is not none -%}
        {%- set first = modules.datetime.date.fromisoformat(backfill[0]) -%}
        {%- set last = modules.datetime.date.fromisoformat(backfill[1]) -%}
        {%- set days = [] -%}
        {%- for offset in range((last - first).days + 1) -%}
            {%- do days.append((first + modules.datetime.timedelta(days=offset)).isoformat()) -%}
        {%- endfor -%}
        {%- do log_rebuilt_days(days, "backfill") -%}
    {%- endif -%}
{%- endmacro %}
