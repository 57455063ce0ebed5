"""The JSON of a notebook, read with the position of every cell source string.

Only what a check needs is kept: each code cell's source, with the byte span
and file line of each JSON string it is made of (for ``--fix``, which edits
those strings in place, and for SARIF/GitHub regions). The scan runs over the
file's bytes: outputs and attachments are passed over (checked to be JSON,
never decoded into objects), so a 10 MB base64 plot costs its bytes once.
Every problem is an InputError (MC001) with the JSON line where it was found.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from modelcheck.errors import InputError, NoSetup
from modelcheck.limits import MAX_NOTEBOOK_BYTES, MAX_NOTEBOOK_CELLS

_WS = re.compile(rb"[ \t\n\r]*")
# A JSON string or scalar, matched (and so validated) without building a Python object.
_STRING = re.compile(rb'"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"')
_SCALAR = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null")
_BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Piece:
    """One JSON string of a cell's source: its decoded value and where its token lies in the file."""

    value: str
    start: int
    """Byte offset of the opening quote."""
    end: int
    """Byte offset just past the closing quote."""
    file_line: int
    """1-based line of the file where the token starts."""


@dataclass
class RawCell:
    """A code cell as the file holds it."""

    index: int
    """0-based position among all cells."""
    cell_type: str | None = None
    pieces: list[Piece] = field(default_factory=list)
    is_list: bool = True
    """The source is a JSON list of strings (nbformat's usual form), not one string."""
    list_start: int = -1
    """Byte offset of the source list's ``[`` (lists only)."""
    list_end: int = -1
    """Byte offset just past the source list's ``]`` (lists only)."""

    @property
    def text(self) -> str:
        return "".join(piece.value for piece in self.pieces)


@dataclass
class Document:
    """A notebook's bytes, its code cells and its language."""

    data: bytes
    cells: list[RawCell]
    """The code cells, in file order."""
    language: str | None = None


def read_document(path: str) -> Document:
    """Read and scan a notebook file (raises InputError, NoSetup, OSError)."""
    from modelcheck.filetypes import open_regular_file

    size = os.path.getsize(path)
    if size > MAX_NOTEBOOK_BYTES:
        raise InputError(
            f"notebook is {size} bytes, over the {MAX_NOTEBOOK_BYTES}-byte bound for notebooks "
            "(its outputs make it large: clear them, e.g. `jupyter nbconvert --clear-output --inplace`)"
        )
    with open_regular_file(path) as handle:
        # read(n) allocates n bytes first: ask for the size stat gave, then for whatever was appended since.
        data = handle.read(size + 1)
        if len(data) > size:
            data += handle.read(MAX_NOTEBOOK_BYTES + 1 - len(data))
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InputError(f"notebook is over the {MAX_NOTEBOOK_BYTES}-byte bound for notebooks")
    return parse_document(data)


def parse_document(data: bytes) -> Document:
    """Scan a notebook's bytes (raises InputError for anything that is not an nbformat-4 notebook)."""
    _check_utf8(data)
    document = Document(data, [])
    scan = _Scan(data, len(_BOM) if data.startswith(_BOM) else 0)
    try:
        scan.read_notebook(document)
    except RecursionError:
        raise InputError("the notebook's JSON is nested too deeply to read") from None
    return document


