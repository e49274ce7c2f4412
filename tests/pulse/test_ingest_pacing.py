"""When the live ingest thread polls without pause: only through a backlog (pulse/live/ingester.py).

Pure logic over the per-source progress the thread keeps; nothing is faked."""

from pulse.live.ingester import BACKLOG_S, SourceProgress, in_backlog


def test_records_produced_since_the_last_poll_are_no_backlog():
    # Between two polls records keep arriving: a lag whose newest consumed record is fresh.
    assert not in_backlog({"interactions": SourceProgress(lag=2_400, behind_s=0.6)})


def test_records_waiting_longer_than_the_backlog_threshold_are_a_backlog():
    progress = {"interactions": SourceProgress(lag=0),
                "watch_events": SourceProgress(lag=40_000, behind_s=BACKLOG_S + 1)}
    assert in_backlog(progress)


def test_an_unknown_or_zero_lag_is_no_backlog():
    assert not in_backlog({"view_log": SourceProgress(lag=None, behind_s=30.0)})
    assert not in_backlog({"view_log": SourceProgress(lag=0, behind_s=30.0)})
    assert not in_backlog({})
