"""Each partition's log end as the consumer's own fetches saw it, with when the fetch was sent.

The live loop's flush needs "every record the broker held at time T is consumed" (the arrival
clock). Asking for the logs' ends (ListOffsets) is one more request per flush, and on the embedded
broker (Tansu, memory storage) one that lists every record batch a partition holds, so it cost
more with every minute of a run. A fetch response carries each partition's high watermark (its
log end when the broker answered), and the consumer fetches anyway: once a fetch *sent* at or
after T has come back and the consumer's position reaches that watermark, every record the
broker held at T is consumed. Tansu answers a fetch with nothing new from its watermark alone.

It wraps one method of kafka-python 3.0's fetcher (`Fetcher._handle_fetch_response`, pinned in
pyproject.toml like ingest/kafka/records.py) on one consumer. The consumer must not use
incremental fetch sessions (CONSUMER_TUNING in ingest/kafka/lander.py): a session's response
leaves out the partitions with nothing new, so their watermark would not be seen again.
"""

from __future__ import annotations

from typing import Any

from kafka import TopicPartition


class FetchEnds:
    """`end_since(tp, t)`: the log end of `tp` from a fetch sent at or after `t` (time.monotonic())."""

    def __init__(self, consumer: Any):
        self._seen: dict[TopicPartition, tuple[float, int]] = {}  # tp -> (sent at, high watermark)
        fetcher = consumer._fetcher
        handle = fetcher._handle_fetch_response

        def handle_and_note(node_id, fetch_offsets, send_time, response):
            handle(node_id, fetch_offsets, send_time, response)
            for topic in response.responses:
                for p in topic.partitions:
                    if p.error_code == 0 and p.high_watermark >= 0:
                        self._seen[TopicPartition(topic.topic, p.partition_index)] = (send_time, p.high_watermark)

        fetcher._handle_fetch_response = handle_and_note

    def end_since(self, tp: TopicPartition, since: float) -> int | None:
        sent, end = self._seen.get(tp, (None, None))
        return end if sent is not None and sent >= since else None
