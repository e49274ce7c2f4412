"""`pulse ingest files <source> <paths|globs>`: land extract files into the lake.

Each file is landed exactly once: its content hash names its lake files, and a ledger entry
written after them records that it is done. A crash before the ledger entry means the next run
rewrites the same file names, so nothing is doubled. Every row read ends up landed or in the
quarantine with a reason: read = landed + quarantined, recorded in the ledger.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from .config import Settings
from .lake import ensure_placeholders, write_quarantine, write_rows
from .sources import SourceSpec, get_source
from .sources.base import FileFormatError, RawRecord, RecordError


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


def read_csv(path: Path, spec: SourceSpec) -> Iterator[RawRecord]:
    """Rows of a delimited text file with a header row naming the columns."""
    data = path.read_bytes()
    if not data.strip():
        raise FileFormatError(f"{path}: empty file")
    try:
        text = data.decode(spec.encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path}: not a {spec.encoding} text file ({exc.reason} at byte {exc.start})") from None
    if "\x00" in text:
        raise FileFormatError(f"{path}: binary content, not a CSV file")
    tap = _LineTap(iter(io.StringIO(text, newline="")))
    reader = csv.reader(tap, delimiter=spec.csv_delimiter)
    header = [h.strip() for h in next(reader)]
    missing = [c for c in spec.required_columns if c not in header]
    if missing:
        raise FileFormatError(
            f"{path}: missing column(s) {', '.join(missing)} (header has: {', '.join(header)[:200]})"
        )
    tap.taken.clear()
    for row_number, values in enumerate(reader, start=1):
        raw = "".join(tap.taken).encode(spec.encoding)
        tap.taken.clear()
        if not values or (len(values) == 1 and not values[0].strip()):
            row_number -= 1  # blank line: not a row
            continue
        if len(values) != len(header):
            yield RawRecord(row_number, raw, None, f"expected {len(header)} fields, got {len(values)}")
        else:
            yield RawRecord(row_number, raw, dict(zip(header, values, strict=True)))


def ingest_file(settings: Settings, spec: SourceSpec, path: Path, force: bool = False) -> FileResult:
    sha = file_sha256(path)
    ledger = ledger_path(settings, spec.name, sha)
    if ledger.exists() and not force:
        done = json.loads(ledger.read_text())
        return FileResult(str(path), sha, done["read"], done["landed"], done["quarantined"], skipped=True)

    reader = spec.file_reader or read_csv
    now = datetime.now(UTC).replace(tzinfo=None)
    lake_cols = {"_source": spec.name, "_ingested_at": now, "_topic": None, "_partition": None,
                 "_offset": None, "_file": str(path)}
    good: list[dict] = []
    bad: list[dict] = []
    read = 0
    for rec in reader(path, spec):
        read += 1
        try:
            if rec.error:
                raise RecordError(rec.error)
            row = spec.parse(rec.values or {})
        except RecordError as exc:
            bad.append({**lake_cols, "_row": rec.row, "raw": rec.raw, "reason": str(exc)})
            continue
        row.update(lake_cols)
        row["_row"] = rec.row
        good.append(row)

    name = f"file-{sha[:20]}"
    write_rows(settings, spec, good, name)
    write_quarantine(settings, spec.name, bad, name, now.date())
    result = FileResult(str(path), sha, read, len(good), len(bad), skipped=False)
    ledger.parent.mkdir(parents=True, exist_ok=True)
    ledger.write_text(json.dumps({**asdict(result), "landed_at": now.isoformat()}))
    return result


def ingest_files(settings: Settings, source: str, patterns: list[str], force: bool = False) -> list[FileResult]:
    spec = get_source(source)
    paths = expand_paths(patterns)
    ensure_placeholders(settings, [spec])
    return [ingest_file(settings, spec, p, force=force) for p in paths]
