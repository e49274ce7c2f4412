"""Rate-controlled Kafka producing: token bucket, key partitioning, delivery accounting.

The hot path sends pre-serialised bytes in chunks: one token-bucket acquire and one vectorised
murmur2 (the Java client's partitioner, so one key always lands on the partition real Kafka
clients pick) per chunk, then a bare `producer.send` per message. Messages that fail after the
producer's retries are kept and written to an "undelivered" file; nothing is dropped silently.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np

from ingest.config import Settings, kafka_unreachable

M32 = np.uint64(0xFFFFFFFF)
_M = np.uint64(0x5BD1E995)

# Producer settings that matter for throughput: batching (linger_ms, batch_size), no per-record
# metrics, and a bounded wait when the broker is down instead of kafka-python's 60 s/120 s.
# linger 100 ms, not 20: the embedded broker's fetches cost more with every record batch a topic
# holds; at 5k messages/s over 12 partitions a 20 ms linger took it from 0.15 to 0.8 cores within a
# minute, 100 ms from 0.05 to 0.13 in two (bench/bench_live_load.py). A record waits at most 100 ms.
PRODUCER_TUNING = {
    "linger_ms": 100,
    "batch_size": 512 * 1024,
    "max_request_size": 4 * 1024 * 1024,
    "metrics_enabled": False,
    "max_block_ms": 15000,
    "delivery_timeout_ms": 30000,
    "request_timeout_ms": 10000,
    "bootstrap_timeout_ms": 5000,
}


def murmur2_many(keys: list[bytes]) -> np.ndarray:
    """Kafka's murmur2 of each key (equal to kafka.partitioner.default.murmur2), vectorised."""
    out = np.zeros(len(keys), dtype=np.uint64)
    by_len: dict[int, list[int]] = {}
    for i, k in enumerate(keys):
        by_len.setdefault(len(k), []).append(i)
    for length, idx in by_len.items():
        arr = np.frombuffer(b"".join(keys[i] for i in idx), dtype=np.uint8).reshape(len(idx), length)
        h = np.full(len(idx), (0x9747B28C ^ length) & 0xFFFFFFFF, dtype=np.uint64)
        n4 = length // 4
        if n4:
            words = np.ascontiguousarray(arr[:, : n4 * 4]).view("<u4").astype(np.uint64)
            for j in range(n4):
                k = (words[:, j] * _M) & M32
                k ^= k >> np.uint64(24)
                k = (k * _M) & M32
                h = ((h * _M) & M32) ^ k
        extra = length % 4
        base = n4 * 4
        if extra >= 3:
            h ^= arr[:, base + 2].astype(np.uint64) << np.uint64(16)
        if extra >= 2:
            h ^= arr[:, base + 1].astype(np.uint64) << np.uint64(8)
        if extra >= 1:
            h ^= arr[:, base].astype(np.uint64)
            h = (h * _M) & M32
        h ^= h >> np.uint64(13)
        h = (h * _M) & M32
        h ^= h >> np.uint64(15)
        out[np.asarray(idx)] = h
    return out


def partitions_for_keys(keys: list[bytes], partitions: list[int]) -> list[int]:
    idx = (murmur2_many(keys) & np.uint64(0x7FFFFFFF)) % np.uint64(len(partitions))
    table = np.asarray(partitions)
    return table[idx.astype(np.int64)].tolist()


class TokenBucket:
    """Sustained `rate_at(elapsed)` messages/s, at most `burst` at once after an idle spell.

    It starts empty, so a run's achieved rate is its target from the first message on.
    """

    def __init__(self, rate_at, burst: float):
        self._rate_at = rate_at
        self.burst = max(float(burst), 1.0)
        self.tokens = 0.0
        self.start = self._last = time.monotonic()

    def acquire(self, n: int) -> None:
        while True:
            now = time.monotonic()
            rate = self._rate_at(now - self.start)
            self.tokens = min(self.burst, self.tokens + (now - self._last) * rate)
            self._last = now
            if self.tokens >= n:
                self.tokens -= n
                return
            time.sleep((n - self.tokens) / rate)


def chunk_size(rate: float | None, burst: float | None) -> int:
    """Messages per bucket acquire: ~5 ms worth of the rate, within the burst, 1..500."""
    if rate is None:
        return 500
    size = int(rate / 200) or 1
    if burst:
        size = min(size, int(burst))
    return max(1, min(size, 500))


