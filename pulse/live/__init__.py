"""The live pipeline behind `pulse run`: ingest every topic, run the `realtime` dbt models in
micro-batches on one parsed manifest, advance the per-source arrival clock, evaluate alerts, keep the
analysts' view database current and show a live status. See docs/live.md.

Modules, one job each:
    lake_watch   which lake files are new since the last cycle, their rows and newest event time
    arrival_clock  per source, the time up to which everything the broker held has landed (file for dbt)
    lookback     how far back a cycle's models re-read the lake (exact, from the new files' footers)
    dbt_cycle    parse once, then the same `dbt run --select tag:realtime` every cycle
    ingester     the Kafka landing class driven from a background thread
    analyst      data/analyst.duckdb: views over the exports, swapped in atomically
    status       the per-cycle status (JSON file + rich view)
    loop         the cycle that ties them together, and clean shutdown on SIGINT/SIGTERM
"""
