"""A partitioned export file rewritten in place (as DuckDB's partitioned COPY does), read by DuckDB
through `stable_query(..., in_place=True)`: every answer comes from one whole version of the
file, and no read fails while the writer keeps finishing its rewrites."""

from __future__ import annotations

import threading
import time

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pulse.serve.export_reader import stable_query


def version(n: int) -> bytes:
    """A Parquet file whose 20k rows all hold `n` (large enough that a rewrite takes many writes)."""
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"v": pa.array([n] * 20_000, pa.int64()),
                             "text": pa.array([f"row {i} of version {n}" for i in range(20_000)])}), sink,
                   compression="none", row_group_size=2_000)
    return sink.getvalue().to_pybytes()


def test_a_file_rewritten_in_place_is_read_whole(tmp_path):
    path = tmp_path / "day=2016-02-01" / "data_0.parquet"
    path.parent.mkdir()
    versions = [version(n) for n in range(4)]
    path.write_bytes(versions[0])
    stop = threading.Event()
    rewrites = [0]

    def rewrite() -> None:
        # Truncate, then write in pieces, as a writer in progress does, about half of the time; the
        # pauses between rewrites are what a live cycle leaves (seconds there, 40 ms here).
        while not stop.is_set():
            data = versions[rewrites[0] % 4]
            with open(path, "wb") as fh:
                for i in range(0, len(data), 16_384):
                    fh.write(data[i:i + 16_384])
                    fh.flush()
                    time.sleep(0.001)
            rewrites[0] += 1
            time.sleep(0.04)

    con = duckdb.connect()

    def read() -> list[tuple]:
        cursor = con.cursor()
        try:
            return cursor.execute("select v, count(*) from read_parquet($p, hive_partitioning = false) group by v",
                                  {"p": str(path)}).fetchall()
        finally:
            cursor.close()

    writer = threading.Thread(target=rewrite, daemon=True)
    writer.start()
    seen = set()
    deadline = time.monotonic() + 120
    try:
        reads = 0
        while reads < 100 or rewrites[0] < 30:
            assert time.monotonic() < deadline, f"{reads} reads, {rewrites[0]} rewrites"
            rows = stable_query([path], read, in_place=True)
            assert len(rows) == 1 and rows[0][1] == 20_000, rows  # one version, whole
            seen.add(rows[0][0])
            reads += 1
    finally:
        stop.set()
        writer.join()
    assert len(seen) > 1  # the reads did overlap the rewrites
