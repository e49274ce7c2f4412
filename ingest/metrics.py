"""Ingestion metrics: one JSON line per flushed partition, and the retention warning rule.

`<data_dir>/metrics/kafka_ingest.jsonl` gets a line per partition per flush (lines stay far below
PIPE_BUF, so appends from several ingesters never interleave). The file is rotated to `.1` past
64 MB. Fields: ts, host, pid, topic, partition, epoch, first, last, messages, rows, quarantined,
position, highwater, lag, behind_s, records_per_s, retention_s, warning.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from ingest.config import Settings

METRICS_FILE = "kafka_ingest.jsonl"
ROTATE_BYTES = 64 * 1024 * 1024
# How long the broker keeps a topic's messages, where it matters (the campaign case's view_log
# keeps 3 minutes). Override per topic with PULSE_RETENTION_S_<TOPIC> (seconds).
DEFAULT_RETENTION_S = {"view_log": 180.0}
# Warn when the oldest unlanded message is this share of the retention old.
RETENTION_WARN_SHARE = 0.5


def retention_s(topic: str, env: dict[str, str] | None = None) -> float | None:
    env = os.environ if env is None else env
    value = env.get(f"PULSE_RETENTION_S_{topic.upper().replace('.', '_').replace('-', '_')}")
    if value:
        return float(value)
    return DEFAULT_RETENTION_S.get(topic)


def retention_warning(topic: str, partition: int, lag: int | None, behind_s: float | None,
                      retention: float | None) -> str | None:
    """A warning when unlanded messages get close to expiring from the broker."""
    if not lag or behind_s is None or retention is None or behind_s < RETENTION_WARN_SHARE * retention:
        return None
    return (f"{topic}[{partition}] is {behind_s:.0f}s behind with {lag} messages unlanded; the topic keeps "
            f"messages {retention:.0f}s, older ones will be lost")


class MetricsWriter:
    def __init__(self, settings: Settings):
        self.path = settings.data_dir / "metrics" / METRICS_FILE
        self._host = socket.gethostname()
        self._pid = os.getpid()

    def write(self, entries: list[dict[str, Any]]) -> None:
        if not entries:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._rotate_if_big(self.path)
        now = time.time()
        lines = "".join(json.dumps({"ts": round(now, 3), "host": self._host, "pid": self._pid, **e},
                                   default=str) + "\n" for e in entries)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            for line in lines.splitlines(keepends=True):  # one write per line: atomic appends
                os.write(fd, line.encode())
        finally:
            os.close(fd)

    @staticmethod
    def _rotate_if_big(path: Path) -> None:
        try:
            if path.stat().st_size > ROTATE_BYTES:
                os.replace(path, path.with_name(path.name + ".1"))
        except FileNotFoundError:
            pass


def read_metrics(settings: Settings) -> list[dict[str, Any]]:
    path = settings.data_dir / "metrics" / METRICS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
