"""One place for configuration: data dir, Kafka connection and topic names.

Everything reads the environment, so the CLI, dbt (`env_var()` in profiles.yml and
dbt_project.yml) and the tests see the same settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ingest.sources import TOPIC_SOURCES

DEFAULT_PORT = 9092
# Topics the live sources arrive on; each defaults to the source's own name.


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    bootstrap_servers: str | None  # None: use the embedded broker
    broker_port: int = DEFAULT_PORT
    topics: dict[str, str] = field(default_factory=dict)  # source -> topic
    kafka_security: dict[str, str] = field(default_factory=dict)

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def quarantine_dir(self) -> Path:
        return self.lake_dir / "_quarantine"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def run_dir(self) -> Path:
        """Pid files and logs of processes pulse started (the embedded broker)."""
        return self.data_dir / "run"

    @property
    def bootstrap(self) -> str:
        return self.bootstrap_servers or f"127.0.0.1:{self.broker_port}"

    @property
    def uses_embedded_broker(self) -> bool:
        return self.bootstrap_servers is None

    def topic(self, source: str) -> str:
        return self.topics.get(source, source)

    def kafka_client_config(self) -> dict[str, str]:
        """kafka-python keyword arguments: bootstrap servers plus TLS/SASL pass-through."""
        return {"bootstrap_servers": self.bootstrap, **self.kafka_security}


def kafka_unreachable(settings: Settings, exc: Exception) -> RuntimeError:
    """The one-line error for a broker that cannot be reached (producers and the ingester alike)."""
    hint = "start one with `pulse broker start`" if settings.uses_embedded_broker else "check KAFKA_BOOTSTRAP_SERVERS"
    return RuntimeError(f"cannot reach Kafka at {settings.bootstrap} ({type(exc).__name__}: {exc}); {hint}")


# Environment variable -> kafka-python client option, for real clusters.
_SECURITY_ENV = {
    "KAFKA_SECURITY_PROTOCOL": "security_protocol",
    "KAFKA_SASL_MECHANISM": "sasl_mechanism",
    "KAFKA_SASL_USERNAME": "sasl_plain_username",
    "KAFKA_SASL_PASSWORD": "sasl_plain_password",
    "KAFKA_SSL_CAFILE": "ssl_cafile",
    "KAFKA_SSL_CERTFILE": "ssl_certfile",
    "KAFKA_SSL_KEYFILE": "ssl_keyfile",
}


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    topics = {s: env.get(f"PULSE_TOPIC_{s.upper()}", s) for s in TOPIC_SOURCES}
    port = env.get("PULSE_BROKER_PORT", str(DEFAULT_PORT))
    if not port.isdigit():
        raise ValueError(f"PULSE_BROKER_PORT must be a port number, got {port!r}")
    return Settings(
        data_dir=Path(env.get("PULSE_DATA_DIR", "data")),
        bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
        broker_port=int(port),
        topics=topics,
        kafka_security={opt: env[var] for var, opt in _SECURITY_ENV.items() if env.get(var)},
    )
