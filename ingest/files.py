"""`pulse ingest files <source> <paths|globs>`: land extract files into the lake.

Each file is landed exactly once: its content hash names its lake files, and a ledger entry
written after them records that it is done. A crash before the ledger entry means the next run
rewrites the same file names, so nothing is doubled. Every row read ends up landed or in the
quarantine with a reason: read = landed + quarantined, recorded in the ledger.

Big files stream: records are parsed in chunks of CHUNK_ROWS and appended as row groups to one
hidden temporary Parquet file per event date (and one for the quarantine), renamed into place
only when the whole file was read, so memory stays bounded and a failure lands nothing.
CSV files may start with a UTF-8 or UTF-16 byte-order mark; when the header does not split
into the source's columns with its delimiter, `;`, tab and `|` are tried before giving up.
"""

from __future__ import annotations

import codecs
import csv
import glob
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .config import Settings
from .lake import QUARANTINE_SCHEMA, ensure_placeholders, partition_dir, quarantine_dir, source_dir
from .sources import SourceSpec, get_source
from .sources.base import FileFormatError, RawRecord, RecordError

CHUNK_ROWS = 100_000  # records parsed before they are appended to the lake files (memory bound)
OTHER_DELIMITERS = (",", ";", "\t", "|")
# Progress callback: (bytes of records read so far, file size).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileResult:
    file: str
    sha256: str
    read: int
    landed: int
    quarantined: int
    skipped: bool  # True: this content was landed before, nothing written now

    def reconciles(self) -> bool:
        return self.read == self.landed + self.quarantined


def expand_paths(patterns: list[str]) -> list[Path]:
    """Paths and globs to files, in a stable order. A pattern matching nothing is an error."""
    found: list[Path] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
        matches = [m for m in matches if not Path(m).is_dir()] if glob.has_magic(pattern) else matches
        if not matches:
            raise FileNotFoundError(f"{pattern}: no file matches")
        for m in matches:
            p = Path(m)
            if not p.exists():
                raise FileNotFoundError(f"{m}: no such file")
            if p.is_dir():
                raise FileFormatError(f"{m}: is a folder; pass its files or a glob such as '{m}/*'")
            found.append(p)
    return list(dict.fromkeys(found))


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ledger_path(settings: Settings, source: str, sha: str) -> Path:
    return settings.lake_dir / "_ledger" / "files" / source / f"{sha}.json"


class _LineTap:
    """Feeds lines to csv.reader while remembering them, so a bad row keeps its raw bytes."""

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self.taken: list[str] = []

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line


def text_encoding(path: Path, spec: SourceSpec) -> str:
    """The source's encoding, unless the file starts with a byte-order mark saying otherwise."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    return spec.encoding


def _is_blank(path: Path) -> bool:
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 16):
            if chunk.strip():
                return False
    return True


def _header(path: Path, spec: SourceSpec, line: str) -> tuple[list[str], str]:
    """Column names of the header line and the delimiter that yields the source's columns."""
    candidates = [spec.csv_delimiter, *(d for d in OTHER_DELIMITERS if d != spec.csv_delimiter)]
    for delimiter in candidates:
        header = [h.strip() for h in next(csv.reader([line], delimiter=delimiter), [])]
        if all(c in header for c in spec.required_columns):
            return header, delimiter
    header = [h.strip() for h in next(csv.reader([line], delimiter=spec.csv_delimiter), [])]
    missing = [c for c in spec.required_columns if c not in header]
    raise FileFormatError(
        f"{path}: missing column(s) {', '.join(missing)} (header has: {', '.join(header)[:200]})"
    )


def read_csv(path: Path, spec: SourceSpec) -> Iterator[RawRecord]:
    """Rows of a delimited text file with a header row naming the columns, streamed."""
    if _is_blank(path):
        raise FileFormatError(f"{path}: empty file")
    encoding = text_encoding(path, spec)
    row_number = 0
    try:
        with open(path, encoding=encoding, newline="") as fh:
            lines = _checked_lines(path, fh)
            first = next(lines, "").lstrip("\ufeff")
            header, delimiter = _header(path, spec, first)
            tap = _LineTap(lines)
            out_encoding = spec.encoding if encoding.startswith("utf-16") else encoding.removesuffix("-sig")
            for values in csv.reader(tap, delimiter=delimiter):
                raw = "".join(tap.taken).encode(out_encoding, errors="replace")
                tap.taken.clear()
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue  # blank line: not a row
                row_number += 1
                if len(values) != len(header):
                    yield RawRecord(row_number, raw, None, f"expected {len(header)} fields, got {len(values)}")
                else:
                    yield RawRecord(row_number, raw, dict(zip(header, values, strict=True)))
    except UnicodeDecodeError as exc:
        where = "in the header" if row_number == 0 else f"after row {row_number}"
        raise FileFormatError(f"{path}: not a {spec.encoding} text file ({exc.reason} {where})") from None


