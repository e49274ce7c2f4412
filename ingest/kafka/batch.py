"""Decode a flush's messages into a typed Arrow table: columnar where that is provably the same
as `spec.parse`, per message (`ingest.kafka.decode`) for everything else.

Per-record Python (json.loads + spec.parse + a dict per row) costs more than kafka-python's own
consume loop, so a batch of a plain source (no explode, fields parsed by `text`, `integer`,
`number`, `utc_timestamp`) is read with Arrow's JSON reader in one go. Only values in canonical
form stay on the fast path: strings without surrounding white space, JSON integers for integers,
timestamps exactly `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]Z` inside the plausible range, required
fields present. Every other message, and the whole batch when Arrow cannot read it (a message
that is not an object, not UTF-8, ...), goes through `decode_message`, so rows and quarantine
reasons are the same either way (tests/ingest/test_kafka_batch.py compares both paths).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from ingest.kafka.decode import decode_message
from ingest.sources import parsers
from ingest.sources.base import RecordError, SourceSpec
from ingest.validate import admit

_KINDS = {parsers.text: "text", parsers.integer: "int", parsers.number: "float", parsers.utc_timestamp: "ts"}
_JSON_TYPE = {"text": pa.string(), "int": pa.int64(), "float": pa.float64(), "ts": pa.string()}
_ISO_Z = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6})?Z$"
# Characters str.strip() removes that RE2's \s does not cover.
_EDGE_SPACE = r"^[\s\x0b\x1c-\x1f\x85\p{Z}]|[\s\x0b\x1c-\x1f\x85\p{Z}]$"


def fast_kinds(spec: SourceSpec) -> dict[str, str] | None:
    """Field name -> kind when every field's parser has a columnar twin; None otherwise."""
    if spec.explode is not None or spec.context_fields:
        return None
    kinds = {}
    for f in spec.fields:
        kind = _KINDS.get(f.parse)
        if kind is None:
            return None
        kinds[f.name] = kind
    return kinds


def data_schema(spec: SourceSpec) -> pa.Schema:
    """The spec's data columns plus _offset and _row (what a flush decodes into)."""
    fields = [pa.field(f.name, f.type) for f in (*spec.fields, *spec.context_fields)]
    return pa.schema([*fields, pa.field("_offset", pa.int64()), pa.field("_row", pa.int64())])


def decode_batch(spec: SourceSpec, values: list[bytes | None], offsets: list[int],
                 max_bytes: int) -> tuple[pa.Table, list[dict[str, Any]]]:
    """Typed rows (data columns + _offset + _row) and quarantine records (_offset, _row, raw, reason)."""
    kinds = fast_kinds(spec)
    slow = list(range(len(values)))
    fast_table = None
    if kinds is not None and values:
        fast_table, slow = _columnar(spec, kinds, values, offsets, max_bytes)
    rows: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    for i in slow:
        decoded = decode_message(values[i], spec, max_bytes)
        for row in decoded.rows:
            row["_offset"] = offsets[i]
        rows += decoded.rows
        bad += [{"_offset": offsets[i], "_row": r, "raw": values[i], "reason": why} for r, why in decoded.bad]
    raw_by_offset = _RawByOffset(offsets, values)
    slow_table, unfit = admit(rows, data_schema(spec), lambda i: raw_by_offset[rows[i]["_offset"]])
    bad += [_rejected(rows[i], raw_by_offset, why) for i, why in unfit]
    if fast_table is not None and fast_table.num_rows:
        fast_offsets = fast_table["_offset"].to_numpy()
        fast_table, unfit = admit(fast_table, fast_table.schema, lambda j: raw_by_offset[int(fast_offsets[j])])
        bad += [{"_offset": int(fast_offsets[j]), "_row": None, "raw": raw_by_offset[int(fast_offsets[j])],
                 "reason": why} for j, why in unfit]
        fast_table, failed = _apply_check(spec, fast_table, raw_by_offset)
        bad += failed
        table = pa.concat_tables([fast_table, slow_table]) if slow_table.num_rows else fast_table
    else:
        table = slow_table
    if slow and table.num_rows:
        table = table.sort_by([("_offset", "ascending"), ("_row", "ascending")])
    return table, bad


