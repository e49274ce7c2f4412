-- Interactions, one row per landed record. Not deduplicated: two identical records are two
-- interactions (a double click is real), and landing is exactly-once (Kafka offsets, file hashes),
-- so a replay cannot double a record. The key is the record's place in the lake.
select
    {{ surrogate_key([
        'interactions._topic', 'interactions._partition', 'interactions._offset',
        'interactions._file', 'interactions._row',
    ]) }} as interaction_id,
    interactions.user_id,
    interactions.item_id,
    lower(interactions.interaction_type) as interaction_type,
    interactions.timestamp as interaction_time,
    {{ dbt.date_trunc('minute', 'interactions.timestamp') }} as interaction_minute,
    interactions._ingested_at as ingested_at,
    interactions.date as lake_date
from {{ source('interactions', 'interactions') }} as interactions
