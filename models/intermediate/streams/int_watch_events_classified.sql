-- Every distinct watch heartbeat (stg_streams__watch_events) with its data-quality issue named.
-- Rows with an issue that makes them unusable for a stream (no program, or sent before the
-- program started) are kept here but flagged `is_valid = false`; the stream models leave them
-- out and fct_watch_events_quality counts them. A missing device reads `unknown`.
-- The rules are macros/watch_events.sql's, which int_watch_streams also applies to its range.
{{ watch_events_classified(ref('stg_streams__watch_events')) }}
