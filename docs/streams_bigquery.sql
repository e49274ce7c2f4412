-- BigQuery table for fct_streams (the watch-streams case's data modeling task).
-- Same columns and meaning as the dbt mart (docs/models-web-streams-interactions.md) and
-- docs/streams_bigquery_schema.json (`bq mk --table ... docs/streams_bigquery_schema.json`).
-- Partitioned by the stream's day and clustered by user and program: the batch metrics
-- (sessions per user per day, watch time per program) prune to a few days and blocks.
create table if not exists `pulse.fct_streams` (
    stream_id string not null options (description = 'Stable key: hash of session_id and first_event_time'),
    user_id string not null options (description = 'User identifier'),
    program_id string not null options (description = 'Program watched in this stream'),
    start_time timestamp not null options (description = 'When the user started the program'),
    session_id string not null options (description = 'The app session identifier'),
    device string not null options (description = 'Normalised device of the first heartbeat'),
    stream_duration float64 not null options (description = 'Seconds from the first to the last heartbeat'),
    first_event_time timestamp not null options (description = 'First heartbeat, UTC'),
    last_event_time timestamp not null options (description = 'Last heartbeat, UTC'),
    stream_date date not null options (description = 'UTC date of the first heartbeat'),
    heartbeat_count int64 not null options (description = 'Distinct heartbeats in the stream'),
    flagged_event_count int64 not null options (description = 'Heartbeats kept despite a data-quality flag'),
    is_open bool not null options (description = 'True while the stream may still continue'),
    last_ingested_at timestamp options (description = 'When the newest heartbeat was landed')
)
partition by stream_date
cluster by user_id, program_id
options (description = 'One row per watch stream; a stream ends after 60 s without a heartbeat for its session_id');

create table if not exists `pulse.fct_sessions_per_user_day` (
    user_day_id string not null options (description = 'Key: hash of user_id and activity_date'),
    user_id string not null options (description = 'User identifier'),
    activity_date date not null options (description = 'UTC day the sessions started'),
    sessions_started int64 not null options (description = 'Sessions (distinct session_ids) the user started that day'),
    streams_in_sessions int64 not null options (description = 'Streams in those sessions'),
    watch_seconds float64 not null options (description = 'Sum of those streams durations, seconds'),
    sessions_open int64 not null options (description = 'Of those sessions, how many still have an open stream')
)
partition by activity_date
cluster by user_id
options (description = 'Sessions per user per day; a session is one session_id, counted on the day it started');

-- Loading (task 4): per day partition, replace, never append. Append-only would double streams
-- that were still open or that a late heartbeat changed. The Airflow DAG's load
-- (`python -m orchestration.load --to bigquery`, docs/orchestration.md) finds the days whose rows
-- changed since its last load and, for each, runs a load job of that day's rows (Parquet) into
-- the partition decorator with WRITE_TRUNCATE, which replaces exactly that day atomically:
--   bq load --source_format=PARQUET --replace 'pulse.fct_streams$20240501' fct_streams-20240501.parquet
-- A day with no rows any more is deleted. The same replace in SQL, from a table holding the day:
begin transaction;

delete from `pulse.fct_streams` where stream_date = @day;

insert into `pulse.fct_streams`
select * from `pulse.fct_streams_day`;

commit transaction;
