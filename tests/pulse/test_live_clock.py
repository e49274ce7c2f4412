"""The arrival clock (a flush caught up with the logs' ends: when the ends were asked less the send
margin; otherwise caught up: the poll's start less the fetch margin; behind: the newest record
consumed; never backwards; the wall clock without Kafka; written as the file on-run-start reads),
the lake watch (new files, rows by offset range, newest event, oldest landing time and earliest
Kafka timestamp from the Parquet footer, compacted files not counted twice, records stamped
behind the clock counted) and the landing lookback of the realtime runs. The wall clock is passed
in, not faked."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow.parquet as pq

from ingest.lake import write_rows
from ingest.sources import get_source
from pulse.live.arrival_clock import CLOCK_FILE, FETCH_MARGIN_S, SEND_MARGIN_S, ArrivalClock, utc_naive
from pulse.live.lake_watch import LakeWatch, count_stamped_through
from pulse.live.lookback import LandingLookback

T0 = 1_714_521_600.0  # 2024-05-01 00:00:00 UTC
EVENT = utc_naive(T0)


def test_caught_up_source_is_through_its_last_poll_a_backlog_through_its_newest_record():
    clock = ArrivalClock(["view_log", "interactions"])
    clock.observe("view_log", now=T0 + 5, kafka=True, polled_at=T0, lag=0)
    clock.observe("interactions", now=T0 + 5, kafka=True, polled_at=T0, lag=1200, behind_s=90.0)
    assert clock.through["view_log"] == utc_naive(T0 - FETCH_MARGIN_S)
    assert clock.through["interactions"] == utc_naive(T0 - 90)


def test_a_flush_caught_up_with_the_logs_ends_is_through_when_they_were_asked_less_the_send_margin():
    clock = ArrivalClock(["view_log", "interactions"])
    # view_log caught up; interactions did not within the flush's wait: its last poll decides.
    clock.observe("view_log", now=T0 + 5, kafka=True, caught_up_at=T0 + 4, polled_at=T0 + 3, lag=0)
    clock.observe("interactions", now=T0 + 5, kafka=True, polled_at=T0 + 3, lag=0)
    assert clock.through["view_log"] == utc_naive(T0 + 4 - SEND_MARGIN_S)
    assert clock.through["interactions"] == utc_naive(T0 + 3 - FETCH_MARGIN_S)
    wider = ArrivalClock(["view_log"], send_margin_s=2.5)  # `pulse run --send-margin 2.5`
    wider.observe("view_log", now=T0 + 5, kafka=True, caught_up_at=T0 + 4, polled_at=T0 + 3, lag=0)
    assert wider.through["view_log"] == utc_naive(T0 + 4 - 2.5)
    wider.observe("view_log", now=T0 + 6, kafka=True, polled_at=T0 + 6, lag=0)  # the fetch margin, or wider
    assert wider.through["view_log"] == utc_naive(T0 + 6 - 2.5)


def test_clock_never_goes_back_and_waits_for_the_first_report():
    clock = ArrivalClock(["view_log"])
    clock.observe("view_log", now=T0, kafka=True)  # the ingester has not polled yet
    assert "view_log" not in clock.through
    clock.observe("view_log", now=T0 + 1, kafka=True, polled_at=T0 + 1, lag=0)
    clock.observe("view_log", now=T0 + 2, kafka=True, polled_at=T0 + 2, lag=50, behind_s=30)  # fell behind
    assert clock.through["view_log"] == utc_naive(T0 + 1 - FETCH_MARGIN_S)


def test_without_kafka_the_clock_is_the_wall_clock_and_is_written_for_dbt(settings):
    clock = ArrivalClock(["view_log", "interactions"])
    clock.observe("view_log", now=T0, kafka=False)
    clock.write(settings, lookback_seconds=0)
    rows = pq.read_table(settings.run_dir / CLOCK_FILE).to_pylist()
    assert rows == [{"source": "view_log", "arrived_through": EVENT, "lookback_seconds": 0},
                    {"source": "interactions", "arrived_through": None, "lookback_seconds": 0}]

def _land(settings, first: int, last: int, minutes: int = 0, landed: datetime = datetime(2024, 5, 1),
          stamped: datetime | None = None) -> None:
    spec = get_source("interactions")
    rows = [dict(user_id="u", item_id="i", interaction_type="view",
                 timestamp=datetime(2024, 5, 1) + timedelta(minutes=minutes, seconds=i - first),
                 _source="interactions", _ingested_at=landed, _topic="interactions",
                 _partition=0, _offset=i, _file=None, _row=None,
                 _kafka_timestamp=None if stamped is None else stamped + timedelta(seconds=i - first))
            for i in range(first, last + 1)]
    write_rows(settings, spec, rows, f"interactions+0+{first}-{last}")


def test_lake_watch_counts_new_rows_once_and_reads_the_newest_event(settings):
    watch = LakeWatch(settings, [get_source("interactions")])
    assert watch.scan()["interactions"].rows == 0
    _land(settings, 0, 9)
    _land(settings, 10, 19, minutes=3)
    new = watch.scan()["interactions"]
    assert new.rows == 20 and len(new.files) == 2
    assert new.newest_event == datetime(2024, 5, 1, 0, 3, 9)
    assert watch.scan()["interactions"].rows == 0  # nothing new
    # A compacted file spanning offsets 0..29 adds only the 10 rows past the highest seen.
    _land(settings, 0, 29)
    again = watch.scan()["interactions"]
    assert again.rows == 10 and again.files[0].offset_floor == 19


def test_lake_watch_reports_the_oldest_landing_time_of_new_files(settings):
    watch = LakeWatch(settings, [get_source("interactions")])
    _land(settings, 0, 9, landed=datetime(2024, 5, 1, 0, 0, 30))
    _land(settings, 10, 19, landed=datetime(2024, 5, 1, 0, 0, 10))
    assert watch.scan()["interactions"].oldest_ingested == datetime(2024, 5, 1, 0, 0, 10)
    assert watch.scan()["interactions"].oldest_ingested is None  # nothing new


def test_lake_watch_finds_records_stamped_behind_the_clock(settings):
    watch = LakeWatch(settings, [get_source("interactions")])
    _land(settings, 0, 9, stamped=datetime(2024, 5, 1, 0, 1, 0))  # stamped 0:01:00 .. 0:01:09
    _land(settings, 10, 19, stamped=datetime(2024, 5, 1, 0, 1, 5))  # 0:01:05 .. 0:01:14
    new = watch.scan()["interactions"]
    assert new.earliest_arrival == datetime(2024, 5, 1, 0, 1, 0)
    # The clock had passed 0:01:07: 8 + 3 records landed behind it; none behind 0:00:59.
    assert count_stamped_through(new, datetime(2024, 5, 1, 0, 1, 7)) == 11
    assert count_stamped_through(new, datetime(2024, 5, 1, 0, 0, 59)) == 0
    # A compacted file holds rows seen before: its timestamps say nothing about this cycle.
    _land(settings, 0, 29, stamped=datetime(2024, 5, 1, 0, 0, 0))
    again = watch.scan()["interactions"]
    assert again.rows == 10 and again.earliest_arrival is None
    assert count_stamped_through(again, datetime(2024, 5, 1, 0, 1, 7)) == 0


def test_lookback_keeps_the_default_on_the_first_run_then_covers_every_new_file():
    lookback = LandingLookback()
    assert lookback.seconds(EVENT) is None  # first run: the whole lake is new; the project default
    lookback.dbt_ran(T0 + 100, clean=True)
    # The loop's own files land after the previous run ended: nothing to look back for.
    assert lookback.seconds(utc_naive(T0 + 101)) == 0
    lookback.dbt_ran(T0 + 110, clean=True)
    assert lookback.seconds(None) == 0
    lookback.dbt_ran(T0 + 120, clean=True)
    # A file stamped 50 s before the previous run ended (a slow writer): looked back past it.
    assert lookback.seconds(utc_naive(T0 + 70)) == 51


def test_lookback_remembers_new_files_until_a_run_without_failures():
    lookback = LandingLookback()
    lookback.dbt_ran(T0 + 100, clean=True)
    assert lookback.seconds(utc_naive(T0 + 40)) == 61
    lookback.dbt_ran(T0 + 110, clean=False)  # a model failed: its watermark did not see that file
    assert lookback.seconds(None) == 71
    lookback.dbt_ran(T0 + 120, clean=True)
    assert lookback.seconds(None) == 0
