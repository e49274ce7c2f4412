"""Land Kafka topics into the lake exactly once, by offsets (why: docs/architecture.md).

In-process API (the live loop `pulse run` drives it from a thread):

    ing = KafkaIngester(settings, ["view_log"])      # or group="g" / partitions=[0, 2]
    stats = ing.poll_once(0.2)   # consume, land what is due; IngestStats.partitions[(topic, p)].lag
    ing.flush()                  # land everything buffered now
    ing.close()
    ingest_until_caught_up(settings, ["view_log"])   # one-shot: land up to the high watermarks

How exactly-once works: a flush of a partition covers a contiguous offset range and names every
file it writes after it (`ingest.kafka.names`). On start and on every assignment the ingester looks at
the lake's file names: it seeks to the *first* offset of the newest range and replays that range
with a flush fence at its last offset, so a flush cut short by a crash (some of its date files
written, others not) is completed under the same names; files that exist are left untouched.
Writes are atomic (tmp + rename), so a reader never sees half a file.
Broker commits are never used.
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from kafka import TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError, OffsetOutOfRangeError

from ingest.config import Settings
from ingest.kafka import client as kafka_client
from ingest.kafka.batch import decode_batch
from ingest.kafka.decode import DEFAULT_MAX_MESSAGE_BYTES
from ingest.kafka.epochs import (
    Lost,
    Reset,
    file_metadata,
    fingerprint,
    read_file_metadata,
    record_lost,
    record_reset,
    topic_id_of,
)
from ingest.kafka.fetch_ends import FetchEnds
from ingest.kafka.names import Resume, file_stem, resume_points
from ingest.kafka.records import Chunk, lean
from ingest.lake import (
    ensure_placeholders,
    partition_dir,
    quarantine_dir,
    write_quarantine,
    write_table_by_day,
)
from ingest.metrics import MetricsWriter, retention_s, retention_warning
from ingest.sources import TOPIC_SOURCES, get_source
from ingest.sources.base import KAFKA_TIMESTAMP_TYPES, SourceSpec

log = logging.getLogger("pulse.ingest.kafka")

# Consumer settings: big fetches (per-record overhead dominates), no auto-commit (the lake holds
# the offsets), no silent offset reset (a reset is detected and handled here), no topic creation,
# every fetched partition's log end in every fetch response (ingest/kafka/fetch_ends.py).
CONSUMER_TUNING: dict[str, Any] = {
    "enable_auto_commit": False,
    "auto_offset_reset": "none",
    "allow_auto_create_topics": False,
    "max_poll_records": 20_000,
    "fetch_max_bytes": 64 * 1024 * 1024,
    "max_partition_fetch_bytes": 8 * 1024 * 1024,
    "fetch_max_wait_ms": 200,
    "enable_incremental_fetch_sessions": False,
    "request_timeout_ms": 10_000,
    "reconnect_backoff_max_ms": 5_000,
    "metrics_enabled": False,
    "metadata_max_age_ms": 10_000,
}
GROUP_TUNING: dict[str, Any] = {"session_timeout_ms": 6_000, "heartbeat_interval_ms": 1_000}
# Land a partition every this many messages: a flush is decoded while kafka-python's network thread
# fetches the next records (bench/bench_ingest.py, 200k messages: 1.35 s at 25k, 1.44 s at 100k).
FLUSH_RECORDS = 25_000
REFRESH_EVERY_S = 5.0  # how often manual assignment looks for new topics/partitions
RECHECK_AFTER_S = 0.5  # records after this long without any: confirm the topic id first (see poll_once)


def default_sources() -> list[str]:
    return list(TOPIC_SOURCES)


@dataclass
class PartitionStats:
    topic: str
    partition: int
    source: str
    epoch: int
    position: int  # next offset to consume
    highwater: int | None  # from the last fetch (Tansu's end_offsets undercounts; this is right)
    buffered: int  # messages polled, not yet landed
    landed_messages: int  # since this ingester started (landed or quarantined)
    landed_rows: int
    quarantined: int
    records_per_s: float
    last_flush_at: float | None
    behind_s: float | None  # age of the newest consumed message while lag > 0
    warning: str | None
    replay_to: int | None = None  # replaying the newest lake range up to this offset (already landed)

    @property
    def lag(self) -> int | None:
        """Messages in the log that are not in the lake yet (a replayed range is in it already)."""
        return None if self.highwater is None else _lag(self.highwater, self.position, self.replay_to)


def _lag(highwater: int, position: int, replay_to: int | None) -> int:
    return max(highwater - max(position, -1 if replay_to is None else replay_to + 1), 0)


@dataclass
class IngestStats:
    partitions: dict[tuple[str, int], PartitionStats] = field(default_factory=dict)
    polled: int = 0  # messages consumed by this call
    files_written: int = 0
    broker_ok: bool = True
    error: str | None = None

    @property
    def lag(self) -> int:
        return sum(p.lag or 0 for p in self.partitions.values())

    @property
    def caught_up(self) -> bool:
        """Every assigned partition's high watermark is known, reached, and nothing is buffered."""
        return all(p.highwater is not None and p.position >= p.highwater and p.buffered == 0
                   for p in self.partitions.values())


