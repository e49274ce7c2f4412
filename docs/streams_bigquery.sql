-- BigQuery table for fct_streams (watch-streams case, Problem 2 b, task 3 "Data Modeling").
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

-- Loading (task 4): append-only would double streams that were still open or that a late
-- heartbeat changed. Each cycle's changed rows are the streams of the sessions that got new
-- heartbeats or still had an open stream (the rows with last_ingested_at > the previous load, or
-- the Parquet export): load them into `pulse.fct_streams_changes` (WRITE_TRUNCATE), then replace
-- those sessions' streams from their earliest changed stream on, exactly as the dbt
-- `replace_windows` strategy does:
begin transaction;

delete from `pulse.fct_streams` as target
where exists (
    select 1
    from (
        select session_id, min(first_event_time) as replace_from
        from `pulse.fct_streams_changes`
        group by session_id
    ) as windows
    where windows.session_id = target.session_id
        and target.first_event_time >= windows.replace_from
);

insert into `pulse.fct_streams`
select * from `pulse.fct_streams_changes`;

commit transaction;
