"""The JSON of a notebook, read with the position of every cell source string.

Only what a check needs is kept: each cell's type and source, with the
character span and file line of each JSON string the source is made of (for
``--fix``, which edits those strings in place, and for SARIF/GitHub regions).
Outputs and metadata are parsed one value at a time and dropped. Every
problem is an InputError (MC001) with the JSON line where it was found.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from json.decoder import JSONDecodeError, scanstring
from typing import Any, Iterator

from modelcheck.errors import InputError, NoSetup
from modelcheck.limits import MAX_NOTEBOOK_BYTES, MAX_NOTEBOOK_CELLS

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_BOM = "\ufeff"


@dataclass(frozen=True)
class Piece:
    """One JSON string of a cell's source: its decoded value and where its token lies in the file text."""

    value: str
    start: int
    """Offset of the opening quote in the file text."""
    end: int
    """Offset just past the closing quote."""
    file_line: int
    """1-based line of the file text where the token starts."""


@dataclass
class RawCell:
    """A cell as the file holds it."""

    index: int
    """0-based position among all cells."""
    cell_type: str | None = None
    pieces: list[Piece] = field(default_factory=list)
    is_list: bool = True
    """The source is a JSON list of strings (nbformat's usual form), not one string."""
    list_start: int = -1
    """Offset of the source list's ``[`` (lists only)."""
    list_end: int = -1
    """Offset just past the source list's ``]`` (lists only)."""

    @property
    def text(self) -> str:
        return "".join(piece.value for piece in self.pieces)


@dataclass
class Document:
    """A notebook's text, its code cells and its language."""

    text: str
    bom: bool
    cells: list[RawCell]
    language: str | None = None

    @property
    def code_cells(self) -> list[RawCell]:
        return [cell for cell in self.cells if cell.cell_type == "code"]


def read_document(path: str) -> Document:
    """Read and scan a notebook file (raises InputError, NoSetup, OSError)."""
    from modelcheck.readers.model.keras_file import open_regular_file

    size = os.path.getsize(path)
    if size > MAX_NOTEBOOK_BYTES:
        raise InputError(
            f"notebook is {size} bytes, over the {MAX_NOTEBOOK_BYTES}-byte bound for notebooks "
            "(its outputs make it large: clear them, e.g. `jupyter nbconvert --clear-output --inplace`)"
        )
    with open_regular_file(path) as handle:
        data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InputError(f"notebook is over the {MAX_NOTEBOOK_BYTES}-byte bound for notebooks")
    return parse_document(data)