def ensure_topic(settings: Settings, topic: str, partitions: int) -> None:
    """Create `topic` with `partitions` partitions unless it exists; clear errors otherwise."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import KafkaError, TopicAlreadyExistsError

    try:
        admin = KafkaAdminClient(**settings.kafka_client_config(), request_timeout_ms=10000,
                                 bootstrap_timeout_ms=5000)
    except (KafkaError, OSError) as exc:
        raise kafka_unreachable(settings, exc) from None
    try:
        if topic in admin.list_topics():
            return
        try:
            admin.create_topics([NewTopic(topic, partitions, 1)])
        except TopicAlreadyExistsError:
            pass
        except KafkaError as exc:
            raise RuntimeError(f"topic {topic!r} is missing and could not be created ({exc})") from None
    finally:
        admin.close()


def make_producer(settings: Settings, **overrides):
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    try:
        return KafkaProducer(**settings.kafka_client_config(), **{**PRODUCER_TUNING, **overrides})
    except (KafkaError, OSError) as exc:
        raise kafka_unreachable(settings, exc) from None


def topic_partitions(producer, topic: str, settings: Settings) -> list[int]:
    from kafka.errors import KafkaError

    try:
        parts = producer.partitions_for(topic)
    except KafkaError as exc:
        raise RuntimeError(f"topic {topic!r} is not available on {settings.bootstrap} ({exc})") from None
    if not parts:
        raise RuntimeError(f"topic {topic!r} does not exist on {settings.bootstrap} and was not created")
    return sorted(parts)


@dataclass
class SendStats:
    """Live counters of one producer; `failed` is written by kafka-python's sender thread."""

    sent: int = 0
    failed: int = 0
    not_sent: int = 0  # generated but never handed to the producer (a send raised)
    undelivered: list[tuple[bytes, bytes, str]] = field(default_factory=list)
    error: str | None = None

    def on_error(self, key: bytes, value: bytes, exc: Exception) -> None:
        self.failed += 1
        if len(self.undelivered) < 1_000_000:
            self.undelivered.append((key, value, f"{type(exc).__name__}: {exc}"))


def send_all(producer, topic: str, partitions: list[int], messages: Iterable[tuple[bytes, bytes]],
             stats: SendStats, *, count: int | None = None, bucket: TokenBucket | None = None,
             chunk: int = 500, deadline: float | None = None, on_chunk=None) -> SendStats:
    """Send until `count` messages, the monotonic `deadline`, or the end of `messages`."""
    from kafka.errors import KafkaError

    it: Iterator = iter(messages)
    send = producer.send
    on_error = stats.on_error
    remaining = count
    while remaining is None or remaining > 0:
        n = chunk if remaining is None else min(chunk, remaining)
        if deadline is not None and time.monotonic() >= deadline:
            break
        if bucket is not None:
            bucket.acquire(n)
        batch = list(islice(it, n))
        if not batch:
            break
        parts = partitions_for_keys([k for k, _ in batch], partitions)
        done = 0
        try:
            for (key, value), part in zip(batch, parts, strict=True):
                send(topic, value, key, partition=part).add_errback(on_error, key, value)
                done += 1
        except KafkaError as exc:  # buffer full for max_block_ms: the broker is gone
            stats.sent += done
            stats.not_sent += len(batch) - done
            stats.undelivered.extend((k, v, f"not sent: {exc}") for k, v in batch[done:])
            stats.error = f"sending to {topic!r} stopped: {type(exc).__name__}: {exc}"
            break
        stats.sent += done
        if remaining is not None:
            remaining -= done
        if on_chunk is not None:
            on_chunk(stats)
    return stats


def finish(producer, stats: SendStats) -> None:
    """Flush (so every future resolves: delivered or failed) and close, never raising: a broker
    that went away is reported in `stats`, each message it did not take as failed."""
    from kafka.errors import KafkaError

    # Every batch is delivered or failed within the delivery timeout: that long is enough.
    wait_s = producer.config.get("delivery_timeout_ms", 120_000) / 1000 + 5
    try:
        producer.flush(timeout=wait_s)
    except KafkaError as exc:
        stats.error = stats.error or f"flush did not complete: {exc}"
    try:
        producer.close(timeout=5)  # flushes again; raises while a batch is still pending
    except KafkaError as exc:
        stats.error = stats.error or f"close did not complete: {exc}"
        # Seen with a SIGKILLed broker: a batch kafka-python never expires. Its forced close fails
        # the pending batches, so their errbacks count each message as failed (and write it to
        # the undelivered file) instead of it passing for delivered.
        sender = getattr(producer, "_sender", None)
        if sender is not None:
            sender.force_close()
            sender.join(5)


def write_undelivered(stats: SendStats, path: Path) -> Path | None:
    """One JSON line per message that was not delivered: key, value (text) and the reason."""
    if not stats.undelivered:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        for key, value, reason in stats.undelivered:
            fh.write(json.dumps({"key": key.decode("utf-8", "replace"),
                                 "value": value.decode("utf-8", "replace"), "reason": reason}) + "\n")
    return path
