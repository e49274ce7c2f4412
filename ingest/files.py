"""`pulse ingest files <source> <paths|globs>`: land extract files into the lake.

Each file is landed exactly once: its content hash names its lake files, and a ledger entry
written after them records that it is done. A crash before the ledger entry means the next run
rewrites the same file names, so nothing is doubled. Every row read ends up landed or in the
quarantine with a reason: read = landed + quarantined, recorded in the ledger.

Big files stream: records are parsed in chunks of CHUNK_ROWS and appended as row groups to one
hidden temporary Parquet file per event date (and one for the quarantine), renamed into place
only when the whole file was read, so memory stays bounded and a failure lands nothing.
CSV files are read by `ingest.sources.csv_reader`; JSON files by the source's own reader.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.config import Settings
from ingest.lake import (
    PLACEHOLDER_DAY,
    QUARANTINE_SCHEMA,
    days_of,
    ensure_placeholders,
    partition_dir,
    quarantine_dir,
    source_dir,
)
from ingest.sources import SourceSpec, get_source
from ingest.sources.base import FileFormatError, RecordError
from ingest.sources.csv_reader import read_csv
from ingest.validate import admit

CHUNK_ROWS = 100_000  # records parsed before they are appended to the lake files (memory bound)
CHUNK_BYTES = 8 << 20  # ... or after this many raw bytes (wide records: an mParticle event is ~0.5 kB)
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
    """Paths and globs to files, in a stable order. A pattern matching nothing is an error.

    A name that exists as written is that file, even when it holds glob characters
    (`export[2023-02].csv`); only a name that does not exist is expanded as a pattern.
    """
    found: list[Path] = []
    for pattern in patterns:
        literal = Path(pattern)
        if literal.exists() or not glob.has_magic(pattern):
            if not literal.exists():
                raise FileNotFoundError(f"{pattern}: no such file")
            if literal.is_dir():
                raise FileFormatError(f"{pattern}: is a folder; pass its files or a glob such as '{pattern}/*'")
            found.append(literal)
            continue
        matches = [Path(m) for m in sorted(glob.glob(pattern, recursive=True)) if not Path(m).is_dir()]
        if not matches:
            raise FileNotFoundError(f"{pattern}: no file matches")
        found += matches
    return list(dict.fromkeys(found))


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ledger_path(settings: Settings, source: str, sha: str) -> Path:
    return settings.lake_dir / "_ledger" / "files" / source / f"{sha}.json"


class _DayFiles:
    """Tables appended as row groups to one hidden file per day; renamed into place on commit.

    `day_field` names the date column rows are split by; None puts every row in `day`.
    """

    def __init__(self, root: Path, name: str, schema: pa.Schema, day_field: str | None, day: date):
        self.root, self.name, self.schema, self.day_field, self.day = root, name, schema, day_field, day
        self.open: dict[date, tuple[pq.ParquetWriter, Path, Path]] = {}

    def append(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        for day, part in days_of(table, self.day_field, self.day):
            if day not in self.open:
                final = partition_dir(self.root, day) / f"{self.name}.parquet"
                final.parent.mkdir(parents=True, exist_ok=True)
                tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
                self.open[day] = (pq.ParquetWriter(tmp, self.schema, compression="zstd"), tmp, final)
            self.open[day][0].write_table(part)

    def commit(self) -> set[Path]:
        """Rename every file into place; returns their paths."""
        done = set()
        for writer, tmp, final in self.open.values():
            writer.close()
            with open(tmp, "rb") as fh:  # the rename must not overtake the data on a crash
                os.fsync(fh.fileno())
            os.replace(tmp, final)
            done.add(final)
        self.open.clear()
        return done

    def remove_others(self, keep: set[Path]) -> None:
        """Delete files of this name in other date folders: an earlier landing of the same content
        (on another day, or before a rule changed) is replaced, never kept beside the new one."""
        for old in self.root.glob(f"date=*/{self.name}.parquet"):
            if old not in keep:
                old.unlink(missing_ok=True)

    def abort(self) -> None:
        for writer, tmp, _ in self.open.values():
            writer.close()
            tmp.unlink(missing_ok=True)
        self.open.clear()


def ingest_file(settings: Settings, spec: SourceSpec, path: Path, force: bool = False,
                progress: Progress | None = None, now: datetime | None = None) -> FileResult:
    """Land one file: every record read lands or is quarantined with its reason.

    The quarantine goes into the date folder of the day this content was first landed (kept in
    the ledger), so landing it again with `--force` on another day replaces it instead of adding
    a second copy.
    """
    sha = file_sha256(path)
    ledger = ledger_path(settings, spec.name, sha)
    done = json.loads(ledger.read_text()) if ledger.exists() else None
    if done is not None and not force:
        return FileResult(str(path), sha, done["read"], done["landed"], done["quarantined"], skipped=True)

    reader = spec.file_reader or read_csv
    now = now or datetime.now(UTC).replace(tzinfo=None)
    first_landed = datetime.fromisoformat(done.get("first_landed_at", done["landed_at"])) if done else now
    lake_cols = {"_source": spec.name, "_ingested_at": now, "_topic": None, "_partition": None,
                 "_offset": None, "_file": _path_text(path)}
    name = f"file-{sha[:20]}"
    day_field = spec.partition_field
    landed = _DayFiles(source_dir(settings, spec.name), name, spec.schema, day_field, PLACEHOLDER_DAY)
    quarantined = _DayFiles(quarantine_dir(settings, spec.name), name, QUARANTINE_SCHEMA, None, first_landed.date())
    size = path.stat().st_size
    good: list[dict] = []
    good_raw: list[bytes] = []
    bad: list[dict] = []
    read = n_good = n_bad = done_bytes = chunk_start = 0

    def land_chunk() -> None:
        nonlocal n_good, n_bad
        table, rejected = admit(good, spec.schema, good_raw.__getitem__)
        bad.extend({**lake_cols, "_row": good[i]["_row"], "raw": good_raw[i], "reason": why} for i, why in rejected)
        landed.append(table)
        quarantined.append(pa.Table.from_pylist(bad, schema=QUARANTINE_SCHEMA))
        n_good, n_bad = n_good + table.num_rows, n_bad + len(bad)
        good.clear()
        good_raw.clear()
        bad.clear()

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
                good_raw.append(rec.raw)
            if len(good) + len(bad) >= CHUNK_ROWS or done_bytes - chunk_start >= CHUNK_BYTES:
                chunk_start = done_bytes
                land_chunk()
                if progress:
                    progress(min(done_bytes, size), size)
        land_chunk()
    except BaseException:
        landed.abort()
        quarantined.abort()
        raise
    written = landed.commit() | quarantined.commit()
    landed.remove_others(written)
    quarantined.remove_others(written)
    if progress:
        progress(size, size)
    result = FileResult(str(path), sha, read, n_good, n_bad, skipped=False)
    ledger.parent.mkdir(parents=True, exist_ok=True)
    ledger.write_text(json.dumps({**asdict(result), "landed_at": now.isoformat(),
                                  "first_landed_at": first_landed.isoformat()}))
    return result


def _path_text(path: Path) -> str:
    """The file name as the lake stores it (a name that is not UTF-8 keeps its bytes escaped)."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def ingest_files(settings: Settings, source: str, patterns: list[str], force: bool = False,
                 progress: Callable[[Path], Progress | None] | None = None) -> list[FileResult]:
    """Land each file; `progress(path)` may return a callback that follows that file's bytes."""
    spec = get_source(source)
    paths = expand_paths(patterns)
    ensure_placeholders(settings, [spec])
    return [ingest_file(settings, spec, p, force=force, progress=progress(p) if progress else None) for p in paths]
