"""Properties of every file and message parser, on inputs hypothesis makes up (arbitrary bytes,
arbitrary JSON, records whose fields hold arbitrary values):

  - nothing raises out of a parser but the one documented refusal of a whole file
    (`FileFormatError`, one line naming the file), and then nothing lands;
  - every record read lands or is quarantined with a reason: read = landed + quarantined, and the
    lake files hold exactly those rows;
  - what lands is valid for the lake: every string is UTF-8 (Arrow's full validation, the check
    DuckDB's Parquet reader makes);
  - Kafka: every message is accounted once, and the columnar fast path decodes exactly like the
    per-message path.

Example counts are kept small (the whole module runs in well under a minute on the shared box);
`HYPOTHESIS_PROFILE=thorough` runs 20x more.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.config import load_settings
from ingest.files import ingest_file
from ingest.kafka import batch as kafka_batch
from ingest.kafka.batch import decode_batch
from ingest.sources import SOURCES
from ingest.sources.base import FileFormatError

settings.register_profile("quick", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
# Values a record field may hold: the tricky cases by construction, plus anything.
field_values = (st.sampled_from(["", " ", "2024-05-01T10:00:04.123Z", "2023-02-01 09:38:43.955 UTC", "1714557604000",
                                 "3000000000", "9223372036854775808", "-1", "1.5", "caf\udce9", "\ud800", "x\x00y",
                                 "01/02/2016 10:00", "iOS", "NaN", "1e400"])
                | st.integers(min_value=-(2**70), max_value=2**70) | st.text(max_size=12) | json_values)

KAFKA_SOURCES = sorted(n for n in ("web_events", "watch_events", "interactions", "view_log", "product_views"))
CSV_SOURCES = sorted(n for n, s in SOURCES.items() if s.file_reader is None or n in ("watch_events", "view_log"))


def check_lake_files(data_dir: Path, source: str, landed: int, quarantined: int) -> None:
    rows = {"landed": 0, "quarantined": 0}
    lake = data_dir / "lake"
    for kind, root in (("landed", lake / source), ("quarantined", lake / "_quarantine" / source)):
        for path in root.rglob("*.parquet"):
            table = pq.ParquetFile(path).read()
            table.validate(full=True)  # every string valid UTF-8, every offset sound
            rows[kind] += table.num_rows
    assert rows == {"landed": landed, "quarantined": quarantined}


def land_file(source: str, name: str, content: bytes) -> None:
    """Land `content` as a file of `source`; assert the accounting, whatever the content."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        folder = Path(tmp) / "iOS"
        folder.mkdir()
        path = folder / name
        path.write_bytes(content)
        try:
            result = ingest_file(load_settings({"PULSE_DATA_DIR": str(data_dir)}), SOURCES[source], path)
        except FileFormatError as exc:
            assert str(exc).startswith(str(path)) and "\n" not in str(exc)
            assert not list((data_dir / "lake").rglob("*.parquet")) if (data_dir / "lake").exists() else True
            return
        assert result.read == result.landed + result.quarantined
        check_lake_files(data_dir, source, result.landed, result.quarantined)


@pytest.mark.parametrize("source", CSV_SOURCES)
@given(body=st.binary(max_size=400))
def test_csv_files_of_arbitrary_bytes_after_a_valid_header(source, body):
    spec = SOURCES[source]
    header = spec.csv_delimiter.join(spec.field_names).encode() + b"\n"
    land_file(source, "f.csv", header + body)


@pytest.mark.parametrize("source", CSV_SOURCES)
@given(rows=st.lists(st.lists(field_values, min_size=1, max_size=8), max_size=6))
def test_csv_files_of_arbitrary_field_values(source, rows):
    spec = SOURCES[source]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=spec.csv_delimiter)
    writer.writerow(spec.field_names)
    for values in rows:
        writer.writerow([v if isinstance(v, str) else json.dumps(v) for v in values][: len(spec.field_names)])
    land_file(source, "f.csv", out.getvalue().encode("utf-8", "surrogatepass"))


