"""The lander's record parser (ingest/kafka/records.py) reads what kafka-python's own reads, from a
real broker: offsets, timestamps and their type, keys, values (null ones too), with and without
compression, with headers, and from a position inside a compressed batch."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

from ingest.kafka.records import Chunk, lean

pytestmark = pytest.mark.integration


def consumer_at(bootstrap: str, tp: TopicPartition, start: int, *, chunked: bool) -> KafkaConsumer:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    if chunked:
        lean(consumer)
    consumer.assign([tp])
    consumer.seek(tp, start)
    return consumer


def stock_records(bootstrap: str, tp: TopicPartition, start: int, n: int) -> list[tuple]:
    consumer = consumer_at(bootstrap, tp, start, chunked=False)
    out: list[tuple] = []
    deadline = time.monotonic() + 60
    while len(out) < n and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            out += [(r.offset, r.timestamp, r.timestamp_type, r.key, r.value) for r in records]
    consumer.close()
    assert len(out) == n, f"read {len(out)} of {n} records"
    return out


def lean_records(bootstrap: str, tp: TopicPartition, start: int, n: int) -> list[tuple]:
    consumer = consumer_at(bootstrap, tp, start, chunked=True)
    out: list[tuple] = []
    deadline = time.monotonic() + 60
    while len(out) < n and time.monotonic() < deadline:
        for chunks in consumer.poll(timeout_ms=500).values():
            for chunk in chunks:
                assert isinstance(chunk, Chunk) and chunk.topic_partition == tp
                out += [(o, t, chunk.timestamp_type, k, v) for o, t, k, v in
                        zip(chunk.offsets, chunk.timestamps, chunk.keys, chunk.values, strict=True)]
    assert len(out) == n, f"read {len(out)} of {n} records"
    # The consumer's position follows what was handed out.
    assert consumer.position(tp) == out[-1][0] + 1
    consumer.close()
    return out


def test_lean_records_equal_kafka_pythons(kafka_broker):
    topic = f"rec_{uuid.uuid4().hex[:10]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker)
    admin.create_topics([NewTopic(topic, 1, 1)])
    admin.close()
    values = [None if i % 17 == 0 else f'{{"i": {i}, "text": "{"é" * (i % 300)}"}}'.encode() for i in range(600)]
    for compression in (None, "gzip"):
        producer = KafkaProducer(bootstrap_servers=kafka_broker, linger_ms=20, compression_type=compression)
        for i, value in enumerate(values):
            key = None if i % 3 == 0 and value is not None else f"k{i}".encode()  # not both null
            headers = [("h", b"x" * (i % 5))] if i % 2 else None
            producer.send(topic, value, key=key, headers=headers, partition=0)
        producer.flush()
        producer.close()
    tp = TopicPartition(topic, 0)
    n = 2 * len(values)
    stock = stock_records(kafka_broker, tp, 0, n)
    assert lean_records(kafka_broker, tp, 0, n) == stock
    assert [r[4] for r in stock] == values + values
    # From inside a compressed batch: the records before the position are not handed out.
    start = len(values) + 5
    assert lean_records(kafka_broker, tp, start, n - start) == stock[start:]
