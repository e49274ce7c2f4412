"""Bad input, by class: nothing corrupt reaches the lake, nothing is dropped silently, and a file
that cannot be read is refused with one line naming it. Real files, real Parquet, real DuckDB."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pyarrow.parquet as pq
import pytest

from ingest.files import ingest_file, ingest_files
from ingest.kafka.batch import decode_batch
from ingest.lake import write_table_atomic
from ingest.sources import SOURCES
from ingest.sources.base import FileFormatError

WEB_HEADER = "event_name,user_id,app_version,event_time,device_id,client\n"


def web_row(i: int, user: str = "u1") -> str:
    return f"view,{user},1.0,2023-02-01 09:00:{i % 60:02d} UTC,d{i},web\n"


def lake(settings, source: str, quarantine: bool = False):
    root = (settings.quarantine_dir if quarantine else settings.lake_dir) / source
    files = [p for p in root.rglob("*.parquet") if not p.name.startswith("_")]
    return [row for p in sorted(files) for row in pq.ParquetFile(p).read().to_pylist()]


MESSAGES = {
    "web_events": {"event_name": "click", "user_id": "u1", "app_version": "1.0",
                   "event_time": "2024-05-01T10:00:04.123Z", "device_id": "d1", "client": "web"},
    "interactions": {"user_id": "u1", "item_id": "i1", "interaction_type": "click",
                     "timestamp": "2024-05-01T10:00:04.123Z"},
    "view_log": {"view_id": "v1", "start_timestamp": "2024-05-01T10:00:00.000Z",
                 "end_timestamp": "2024-05-01T10:00:05.500Z", "banner_id": 7, "campaign_id": 3},
    "watch_events": {"user_id": "u1", "program_id": "p1", "start_time": "2024-05-01T10:00:00.000Z",
                     "session_id": "s1", "device": "tv", "event_time": "2024-05-01T10:00:04.123Z"},
}


@pytest.mark.parametrize("source", sorted(MESSAGES))
def test_invalid_utf8_inside_a_string_is_quarantined_on_the_columnar_fast_path(source, tmp_path):
    """100 canonical messages, two with bytes that are not UTF-8 inside a string value: Arrow's JSON
    reader copies them as they are, so they used to land (and DuckDB then refused the file)."""
    spec = SOURCES[source]
    text_field = next(f.name for f in spec.fields if f.type == "string")
    values = [json.dumps({**MESSAGES[source], text_field: f"x{i}"}).encode() for i in range(100)]
    values[10] = values[10].replace(b'"x10"', b'"\xff\xfe"')
    values[50] = values[50].replace(b'"x50"', b'"caf\xe9"')
    table, bad = decode_batch(spec, values, list(range(100)), 1_000_000)
    assert table.num_rows == 98
    assert sorted((b["_offset"], b["reason"].split(":")[0]) for b in bad) == [(10, "not UTF-8"), (50, "not UTF-8")]
    assert "byte 0xff at byte" in next(b["reason"] for b in bad if b["_offset"] == 10)
    table.validate(full=True)
    path = write_table_atomic(table, tmp_path / "flush.parquet")
    assert duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchall() == [(98,)]


def test_a_bad_byte_in_a_csv_row_costs_that_row_and_names_it(settings, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((WEB_HEADER + web_row(0, "caf\udce9") + web_row(1)).encode("utf-8", "surrogateescape"))
    [result] = ingest_files(settings, "web_events", [str(path)])
    assert (result.read, result.landed, result.quarantined) == (2, 1, 1)
    [bad] = lake(settings, "web_events", quarantine=True)
    assert bad["_row"] == 1 and bad["reason"] == "not utf-8 text: byte 0xe9 at character 9 of the row"
    assert bad["raw"] == web_row(0, "caf\udce9").encode("utf-8", "surrogateescape")  # the bytes as they were


def test_a_csv_field_beyond_the_csv_modules_limit_is_quarantined_not_a_traceback(settings, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(WEB_HEADER + web_row(0) + f"view,{'x' * 2_000_000},1.0,2023-02-01 09:00:00 UTC,d,web\n"
                    + web_row(2))
    [result] = ingest_files(settings, "web_events", [str(path)])
    assert (result.read, result.landed, result.quarantined) == (3, 2, 1)
    [bad] = lake(settings, "web_events", quarantine=True)
    assert bad["_row"] == 2 and bad["reason"].startswith("not a CSV record: field larger than field limit")


@pytest.mark.parametrize(("source", "content", "field", "type_"), [
    ("user_interactions", "user_id,timestamp,action_type,page_id,duration_ms,app_version\n"
                          "u1,2023-03-01 10:00:00,click,p1,9223372036854775808,1.0\n"
                          "u2,2023-03-01 10:00:00,click,p1,1200,1.0\n", "duration_ms", "int64"),
    ("campaigns", "network_id,campaign_id,campaign_name\n3000000000,1,a\n1,2,b\n", "network_id", "int32"),
    ("order_items", "id;order_id;sku;quantity;code_color\n1;1;s;3000000000;c\n2;1;s;1;c\n", "quantity", "int32"),
])
def test_an_integer_overflowing_its_column_is_quarantined_naming_field_and_row(settings, tmp_path, source, content,
                                                                               field, type_):
    path = tmp_path / f"{source}.csv"
    path.write_text(content)
    [result] = ingest_files(settings, source, [str(path)])
    assert (result.read, result.landed, result.quarantined) == (2, 1, 1)
    [bad] = lake(settings, source, quarantine=True)
    assert bad["_row"] == 1 and bad["reason"].startswith(f"bad {field} ")
    assert f"out of range for {type_}" in bad["reason"]


def product_view_batch(n: int, code: str = "c1") -> dict:
    ms = 1454295600000 + n
    return {"mpid": n, "batch_id": n, "message_id": f"m{n}", "timestamp_unixtime_ms": ms,
            "events": [{"event_type": "custom_event",
                        "data": {"event_name": "product", "custom_event_type": "navigation",
                                 "timestamp_unixtime_ms": ms, "custom_attributes": {"codeColor": code}}}]}


def test_a_lone_surrogate_in_product_view_json_is_quarantined(settings, tmp_path):
    folder = tmp_path / "iOS"
    folder.mkdir()
    path = folder / "batches.json"
    text = json.dumps([product_view_batch(1), product_view_batch(2, code="\ud800x"), product_view_batch(3)])
    path.write_text(text)  # json.dumps escapes it: "\\ud800x", valid JSON text, not valid Unicode
    [result] = ingest_files(settings, "product_views", [str(path)])
    assert (result.read, result.landed, result.quarantined) == (3, 2, 1)
    [bad] = lake(settings, "product_views", quarantine=True)
    assert bad["_row"] == 2 and bad["reason"].startswith("not UTF-8: code_color holds a lone surrogate")


def test_deeply_nested_product_view_json_is_one_line_naming_the_file(settings, tmp_path):
    folder = tmp_path / "Android"
    folder.mkdir()
    path = folder / "deep.json"
    path.write_text("[" + json.dumps(product_view_batch(1)) + "," + "[" * 100_000 + "]" * 100_000 + "]")
    with pytest.raises(FileFormatError) as err:
        ingest_files(settings, "product_views", [str(path)])
    text = str(err.value)
    assert text.startswith(str(path)) and "element 2 is nested too deeply" in text and "\n" not in text
    assert lake(settings, "product_views") == []


def test_a_header_naming_a_column_twice_is_refused(settings, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("event_name,user_id,app_version,event_time,device_id,client,user_id\n"
                    "view,u1,1.0,2023-02-01 09:00:00 UTC,d1,web,u2\n")
    with pytest.raises(FileFormatError, match=r"column\(s\) named twice in the header: user_id at columns 2, 7"):
        ingest_files(settings, "web_events", [str(path)])


def test_a_file_without_a_column_the_source_defines_is_refused(settings, tmp_path):
    path = tmp_path / "no_device.csv"
    path.write_text("event_name,user_id,app_version,event_time,client\nview,u1,1.0,2023-02-01 09:00:00 UTC,web\n")
    with pytest.raises(FileFormatError, match=r"missing column\(s\) device_id"):
        ingest_files(settings, "web_events", [str(path)])


def test_a_name_with_glob_characters_is_that_file(settings, tmp_path):
    literal = tmp_path / "export[2023-02].csv"
    literal.write_text(WEB_HEADER + web_row(1) + web_row(2))
    (tmp_path / "export2.csv").write_text(WEB_HEADER + web_row(3))  # what the pattern would match
    [result] = ingest_files(settings, "web_events", [str(literal)])
    assert result.file == str(literal) and result.landed == 2


def test_force_on_another_day_replaces_the_quarantine_instead_of_adding_a_copy(settings, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(WEB_HEADER + web_row(1) + "view,,1.0,2023-02-01 09:00:00 UTC,d,web\n")
    spec = SOURCES["web_events"]
    ingest_file(settings, spec, path, now=datetime(2024, 5, 1, 12))
    ingest_file(settings, spec, path, force=True, now=datetime(2024, 5, 3, 12))
    assert len(lake(settings, "web_events", quarantine=True)) == 1
    assert len(lake(settings, "web_events")) == 1