MIN_BLOCK = 64  # a block Arrow cannot read is split in halves down to this size, then goes slow


def _columnar(spec: SourceSpec, kinds: dict[str, str], values: list[bytes | None], offsets: list[int],
              max_bytes: int) -> tuple[pa.Table | None, list[int]]:
    """Typed table of the canonical messages, and the positions that need the per-message path.

    Lines handed to Arrow each start with `{` and hold no line break, so each yields at least
    one row or an error; a block whose row count equals its line count therefore has exactly
    one row per message, in order (a line with two objects makes the counts differ).
    """
    n = len(values)
    if (None not in values and all(map(bytes.startswith, values, repeat(b"{")))
            and max(map(len, values)) <= max_bytes):
        joined = b"\n".join(values)  # the common case: every message is a one-line object
        if joined.count(b"\n") == n - 1 and b"\r" not in joined:
            positions = list(range(n))
            lines = values
        else:
            positions, joined = None, None
    else:
        positions, joined = None, None
    if positions is None:
        positions = [i for i, v in enumerate(values)
                     if v is not None and 2 < len(v) <= max_bytes and v[0] == 123  # {
                     and b"\n" not in v and b"\r" not in v]
        lines = [values[i] for i in positions]
    tables: list[pa.Table] = []
    fast = np.zeros(n, dtype=bool)
    _read_blocks(spec, kinds, lines, positions, offsets, tables, fast, joined)
    slow = np.nonzero(~fast)[0].tolist()
    if not tables:
        return None, slow
    return pa.concat_tables(tables), slow


def _read_blocks(spec, kinds, lines, positions, offsets, tables, fast, joined=None) -> None:
    """`joined`: the lines joined by line breaks, when the caller has them already."""
    if not lines:
        return
    try:
        table, ok = _typed_block(spec, kinds, lines, positions, offsets, joined)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, OverflowError):
        if len(lines) <= MIN_BLOCK:
            return  # these go through the per-message path, which names the reason
        mid = len(lines) // 2
        _read_blocks(spec, kinds, lines[:mid], positions[:mid], offsets, tables, fast)
        _read_blocks(spec, kinds, lines[mid:], positions[mid:], offsets, tables, fast)
        return
    tables.append(table)
    fast[np.asarray(positions)[ok]] = True


def _typed_block(spec, kinds, lines, positions, offsets, joined=None) -> tuple[pa.Table, np.ndarray]:
    """Arrow-typed rows of a block of canonical lines; raises when Arrow cannot read them all."""
    json_schema = pa.schema([pa.field(name, _JSON_TYPE[kind]) for name, kind in kinds.items()])
    joined = b"\n".join(lines) if joined is None else joined
    table = pj.read_json(io.BytesIO(joined),
                         read_options=pj.ReadOptions(block_size=max(1 << 20, 2 * len(joined))),
                         parse_options=pj.ParseOptions(explicit_schema=json_schema,
                                                       unexpected_field_behavior="ignore"))
    if table.num_rows != len(lines):
        raise pa.ArrowInvalid("rows do not line up with the messages")
    ok = np.ones(table.num_rows, dtype=bool)
    columns = {}
    now_limit = datetime.now(UTC).replace(tzinfo=None) + parsers.MAX_FUTURE
    for f in spec.fields:
        col = table[f.name].combine_chunks()
        kind = kinds[f.name]
        missing = col.is_null().to_numpy(zero_copy_only=False)
        if kind == "text":  # a timestamp is checked against _ISO_Z below, which admits no space
            odd = pc.or_(pc.equal(col, ""), pc.match_substring_regex(col, _EDGE_SPACE))
            ok &= ~pc.fill_null(odd, False).to_numpy(zero_copy_only=False)
        if f.required:
            ok &= ~missing
        if kind == "ts":
            canonical = pc.fill_null(pc.match_substring_regex(col, _ISO_Z), True).to_numpy(zero_copy_only=False)
            ok &= canonical
            text = pc.if_else(pa.array(canonical), col, pa.scalar(None, pa.string()))
            ts = pc.cast(pc.utf8_slice_codeunits(text, 0, -1), pa.timestamp("us"))
            in_range = pc.and_(pc.greater_equal(ts, pa.scalar(parsers.MIN_EVENT_TIME, pa.timestamp("us"))),
                               pc.less_equal(ts, pa.scalar(now_limit, pa.timestamp("us"))))
            ok &= pc.fill_null(in_range, True).to_numpy(zero_copy_only=False)
            col = ts
        columns[f.name] = col.cast(f.type)  # safe cast: an out-of-range value raises
    table = pa.table({**columns, "_offset": pa.array([offsets[i] for i in positions], pa.int64()),
                      "_row": pa.nulls(len(positions), pa.int64())}).filter(pa.array(ok))
    return table.cast(data_schema(spec)), ok


