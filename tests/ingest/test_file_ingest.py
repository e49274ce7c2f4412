"""File ingestion against a real lake folder (no broker needed)."""

from pathlib import Path

import duckdb
import pytest

from ingest.files import ingest_files
from ingest.sources.base import FileFormatError

HEADER = "event_name,user_id,app_version,event_time,device_id,client\n"


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def lake_rows(data_dir: Path, sub: str) -> list[tuple]:
    glob = data_dir / "lake" / sub / "*" / "*.parquet"
    return duckdb.sql(f"select * from read_parquet('{glob}', union_by_name=true)").fetchall()


def test_bad_rows_are_quarantined_with_reason_and_counts_reconcile(settings, tmp_path):
    path = write(tmp_path / "e.csv", HEADER
                 + "view,u1,1.0,2023-02-01 09:38:43.955 UTC,d1,web\n"
                 + "view,u1,1.0,not-a-time,d1,web\n"
                 + "view,,1.0,2023-02-01 09:38:44 UTC,d1,web\n"
                 + "view,u1,1.0\n")
    [r] = ingest_files(settings, "web_events", [path])
    assert (r.read, r.landed, r.quarantined) == (4, 1, 3)
    assert r.reconciles()
    reasons = duckdb.sql(
        f"select _row, reason, raw from read_parquet('{settings.quarantine_dir}/web_events/*/*.parquet') order by _row"
    ).fetchall()
    assert [row[0] for row in reasons] == [2, 3, 4]
    assert "bad event_time 'not-a-time'" in reasons[0][1]
    assert reasons[1][1] == "missing user_id"
    assert reasons[2][1] == "expected 6 fields, got 3"
    assert reasons[2][2] == b"view,u1,1.0\n"


def test_same_file_lands_once(settings, tmp_path):
    path = write(tmp_path / "e.csv", HEADER + "view,u1,1.0,2023-02-01 09:38:43 UTC,d1,web\n")
    first = ingest_files(settings, "web_events", [path])[0]
    copy = write(tmp_path / "copy.csv", Path(path).read_text())
    second = ingest_files(settings, "web_events", [copy])[0]
    assert not first.skipped and second.skipped
    assert len(lake_rows(settings.data_dir, "web_events")) == 1


def test_rows_land_in_their_event_date_partition_with_lake_columns(settings, tmp_path):
    path = write(tmp_path / "e.csv", HEADER
                 + "view,u1,1.0,2023-02-01 23:59:59.999999 UTC,d1,web\n"
                 + "view,u1,1.0,2023-02-02 00:00:00 UTC,d1,web\n")
    ingest_files(settings, "web_events", [path])
    dirs = sorted(p.name for p in (settings.lake_dir / "web_events").iterdir() if p.is_dir())
    assert dirs == ["date=1970-01-01", "date=2023-02-01", "date=2023-02-02"]
    rows = duckdb.sql(
        f"select _source, _file, _row, _topic from read_parquet('{settings.lake_dir}/web_events/*/*.parquet') "
        "order by _row"
    ).fetchall()
    assert rows == [("web_events", path, 1, None), ("web_events", path, 2, None)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty file"),
        ("event_name,user_time\nview,u1\n", "missing column(s) user_id, app_version, event_time, device_id, client"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "the header is not utf-8 text (byte 0x89 at character 1)"),
        ('[{"event_name": "view"}]',
         "missing column(s) event_name, user_id, app_version, event_time, device_id, client"),
    ],
)
def test_unreadable_files_raise_one_line_error_naming_the_file(settings, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(FileFormatError) as err:
        ingest_files(settings, "web_events", [str(path)])
    text = str(err.value)
    assert text.startswith(str(path)) and message in text and "\n" not in text


def test_missing_file_and_unknown_source_are_clear_errors(settings, tmp_path):
    with pytest.raises(FileNotFoundError, match="no file matches"):
        ingest_files(settings, "web_events", [str(tmp_path / "*.csv")])
    with pytest.raises(ValueError, match="unknown source 'nope'"):
        ingest_files(settings, "nope", [str(tmp_path)])
