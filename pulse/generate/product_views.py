"""mParticle product-view batches (CTR case): one batch per message, folders per platform.

Files: `<out>/product_views/<platform>/<date>-<n>.json`, each a JSON array of batches, exactly
the case's structure. Kafka: the same batch plus a top-level "platform"; key = str(mpid).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from pulse.generate.core import TimeText
from pulse.generate.formats import rows_of
from pulse.generate.shop import PLATFORMS, ShopSim

_DAY = TimeText("%Y-%m-%d")
BATCHES_PER_FILE = 5000


class ProductViews(ShopSim):
    name = "product_views"
    help = "mParticle product-view batches (topic product_views; JSON arrays per platform folder as files)"
    kind = "view"
    fields = ("events", "mpid", "timestamp_unixtime_ms", "batch_id", "message_id", "message_type", "schema_version")
    bad_kinds = ("malformed_json", "missing_field", "wrong_type")
    file_kinds = ("missing_field", "wrong_type")  # an array file must stay valid JSON

    def _event(self, ev: tuple, session_id: int) -> dict:
        name, t, pid, event_id = ev
        ms = round(t * 1000)
        if name == "screen_view":
            return {"data": {"screen_name": "Home", "timestamp_unixtime_ms": ms, "event_id": int(event_id),
                             "session_id": session_id}, "event_type": "screen_view"}
        if name == "category":
            attrs = {"category": "dresses", "base": "c"}
        else:
            code, price = self.products[pid]
            attrs = {"actualPrice": f"{price:g}", "base": "p", "codeColor": code}
        return {"data": {"custom_event_type": "navigation", "event_name": name, "timestamp_unixtime_ms": ms,
                         "event_id": int(event_id), "session_id": session_id, "custom_attributes": attrs},
                "event_type": "custom_event"}

    def as_dict(self, rec, shift: float = 0.0) -> dict:
        t, _, mpid, _platform, session_id, events, batch_id, message_id, fraction = rec
        if shift:
            events = tuple((n, et + shift, pid, eid) for n, et, pid, eid in events)
        ms = (t + shift) * 1000
        return {"events": [self._event(ev, session_id) for ev in events], "mpid": mpid,
                "timestamp_unixtime_ms": round(ms, 3) if fraction else round(ms),
                "batch_id": batch_id, "message_id": message_id, "message_type": "events", "schema_version": 1}

    def kafka_key(self, rec) -> bytes:
        return str(rec[2]).encode()

    def kafka_value(self, rec, shift: float = 0.0) -> bytes:
        d = self.as_dict(rec, shift)
        d["platform"] = rec[3]
        return json.dumps(d, separators=(",", ":")).encode()

    def bad_dict(self, rec, kind, rng) -> dict:
        d = self.as_dict(rec)
        d["platform"] = rec[3]
        data = d["events"][0]["data"]
        if kind == "missing_field":
            target = rng.choice(("mpid", "timestamp", "codeColor"))
            if target == "mpid":
                del d["mpid"]
            elif target == "timestamp":
                del data["timestamp_unixtime_ms"]
            else:
                data["custom_attributes"].pop("codeColor", None)
                data["custom_attributes"].pop("category", None)
        else:  # wrong_type
            data["timestamp_unixtime_ms"] = "yesterday"
        return d

    def write_files(self, stream, out: Path) -> list:
        # Batches per (platform, UTC day); each file is one JSON array of up to BATCHES_PER_FILE.
        root = out / "product_views"
        for p in PLATFORMS:
            (root / p).mkdir(parents=True, exist_ok=True)
        pending: dict[tuple[str, str], list[dict]] = defaultdict(list)
        parts: dict[tuple[str, str], int] = defaultdict(int)
        written: list[Path] = []

        def flush(key: tuple[str, str]) -> None:
            parts[key] += 1
            path = root / key[0] / f"{key[1]}-{parts[key]:04d}.json"
            path.write_text(json.dumps(pending.pop(key), separators=(",", ":")))
            written.append(path)

        for rec, row in rows_of(self, stream):
            row.pop("platform", None)  # in files the folder names the platform
            key = (rec[3], _DAY.second(rec[0]))
            pending[key].append(row)
            if len(pending[key]) >= BATCHES_PER_FILE:
                flush(key)
        for key in sorted(pending):
            flush(key)
        return written
