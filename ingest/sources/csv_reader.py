"""Read a delimited text extract with a header row, streamed, one `RawRecord` per row.

CSV files may start with a UTF-8 or UTF-16 byte-order mark; when the header does not split into
the source's columns with its delimiter, `;`, tab and `|` are tried before giving up. Bytes that
are not valid in the encoding cost their row (quarantined with the byte named), not the file.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from ingest.sources.base import FileFormatError, RawRecord, SourceSpec

MAX_RECORD_BYTES = 1_000_000  # a CSV field up to this size is read (the csv module stops at 131,072)
OTHER_DELIMITERS = (",", ";", "\t", "|")


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
    """Column names of the header line and the delimiter that yields the source's columns.

    Every column the source defines must be there (its values may still be empty where the
    field is optional), and none twice: a repeated name would leave one of them unread.
    """
    if (why := _undecodable(line)) is not None:
        raise FileFormatError(f"{path}: the header is not {spec.encoding} text ({why})")
    wanted = spec.header_columns
    candidates = [spec.csv_delimiter, *(d for d in OTHER_DELIMITERS if d != spec.csv_delimiter)]
    for delimiter in candidates:
        header = [h.strip() for h in next(csv.reader([line], delimiter=delimiter), [])]
        if all(c in header for c in wanted):
            break
    else:
        delimiter = spec.csv_delimiter
        header = [h.strip() for h in next(csv.reader([line], delimiter=delimiter), [])]
        missing = [c for c in wanted if c not in header]
        raise FileFormatError(
            f"{path}: missing column(s) {', '.join(missing)} (header has: {', '.join(header)[:200]})"
        )
    twice = sorted({c for c in header if header.count(c) > 1 and c in spec.field_names})
    if twice:
        where = "; ".join(f"{c} at columns {', '.join(str(i + 1) for i, h in enumerate(header) if h == c)}"
                          for c in twice)
        raise FileFormatError(f"{path}: column(s) named twice in the header: {where}")
    return header, delimiter


def _undecodable(text: str) -> str | None:
    """Where a line decoded with surrogateescape held bytes that are not text, or None."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")  # fails exactly on the surrogates the escapes introduced
    except UnicodeEncodeError as exc:
        return f"byte 0x{ord(text[exc.start]) & 0xFF:02x} at character {exc.start + 1}"
    return None


def read_csv(path: Path, spec: SourceSpec) -> Iterator[RawRecord]:
    """Rows of a delimited text file with a header row naming the columns, streamed.

    Bytes that are not valid in the encoding are decoded as surrogate escapes, so a bad byte
    costs its row (quarantined with the byte named), not the file; the raw bytes are kept exact.
    """
    if _is_blank(path):
        raise FileFormatError(f"{path}: empty file")
    encoding = text_encoding(path, spec)
    out_encoding = spec.encoding if encoding.startswith("utf-16") else encoding.removesuffix("-sig")
    row_number = 0
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_BYTES))
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as fh:
        lines = _checked_lines(path, fh)
        first = next(lines, "").lstrip("\ufeff")
        header, delimiter = _header(path, spec, first)
        tap = _LineTap(lines)
        reader = csv.reader(tap, delimiter=delimiter)
        while True:
            try:
                values = next(reader)
                error = None
            except StopIteration:
                break
            except csv.Error as exc:  # e.g. a field over the size limit: the record is bad, the file goes on
                values, error = None, f"not a CSV record: {exc}"
            text = "".join(tap.taken)
            tap.taken.clear()
            raw = _raw_bytes(text, out_encoding)
            if values is not None and (not values or (len(values) == 1 and not values[0].strip())):
                continue  # blank line: not a row
            row_number += 1
            if error is None and (why := _undecodable(text)) is not None:
                error = f"not {spec.encoding} text: {why} of the row"
            if error is None and len(values) != len(header):
                error = f"expected {len(header)} fields, got {len(values)}"
            if error is not None:
                yield RawRecord(row_number, raw, None, error)
            else:
                yield RawRecord(row_number, raw, dict(zip(header, values, strict=True)))


def _raw_bytes(text: str, encoding: str) -> bytes:
    try:
        return text.encode(encoding, errors="surrogateescape")
    except UnicodeEncodeError:  # a codec that cannot carry the escapes back (UTF-16)
        return text.encode(encoding, errors="backslashreplace")


def _checked_lines(path: Path, fh: io.TextIOBase) -> Iterator[str]:
    for line in fh:
        if "\x00" in line:
            raise FileFormatError(f"{path}: binary content, not a CSV file")
        yield line
