"""The live loop's hourly export (pulse/live/hourly_export.py) on a real DuckDB file and real files.

A table stands in for the mart (the writer reads any relation with the three columns its spec
names) and one for the run's bounds; each write must leave one file per hour holding exactly that
hour's rows, rewrite only the hours from the earliest row that landed in the run's window or was
open at the last write, and remove an hour a merge left empty.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pulse.live.hourly_export import FILE_NAME, HourlyExport, HourlySpec
from pulse.serve.export_reader import export_files, parquet_source


def t(text: str) -> datetime:
    return datetime.fromisoformat(f"2024-05-01 {text}")


@pytest.fixture
def mart(tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("create table streams (stream_id varchar, start_time timestamp, landed timestamp, is_open boolean)")
    con.executemany("insert into streams values (?, ?, ?, ?)", [
        ("a", t("10:05"), t("10:20"), False),
        ("b", t("11:50"), t("11:59"), False),  # the only stream of hour 11
        ("c", t("12:10"), t("12:30"), True),
        ("d", t("12:40"), t("12:45"), False),
    ])
    con.execute("create table run_bounds (model_name varchar, landed_after timestamp)")
    con.execute("insert into run_bounds values ('other', timestamp '1970-01-01'), ('int_streams', null)")
    spec = HourlySpec(relation="streams", folder=tmp_path / "exports" / "streams", column="start_time",
                      landed="landed", open="is_open", bounds="run_bounds", new_in_run_of="int_streams")
    yield con, HourlyExport(spec), spec
    con.close()


def run_reads_after(con, landed_after: str) -> None:
    """This run's window of the mart's model starts after `landed_after` (the last run's end)."""
    con.execute("update run_bounds set landed_after = ? where model_name = 'int_streams'", [t(landed_after)])


def exported(spec: HourlySpec) -> dict[str, list[str]]:
    """hour folder -> the stream ids of its file, checking each holds only its hour's rows."""
    out = {}
    con = duckdb.connect()
    for path in export_files(spec.folder.parent, spec.folder.name):
        rows = con.execute(f"select stream_id, start_time from read_parquet('{path}')").fetchall()
        assert all(path.parent == spec.hour_dir(start.replace(minute=0)) for _, start in rows), path
        out[path.parent.name] = sorted(stream_id for stream_id, _ in rows)
    return out


def identity(spec: HourlySpec, hour: str) -> tuple[int, int]:
    st = (spec.folder / f"start_time_hour=2024-05-01T{hour}" / FILE_NAME).stat()
    return st.st_ino, st.st_mtime_ns


def test_first_write_has_every_hour(mart):
    con, export, spec = mart
    older = spec.folder.parent / "streams.parquet"  # the one-file export of an older pulse
    older.parent.mkdir(parents=True)
    older.write_bytes(b"stale")
    assert export.write(con) == 3
    assert not older.exists()
    assert exported(spec) == {"start_time_hour=2024-05-01T10": ["a"], "start_time_hour=2024-05-01T11": ["b"],
                              "start_time_hour=2024-05-01T12": ["c", "d"]}
    # readers see the folder as one relation with the mart's columns (no hive column added)
    source = parquet_source(spec.folder.parent, "streams")
    columns = [d[0] for d in duckdb.connect().execute(f"select * from {source}").description]
    assert columns == ["stream_id", "start_time", "landed", "is_open"]


def test_a_cycle_rewrites_only_the_hours_that_may_have_changed(mart):
    con, export, spec = mart
    export.write(con)
    before = {h: identity(spec, h) for h in ("10", "11", "12")}
    run_reads_after(con, "12:45")
    con.execute("insert into streams values ('e', ?, ?, true)", [t("12:50"), t("12:55")])
    assert export.write(con) == 1  # c was open: from hour 12 on
    assert {h: identity(spec, h) for h in ("10", "11")} == {h: before[h] for h in ("10", "11")}
    assert identity(spec, "12") != before["12"]
    assert exported(spec)["start_time_hour=2024-05-01T12"] == ["c", "d", "e"]

    # a stream open at the last export closes with no new input (the watermark alone): its hour
    # is rewritten though nothing landed
    run_reads_after(con, "12:55")
    con.execute("update streams set is_open = false")
    at = identity(spec, "12")
    assert export.write(con) == 1
    assert identity(spec, "12") != at
    # nothing open, nothing landed: nothing written
    assert export.write(con) == 0


def test_a_merge_that_empties_an_hour_removes_it(mart):
    con, export, spec = mart
    export.write(con)
    run_reads_after(con, "12:45")
    con.execute("update streams set is_open = false")
    export.write(con)
    # a late heartbeat bridges a (10:05) and b (11:50): one stream from 10:05, landed now
    con.execute("delete from streams where stream_id = 'b'")
    con.execute("update streams set landed = ? where stream_id = 'a'", [t("13:00")])
    assert export.write(con) == 2  # hours 10 and 12; 11 is gone
    assert exported(spec) == {"start_time_hour=2024-05-01T10": ["a"], "start_time_hour=2024-05-01T12": ["c", "d"]}
    assert not (spec.folder / "start_time_hour=2024-05-01T11").exists()


def test_a_row_landed_late_within_the_lookback_is_written(mart):
    """A file that became visible after a run had read newer rows: its stamps are older than rows
    already exported, and the run's window reaches back to it (the loop's landing lookback)."""
    con, export, spec = mart
    export.write(con)
    con.execute("update streams set is_open = false")
    run_reads_after(con, "12:30")
    con.execute("insert into streams values ('f', ?, ?, false)", [t("10:30"), t("12:40")])
    assert export.write(con) == 3  # from hour 10 (f) on
    assert exported(spec)["start_time_hour=2024-05-01T10"] == ["a", "f"]


def test_the_folder_beats_an_older_single_file(tmp_path):
    exports = tmp_path / "exports"
    (exports / "streams" / "start_time_hour=2024-05-01T10").mkdir(parents=True)
    duckdb.connect().execute(f"copy (select 1 as x) to '{exports}/streams.parquet'")
    assert export_files(exports, "streams") == [exports / "streams.parquet"]  # no hour file yet
    duckdb.connect().execute(f"copy (select 2 as x) to '{exports}/streams/start_time_hour=2024-05-01T10/{FILE_NAME}'")
    assert duckdb.connect().execute(f"select x from {parquet_source(exports, 'streams')}").fetchall() == [(2,)]
