"""A notebook's code cells as one program, and the one place positions are mapped.

Program lines ↔ (code cell, line in the cell): :class:`Program` holds the table;
:func:`map_locations` applies a mapping to every ``Location`` inside a setup or
finding. Cells are numbered 1, 2, 3… among code cells only, in file order
(what ``In [n]`` shows after *Run All* on a fresh kernel).
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

from modelcheck.ir import CellSpan, Location
from modelcheck.readers.notebook.document import Document, RawCell
from modelcheck.readers.notebook.magics import mask_magics, split_lines


@dataclass(frozen=True)
class CodeCell:
    """One code cell's place in the program."""

    number: int
    """1-based index among code cells."""
    raw: RawCell
    source: str
    """The cell's own text, as the notebook holds it."""
    start: int
    """Character offset of the cell's first line in the program."""
    length: int
    """Characters of the cell's program text, its closing newline included."""
    first_line: int
    lines: int
    masked: frozenset[int]
    """0-based indexes of the lines that held IPython syntax."""

    def file_line(self, line: int) -> int | None:
        """The JSON line of the notebook file holding the cell's 1-based ``line``."""
        pieces = self.raw.pieces
        if not pieces:
            return None
        if not self.raw.is_list or len(pieces) == 1:
            return pieces[0].file_line
        # The piece holding the line's first character: pieces are usually one line each.
        starts, offset = [], 0
        for piece in pieces:
            starts.append(offset)
            offset += len(piece.value)
        line_start = sum(len(text) for text in split_lines(self.source)[: line - 1])
        index = max(0, bisect.bisect_right(starts, line_start) - 1)
        return pieces[index].file_line


class Program:
    """The code cells of a notebook joined into one Python text, each ending in a newline."""

    def __init__(self, path: str, document: Document):
        self.path = path
        self.document = document
        parts: list[str] = []
        lines: list[str] = []
        self.cells: list[CodeCell] = []
        offset, line = 0, 1
        for number, raw in enumerate(document.cells, start=1):
            source = raw.text
            masked_text, masked = mask_magics(source)
            ending = "" if masked_text.endswith(("\n", "\r")) else "\n"
            original = split_lines(source + ending)
            part = masked_text + ending
            self.cells.append(CodeCell(number, raw, source, offset, len(part), line, len(original), masked))
            parts.append(part)
            lines.extend(text.rstrip("\r\n") for text in original)
            offset += len(part)
            line += len(original)
        self.text = "".join(parts)
        self.source_lines = tuple(lines)
        """The cells' original lines (magics as written), for excerpts and suppressions."""
        self._first_lines = [cell.first_line for cell in self.cells]

    def spans(self) -> tuple[CellSpan, ...]:
        return tuple(CellSpan(cell.number, cell.first_line, cell.lines) for cell in self.cells)

    def cell_at_line(self, line: int) -> CodeCell | None:
        index = bisect.bisect_right(self._first_lines, line) - 1
        if index < 0:
            return None
        cell = self.cells[index]
        return cell if line < cell.first_line + cell.lines else None

    def cell_numbered(self, number: int) -> CodeCell | None:
        return self.cells[number - 1] if 1 <= number <= len(self.cells) else None

    # -- the mapping --------------------------------------------------------------------

    def to_cell(self, location: Location) -> Location:
        """A program position of this notebook as (cell, line in the cell); other locations unchanged."""
        if location.path != self.path or location.cell is not None or location.line is None:
            return location
        cell = self.cell_at_line(location.line)
        if cell is None:
            return location
        line = location.line - cell.first_line + 1
        return dataclasses.replace(location, cell=cell.number, line=line, file_line=cell.file_line(line))

    def to_program(self, location: Location) -> Location:
        """The inverse of :meth:`to_cell`."""
        if location.path != self.path or location.cell is None:
            return location
        cell = self.cell_numbered(location.cell)
        if cell is None or location.line is None:
            return dataclasses.replace(location, cell=None, file_line=None)
        return dataclasses.replace(location, cell=None, line=cell.first_line + location.line - 1, file_line=None)


def map_locations(value: Any, mapping: Callable[[Location], Location]) -> Any:
    """A copy of ``value`` (IR dataclasses, findings, tuples, lists) with every Location mapped.

    Mappings (a layer's raw config) and other objects are kept as they are: they hold no Location.
    """
    memo: dict[int, Any] = {}

    def walk(item: Any) -> Any:
        if isinstance(item, Location):
            return mapping(item)
        if isinstance(item, (tuple, list)):
            if not item:
                return item
            mapped = [walk(element) for element in item]
            if all(a is b for a, b in zip(mapped, item)):
                return item
            return type(item)(mapped) if isinstance(item, list) or type(item) is tuple else item
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            key = id(item)
            if key in memo:
                return memo[key]
            changes = {}
            for field in dataclasses.fields(item):
                if not field.init:
                    continue
                old = getattr(item, field.name)
                new = walk(old)
                if new is not old:
                    changes[field.name] = new
            result = dataclasses.replace(item, **changes) if changes else item
            memo[key] = result
            return result
        return item

    return walk(value)


def to_program_positions(setups: list[Any], findings: list[Any]) -> tuple[list[Any], list[Any], dict[Any, Any]]:
    """Setups and findings with notebook positions as program lines (what ``--fix`` works on).

    Returns (setups, findings, {program finding: the finding as given}).
    """
    firsts = {setup.path: {span.cell: span.first_line for span in setup.cells} for setup in setups if setup.cells}
    if not firsts:
        return setups, findings, {}

    def mapping(location: Location) -> Location:
        cells = firsts.get(location.path)
        if cells is None or location.cell is None or location.cell not in cells:
            return location
        line = None if location.line is None else cells[location.cell] + location.line - 1
        return dataclasses.replace(location, cell=None, line=line, file_line=None)

    mapped = [map_locations(finding, mapping) for finding in findings]
    return [map_locations(setup, mapping) for setup in setups], mapped, dict(zip(mapped, findings))
