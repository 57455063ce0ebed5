"""``--fix`` on a notebook: edits of its program turned into edits of the cells' JSON strings.

The fixers work on the program the code cells make (a :class:`NotebookSource`
is a ``SourceFile`` of that program). Each edit is mapped into its cell; the
cell's new source replaces only the JSON strings that changed, so outputs,
metadata, key order, indentation and every unchanged source line keep their
exact bytes. An edit that would touch an IPython line or span two cells is
not made.
"""

from __future__ import annotations

import bisect
import difflib
import json

from modelcheck.errors import InputError, NoSetup
from modelcheck.fix.source import Edit, NotFixed, SourceFile
from modelcheck.readers.notebook.document import RawCell
from modelcheck.readers.notebook.magics import split_lines
from modelcheck.readers.notebook.program import CodeCell, Program


class NotebookSource(SourceFile):
    """A notebook's program, fixable: ``apply`` also works out the notebook text, ``encode`` returns it."""

    def __init__(self, path: str, program: Program):
        super().__init__(path, program.text.encode("utf-8"))
        self.program = program
        self._outcomes: dict[str, tuple[bytes, dict[int, str]]] = {}
        data = program.document.data
        # Jupyter writes non-ASCII as is; a file that escapes it (\u00e9) gets escapes.
        self._ascii = data.isascii() and b"\\u" in data

    @classmethod
    def read(cls, path: str) -> "NotebookSource":
        from modelcheck.readers.notebook.reader import read_program

        try:
            return cls(path, read_program(path))
        except (InputError, NoSetup) as error:
            raise NotFixed(f"cannot read the notebook ({error})") from None
        except OSError as error:
            raise NotFixed(f"cannot read the file ({error.strerror or error})") from None

    def apply(self, edits: list[Edit]) -> str:
        """The new program text; raises NotFixed for an edit the notebook cannot take."""
        text = super().apply(edits)
        by_cell: dict[int, list[tuple[int, int, str]]] = {}
        for edit in edits:
            cell, start, end, new = self._in_cell(edit)
            by_cell.setdefault(cell.number, []).append((start, end, new))
        sources: dict[int, str] = {}
        for number, cell_edits in by_cell.items():
            source = self.program.cells[number - 1].source
            for start, end, new in sorted(cell_edits, reverse=True):
                source = source[:start] + new + source[end:]
            sources[number] = source
        self._outcomes[text] = (self._notebook_text(sources), sources)
        return text

    def encode(self, text: str) -> bytes:
        return self._outcomes[text][0]

    def place(self, line: int) -> str:
        cell = self.program.cell_at_line(line)
        return f"{self.path}:{line}" if cell is None else f"{self.path}:cell {cell.number}:{line - cell.first_line + 1}"

    def diff(self, text: str) -> str:
        """A unified diff per changed cell (``nb.ipynb:cell 3``), in the cells' own lines."""
        parts = []
        for number, new in sorted(self._outcomes[text][1].items()):
            old = self.program.cells[number - 1].source
            name = f"{self.path}:cell {number}"
            parts.append("".join(difflib.unified_diff(_display(old), _display(new), fromfile=name, tofile=name)))
        return "".join(parts)

    # -- edits into cells -------------------------------------------------------------

    def _in_cell(self, edit: Edit) -> tuple[CodeCell, int, int, str]:
        """(cell, start, end, new) of a program edit in the cell's own source."""
        cells = self.program.cells
        starts = [cell.start for cell in cells]
        index = bisect.bisect_right(starts, edit.start) - 1
        new = edit.new
        if edit.start == edit.end and index > 0 and edit.start == cells[index].start and new.endswith(("\n", "\r")):
            index -= 1  # a whole line inserted between two cells goes to the end of the first (an import after the imports)
        if edit.start == edit.end and edit.start == len(self.text):
            index = len(cells) - 1
        cell = cells[index]
        if edit.start == edit.end and edit.start == cell.start + cell.length and new.endswith(("\n", "\r")):
            # After the cell's last line: the line goes at the cell's end, with no newline left dangling.
            if cell.source and not cell.source.endswith(("\n", "\r")):
                ending = "\r\n" if new.endswith("\r\n") else new[-1]
                new = ending + new[: -len(ending)]
            return cell, len(cell.source), len(cell.source), new
        if edit.end > cell.start + cell.length:
            raise NotFixed("the fix would span two notebook cells")
        start = self._cell_offset(cell, edit.start - cell.start)
        end = self._cell_offset(cell, edit.end - cell.start)
        return cell, start, end, new

    def _cell_offset(self, cell: CodeCell, offset: int) -> int:
        """The offset in the cell's source of an offset into its program text."""
        program_lines = split_lines(self.text[cell.start : cell.start + cell.length])
        source_lines = split_lines(cell.source)
        position = 0
        for index, line in enumerate(program_lines):
            if offset < position + len(line) or index == len(program_lines) - 1:
                column = offset - position
                if index in cell.masked and column > 0:
                    raise NotFixed("the fix would change an IPython magic line")
                base = sum(len(text) for text in source_lines[:index])
                limit = len(source_lines[index]) if index < len(source_lines) else 0
                return base + min(column, limit)
            position += len(line)
        return len(cell.source)

    # -- the JSON text ----------------------------------------------------------------

    def _notebook_text(self, sources: dict[int, str]) -> bytes:
        """The notebook's bytes with the given cells' sources rewritten, every other byte kept."""
        text = self.program.document.data
        replacements: list[tuple[int, int, bytes]] = []
        for number, source in sources.items():
            raw = self.program.cells[number - 1].raw
            if not raw.is_list:
                piece = raw.pieces[0]
                replacements.append((piece.start, piece.end, self._token(source)))
            else:
                replacements.append((raw.list_start, raw.list_end, self._list(raw, source)))
        parts, position = [], 0
        for start, end, new in sorted(replacements):
            parts += [text[position:start], new]
            position = end
        return b"".join(parts + [text[position:]])

    def _token(self, value: str) -> bytes:
        return json.dumps(value, ensure_ascii=self._ascii).encode("utf-8")

    def _list(self, raw: RawCell, source: str) -> bytes:
        """The cell's new ``[...]`` source list: unchanged strings keep their tokens and separators."""
        text = self.program.document.data
        old = [piece.value for piece in raw.pieces]
        new = _jupyter_lines(source)
        tokens: list[tuple[bytes, int | None]] = []
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, a0, a1, b0, b1 in matcher.get_opcodes():
            if tag == "equal":
                tokens.extend((text[raw.pieces[i].start : raw.pieces[i].end], i) for i in range(a0, a1))
            else:
                tokens.extend((self._token(value), None) for value in new[b0:b1])
        if raw.pieces:
            head = text[raw.list_start + 1 : raw.pieces[0].start]
            tail = text[raw.pieces[-1].end : raw.list_end - 1]
            separators = [text[a.end : b.start] for a, b in zip(raw.pieces, raw.pieces[1:])]
            default = separators[0] if separators else b"," + head
        else:  # an empty list gets Jupyter's layout: one string a line, one space deeper than the key
            key_line = text[text.rfind(b"\n", 0, raw.list_start) + 1 : raw.list_start]
            indent = key_line[: len(key_line) - len(key_line.lstrip())]
            head, tail, separators = b"\n" + indent + b" ", b"\n" + indent, []
            default = b",\n" + indent + b" "
        if not tokens:
            return b"[]"
        out = [b"[", head, tokens[0][0]]
        for (_, before), (token, after) in zip(tokens, tokens[1:]):
            kept = before is not None and after == before + 1
            out.append(separators[before] if kept else default)  # type: ignore[index]
            out.append(token)
        out.extend([tail, b"]"])
        return b"".join(out)


def _jupyter_lines(source: str) -> list[str]:
    """A source as nbformat stores it: one string per line, each keeping its newline."""
    return [line for line in source.splitlines(keepends=True)] if source else []


def _display(source: str) -> list[str]:
    lines = split_lines(source)
    return [line if line.endswith(("\n", "\r")) else line + "\n" for line in lines]
