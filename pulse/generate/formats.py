"""File output in the real extracts' formats: CSV (any delimiter), JSON lines.

Writers take the fault-injected items (see faults.py) and render good and bad records the same
way for every dataset: a bad record is the dataset's `bad_dict`, and a malformed one is a row
with a field too few (CSV) or truncated JSON (JSON lines).
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: core imports this module to write its default files
    from pulse.generate.core import Dataset
    from pulse.generate.faults import Item

MALFORMED = object()  # marker: render this record as malformed text


def rows_of(ds: Dataset, stream: Iterator[Item]) -> Iterator[tuple[tuple, dict | object]]:
    """(record, row) per item: the row is a dict of output fields, or MALFORMED; a duplicate
    repeats its original's row."""
    rng = random.Random(f"{ds.plan.seed}:{ds.plan.shard}:bad-values")
    last: dict | object = {}
    for rec, shift, bad, dup in stream:
        if dup:
            yield rec, last
            continue
        if bad is None:
            last = ds.as_dict(rec, shift)
        elif bad == "malformed_json":
            last = MALFORMED
        else:
            last = ds.bad_dict(rec, bad, rng)
        yield rec, last


def _cell(value, quoted: bool) -> str:
    text = "" if value is None else str(value)
    return '"' + text.replace('"', '""') + '"' if quoted else text


def csv_lines(ds: Dataset, rows: Iterator[tuple[tuple, dict | object]], delimiter: str,
              quote_fields: tuple[str, ...] = ()) -> Iterator[str]:
    """CSV lines (without the header): csv-module quoting, plus always-quoted `quote_fields`."""
    fields = ds.fields
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    for _, row in rows:
        if row is MALFORMED:
            yield delimiter.join(["x"] * (len(fields) - 1)) + "\n"
            continue
        if quote_fields:
            yield delimiter.join(_cell(row.get(f), f in quote_fields) for f in fields) + "\n"
            continue
        writer.writerow(["" if row.get(f) is None else row.get(f) for f in fields])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def write_csv(ds: Dataset, stream: Iterator[Item], path: Path, *, delimiter: str = ",",
              shuffle: bool = False, quote_fields: tuple[str, ...] = ()) -> int:
    """A header row, then one line per item (shuffled if the real extract is unsorted)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = csv_lines(ds, rows_of(ds, stream), delimiter, quote_fields)
    if shuffle:
        lines = list(lines)
        random.Random(f"{ds.plan.seed}:{ds.plan.shard}:shuffle").shuffle(lines)
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.write(delimiter.join(ds.fields) + "\n")
        for line in lines:
            fh.write(line)
            n += 1
    return n


def write_jsonl(ds: Dataset, stream: Iterator[Item], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for _, row in rows_of(ds, stream):
            fh.write('{"truncated": \n' if row is MALFORMED else json.dumps(row, separators=(",", ":")) + "\n")
            n += 1
    return n