def parse_document(data: bytes) -> Document:
    """Scan a notebook's bytes (raises InputError for anything that is not an nbformat-4 notebook)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError("notebook is not UTF-8 text (nbformat files are UTF-8 JSON)", line=line) from None
    bom = text.startswith(_BOM)
    scan = _Scan(text, 1 if bom else 0)
    document = Document(text, bom, [])
    try:
        scan.read_notebook(document)
    except JSONDecodeError as error:
        raise InputError(f"not valid JSON: {error.msg}", line=error.lineno, column=error.colno) from None
    except RecursionError:
        raise InputError("the notebook's JSON is nested too deeply to read") from None
    return document


class _Scan:
    """A cursor over the JSON text; values it does not need are decoded and dropped one at a time."""

    def __init__(self, text: str, pos: int):
        self.text = text
        self.pos = pos
        self._line_pos = 0
        self._line = 1

    # -- positions ------------------------------------------------------------------

    def line_at(self, pos: int) -> int:
        """1-based line of ``pos``; positions are asked for in increasing order, so counting is incremental."""
        if pos < self._line_pos:
            self._line_pos, self._line = 0, 1
        self._line += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def fail(self, message: str, pos: int | None = None) -> InputError:
        where = self.pos if pos is None else pos
        line = self.line_at(where)
        column = where - (self.text.rfind("\n", 0, where) + 1) + 1
        return InputError(message, line=line, column=column)

    # -- tokens ---------------------------------------------------------------------

    def skip_ws(self) -> str:
        self.pos = _WS.match(self.text, self.pos).end()  # type: ignore[union-attr]
        return self.text[self.pos : self.pos + 1]

    def expect(self, char: str) -> None:
        if self.skip_ws() != char:
            raise JSONDecodeError(f"Expecting '{char}'", self.text, self.pos)
        self.pos += 1

    def string(self) -> tuple[str, int, int]:
        if self.skip_ws() != '"':
            raise JSONDecodeError("Expecting string", self.text, self.pos)
        start = self.pos
        value, self.pos = scanstring(self.text, start + 1, True)
        return value, start, self.pos

    def value(self) -> Any:
        self.skip_ws()
        value, self.pos = _DECODER.raw_decode(self.text, self.pos)
        return value

    def members(self) -> Iterator[str]:
        """The keys of an object; the caller reads each key's value before asking for the next."""
        self.expect("{")
        if self.skip_ws() == "}":
            self.pos += 1
            return
        while True:
            key = self.string()[0]
            self.expect(":")
            yield key
            following = self.skip_ws()
            self.pos += 1
            if following == "}":
                return
            if following != ",":
                raise JSONDecodeError("Expecting ',' delimiter", self.text, self.pos - 1)

    def items(self) -> Iterator[int]:
        """The positions of an array's items; the caller reads each item before asking for the next."""
        self.expect("[")
        if self.skip_ws() == "]":
            self.pos += 1
            return
        index = 0
        while True:
            yield index
            index += 1
            following = self.skip_ws()
            self.pos += 1
            if following == "]":
                return
            if following != ",":
                raise JSONDecodeError("Expecting ',' delimiter", self.text, self.pos - 1)

    # -- the notebook ---------------------------------------------------------------

    def read_notebook(self, document: Document) -> None:
        if self.skip_ws() != "{":
            raise InputError("not a Jupyter notebook: the file is not a JSON object")
        seen_cells = False
        major: Any = None
        for key in self.members():
            if key == "cells":
                if self.skip_ws() != "[":
                    raise self.fail('not a Jupyter notebook: "cells" is not a list')
                seen_cells = True
                self.read_cells(document)
            elif key == "nbformat":
                major = self.value()
            elif key == "metadata":
                document.language = _language(self.value())
            else:
                self.value()
        if self.skip_ws():
            raise JSONDecodeError("Extra data", self.text, self.pos)
        if not seen_cells:
            if isinstance(major, int) and major < 4:
                raise InputError(f"nbformat {major} notebook: only nbformat 4 is read (upgrade it with `jupyter nbconvert --to notebook`)")
            raise InputError('not a Jupyter notebook: no "cells" list (nbformat 4)')
        if isinstance(major, int) and not isinstance(major, bool) and major != 4:
            raise InputError(f"nbformat {major} notebook: only nbformat 4 is read")
        if document.language is not None and document.language != "python":
            raise NoSetup(f"not a Python notebook (its language is {document.language})")

    def read_cells(self, document: Document) -> None:
        code = 0
        for index in self.items():
            if self.skip_ws() != "{":
                raise self.fail(f"cell {index + 1} is not a JSON object")
            cell = RawCell(index)
            for key in self.members():
                if key == "cell_type":
                    kind = self.value()
                    cell.cell_type = kind if isinstance(kind, str) else None
                elif key == "source":
                    self.read_source(cell)
                else:
                    self.value()
            if cell.cell_type == "code":
                code += 1
                if code > MAX_NOTEBOOK_CELLS:
                    raise InputError(f"more than {MAX_NOTEBOOK_CELLS} code cells, over the bound for notebooks")
                document.cells.append(cell)
            # Other cells are dropped at once: only code cells are checked.

    def read_source(self, cell: RawCell) -> None:
        first = self.skip_ws()
        if first == '"':
            value, start, end = self.string()
            cell.is_list = False
            cell.pieces.append(Piece(value, start, end, self.line_at(start)))
            return
        if first != "[":
            raise self.fail(f'cell {cell.index + 1}: "source" is neither a string nor a list of strings')
        cell.list_start = self.pos
        for _ in self.items():
            if self.skip_ws() != '"':
                raise self.fail(f'cell {cell.index + 1}: "source" is neither a string nor a list of strings')
            value, start, end = self.string()
            cell.pieces.append(Piece(value, start, end, self.line_at(start)))
        cell.list_end = self.pos


def _language(metadata: Any) -> str | None:
    """The notebook's language when its metadata says (``kernelspec.language``, ``language_info.name``)."""
    if not isinstance(metadata, dict):
        return None
    for section, key in (("language_info", "name"), ("kernelspec", "language")):
        value = metadata.get(section)
        if isinstance(value, dict) and isinstance(value.get(key), str) and value[key].strip():
            return value[key].strip().lower()
    return None