class _Partition:
    """Consumption and buffering state of one assigned topic partition."""

    def __init__(self, tp: TopicPartition, spec: SourceSpec, epoch: int, position: int, fence: int | None):
        self.tp = tp
        self.spec = spec
        self.epoch = epoch
        self.position = position
        self.fence = fence  # replaying the newest lake range: flush exactly after this offset
        self.highwater: int | None = None
        self.first: int | None = None
        self.last = -1
        self.first_ts_ms: int | None = None
        self.buffered_since = 0.0
        self.messages = 0
        self.values: list[bytes | None] = []  # raw messages, decoded in bulk at flush (ingest.kafka.batch)
        self.offsets: list[int] = []
        self.timestamps: list[int] = []  # Kafka record timestamp (ms) per message
        self.timestamp_types: list[int] = []  # and its type (KAFKA_TIMESTAMP_TYPES)
        self.newest_ts_ms: int | None = None
        self.landed_messages = 0
        self.landed_rows = 0
        self.quarantined = 0
        self.last_flush_at: float | None = None
        self.rate = 0.0
        self._rate_mark = (time.monotonic(), 0)
        self.topic_id: str | None = None  # the broker's id of the log being consumed (None: not given)
        self.verify_fp: str | None = None  # replaying: the fingerprint the lake holds for offset `fence`
        # (timestamp, key, value) of the buffered message at `last` (its fingerprint goes in the files)
        self.last_record: tuple[int, bytes | None, bytes | None] | None = None
        # Monotonic time the last records of this partition arrived; starts now: the metadata the
        # partition was assigned with is fresh (see _recheck_after_silence).
        self.records_at = time.monotonic()

    def stats(self) -> PartitionStats:
        lag = None if self.highwater is None else _lag(self.highwater, self.position, self.fence)
        behind = None
        if lag and self.newest_ts_ms is not None and self.fence is None:
            # Only while new messages wait: during a replay the consumed ones are old by design.
            behind = max(time.time() - self.newest_ts_ms / 1000, 0.0)
        return PartitionStats(
            self.tp.topic, self.tp.partition, self.spec.name, self.epoch, self.position, self.highwater,
            self.messages, self.landed_messages, self.landed_rows, self.quarantined, self.rate,
            self.last_flush_at, behind,
            retention_warning(self.tp.topic, self.tp.partition, lag, behind, retention_s(self.tp.topic)),
            self.fence)

    def update_rate(self) -> None:
        t0, n0 = self._rate_mark
        now = time.monotonic()
        if now - t0 >= 1.0:
            inst = (self.landed_messages + self.messages - n0) / (now - t0)
            self.rate = inst if self.rate == 0 else 0.5 * self.rate + 0.5 * inst
            self._rate_mark = (now, self.landed_messages + self.messages)


