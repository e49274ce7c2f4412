"""A consumer's fetched records as columns, one `Chunk` per record batch, instead of one
`ConsumerRecord` per message.

kafka-python unpacks every record into a `DefaultRecord` and then a `ConsumerRecord` namedtuple
(headers, sizes, deserializers, properties read twice): profiled, that is most of a consume
loop's time, and the lander only needs each message's offset, timestamp, key and value. `lean()`
swaps the fetcher's record parser of one consumer for `ChunkedRecords`, which reads a batch's
records straight from its buffer. Batch handling stays kafka-python's (CRC check,
decompression, control batches, aborted transactions, offsets to resume from); older message
formats (magic 0 and 1) go through kafka-python's own record objects. The position logic is the
same: a chunk never holds an offset below the one fetched, and the fetcher's next offset follows
the records handed out. tests/ingest/test_kafka_records.py compares both parsers.

It relies on kafka-python 3.0's fetcher internals (`Fetcher.PartitionRecords`), pinned in
pyproject.toml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from kafka.consumer.fetcher import Fetcher, IsolationLevel
from kafka.errors import CorruptRecordError
from kafka.record.util import decode_varint
from kafka.structs import TopicPartition

_LOG_APPEND_TIME = 1


@dataclass
class Chunk:
    """Consecutive records of one batch of one partition (offsets ascending)."""

    topic_partition: TopicPartition
    offsets: list[int]
    timestamps: list[int]
    timestamp_type: int  # 0: CreateTime, 1: LogAppendTime (one per batch)
    keys: list[bytes | None]
    values: list[bytes | None]

    @property
    def offset(self) -> int:  # the first offset (the fetcher skips records below its position by it)
        return self.offsets[0]

    def __len__(self) -> int:
        return len(self.offsets)


def lean(consumer: Any) -> None:
    """Make `consumer.poll()` return `{TopicPartition: [Chunk, ...]}` for this consumer only."""
    consumer._fetcher.PartitionRecords = ChunkedRecords


class ChunkedRecords(Fetcher.PartitionRecords):
    def _unpack_records(self, tp, records, key_deserializer, value_deserializer):
        try:
            batch = records.next_batch()
            last_batch = None
            while batch is not None:
                last_batch = batch
                if self.check_crcs and not batch.validate_crc():
                    raise CorruptRecordError(f"Record batch for partition {tp} at offset {batch.base_offset} "
                                             "failed crc check")
                if batch.magic == 2:
                    self.leader_epoch = batch.leader_epoch
                    if self._skipped_transactional(batch) or batch.is_control_batch:
                        self.next_fetch_offset = batch.next_offset
                        batch = records.next_batch()
                        continue
                    chunk = _read_v2(tp, batch, self.fetch_offset)
                else:
                    chunk = _read_legacy(tp, batch, self.fetch_offset, self.check_crcs)
                if chunk is not None:
                    self.records_read += len(chunk)
                    self.next_fetch_offset = chunk.offsets[-1] + 1
                    yield chunk
                batch = records.next_batch()
            if last_batch is not None and last_batch.magic == 2:
                # v2 keeps a batch's last offset even when compaction removed its last record.
                self.next_fetch_offset = last_batch.next_offset
            self.drain()
        except StopIteration:  # a generator would swallow it (kafka-python issue 545)
            raise RuntimeError("StopIteration raised unpacking messageset") from None

    def _skipped_transactional(self, batch) -> bool:
        """kafka-python's read_committed rules: True when the batch is an aborted transaction's."""
        if self.isolation_level != IsolationLevel.READ_COMMITTED or not batch.has_producer_id():
            return False
        self._consume_aborted_transactions_up_to(batch.last_offset)
        if self._contains_abort_marker(batch):
            self.aborted_producer_ids.discard(batch.producer_id)
            return False
        return self._is_batch_aborted(batch)


def _read_v2(tp: TopicPartition, batch, fetch_offset: int) -> Chunk | None:
    """The records of a v2 batch at or after `fetch_offset` (layout: Kafka's message format v2).

    Only the walk over the records' lengths is a Python loop; each record's other fields are read
    for all records at once (numpy), and keys and values are sliced out of the buffer.
    """
    batch._maybe_uncompress()
    buf = bytes(batch._buffer)
    n = batch._num_records
    bodies = np.empty(n, dtype=np.int64)  # where each record's body (after its length) starts
    ends = np.empty(n, dtype=np.int64)
    pos = batch._pos
    try:
        for k in range(n):
            b = buf[pos]
            if b < 0x80:
                length, pos = (b >> 1) ^ -(b & 1), pos + 1
            else:
                length, pos = decode_varint(buf, pos)
            bodies[k] = pos
            pos += length
            ends[k] = pos
    except IndexError:
        raise _corrupt(tp, batch, "a record runs past the end of its batch") from None
    if pos != len(buf):
        raise _corrupt(tp, batch, f"{len(buf) - pos} bytes left after its {n} records")
    data = np.frombuffer(buf, dtype=np.uint8)
    ts_delta, at = _varints(data, bodies + 1, tp, batch)  # + 1: the attributes byte
    offset_delta, at = _varints(data, at, tp, batch)
    key_len, key_at = _varints(data, at, tp, batch)
    value_len, value_at = _varints(data, key_at + np.maximum(key_len, 0), tp, batch)
    if (value_at + np.maximum(value_len, 0) > ends).any():
        raise _corrupt(tp, batch, "a record's value runs past the record")
    offsets = batch.base_offset + offset_delta
    keep = offsets >= fetch_offset  # a fetch into the middle of a compressed batch returns all of it
    if not keep.all():
        offsets, ts_delta, key_len, key_at, value_len, value_at = (
            a[keep] for a in (offsets, ts_delta, key_len, key_at, value_len, value_at))
    if not len(offsets):
        return None
    if batch.timestamp_type == _LOG_APPEND_TIME:
        timestamps = [batch.max_timestamp] * len(offsets)
    else:
        timestamps = (batch.first_timestamp + ts_delta).tolist()
    return Chunk(tp, offsets.tolist(), timestamps, batch.timestamp_type,
                 _slices(buf, key_at.tolist(), key_len.tolist()), _slices(buf, value_at.tolist(), value_len.tolist()))


def _varints(data: np.ndarray, at: np.ndarray, tp: TopicPartition, batch) -> tuple[np.ndarray, np.ndarray]:
    """Kafka's zigzag varints starting at each position of `at`, and the positions after them."""
    raw = np.zeros(len(at), dtype=np.uint64)
    size = np.zeros(len(at), dtype=np.int64)
    going = np.arange(len(at))
    shift = 0
    while len(going):
        where = at[going] + size[going]
        if shift > 63 or (where >= len(data)).any():
            raise _corrupt(tp, batch, "a record's varint runs past its batch")
        b = data[where]
        raw[going] |= (b & 0x7F).astype(np.uint64) << np.uint64(shift)
        size[going] += 1
        going = going[b >= 0x80]
        shift += 7
    return (raw >> np.uint64(1)).astype(np.int64) ^ -(raw & np.uint64(1)).astype(np.int64), at + size


def _slices(buf: bytes, starts: list[int], lengths: list[int]) -> list[bytes | None]:
    return [buf[a:a + n] if n >= 0 else None for a, n in zip(starts, lengths, strict=True)]


def _corrupt(tp: TopicPartition, batch, what: str) -> CorruptRecordError:
    return CorruptRecordError(f"record batch at offset {batch.base_offset} of {tp}: {what}")


def _read_legacy(tp: TopicPartition, batch, fetch_offset: int, check_crcs: bool) -> Chunk | None:
    offsets, timestamps, keys, values = [], [], [], []
    kind = 0
    for record in batch:
        if check_crcs and not record.validate_crc():
            raise CorruptRecordError(f"Record for partition {tp} at offset {record.offset} failed crc check")
        if record.offset < fetch_offset:
            continue
        offsets.append(record.offset)
        timestamps.append(record.timestamp)
        kind = record.timestamp_type or 0
        keys.append(record.key)
        values.append(record.value)
    return Chunk(tp, offsets, timestamps, kind, keys, values) if offsets else None