@given(body=st.binary(max_size=300))
def test_arbitrary_bytes_as_a_file_never_escape_the_readers(body):
    for source, name in (("product_views", "f.json"), ("interactions", "f.jsonl"), ("web_events", "f.csv")):
        land_file(source, name, body)


@given(batches=st.lists(json_values | st.fixed_dictionaries({"events": st.lists(
    st.fixed_dictionaries({"event_type": field_values, "data": st.dictionaries(
        st.sampled_from(["timestamp_unixtime_ms", "event_name", "custom_attributes", "event_id"]), field_values)}),
    max_size=3), "mpid": field_values, "timestamp_unixtime_ms": field_values}), max_size=5))
def test_product_view_json_arrays_of_arbitrary_batches(batches):
    land_file("product_views", "f.json", json.dumps(batches).encode())


@given(lines=st.lists(json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=40), max_size=8))
def test_json_lines_of_arbitrary_json_and_bytes(lines):
    land_file("view_log", "f.jsonl", b"\n".join(lines))


VALID = {
    "web_events": {"event_name": "click", "user_id": "u1", "app_version": "1.0",
                   "event_time": "2024-05-01T10:00:04.123Z", "device_id": "d1", "client": "web"},
    "interactions": {"user_id": "u1", "item_id": "i1", "interaction_type": "click",
                     "timestamp": "2024-05-01T10:00:04.123Z"},
    "view_log": {"view_id": "v1", "start_timestamp": "2024-05-01T10:00:00.000Z",
                 "end_timestamp": "2024-05-01T10:00:05.500Z", "banner_id": 7, "campaign_id": 3},
    "watch_events": {"user_id": "u1", "program_id": "p1", "start_time": "2024-05-01T10:00:00.000Z",
                     "session_id": "s1", "device": "tv", "event_time": "2024-05-01T10:00:04.123Z"},
    "product_views": {"platform": "iOS", "mpid": 1, "timestamp_unixtime_ms": 1714557604000,
                      "events": [{"event_type": "custom_event", "data": {
                          "event_name": "product", "timestamp_unixtime_ms": 1714557604000,
                          "custom_attributes": {"codeColor": "c1"}}}]},
}


def _message(source: str) -> st.SearchStrategy[bytes | None]:
    valid = VALID[source]
    # Mostly valid messages with one field changed: most stay on the columnar fast path.
    one_off = st.builds(lambda k, v: {**valid, k: v}, st.sampled_from(sorted(valid)), field_values)
    record = st.fixed_dictionaries({}, optional={f.name: field_values for f in SOURCES[source].fields})
    as_bytes = lambda v: json.dumps(v).encode("utf-8", "surrogatepass")  # noqa: E731
    return (st.just(json.dumps(valid).encode()) | one_off.map(as_bytes) | record.map(as_bytes)
            | json_values.map(as_bytes) | st.binary(max_size=60) | st.none()
            | one_off.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass")))


@pytest.mark.parametrize("source", KAFKA_SOURCES)
@given(data=st.data())
def test_kafka_messages_are_each_accounted_once_and_both_paths_agree(source, data):
    spec = SOURCES[source]
    values = data.draw(st.lists(_message(source), max_size=12))
    offsets = list(range(7, 7 + len(values)))
    table, bad = decode_batch(spec, values, offsets, 10_000)
    table.validate(full=True)
    landed = set(table["_offset"].to_pylist())
    quarantined = {b["_offset"] for b in bad}
    assert landed | quarantined == set(offsets)
    assert all(b["reason"] for b in bad)
    original = kafka_batch.fast_kinds
    kafka_batch.fast_kinds = lambda _spec: None
    try:
        slow_table, slow_bad = decode_batch(spec, values, offsets, 10_000)
    finally:
        kafka_batch.fast_kinds = original
    key = lambda r: (r["_offset"], r["_row"] or 0)  # noqa: E731
    assert sorted(table.to_pylist(), key=key) == sorted(slow_table.to_pylist(), key=key)
    assert sorted((b["_offset"], b["_row"] or 0, b["reason"]) for b in bad) == \
        sorted((b["_offset"], b["_row"] or 0, b["reason"]) for b in slow_bad)
