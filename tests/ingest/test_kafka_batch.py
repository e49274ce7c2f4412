"""The columnar fast path decodes exactly like the per-message path (`spec.parse`): same rows, same
quarantine reasons, on a corpus of canonical and tricky messages (no broker: pure decoding)."""

from __future__ import annotations

import json
import random

import pytest

from ingest.kafka import batch as kafka_batch
from ingest.kafka.batch import _columnar, decode_batch, fast_kinds
from ingest.sources import SOURCES

WEB = {"event_name": "click", "user_id": "u1", "app_version": "1.0", "event_time": "2024-05-01T10:00:04.123Z",
       "device_id": "d1", "client": "web"}
VIEW = {"view_id": "v1", "start_timestamp": "2024-05-01T10:00:00.000Z", "end_timestamp": "2024-05-01T10:00:05.500Z",
        "banner_id": 7, "campaign_id": 3}


def variants(base: dict, ts_field: str, int_field: str | None, text_field: str) -> list[bytes | None]:
    tricky_ts = ["2024-05-01T10:00:04Z", "2024-05-01T10:00:04.123456Z", "2024-05-01T10:00:04.1234Z",
                 "2024-05-01T12:00:04+02:00", "2024-05-01 10:00:04 UTC", "2024-02-30T10:00:00Z",
                 "1999-12-31T23:59:59Z", "2999-01-01T00:00:00Z", " 2024-05-01T10:00:04Z", "", 1714557604000, None]
    tricky_text = [" padded ", "", "\u00a0nbsp", 42, 4.5, True, {"x": 1}, ["a"], None, "ünïcødé", "tab\there",
                   "lone \ud800 surrogate"]
    out: list[bytes | None] = [json.dumps({**base, text_field: f"{base[text_field]}-{i}"}).encode()
                               for i in range(600)]
    out += [json.dumps({**base, ts_field: v}).encode() for v in tricky_ts]
    out += [json.dumps({**base, text_field: v}).encode() for v in tricky_text]
    if int_field:
        for v in [3.0, 3.5, "12", " 12 ", True, 2**40, 2**70, -1, None]:
            out.append(json.dumps({**base, int_field: v}).encode())
    missing = dict(base)
    missing.pop(text_field)
    out += [json.dumps(missing).encode(), json.dumps({**base, "extra": [1, 2]}).encode(), b"{}",
            json.dumps(base, indent=1).encode()]  # newlines inside: per-message path
    random.Random(3).shuffle(out)  # odd messages spread over the blocks Arrow reads
    return out


CORPORA = {
    "web_events": variants(WEB, "event_time", None, "user_id"),
    "view_log": variants(VIEW, "end_timestamp", "campaign_id", "view_id")
    + [json.dumps({**VIEW, "end_timestamp": "2024-05-01T09:00:00.000Z"}).encode()],  # ends before it starts
}
GARBAGE = [b"\xff\xfe", b"not json", b"[1]", None, b'"text"', b"{" + b" " * 50 + b"}"]


def reference(spec, values, offsets, max_bytes):
    original = kafka_batch.fast_kinds
    kafka_batch.fast_kinds = lambda _spec: None
    try:
        return decode_batch(spec, values, offsets, max_bytes)
    finally:
        kafka_batch.fast_kinds = original


def as_comparable(table, bad):
    rows = sorted(table.to_pylist(), key=lambda r: (r["_offset"], r["_row"] or 0))
    reasons = sorted((b["_offset"], b["_row"] or 0, b["raw"], b["reason"]) for b in bad)
    return rows, reasons


@pytest.mark.parametrize("source", sorted(CORPORA))
@pytest.mark.parametrize("with_garbage", [False, True])
def test_fast_path_equals_per_message_path(source, with_garbage):
    spec = SOURCES.get(source)
    assert spec is not None, f"{source} is not registered"
    assert fast_kinds(spec) is not None
    values = CORPORA[source] + (GARBAGE if with_garbage else [])
    offsets = list(range(100, 100 + len(values)))
    fast = as_comparable(*decode_batch(spec, values, offsets, 10_000))
    slow = as_comparable(*reference(spec, values, offsets, 10_000))
    assert fast == slow
    assert len(fast[0]) + len({o for o, *_ in fast[1]}) == len(values)  # every message accounted once


def test_canonical_messages_take_the_fast_path():
    spec = SOURCES["web_events"]
    values = CORPORA["web_events"]
    table, slow = _columnar(spec, fast_kinds(spec), values, list(range(len(values))), 10_000)
    assert table is not None and table.num_rows >= 300 and 0 < len(slow) < len(values) // 2


def test_record_rule_rejects_on_the_fast_path():
    """view_log's rule (a view may not end before it starts) on canonical messages, which all take
    the columnar path: the rule's columnar twin must hand the bad one to `check`."""
    spec = SOURCES["view_log"]
    values = [json.dumps({**VIEW, "view_id": f"v{i}"}).encode() for i in range(300)]
    values[123] = json.dumps({**VIEW, "view_id": "bad", "end_timestamp": "2024-05-01T09:00:00.000Z"}).encode()
    offsets = list(range(len(values)))
    table, slow = _columnar(spec, fast_kinds(spec), values, offsets, 10_000)
    assert table is not None and slow == []
    fast = as_comparable(*decode_batch(spec, values, offsets, 10_000))
    assert fast == as_comparable(*reference(spec, values, offsets, 10_000))
    assert [(o, reason) for o, _, _, reason in fast[1]] == [
        (123, "end_timestamp 2024-05-01T09:00:00 before start_timestamp 2024-05-01T10:00:00")]
