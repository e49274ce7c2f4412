"""The live pipeline behind `pulse run`: ingest every topic, run the `realtime` dbt models in
micro-batches on one parsed manifest, advance per-source watermarks, evaluate alerts, keep the
analysts' view database current and show a live status. See docs/live.md.

Modules, one job each:
    lake_watch   which lake files are new since the last cycle, their rows and newest event time
    watermarks   per-source watermarks (newest event - allowed lateness, advanced by the clock)
    dbt_cycle    parse once, then `dbt run --select tag:realtime --vars ...` per cycle
    ingester     the Kafka landing class (ingestion issue) driven from a background thread
    analyst      data/analyst.duckdb: views over the exports, swapped in atomically
    status       the per-cycle status (JSON file + rich view)
    loop         the cycle that ties them together, and clean shutdown on SIGINT/SIGTERM
"""
