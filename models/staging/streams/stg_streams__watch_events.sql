-- Watch heartbeats, typed, device names normalised (lower case, spaces and dashes as `_`), exact
-- duplicates collapsed (count kept). Data-quality classification: int_watch_events_classified.
-- The rules are macros/watch_events.sql's, which int_watch_streams also applies to its range.
{{ watch_events_staged(source('streams', 'watch_events')) }}
