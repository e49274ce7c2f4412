"""Connecting to Kafka with a bounded wait and one clear line when nobody answers.

kafka-python's consumer blocks for 30 s on an unreachable bootstrap address and then raises a
timeout whose traceback says nothing about what to do. Commands connect through `consumer()`:
a TCP probe answers at once for the common case (nothing listens on the port), and the
client's own bootstrap wait is capped, so an unreachable broker is reported within ~6 s as a
`BrokerUnavailable` naming the address, with the hint to start one.
"""

from __future__ import annotations

import socket
from typing import Any

from kafka import KafkaConsumer
from kafka.errors import KafkaError

from ingest.config import Settings

CONNECT_TIMEOUT_S = 6.0


class BrokerUnavailable(RuntimeError):
    """No Kafka broker answers at the configured address."""


def hint(settings: Settings) -> str:
    if settings.uses_embedded_broker:
        return (f"start one with `pulse broker start` (PULSE_BROKER_PORT={settings.broker_port}), or point "
                "KAFKA_BOOTSTRAP_SERVERS at a cluster")
    return "check KAFKA_BOOTSTRAP_SERVERS and that the cluster is up, or unset it to use `pulse broker start`"


def unavailable(settings: Settings, reason: str) -> BrokerUnavailable:
    return BrokerUnavailable(f"no Kafka broker answers at {settings.bootstrap} ({reason}); {hint(settings)}")


def probe(settings: Settings, timeout_s: float = 3.0) -> None:
    """Raise BrokerUnavailable unless some bootstrap address accepts a TCP connection."""
    reasons = []
    for address in settings.bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=timeout_s):
                return
        except (OSError, ValueError) as exc:
            reasons.append(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)
    raise unavailable(settings, "; ".join(dict.fromkeys(reasons)).lower())


def consumer(settings: Settings, **config: Any) -> KafkaConsumer:
    """A KafkaConsumer on `settings`' cluster, or BrokerUnavailable within ~CONNECT_TIMEOUT_S."""
    probe(settings)
    try:
        return KafkaConsumer(**settings.kafka_client_config(),
                             **{"bootstrap_timeout_ms": int(CONNECT_TIMEOUT_S * 1000), **config})
    except KafkaError as exc:
        raise unavailable(settings, str(exc).removeprefix(f"{type(exc).__name__}: ") or type(exc).__name__) from None