def _checked_lines(path: Path, fh: io.TextIOBase) -> Iterator[str]:
    for line in fh:
        if "\x00" in line:
            raise FileFormatError(f"{path}: binary content, not a CSV file")
        yield line


class _DayFiles:
    """Rows appended as row groups to one hidden file per day; renamed into place on commit."""

    def __init__(self, root: Path, name: str, schema: pa.Schema, day_of: Callable[[Mapping[str, Any]], date]):
        self.root, self.name, self.schema, self.day_of = root, name, schema, day_of
        self.open: dict[date, tuple[pq.ParquetWriter, Path, Path]] = {}

    def append(self, rows: list[dict[str, Any]]) -> None:
        by_day: dict[date, list[dict[str, Any]]] = {}
        for row in rows:
            by_day.setdefault(self.day_of(row), []).append(row)
        for day, day_rows in by_day.items():
            if day not in self.open:
                final = partition_dir(self.root, day) / f"{self.name}.parquet"
                final.parent.mkdir(parents=True, exist_ok=True)
                tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
                self.open[day] = (pq.ParquetWriter(tmp, self.schema, compression="zstd"), tmp, final)
            self.open[day][0].write_table(pa.Table.from_pylist(day_rows, schema=self.schema))

    def commit(self) -> None:
        for writer, tmp, final in self.open.values():
            writer.close()
            with open(tmp, "rb") as fh:  # the rename must not overtake the data on a crash
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        self.open.clear()

    def abort(self) -> None:
        for writer, tmp, _ in self.open.values():
            writer.close()
            tmp.unlink(missing_ok=True)
        self.open.clear()


def ingest_file(settings: Settings, spec: SourceSpec, path: Path, force: bool = False,
                progress: Progress | None = None) -> FileResult:
    sha = file_sha256(path)
    ledger = ledger_path(settings, spec.name, sha)
    if ledger.exists() and not force:
        done = json.loads(ledger.read_text())
        return FileResult(str(path), sha, done["read"], done["landed"], done["quarantined"], skipped=True)

    reader = spec.file_reader or read_csv
    now = datetime.now(UTC).replace(tzinfo=None)
    lake_cols = {"_source": spec.name, "_ingested_at": now, "_topic": None, "_partition": None,
                 "_offset": None, "_file": str(path)}
    name = f"file-{sha[:20]}"
    landed = _DayFiles(source_dir(settings, spec.name), name, spec.schema, spec.partition_date)
    quarantined = _DayFiles(quarantine_dir(settings, spec.name), name, QUARANTINE_SCHEMA, lambda _row: now.date())
    size = path.stat().st_size
    good: list[dict] = []
    bad: list[dict] = []
    read = n_good = n_bad = done_bytes = 0
    try:
        for rec in reader(path, spec):
            read += 1
            done_bytes += len(rec.raw)
            try:
                if rec.error:
                    raise RecordError(rec.error)
                row = spec.parse(rec.values or {})
            except RecordError as exc:
                bad.append({**lake_cols, "_row": rec.row, "raw": rec.raw, "reason": str(exc)})
            else:
                row.update(lake_cols)
                row["_row"] = rec.row
                good.append(row)
            if len(good) + len(bad) >= CHUNK_ROWS:
                n_good, n_bad = n_good + len(good), n_bad + len(bad)
                landed.append(good)
                quarantined.append(bad)
                good, bad = [], []
                if progress:
                    progress(min(done_bytes, size), size)
        landed.append(good)
        quarantined.append(bad)
        n_good, n_bad = n_good + len(good), n_bad + len(bad)
        good, bad = [], []
    except BaseException:
        landed.abort()
        quarantined.abort()
        raise
    landed.commit()
    quarantined.commit()
    if progress:
        progress(size, size)
    result = FileResult(str(path), sha, read, n_good, n_bad, skipped=False)
    ledger.parent.mkdir(parents=True, exist_ok=True)
    ledger.write_text(json.dumps({**asdict(result), "landed_at": now.isoformat()}))
    return result


def ingest_files(settings: Settings, source: str, patterns: list[str], force: bool = False,
                 progress: Callable[[Path], Progress | None] | None = None) -> list[FileResult]:
    """Land each file; `progress(path)` may return a callback that follows that file's bytes."""
    spec = get_source(source)
    paths = expand_paths(patterns)
    ensure_placeholders(settings, [spec])
    return [ingest_file(settings, spec, p, force=force, progress=progress(p) if progress else None) for p in paths]
