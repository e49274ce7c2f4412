"""The one admission check every landing path ends with, right before the lake writer.

Readers and decoders differ (CSV rows, JSON lines, mParticle batches, Kafka messages decoded per
message or columnar by Arrow), so what they hand over can differ too; the lake must not. Every
path turns its typed rows into an Arrow table through `admit`, which:

  - stores each value in its lake column type or rejects the row naming the field (an integer
    beyond int32/int64, a lone surrogate that has no UTF-8 form);
  - checks every string column is valid UTF-8, vectorised (Arrow's full validation scans each
    column once; only a column that fails is looked at row by row). Arrow's JSON reader copies
    string bytes as they are, so without this a message with `\\xe9` inside a string value would
    reach a Parquet file that DuckDB then refuses to read.

A rejected row goes to the quarantine with the reason, like any other bad record. `utf8_reason`
words a bad byte the same way for a Kafka message, a JSON line and a CSV row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

# (index of the row in the input, reason)
Rejected = list[tuple[int, str]]


def utf8_reason(raw: bytes, encoding: str = "utf-8") -> str | None:
    """None when `raw` decodes strictly, else the quarantine reason naming the first bad byte."""
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as exc:
        return f"not {_codec_name(encoding)}: {exc.reason} (byte 0x{raw[exc.start]:02x} at byte {exc.start})"
    return None


def _codec_name(encoding: str) -> str:
    return {"utf-8": "UTF-8", "utf8": "UTF-8", "utf-8-sig": "UTF-8"}.get(encoding.lower(), encoding)


def admit(rows: list[dict[str, Any]] | pa.Table, schema: pa.Schema,
          raw_of: Callable[[int], bytes | None] | None = None) -> tuple[pa.Table, Rejected]:
    """The lake table of `rows` (dicts or an Arrow table) and the rows rejected, with reasons.

    `raw_of(i)` gives row i's raw bytes when a reader has them: an invalid UTF-8 row is then
    described by its first bad byte, exactly as the per-message decoder words it.
    """
    if isinstance(rows, pa.Table):
        table, rejected = rows, []
    else:
        table, rejected = _to_table(rows, schema)
    bad = _invalid_utf8_rows(table)
    if not bad:
        return table, rejected
    keep = [True] * table.num_rows
    kept_index = _kept_index(len(rows) if not isinstance(rows, pa.Table) else table.num_rows, rejected)
    for j, column in sorted(bad.items()):
        keep[j] = False
        i = kept_index[j]
        raw = raw_of(i) if raw_of is not None else None
        reason = (utf8_reason(raw) if raw is not None else None) or f"not UTF-8: {column} holds invalid bytes"
        rejected.append((i, reason))
    return table.filter(pa.array(keep)), sorted(rejected)


def _kept_index(n: int, rejected: Rejected) -> list[int]:
    """Input index of each row of the table (rows rejected by _to_table are not in it)."""
    gone = {i for i, _ in rejected}
    return [i for i in range(n) if i not in gone]


def _to_table(rows: list[dict[str, Any]], schema: pa.Schema) -> tuple[pa.Table, Rejected]:
    try:
        return pa.Table.from_pylist(rows, schema=schema), []
    except (ValueError, TypeError, OverflowError):  # ArrowInvalid, a lone surrogate, an overflow
        pass
    good, rejected = [], []
    for i, row in enumerate(rows):
        reason = _unfit(row, schema)
        if reason is None:
            good.append(row)
        else:
            rejected.append((i, reason))
    return pa.Table.from_pylist(good, schema=schema), rejected


def _unfit(row: dict[str, Any], schema: pa.Schema) -> str | None:
    """Why `row` cannot be stored in `schema`, naming the field; None when it can."""
    for f in schema:
        value = row.get(f.name)
        try:
            pa.array([value], f.type)
        except UnicodeEncodeError as exc:
            return f"not UTF-8: {f.name} holds a lone surrogate ({value[exc.start]!r} at character {exc.start})"
        except (ValueError, TypeError, OverflowError) as exc:
            return f"value does not fit the lake column type: {f.name} {_short(value)}: {exc}"
    return None


def _invalid_utf8_rows(table: pa.Table) -> dict[int, str]:
    """Row -> name of a string column holding invalid UTF-8 there."""
    bad: dict[int, str] = {}
    for f in table.schema:
        if not (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)):
            continue
        column = table[f.name]
        try:
            column.validate(full=True)
            continue
        except pa.ArrowInvalid:
            pass
        for j, value in enumerate(column.cast(pa.binary() if pa.types.is_string(f.type) else pa.large_binary())
                                  .to_pylist()):
            if value is not None and utf8_reason(value) is not None:
                bad.setdefault(j, f.name)
    return bad


def int_range_error(value: int, type_: pa.DataType) -> str | None:
    """Why `value` does not fit the integer lake type `type_`, or None."""
    if not pa.types.is_integer(type_):
        return None
    bits = type_.bit_width
    lo, hi = (0, 2**bits - 1) if pa.types.is_unsigned_integer(type_) else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if lo <= value <= hi:
        return None
    return f"out of range for {type_} ({lo}..{hi})"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__: Sequence[str] = ["Rejected", "admit", "int_range_error", "utf8_reason"]
