"""File ingestion of real-world extracts: byte-order marks, other delimiters, streaming in chunks,
a failure half-way through landing nothing, progress reporting (real lake folder, no broker)."""

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingest import files
from ingest.files import ingest_files
from ingest.sources.base import FileFormatError

HEADER = ["event_name", "user_id", "app_version", "event_time", "device_id", "client"]


def rows(n: int, day_of=lambda i: 1 + i % 2) -> list[list[str]]:
    return [["view", f"u{i}", "1.0", f"2023-02-0{day_of(i)} 09:38:43.955 UTC", f"d{i}", "web"] for i in range(n)]


def landed(settings) -> list[Path]:
    return sorted((settings.lake_dir / "web_events").glob("date=2023-*/*.parquet"))


def test_utf16_with_bom_and_semicolons_land(settings, tmp_path):
    path = tmp_path / "export.csv"
    text = "\n".join(";".join(r) for r in [HEADER, *rows(3)]) + "\n"
    path.write_bytes(text.encode("utf-16"))  # BOM + UTF-16, as spreadsheet exports write it
    [r] = ingest_files(settings, "web_events", [str(path)])
    assert (r.read, r.landed, r.quarantined) == (3, 3, 0)


def test_utf8_bom_and_tabs_land(settings, tmp_path):
    path = tmp_path / "export.tsv"
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join("\t".join(r) for r in [HEADER, *rows(2)]) + "\n").encode())
    [r] = ingest_files(settings, "web_events", [str(path)])
    assert r.landed == 2


def test_big_files_stream_in_chunks_into_one_file_per_date(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CHUNK_ROWS", 100)
    path = tmp_path / "big.csv"
    body = [",".join(r) for r in rows(1000)]
    body[500] = "view,u1,1.0,not-a-time,d,web"
    path.write_text("\n".join([",".join(HEADER), *body]) + "\n")
    seen: list[tuple[int, int]] = []
    [r] = ingest_files(settings, "web_events", [str(path)], progress=lambda _p: lambda d, t: seen.append((d, t)))
    assert (r.read, r.landed, r.quarantined) == (1000, 999, 1)
    out = landed(settings)
    assert [p.parent.name for p in out] == ["date=2023-02-01", "date=2023-02-02"]
    assert all(pq.ParquetFile(p).metadata.num_row_groups > 1 for p in out)  # appended chunk by chunk
    assert sum(pq.ParquetFile(p).metadata.num_rows for p in out) == 999
    assert len(seen) >= 5 and seen[-1][0] == seen[-1][1] == path.stat().st_size


def test_a_file_failing_half_way_lands_nothing(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CHUNK_ROWS", 10)
    path = tmp_path / "broken.csv"
    good = ("\n".join(",".join(r) for r in [HEADER, *rows(200)]) + "\n").encode()
    path.write_bytes(good * 40 + b"view,\x00\x00,1.0,2023-02-01 09:00:00 UTC,d,web\n")
    with pytest.raises(FileFormatError, match="binary content"):
        ingest_files(settings, "web_events", [str(path)])
    assert landed(settings) == []
    assert not list((settings.lake_dir / "web_events").rglob(".*.tmp"))
