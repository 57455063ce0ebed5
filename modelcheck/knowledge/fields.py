"""``backbones.json`` read field by field, as it is used.

The file is 2.2 MB and parsing all of it took about 19 ms, a seventh of a one-script
run, while a script asks about one or two backbones. ``build.dumps`` writes one
line per field of each entry with a compact JSON value, so the file is mapped
(not read and decoded: that alone took 3 ms), each line is located, and a value
is parsed the first time it is read. A file in any other layout (edited by
hand) is parsed whole, as before.
"""

from __future__ import annotations

import json
import mmap
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Union

Buffer = Union[bytes, mmap.mmap]

# ``build.dumps``: ` "Name": {` opens an entry, `  "field": value,` is one field, ` },` closes it;
# a top-level value that is not an entry is one line, ` "key": value,`. Keys are plain words.
_KEY = re.compile(rb'"[A-Za-z0-9_]+": ')


class Fields(Mapping[str, Any]):
    """One entry: each field's JSON text (a span of the file's text), parsed on first access."""

    __slots__ = ("_source", "_spans", "_values")

    def __init__(self, source: Buffer, spans: dict[str, tuple[int, int]]) -> None:
        self._source = source
        self._spans = spans
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            start, end = self._spans[key]  # KeyError when the field is absent
            value = self._values[key] = json.loads(self._source[start:end])
            return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)

    def __repr__(self) -> str:
        return f"Fields({sorted(self._spans)})"


def load_file(path: Path) -> dict[str, Any]:
    """:func:`load` on the file, mapped into memory (read whole where it cannot be mapped)."""
    with path.open("rb") as handle:
        try:
            buffer: Buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # an empty file, or a file system without mapping
            buffer = handle.read()
    return load(buffer)


def load(text: Buffer | str) -> dict[str, Any]:
    """Top-level key → :class:`Fields` for an entry, or the parsed value; the whole text parsed
    at once when it is not in ``build.dumps``'s layout."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    if text[:2] != b"{\n":
        return _whole(text)
    found: dict[str, Any] = {}
    spans: dict[str, tuple[int, int]] | None = None
    position, size = 2, len(text)
    while position < size:
        end = text.find(b"\n", position)
        if end < 0:
            end = size
        line_start, position = position, end + 1
        if spans is not None:
            if text[line_start : line_start + 2] == b" }" and end - line_start in (2, 3):  # " }" or " },"
                spans = None
                continue
            split = _split(text, line_start, end, 2)
            if split is None:
                return _whole(text)
            key, value_start, value_end = split
            spans[key] = (value_start, value_end)
            continue
        if end - line_start == 1 and text[line_start : line_start + 1] == b"}" or end == line_start:
            continue
        split = _split(text, line_start, end, 1)
        if split is None:
            return _whole(text)
        key, value_start, value_end = split
        if text[value_start:value_end] == b"{":
            spans = {}
            found[key] = Fields(text, spans)
        else:
            found[key] = json.loads(text[value_start:value_end])
    if spans is not None:
        return _whole(text)
    return found


def _split(text: Buffer, start: int, end: int, indent: int) -> tuple[str, int, int] | None:
    """Key and value span of the line `` "key": value,`` at ``start``, indented by ``indent`` spaces."""
    if text[start : start + indent] != b" " * indent:
        return None
    match = _KEY.match(text, start + indent, end)
    if match is None:
        return None
    value_end = end - 1 if text[end - 1 : end] == b"," else end
    return text[start + indent + 1 : match.end() - 3].decode("ascii"), match.end(), value_end


def _whole(text: Buffer) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(bytes(text))
    return data