def _check_utf8(data: bytes) -> None:
    """Refuse a file that is not UTF-8, decoding a chunk at a time (no copy of the whole file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _CHUNK):
        try:
            decoder.decode(data[start : start + _CHUNK], final=start + _CHUNK >= len(data))
        except UnicodeDecodeError as error:
            line = data[: start + error.start].count(b"\n") + 1
            raise InputError("notebook is not UTF-8 text (nbformat files are UTF-8 JSON)", line=line) from None


class _Scan:
    """A cursor over the JSON bytes."""

    def __init__(self, data: bytes, pos: int):
        self.data = data
        self.pos = pos
        self._line_pos = 0
        self._line = 1

    # -- positions and errors -------------------------------------------------------

    def line_at(self, pos: int) -> int:
        """1-based line of ``pos``; positions mostly come in increasing order, so counting is incremental."""
        if pos < self._line_pos:
            self._line_pos, self._line = 0, 1
        self._line += self.data.count(b"\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def fail(self, message: str, pos: int | None = None) -> InputError:
        where = self.pos if pos is None else pos
        column = len(self.data[self.data.rfind(b"\n", 0, where) + 1 : where].decode("utf-8", "replace")) + 1
        return InputError(message, line=self.line_at(where), column=column)

    def invalid(self, what: str) -> InputError:
        return self.fail(f"not valid JSON: {what}")

    # -- tokens ---------------------------------------------------------------------

    def skip_ws(self) -> bytes:
        self.pos = _WS.match(self.data, self.pos).end()  # type: ignore[union-attr]
        return self.data[self.pos : self.pos + 1]

    def expect(self, char: bytes) -> None:
        if self.skip_ws() != char:
            raise self.invalid(f"expecting {char.decode()!r}")
        self.pos += 1

    def string(self) -> tuple[str, int, int]:
        """A string's value and its token's span."""
        if self.skip_ws() != b'"':
            raise self.invalid("expecting a string")
        match = _STRING.match(self.data, self.pos)
        if match is None:
            raise self.invalid("invalid string")
        start, self.pos = match.span()
        try:
            return json.loads(match.group()), start, self.pos
        except (UnicodeDecodeError, ValueError):
            raise self.fail("not valid JSON: invalid string", start) from None

    def value(self) -> Any:
        """A small value (``cell_type``, ``metadata``), decoded."""
        self.skip_ws()
        start = self.pos
        self.skip()
        try:
            return json.loads(self.data[start : self.pos])
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise self.fail("not valid JSON", start) from None

    def skip(self) -> None:
        """Pass over one value (an output, cell metadata), checking it is JSON, building nothing."""
        data = self.data
        closers: list[bytes] = []
        while True:
            first = self.skip_ws()
            if first in (b"{", b"["):
                self.pos += 1
                closer = b"}" if first == b"{" else b"]"
                if self.skip_ws() == closer:
                    self.pos += 1
                else:
                    closers.append(closer)
                    if closer == b"}":
                        self.string()
                        self.expect(b":")
                    continue
            else:
                match = (_STRING if first == b'"' else _SCALAR).match(data, self.pos)
                if match is None:
                    raise self.invalid("invalid string" if first == b'"' else "expecting a value")
                self.pos = match.end()
            while closers:  # after a value: a comma, or the end of one or more containers
                following = self.skip_ws()
                if following == b",":
                    self.pos += 1
                    if closers[-1] == b"}":
                        self.string()
                        self.expect(b":")
                    break
                if following != closers[-1]:
                    raise self.invalid("expecting ',' or " + repr(closers[-1].decode()))
                self.pos += 1
                closers.pop()
            if not closers:
                return

    def members(self) -> Iterator[str]:
        """The keys of an object; the caller reads each key's value before asking for the next."""
        self.expect(b"{")
        if self.skip_ws() == b"}":
            self.pos += 1
            return
        while True:
            key = self.string()[0]
            self.expect(b":")
            yield key
            following = self.skip_ws()
            if following == b"}":
                self.pos += 1
                return
            if following != b",":
                raise self.invalid("expecting ',' or '}'")
            self.pos += 1

    def items(self) -> Iterator[int]:
        """The indexes of an array's items; the caller reads each item before asking for the next."""
        self.expect(b"[")
        if self.skip_ws() == b"]":
            self.pos += 1
            return
        index = 0
        while True:
            yield index
            index += 1
            following = self.skip_ws()
            if following == b"]":
                self.pos += 1
                return
            if following != b",":
                raise self.invalid("expecting ',' or ']'")
            self.pos += 1

    # -- the notebook ---------------------------------------------------------------

    def read_notebook(self, document: Document) -> None:
        if self.skip_ws() != b"{":
            raise InputError("not a Jupyter notebook: the file is not a JSON object")
        seen_cells = False
        major: Any = None
        for key in self.members():
            if key == "cells":
                if self.skip_ws() != b"[":
                    raise self.fail('not a Jupyter notebook: "cells" is not a list')
                seen_cells = True
                self.read_cells(document)
            elif key == "nbformat":
                major = self.value()
            elif key == "metadata":
                document.language = _language(self.value())
            else:
                self.skip()
        if self.skip_ws():
            raise self.invalid("extra data after the notebook")
        if not seen_cells:
            if isinstance(major, int) and major < 4:
                raise InputError(f"nbformat {major} notebook: only nbformat 4 is read (upgrade it with `jupyter nbconvert --to notebook`)")
            raise InputError('not a Jupyter notebook: no "cells" list (nbformat 4)')
        if isinstance(major, int) and not isinstance(major, bool) and major != 4:
            raise InputError(f"nbformat {major} notebook: only nbformat 4 is read")
        if document.language is not None and document.language != "python":
            raise NoSetup(f"not a Python notebook (its language is {document.language})")

    def read_cells(self, document: Document) -> None:
        for index in self.items():
            if self.skip_ws() != b"{":
                raise self.fail(f"cell {index + 1} is not a JSON object")
            cell = RawCell(index)
            for key in self.members():
                if key == "cell_type":
                    kind = self.value()
                    cell.cell_type = kind if isinstance(kind, str) else None
                elif key == "source":
                    self.read_source(cell)
                else:
                    self.skip()
            if cell.cell_type == "code":  # other cells are dropped at once: only code is checked
                if len(document.cells) >= MAX_NOTEBOOK_CELLS:
                    raise InputError(f"more than {MAX_NOTEBOOK_CELLS} code cells, over the bound for notebooks")
                document.cells.append(cell)

    def read_source(self, cell: RawCell) -> None:
        first = self.skip_ws()
        if first == b'"':
            value, start, end = self.string()
            cell.is_list = False
            cell.pieces.append(Piece(value, start, end, self.line_at(start)))
            return
        if first != b"[":
            raise self.fail(f'cell {cell.index + 1}: "source" is neither a string nor a list of strings')
        cell.list_start = self.pos
        for _ in self.items():
            if self.skip_ws() != b'"':
                raise self.fail(f'cell {cell.index + 1}: "source" is neither a string nor a list of strings')
            value, start, end = self.string()
            cell.pieces.append(Piece(value, start, end, self.line_at(start)))
        cell.list_end = self.pos


def _language(metadata: Any) -> str | None:
    """The notebook's language when its metadata says (``language_info.name``, ``kernelspec.language``)."""
    if not isinstance(metadata, dict):
        return None
    for section, key in (("language_info", "name"), ("kernelspec", "language")):
        value = metadata.get(section)
        if isinstance(value, dict) and isinstance(value.get(key), str) and value[key].strip():
            return value[key].strip().lower()
    return None
