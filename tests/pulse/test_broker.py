"""The embedded broker over the real Kafka protocol."""

import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from ingest.config import load_settings
from pulse import broker
from tests.conftest import free_port


def test_produce_consume_round_trip(kafka_broker):
    topic = f"roundtrip_{time.time_ns()}"
    producer = KafkaProducer(bootstrap_servers=kafka_broker)
    sent = [f"message {i}".encode() for i in range(50)]
    for value in sent:
        producer.send(topic, value, key=b"k")
    producer.flush()
    producer.close()

    consumer = KafkaConsumer(bootstrap_servers=kafka_broker, enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    received: list[bytes] = []
    deadline = time.monotonic() + 60  # generous: the machine may be loaded
    while len(received) < len(sent) and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            received.extend(r.value for r in records)
    consumer.close()
    assert received == sent


def test_start_status_stop_only_touch_our_process(tmp_path):
    settings = load_settings({"PULSE_DATA_DIR": str(tmp_path), "PULSE_BROKER_PORT": str(free_port())})
    started = broker.start(settings)
    try:
        assert started.running and started.pid
        assert broker.start(settings).detail == "already running"
        assert broker.status(settings).running
        assert (tmp_path / "run" / "broker.log").exists()
    finally:
        stopped = broker.stop(settings)
    assert stopped.pid == started.pid
    assert not broker.status(settings).running
    assert broker.stop(settings).detail == "not started by pulse"


def test_external_cluster_is_used_not_started(kafka_broker, tmp_path):
    settings = load_settings({"PULSE_DATA_DIR": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": kafka_broker})
    st = broker.start(settings)
    assert st.pid is None and "nothing started" in st.detail
    assert not (tmp_path / "run" / "broker.pid").exists()
