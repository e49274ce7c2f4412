"""Stream the elements of a file holding one JSON array (or one JSON object), with bounded memory.

`json.load` holds the whole document and every object in it at once (a 48 MB product-view file
peaked near half a gigabyte). Here the text is read in chunks and each element is decoded on its
own with `JSONDecoder.raw_decode`, so memory holds one chunk plus the element being read.
Bytes that are not valid in the encoding are decoded as surrogate escapes: they end up in a
string value, and the lake's admission check (`ingest/validate.py`) quarantines that record.
Anything that is not JSON stops the file with a `FileFormatError` naming the element and the
character where reading failed: past that point the array cannot be split reliably.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.sources.base import FileFormatError

CHUNK_CHARS = 1 << 20
_SPACE = " \t\n\r"
_DECODER = json.JSONDecoder()


class _Text:
    """A sliding window over a text file: `buf[pos:]` is what is not consumed yet."""

    def __init__(self, fh):
        self.fh = fh
        self.buf = ""
        self.pos = 0
        self.consumed = 0  # characters dropped from the window before `buf`
        self.eof = False

    def more(self) -> bool:
        """Read another chunk (at least as much as is buffered: reading stays linear)."""
        if self.eof:
            return False
        chunk = self.fh.read(max(CHUNK_CHARS, len(self.buf) - self.pos))
        self.consumed += self.pos
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0
        self.eof = not chunk
        return bool(chunk)

    def peek(self) -> str:
        """The next character that is not white space ('' at the end of the file)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.buf) or not self.more():
                return self.buf[self.pos:self.pos + 1]

    @property
    def where(self) -> int:
        return self.consumed + self.pos + 1


def iter_json_array(path: Path, encoding: str = "utf-8") -> Iterator[Any]:
    """Each element of the top-level array (or the single top-level object) of `path`."""
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as fh:
        text = _Text(fh)
        first = text.peek()
        if first == "\ufeff":  # a byte-order mark
            text.pos += 1
            first = text.peek()
        if first == "":
            raise FileFormatError(f"{path}: empty file")
        if first == "{":
            yield _element(path, text, 1)
        elif first == "[":
            text.pos += 1
            number = 0
            if text.peek() == "]":
                text.pos += 1
            else:
                while True:
                    number += 1
                    yield _element(path, text, number)
                    sep = text.peek()
                    text.pos += 1
                    if sep == "]":
                        break
                    if sep != ",":
                        raise FileFormatError(f"{path}: not JSON after element {number}: expected ',' or ']' "
                                              f"at character {text.where - 1}, found {sep or 'the end of the file'!r}")
        else:
            raise FileFormatError(f"{path}: expected a JSON array of objects, found {first!r} at character "
                                  f"{text.where}")
        if text.peek() != "":
            raise FileFormatError(f"{path}: unexpected content after the JSON value at character {text.where}")


def _element(path: Path, text: _Text, number: int) -> Any:
    if text.peek() == "":
        raise FileFormatError(f"{path}: the file ends inside the array (element {number})")
    while True:
        try:
            value, end = _DECODER.raw_decode(text.buf, text.pos)
        except json.JSONDecodeError as exc:
            if text.more():
                continue  # the element goes on in the next chunk
            raise FileFormatError(f"{path}: not JSON in element {number}: {exc.msg} at character "
                                  f"{text.consumed + exc.pos + 1}") from None
        except RecursionError:
            raise FileFormatError(f"{path}: element {number} is nested too deeply to read "
                                  f"(at character {text.where})") from None
        if end == len(text.buf) and text.more():
            continue  # a number or literal may go on in the next chunk
        text.pos = end
        return value