class KafkaIngester:
    """Consumes the topics of `sources` and lands them; see the module docstring."""

    def __init__(self, settings: Settings, sources: list[str] | None = None, *, group: str | None = None,
                 partitions: list[int] | None = None, flush_records: int = FLUSH_RECORDS,
                 flush_interval_s: float = 1.0, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
                 consumer_config: dict[str, Any] | None = None, write_metrics: bool = True):
        if group and partitions is not None:
            raise ValueError("choose either a consumer group (--group) or static partitions (--partitions)")
        self.settings = settings
        self.sources = list(sources or default_sources())
        self.specs = {settings.topic(s): get_source(s) for s in self.sources}
        self.group = group
        self.static_partitions = set(partitions) if partitions is not None else None
        self.flush_records = flush_records
        self.flush_interval_s = flush_interval_s
        self.max_message_bytes = max_message_bytes
        self.metrics = MetricsWriter(settings) if write_metrics else None
        self.parts: dict[TopicPartition, _Partition] = {}
        self.broker_ok = True
        self._last_refresh = 0.0
        self._backoff_s = 0.0
        self._retry_at = 0.0
        self._files_written = 0
        ensure_placeholders(settings, self.specs.values())
        config = {**CONSUMER_TUNING, **(consumer_config or {})}
        if group:
            config = {**config, **GROUP_TUNING, "group_id": group}
        self.consumer = kafka_client.consumer(settings, **config)
        lean(self.consumer)  # poll() returns record batches as columns (ingest/kafka/records.py)
        self.fetch_ends = FetchEnds(self.consumer)
        if group:
            self.consumer.subscribe(topics=list(self.specs), listener=_Rebalance(self))

    # -- assignment -----------------------------------------------------------------------------
    def _refresh_assignment(self) -> None:
        """Manual mode: assign every partition of our topics (or the static ones), new ones too."""
        if self.group or time.monotonic() - self._last_refresh < REFRESH_EVERY_S:
            return
        self._last_refresh = time.monotonic()
        existing = self.consumer.topics()  # a remote call: sees topics created since
        wanted = set(self.parts)
        for topic in self.specs:
            if topic not in existing:
                continue
            for p in self.consumer.partitions_for_topic(topic) or ():
                if self.static_partitions is None or p in self.static_partitions:
                    wanted.add(TopicPartition(topic, p))
        if wanted != set(self.parts):
            self.consumer.assign(sorted(wanted))
            self._start_partitions([tp for tp in wanted if tp not in self.parts])

    def _start_partitions(self, tps: list[TopicPartition]) -> None:
        """Seek each partition to where the lake says it continues (replaying the newest range)."""
        if not tps:
            return
        resume = resume_points(self.settings, self.sources)
        parts = {tp: self._partition_from_lake(tp, resume.get((tp.topic, tp.partition))) for tp in sorted(tps)}
        # Only a partition carrying on from the lake asks where its log starts: offsets it still owes
        # the lake may have expired. One starting at 0 is not asked: when its log starts later the
        # fetch answers out of range (_out_of_range), and the embedded broker's ListOffsets(earliest)
        # can name a later batch than the first (the batch it stored first), which would skip the
        # batches before it unseen. In group mode this runs inside the rebalance callback, where the
        # client cannot send another request: the fetch finds an expired resume point there too.
        carrying = [tp for tp, part in parts.items() if _carries_on(part)]
        starts = self._log_starts(carrying) if carrying and not self.group else {}
        for tp, part in parts.items():
            self.parts[tp] = part
            self._skip_expired(part, starts.get(tp))
            self.consumer.seek(tp, part.position)
            log.info("%s[%d]: resuming at offset %d (epoch %d%s)", tp.topic, tp.partition, part.position,
                     part.epoch, f", replaying up to {part.fence}" if part.fence is not None else "")

    def _partition_from_lake(self, tp: TopicPartition, r: Resume | None) -> _Partition:
        """The partition's state as the lake's newest files of it leave it (see the module docstring)."""
        spec, current_id = self.specs[tp.topic], topic_id_of(self.consumer, tp.topic)
        if r is None or r.latest is None:
            part = _Partition(tp, spec, r.epoch if r else 0, 0, None)
        else:
            landed_id, last_fp = read_file_metadata(r.path) if r.path else (None, None)
            part = _Partition(tp, spec, r.epoch, r.latest.first, r.latest.last)
            part.verify_fp = last_fp  # checked when the replay reaches `fence`
            if landed_id and current_id and landed_id != current_id:
                part = _Partition(tp, spec, r.epoch + 1, 0, None)
                self._announce_reset(part, f"its topic id is {current_id}, the lake's newest files of it came "
                                           f"from topic id {landed_id}", current_id)
        part.topic_id = current_id
        return part

    def _log_starts(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        """First retained offset of each partition (ListOffsets earliest); {} when unknown."""
        try:
            return self.consumer.beginning_offsets(list(tps), timeout_ms=5000)
        except KafkaError:
            return {}  # the fetch answers out of range instead, handled in _out_of_range

    def _skip_expired(self, part: _Partition, start: int | None) -> None:
        """Start a partition carrying on from the lake at the log's first retained offset when
        retention removed its resume point; offsets the lake was still to land are recorded as lost."""
        if start is None or start <= part.position:
            return
        next_unlanded = part.position if part.fence is None else part.fence + 1
        if start > next_unlanded:
            self._lost(part, next_unlanded, start - 1, "expired from the broker (retention) before they were landed")
        if part.fence is not None and start > part.fence:
            part.fence, part.verify_fp = None, None
        part.position = start

    def _stop_partitions(self, tps: list[TopicPartition]) -> None:
        for tp in tps:
            part = self.parts.pop(tp, None)
            if part is not None:
                self._flush_partition(part)

    # -- consuming ------------------------------------------------------------------------------
    def poll_once(self, timeout_s: float = 0.2) -> IngestStats:
        """Consume what arrives within `timeout_s`, land what is due, and report per partition."""
        stats = IngestStats()
        if time.monotonic() < self._retry_at:  # broker unavailable: wait out the backoff
            time.sleep(min(timeout_s, self._retry_at - time.monotonic()))
            return self.stats(stats)
        try:
            self._refresh_assignment()
            if not self.parts and not self.group:
                time.sleep(timeout_s)
                batches = {}
            else:
                batches = self.consumer.poll(timeout_ms=int(timeout_s * 1000))
            self._broker_back()
        except OffsetOutOfRangeError as exc:
            self._out_of_range(exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {})
            batches = {}
        except KafkaError as exc:
            self._broker_down(exc)
            stats.error = str(exc)
            batches = {}
        self._recheck_after_silence(batches)
        self._check_topic_ids(batches)
        for tp, records in batches.items():
            part = self.parts.get(tp)
            if part is not None:
                stats.polled += self._take(part, records)
        for tp, part in self.parts.items():
            self._check_highwater(tp, part)
            due = part.messages and (part.messages >= self.flush_records
                                     or time.monotonic() - part.buffered_since >= self.flush_interval_s)
            if due:
                self._flush_partition(part)
            part.update_rate()
        stats.files_written = self._files_written
        return self.stats(stats)

    def catch_up(self, timeout_s: float = 1.0) -> dict[str, float]:
        """Consume every partition up to the end its log has now; per source whose every partition
        got there within `timeout_s`, the wall time the ends were asked for: every record the broker
        held then has been consumed (and lands with the next flush).

        The ends are the high watermarks of the consumer's own fetches sent from now on
        (ingest/kafka/fetch_ends.py), not a ListOffsets request: one request fewer per flush, and
        on the embedded broker (Tansu) ListOffsets lists every record batch a partition holds, so
        it cost more with every minute of a run (docs/live.md, run 38). Manual assignment only (a
        group member owns part of a topic): {} in group mode, and when the broker does not answer.
        """
        if self.group:
            return {}
        self._refresh_assignment()  # topics created since the last look (at most every REFRESH_EVERY_S)
        if not self.parts:
            return {}
        asked, since = time.time(), time.monotonic()
        deadline = since + timeout_s

        def behind() -> set[str]:
            late = set()
            for tp, part in self.parts.items():
                end = self.fetch_ends.end_since(tp, since)
                if end is None or part.position < end:
                    late.add(part.spec.name)
            return late

        late = behind()
        while late and time.monotonic() < deadline:
            self.poll_once(min(0.05, max(deadline - time.monotonic(), 0.001)))
            late = behind()
        return {part.spec.name: asked for part in self.parts.values() if part.spec.name not in late}

    def _recheck_after_silence(self, batches: dict) -> None:
        """Records after a silence may come from a log that started over meanwhile (a broker that
        restarted empty answers fetches at the old position as soon as its new log is long enough),
        and the client's cached metadata would still show the old topic id: fetch fresh metadata
        before taking them. A busy partition has no silence and pays nothing."""
        now = time.monotonic()
        silent = [tp for tp in batches if tp in self.parts and now - self.parts[tp].records_at >= RECHECK_AFTER_S]
        for tp in batches:
            if tp in self.parts:
                self.parts[tp].records_at = now
        if silent:
            try:
                self.consumer.topics()  # a metadata request: updates the topic ids
            except KafkaError as exc:
                log.debug("metadata refresh failed: %s", exc)

    def _check_topic_ids(self, batches: dict) -> None:
        """A partition whose topic now has another id than the one consumed was reset: its records of
        this poll come from the new log, and are read again from offset 0 of the new epoch."""
        for tp, part in list(self.parts.items()):
            current = topic_id_of(self.consumer, tp.topic)
            if current is None:
                continue
            if part.topic_id is None:
                part.topic_id = current
            elif current != part.topic_id:
                batches.pop(tp, None)
                self._new_epoch(tp, part, f"its topic id changed from {part.topic_id} to {current}", current)

    def _take(self, part: _Partition, chunks: list[Chunk]) -> int:
        """Buffer a poll's record batches of one partition; returns the messages taken."""
        taken = 0
        for chunk in chunks:
            offsets = chunk.offsets
            i, n = bisect_left(offsets, part.position), len(offsets)  # below: fetched before a seek back
            while i < n:
                if part.fence is not None:  # replaying the newest lake range: one by one up to its end
                    if not self._take_one(part, chunk, i):
                        return taken
                    taken, i = taken + 1, i + 1
                    continue
                j = min(n, i + self.flush_records - part.messages)
                self._buffer(part, chunk, i, j)
                taken, i = taken + j - i, j
                if part.messages >= self.flush_records:
                    self._flush_partition(part)
        return taken

    def _take_one(self, part: _Partition, chunk: Chunk, i: int) -> bool:
        """Take message `i` of a replayed range; False when it shows the log is not the landed one."""
        offset = chunk.offsets[i]
        if part.verify_fp is not None and offset >= part.fence:
            if offset == part.fence and fingerprint(chunk.timestamps[i], chunk.keys[i],
                                                    chunk.values[i]) != part.verify_fp:
                self._new_epoch(part.tp, part, f"its message at offset {offset} is not the one the lake holds "
                                               "for that offset")
                return False
            part.verify_fp = None  # the same log: the replay goes on
        if offset > part.fence:
            self._flush_partition(part)  # close the replayed range exactly where it was
        self._buffer(part, chunk, i, i + 1)
        if (part.fence is not None and offset >= part.fence) or part.messages >= self.flush_records:
            self._flush_partition(part)
        return True

    @staticmethod
    def _buffer(part: _Partition, chunk: Chunk, i: int, j: int) -> None:
        """Append messages i..j-1 of a batch to the partition's buffer."""
        if part.first is None:
            part.first, part.first_ts_ms, part.buffered_since = chunk.offsets[i], chunk.timestamps[i], time.monotonic()
        part.values += chunk.values[i:j]
        part.offsets += chunk.offsets[i:j]
        part.timestamps += chunk.timestamps[i:j]
        part.timestamp_types += [chunk.timestamp_type] * (j - i)
        part.last = part.offsets[-1]
        part.position = part.last + 1
        part.messages += j - i
        part.newest_ts_ms = chunk.timestamps[j - 1]
        part.last_record = (chunk.timestamps[j - 1], chunk.keys[j - 1], chunk.values[j - 1])

    def _check_highwater(self, tp: TopicPartition, part: _Partition) -> None:
        try:
            hw = self.consumer.highwater(tp)
        except KafkaError:
            return
        if hw is None:
            return
        if hw < part.position and part.messages == 0 and part.fence is None:
            # The log ends before offsets we already landed: the broker lost its log (Tansu keeps
            # topics in memory) or the topic was recreated. New offsets start a new epoch.
            self._new_epoch(tp, part, f"the log ends at {hw}, before offset {part.position}")
            return
        part.highwater = hw

    def _out_of_range(self, offsets: dict) -> None:
        tps = [tp for tp in offsets if tp in self.parts] or list(self.parts)
        try:
            starts = self.consumer.beginning_offsets(tps, timeout_ms=5000)
        except KafkaError as exc:
            self._broker_down(exc)
            return
        for tp in tps:
            part, start = self.parts[tp], starts.get(tp, 0)
            if part.position < start:
                # Offsets of this epoch read or landed: the lake was owed the rest, up to the log start.
                # None yet: retention ran before pulse first read the log, and nothing was owed.
                owed = _carries_on(part)
                lost_to = start - 1
                if part.fence is not None:
                    # Replay of the newest range no longer possible: its files stay as they are.
                    skip_from = part.fence + 1
                else:
                    skip_from = part.position
                self._flush_partition(part, final=True)
                part.fence, part.verify_fp = None, None
                if owed and skip_from <= lost_to:
                    self._lost(part, skip_from, lost_to, "expired from the broker (retention) before they were landed")
                elif not owed:
                    log.info("%s[%d]: its log starts at offset %d; landing from there", tp.topic, tp.partition, start)
                part.position = max(start, skip_from)
                self.consumer.seek(tp, part.position)
            else:
                self._new_epoch(tp, part, f"offset {part.position} is past the end of the log")

    def _new_epoch(self, tp: TopicPartition, part: _Partition, why: str, topic_id: str | None = None) -> None:
        """The partition's log started over: land what was buffered from the old log, record what the
        old log held that never landed, and land the new log from offset 0 as the next epoch."""
        replaying = part.fence is not None
        self._flush_partition(part, final=True)
        if not replaying and part.highwater is not None and part.highwater > part.position:
            self._lost(part, part.position, part.highwater - 1,
                       "were in the broker's log when it was reset, and were not landed yet")
        part.epoch += 1
        part.fence, part.verify_fp = None, None
        part.position = 0
        part.highwater = None
        part.topic_id = topic_id or topic_id_of(self.consumer, tp.topic)
        self._announce_reset(part, why, part.topic_id)
        self.consumer.seek(tp, 0)

    def _announce_reset(self, part: _Partition, why: str, topic_id: str | None) -> None:
        tp = part.tp
        record_reset(self.settings, part.spec.name, Reset(tp.topic, tp.partition, part.epoch, why, topic_id))
        log.warning("RESET %s[%d]: %s. Its log started over (a broker that restarted empty, or the topic deleted "
                    "and recreated): its offsets are landed from 0 as epoch %d, beside the earlier epochs' files. "
                    "`pulse lake audit` reports it.", tp.topic, tp.partition, why, part.epoch)

    def _lost(self, part: _Partition, first: int, last: int, why: str) -> None:
        tp = part.tp
        record_lost(self.settings, part.spec.name, Lost(tp.topic, tp.partition, part.epoch, first, last, why))
        log.warning("LOST %s[%d] epoch %d: offsets %d..%d (%d messages) %s; recorded, `pulse lake audit` fails "
                    "on it", tp.topic, tp.partition, part.epoch, first, last, last - first + 1, why)

    def _broker_down(self, exc: Exception) -> None:
        self._backoff_s = min(max(self._backoff_s * 2, 0.5), 10.0)
        self._retry_at = time.monotonic() + self._backoff_s
        if self.broker_ok:
            log.warning("Kafka at %s unavailable (%s); retrying with backoff up to 10s, buffered messages are "
                        "landed meanwhile", self.settings.bootstrap, exc)
        self.broker_ok = False
        self._last_refresh = 0.0
        for part in self.parts.values():
            self._flush_partition(part)

    def _broker_back(self) -> None:
        if not self.broker_ok:
            log.warning("Kafka at %s reachable again; resuming", self.settings.bootstrap)
        self.broker_ok = True
        self._backoff_s = 0.0

    # -- landing --------------------------------------------------------------------------------
    def flush(self) -> int:
        """Land everything buffered; returns the number of messages landed."""
        return sum(self._flush_partition(part) for part in list(self.parts.values()))

    def _flush_partition(self, part: _Partition, final: bool = False) -> int:
        """Land the partition's buffer: decode, write its files, account for it.

        While the newest lake range is being replayed nothing is written before its last offset
        (a shorter range would overlap it); `final` (the partition is given up, reset or skipped)
        then drops the replayed messages: they are in the lake already.
        """
        if part.first is None:
            return 0
        if part.fence is not None and part.last < part.fence:
            if final:
                self._reset_buffer(part)
            return 0
        replay = part.fence is not None
        if self.group and part.tp not in self.consumer.assignment():
            # The group gave this partition to another ingester meanwhile: it replays from the
            # lake; writing here could overlap its ranges.
            log.warning("%s[%d]: no longer assigned; dropping %d buffered messages (the new owner lands them)",
                        part.tp.topic, part.tp.partition, part.messages)
            self._reset_buffer(part)
            return 0
        rec = part.last_record
        job = _Job(part, part.spec, part.tp.topic, part.tp.partition, part.epoch, part.first, part.last,
                   part.first_ts_ms, part.values, part.offsets, part.timestamps, part.timestamp_types,
                   file_metadata(part.topic_id, fingerprint(*rec) if rec else None))
        if part.fence is not None and part.last >= part.fence:
            part.fence = None
        n = part.messages
        self._reset_buffer(part)
        # Landing inline, not on a second thread: measured, the GIL contention of a landing
        # thread against kafka-python's pure-Python fetch loop cost more than the overlap won.
        self._account(job, *self._land(job, replay))
        return n

    def _land(self, job: _Job, replay: bool = False) -> tuple[int, int, int]:
        """Decode and write one flush; returns (rows landed, records quarantined, files written).

        A replay of the newest range writes only the files missing from the lake (those of a flush
        cut short by a crash): a file that exists was written whole, and keeping it keeps its
        `_ingested_at`, which incremental models use as their watermark.
        """
        spec = job.spec
        name = file_stem(job.topic, job.partition, job.first, job.last, job.epoch)
        table, bad = decode_batch(spec, job.values, job.offsets, self.max_message_bytes)
        now = datetime.now(UTC).replace(tzinfo=None)
        files = 0
        if bad:
            lake = {"_source": spec.name, "_ingested_at": now, "_topic": job.topic, "_partition": job.partition,
                    "_file": None}
            for rec in bad:
                rec.update(lake)
            # Named after the range too, in the folder of the range's first message time, so a
            # replay finds it instead of adding a second copy.
            day = _day_of(job.first_ts_ms)
            path = partition_dir(quarantine_dir(self.settings, spec.name), day) / f"{name}.parquet"
            if not (replay and path.exists()):
                write_quarantine(self.settings, spec.name, bad, name, day, job.metadata)
                files += 1
        if table.num_rows:
            files += len(write_table_by_day(self.settings, spec, _with_lake_columns(table, spec, job, now), name,
                                            skip_existing=replay, metadata=job.metadata))
        return table.num_rows, len(bad), files

    def _account(self, job: _Job, rows: int, quarantined: int, files: int) -> None:
        """Counters, last flush time and the metrics line of a landed flush."""
        part, n = job.part, len(job.offsets)
        part.landed_messages += n
        part.landed_rows += rows
        part.quarantined += quarantined
        part.last_flush_at = time.time()
        self._files_written += files
        if self.metrics is not None:
            s = part.stats()
            self.metrics.write([{
                "topic": job.topic, "partition": job.partition, "epoch": job.epoch, "first": job.first,
                "last": job.last, "messages": n, "rows": rows, "quarantined": quarantined,
                "position": s.position, "highwater": s.highwater, "lag": s.lag,
                "behind_s": None if s.behind_s is None else round(s.behind_s, 3),
                "records_per_s": round(s.records_per_s, 1), "retention_s": retention_s(job.topic),
                "warning": s.warning}])
            if s.warning:
                log.warning(s.warning)

    @staticmethod
    def _reset_buffer(part: _Partition) -> None:
        part.first, part.last, part.first_ts_ms, part.last_record = None, -1, None, None
        part.values, part.offsets, part.timestamps, part.timestamp_types, part.messages = [], [], [], [], 0

    def stats(self, stats: IngestStats | None = None) -> IngestStats:
        """Per-partition state now (fills `stats` when given)."""
        stats = stats or IngestStats()
        stats.partitions = {(tp.topic, tp.partition): part.stats() for tp, part in self.parts.items()}
        stats.broker_ok = self.broker_ok
        stats.files_written = self._files_written
        return stats

    def close(self) -> None:
        """Land what is buffered and close the consumer (leaving the group, if any)."""
        try:
            self.flush()
        finally:
            self.consumer.close(autocommit=False)

    def __enter__(self) -> KafkaIngester:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class _Job:
    """One flush: a partition's contiguous offset range, still raw."""

    part: _Partition
    spec: SourceSpec
    topic: str
    partition: int
    epoch: int
    first: int
    last: int
    first_ts_ms: int | None
    values: list[bytes | None]
    offsets: list[int]  # ascending
    timestamps: list[int]
    timestamp_types: list[int]
    metadata: dict[bytes, bytes] = field(default_factory=dict)  # identifies the log (ingest.kafka.epochs)


class _Rebalance(ConsumerRebalanceListener):
    """Group mode: land what a partition buffered before giving it up; seek to the lake on gain."""

    def __init__(self, ingester: KafkaIngester):
        self.ingester = ingester

    def on_partitions_revoked(self, revoked):
        ing = self.ingester
        for tp in list(revoked):
            part = ing.parts.pop(tp, None)
            if part is not None and part.first is not None:
                ing.parts[tp] = part  # still ours while the callback runs: land, then forget
                ing._flush_partition(part, final=True)
                ing.parts.pop(tp, None)


    def on_partitions_assigned(self, assigned):
        self.ingester._start_partitions([tp for tp in assigned if tp not in self.ingester.parts])


def _carries_on(part: _Partition) -> bool:
    """Whether the partition has read or landed offsets of its epoch (a resume point at offset 0
    always replays the lake's newest range, so it has a fence)."""
    return part.position > 0 or part.fence is not None


def _with_lake_columns(table: pa.Table, spec: SourceSpec, job: _Job, now: datetime) -> pa.Table:
    n = table.num_rows
    # Each row's message, by its offset (the job's offsets ascend; a message may give several rows).
    at = pa.array(np.searchsorted(np.asarray(job.offsets), table["_offset"].to_numpy()))
    lake = {"_source": pa.repeat(spec.name, n),
            "_ingested_at": pa.repeat(pa.scalar(now, pa.timestamp("us")), n),
            "_topic": pa.repeat(job.topic, n), "_partition": pa.repeat(pa.scalar(job.partition, pa.int32()), n),
            "_file": pa.nulls(n, pa.string()),
            **{name: col.take(at) for name, col in kafka_timestamp_columns(job.timestamps,
                                                                            job.timestamp_types).items()}}
    columns = {name: lake[name] if name in lake else table[name] for name in spec.schema.names}
    return pa.table(columns).cast(spec.schema)


def kafka_timestamp_columns(timestamps: list[int | None], types: list[int]) -> dict[str, pa.Array]:
    """`_kafka_timestamp` (UTC) and `_kafka_timestamp_type` per message; a broker that gives no
    timestamp (-1, pre-0.10 formats) leaves both null."""
    ms = pa.array(timestamps, pa.int64())
    unknown = pc.fill_null(pc.less(ms, 0), True)
    names = pc.take(pa.array([KAFKA_TIMESTAMP_TYPES.get(k) for k in range(max(KAFKA_TIMESTAMP_TYPES) + 1)],
                             pa.string()), pa.array(types, pa.int64()))
    null_ts, null_name = pa.scalar(None, pa.timestamp("us")), pa.scalar(None, pa.string())
    return {"_kafka_timestamp": pc.if_else(unknown, null_ts, pc.multiply(ms, 1000).cast(pa.timestamp("us"))),
            "_kafka_timestamp_type": pc.if_else(unknown, null_name, names)}


def _day_of(ts_ms: int | None) -> date:
    if ts_ms is None or ts_ms < 0:
        return date(1970, 1, 2)
    return datetime.fromtimestamp(ts_ms / 1000, UTC).date()


def ingest_until_caught_up(settings: Settings, sources: list[str] | None = None, *, timeout_s: float = 300.0,
                           **options: Any) -> IngestStats:
    """Land every configured topic up to its high watermark, then stop. Raises on timeout."""
    deadline = time.monotonic() + timeout_s
    with KafkaIngester(settings, sources, **options) as ing:
        total = 0
        while True:
            stats = ing.poll_once(0.2)
            total += stats.polled
            if stats.polled == 0 and stats.broker_ok and stats.partitions and all(
                    p.highwater is not None and p.position >= p.highwater for p in stats.partitions.values()):
                break  # everything up to the high watermarks is consumed; the flush below lands it
            if stats.polled == 0 and stats.broker_ok and not stats.partitions and not ing.group:
                break  # none of the topics exists yet: nothing to land
            if time.monotonic() > deadline:
                ing.flush()
                raise RuntimeError(f"ingest kafka: not caught up after {timeout_s:.0f}s (lag {stats.lag} messages"
                                   f"{'' if stats.broker_ok else ', broker unavailable: ' + str(stats.error)})")
        ing.flush()
        stats = ing.stats(IngestStats(polled=total))
    return stats