class _RawByOffset(dict):
    """Offset -> raw message, built on the first lookup: only rejected rows look one up."""

    def __init__(self, offsets: list[int], values: list[bytes | None]):
        super().__init__()
        self._pending: tuple | None = (offsets, values)

    def __missing__(self, offset: int) -> bytes | None:
        if self._pending is None:
            raise KeyError(offset)
        offsets, values = self._pending
        self._pending = None
        self.update(zip(offsets, values, strict=True))
        return self[offset]


class _KeysRead(dict):
    """A row that remembers which fields a check reads."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.read: list[str] = []

    def __getitem__(self, key: str) -> Any:
        self.read.append(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.append(key)
        return super().get(key, default)


def _apply_check(spec: SourceSpec, table: pa.Table, raw_by_offset: dict[int, bytes | None]
                 ) -> tuple[pa.Table, list[dict[str, Any]]]:
    """A spec's record-level rule (CheckedSourceSpec.check) on the columnar rows.

    Materialising Python rows is the cost, so only the rows the rule's columnar twin
    (`may_fail`) cannot clear are checked, and the check first runs on one full row to learn
    which fields it reads, and the other rows carry only those (a check that then reads another
    field raises KeyError, and the rows are checked again in full).
    """
    check = getattr(spec, "check", None)
    if check is None or table.num_rows == 0:
        return table, []
    may_fail = getattr(spec, "may_fail", None)
    if may_fail is None:
        rows, suspects = None, table
    else:
        rows = np.nonzero(pc.fill_null(may_fail(table), True).to_numpy(zero_copy_only=False))[0]
        if len(rows) == 0:
            return table, []
        suspects = table.take(rows)
    probe = _KeysRead(suspects.slice(0, 1).to_pylist()[0])
    try:
        check(probe)
    except RecordError:
        pass
    names = list(dict.fromkeys(probe.read))
    try:
        failed, bad = _check_rows(check, suspects, names, raw_by_offset)
    except KeyError:
        failed, bad = _check_rows(check, suspects, suspects.column_names, raw_by_offset)
    if not bad:
        return table, bad
    keep = np.ones(table.num_rows, dtype=bool)
    keep[failed if rows is None else rows[failed]] = False
    return table.filter(pa.array(keep)), bad


def _check_rows(check, table: pa.Table, names: list[str], raw_by_offset: dict[int, bytes | None]
                ) -> tuple[list[int], list[dict[str, Any]]]:
    """Positions of the rows `check` rejects, and their quarantine records."""
    failed, bad = [], []
    columns = [_py_values(table[name]) for name in names]
    offsets = table["_offset"].to_pylist()
    for j, values in enumerate(zip(*columns, strict=True)):
        try:
            check(dict(zip(names, values, strict=True)))
        except RecordError as exc:
            failed.append(j)
            bad.append({"_offset": offsets[j], "_row": None, "raw": raw_by_offset[offsets[j]], "reason": str(exc)})
    return failed, bad


def _py_values(col: pa.ChunkedArray) -> list[Any]:
    """Python values of a column; naive timestamps through numpy (datetime objects, None for
    nulls), which is many times faster than Arrow's to_pylist()."""
    if pa.types.is_timestamp(col.type) and col.type.tz is None and col.type.unit in ("s", "ms", "us"):
        return col.to_numpy().astype(f"datetime64[{col.type.unit}]").astype(object).tolist()
    return col.to_pylist()


def _rejected(row: dict[str, Any], raw_by_offset: dict[int, bytes | None], reason: str) -> dict[str, Any]:
    return {"_offset": row["_offset"], "_row": row.get("_row"), "raw": raw_by_offset[row["_offset"]], "reason": reason}
