"""Which incarnation of a topic the lake holds, and what was lost between incarnations.

Offsets name messages only within one incarnation of a topic's log: a broker that restarts empty
(the embedded one keeps topics in memory) or a topic deleted and recreated starts again at 0, and
new messages then reuse offsets the lake already holds. So every Kafka-landed file records, in its
Parquet key-value metadata, what identifies the log it came from:

    pulse.topic_id   the topic id the broker's metadata gives (Kafka >= 2.8, Tansu), when it gives one
    pulse.last_fp    a fingerprint of the range's last message (timestamp, key, value)

On resume the ingester compares both with the broker (the id from metadata, the fingerprint by
re-reading that message, which it replays anyway); while following it compares the id after every
poll. A mismatch starts a new epoch (`ingest.kafka.names`: `<topic>@<epoch>+...`), logged loudly and
recorded here. Offsets that can no longer be landed are recorded as lost ranges:
  - retention deleted them before they were landed (the log now starts past the lake's next offset);
  - the log was reset while messages the ingester had seen in it were not landed yet.

Records live beside the file ledger, one JSON file each, named so that writing one twice is
idempotent:
    <lake>/_ledger/kafka/<source>/<topic>@<epoch>+<partition>+<first>-<last>.lost.json
    <lake>/_ledger/kafka/<source>/<topic>@<epoch>+<partition>.reset.json   (epoch = the new one)
`pulse lake audit` reads them: lost ranges fail it, resets are reported per epoch.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ingest.config import Settings

TOPIC_ID_KEY = b"pulse.topic_id"
LAST_FP_KEY = b"pulse.last_fp"
_NIL_UUID = "00000000-0000-0000-0000-000000000000"
_LOST = re.compile(r"^(?P<topic>.+)@(?P<epoch>\d+)\+(?P<partition>\d+)\+(?P<first>\d+)-(?P<last>\d+)\.lost\.json$")
_RESET = re.compile(r"^(?P<topic>.+)@(?P<epoch>\d+)\+(?P<partition>\d+)\.reset\.json$")


def fingerprint(timestamp_ms: int | None, key: bytes | None, value: bytes | None) -> str:
    """Short digest of one message: a different message at the same offset differs here."""
    h = hashlib.blake2b(digest_size=8)
    h.update(str(timestamp_ms).encode())
    for part in (key, value):
        h.update(b"\x00" if part is None else b"\x01" + len(part).to_bytes(8, "big") + part)
    return h.hexdigest()


def file_metadata(topic_id: str | None, last_fp: str | None) -> dict[bytes, bytes]:
    meta = {}
    if topic_id:
        meta[TOPIC_ID_KEY] = topic_id.encode()
    if last_fp:
        meta[LAST_FP_KEY] = last_fp.encode()
    return meta


def read_file_metadata(path: Path) -> tuple[str | None, str | None]:
    """(topic id, last message fingerprint) a landed file recorded; None where it recorded none."""
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, ValueError):
        return None, None
    topic_id, fp = meta.get(TOPIC_ID_KEY), meta.get(LAST_FP_KEY)
    return (topic_id.decode() if topic_id else None), (fp.decode() if fp else None)


def topic_id_of(consumer: Any, topic: str) -> str | None:
    """The broker's id of `topic` from the client's metadata, or None (older brokers/clients)."""
    lookup = getattr(getattr(getattr(consumer, "_client", None), "cluster", None), "topic_id", None)
    if lookup is None:
        return None
    value = lookup(topic)
    text = str(value) if value else None
    return None if text in (None, _NIL_UUID) else text


@dataclass(frozen=True)
class Lost:
    topic: str
    partition: int
    epoch: int
    first: int
    last: int
    reason: str
    detected_at: str = ""

    @property
    def count(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class Reset:
    topic: str
    partition: int
    epoch: int  # the epoch that started
    reason: str
    topic_id: str | None = None
    detected_at: str = ""


def ledger_dir(settings: Settings, source: str) -> Path:
    return settings.lake_dir / "_ledger" / "kafka" / source


def record_lost(settings: Settings, source: str, lost: Lost) -> Path:
    name = f"{lost.topic}@{lost.epoch}+{lost.partition}+{lost.first}-{lost.last}.lost.json"
    return _write_once(ledger_dir(settings, source) / name, lost)


def record_reset(settings: Settings, source: str, reset: Reset) -> Path:
    return _write_once(ledger_dir(settings, source) / f"{reset.topic}@{reset.epoch}+{reset.partition}.reset.json",
                       reset)


def _write_once(path: Path, record: Lost | Reset) -> Path:
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {**asdict(record), "detected_at": record.detected_at or datetime.now(UTC).isoformat(timespec="seconds")}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(body))
    os.replace(tmp, path)
    return path


def read_ledger(settings: Settings, sources: list[str]) -> tuple[list[Lost], list[Reset]]:
    lost: list[Lost] = []
    resets: list[Reset] = []
    for source in sources:
        folder = ledger_dir(settings, source)
        if not folder.is_dir():
            continue
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if _LOST.match(entry.name):
                lost.append(Lost(**json.loads(Path(entry.path).read_text())))
            elif _RESET.match(entry.name):
                resets.append(Reset(**json.loads(Path(entry.path).read_text())))
    return lost, resets
