"""A script's text with ``ast`` positions mapped to character offsets, and exact text edits.

Edits are splices into the decoded text at character offsets; everything
outside them — other lines, line endings, encoding, a BOM — stays as it was.
``ast`` reports columns as UTF-8 byte offsets; findings as 1-based
characters; both are converted here.
"""

from __future__ import annotations

import ast
import re
import tokenize
from dataclasses import dataclass
from io import BytesIO
from typing import Iterator

_NEWLINE = re.compile(r"\r\n|\r|\n")
_STRING = re.compile(r"^([rRuU]?)('''|\"\"\"|'|\")(.*)\2$", re.S)


class NotFixed(Exception):
    """A finding the fixer leaves alone; the message says why (shown as ``not fixed: …``)."""


@dataclass(frozen=True, order=True)
class Edit:
    """Replace ``text[start:end]`` of the file at ``path`` with ``new`` (an insertion when start == end)."""

    path: str
    start: int
    end: int
    new: str


class SourceFile:
    """One Python file: raw bytes, decoded text, line offsets, syntax tree and a position index."""

    def __init__(self, path: str, raw: bytes):
        self.path = path
        self.raw = raw
        try:
            self.encoding, _ = tokenize.detect_encoding(BytesIO(raw).readline)
            self.text = raw.decode(self.encoding)
        except (SyntaxError, LookupError, UnicodeDecodeError) as error:
            raise NotFixed(f"cannot decode the file ({error})") from None
        self.lines = _split_lines(self.text)
        self.line_starts: list[int] = []
        offset = 0
        for line in self.lines:
            self.line_starts.append(offset)
            offset += len(line)
        try:
            self.tree = ast.parse(self.text)  # a BOM was consumed by the 'utf-8-sig' codec, and comes back on encode
        except (SyntaxError, ValueError) as error:
            raise NotFixed(f"the file does not parse now ({error})") from None
        self.parents: dict[int, ast.AST] = {}
        self._by_start: dict[int, list[ast.AST]] = {}
        self._by_attr_name: dict[int, list[ast.Attribute]] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
            if getattr(node, "lineno", None) is None or isinstance(node, (ast.expr_context,)):
                continue
            self._by_start.setdefault(self.start(node), []).append(node)
            if isinstance(node, ast.Attribute):
                self._by_attr_name.setdefault(self.attr_name_start(node), []).append(node)

    @classmethod
    def read(cls, path: str) -> "SourceFile":
        if path.lower().endswith(".ipynb"):  # a notebook: the program its code cells make
            from modelcheck.readers.notebook.edit import NotebookSource

            return NotebookSource.read(path)
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as error:
            raise NotFixed(f"cannot read the file ({error.strerror or error})") from None
        return cls(path, raw)

    # -- positions ----------------------------------------------------------------

    def offset(self, line: int, byte_col: int) -> int:
        """Character offset of an ``ast`` position (1-based line, UTF-8 byte column)."""
        text = self.lines[line - 1]
        return self.line_starts[line - 1] + len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def finding_offset(self, line: int | None, column: int | None) -> int:
        """Character offset of a finding's 1-based line and character column."""
        if line is None or column is None or not 1 <= line <= len(self.lines):
            raise NotFixed("the finding has no exact position in this file")
        return self.line_starts[line - 1] + column - 1

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def attr_name_start(self, node: ast.Attribute) -> int:
        """Where the attribute's name begins (``fit_generator`` in ``model.fit_generator``)."""
        return self.end(node) - len(node.attr)

    def segment(self, node: ast.AST) -> str:
        return self.text[self.start(node) : self.end(node)]

    def line_of(self, offset: int) -> int:
        """1-based line holding a character offset."""
        import bisect

        return bisect.bisect_right(self.line_starts, offset)

    # -- lookups ------------------------------------------------------------------

    def nodes_at(self, offset: int) -> list[ast.AST]:
        return list(self._by_start.get(offset, ()))

    def keyword_at(self, offset: int, name: str | None = None) -> ast.keyword | None:
        for node in self.nodes_at(offset):
            if isinstance(node, ast.keyword) and (name is None or node.arg == name):
                return node
        return None

    def call_at(self, offset: int) -> ast.Call | None:
        """The call whose expression or called name starts at ``offset`` (innermost first)."""
        calls = [node for node in self.nodes_at(offset) if isinstance(node, ast.Call)]
        for attribute in self._by_attr_name.get(offset, ()):
            parent = self.parents.get(id(attribute))
            if isinstance(parent, ast.Call) and parent.func is attribute:
                calls.append(parent)
        if not calls:
            return None
        return min(calls, key=lambda call: self.end(call) - self.start(call))

    def attribute_named_at(self, offset: int, attr: str) -> ast.Attribute | None:
        for node in self._by_attr_name.get(offset, ()):
            if node.attr == attr:
                return node
        return None

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))

    def walk(self) -> Iterator[ast.AST]:
        return ast.walk(self.tree)

    def newline(self, line: int | None = None) -> str:
        """The line ending used at ``line`` (else the file's first), '\\n' for a one-line file."""
        candidates = [self.lines[line - 1]] if line and 1 <= line <= len(self.lines) else []
        candidates += self.lines
        for text in candidates:
            match = _NEWLINE.search(text)
            if match:
                return match.group()
        return "\n"

    # -- edits --------------------------------------------------------------------

    def replace_node(self, node: ast.AST, new: str) -> Edit:
        return Edit(self.path, self.start(node), self.end(node), new)

    def string_literal(self, node: ast.AST, new_value: str) -> Edit:
        """Rewrite a plain string literal's content, keeping its quotes and prefix."""
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            raise NotFixed("the value is not a string literal")
        match = _STRING.match(self.segment(node))
        if match is None or match.group(3) != node.value:
            raise NotFixed("the string literal uses escapes or concatenation")
        if match.group(2) in ("'", '"') and (match.group(2) in new_value or "\\" in new_value):
            raise NotFixed("the new value would need escaping")
        return self.replace_node(node, f"{match.group(1)}{match.group(2)}{new_value}{match.group(2)}")

    def apply(self, edits: list[Edit]) -> str:
        """The text with non-overlapping edits applied (callers resolve overlaps first)."""
        text = self.text
        for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
            text = text[: edit.start] + edit.new + text[edit.end :]
        return text

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding)

    def place(self, line: int) -> str:
        """How a message names line ``line`` of this text: ``train.py:35`` (a notebook: ``nb.ipynb:cell 5:2``)."""
        return f"{self.path}:{line}"

    def diff(self, text: str) -> str:
        """A unified diff from the file's text to ``text``."""
        import difflib

        return "".join(difflib.unified_diff(self.text.splitlines(keepends=True), text.splitlines(keepends=True), fromfile=self.path, tofile=self.path))


def _split_lines(text: str) -> list[str]:
    """Lines with their endings, split where Python's tokenizer splits (not at form feeds)."""
    lines: list[str] = []
    position = 0
    for match in _NEWLINE.finditer(text):
        lines.append(text[position : match.end()])
        position = match.end()
    if position < len(text) or not lines:
        lines.append(text[position:])
    return lines


def bound_names(tree: ast.AST) -> dict[str, list[ast.AST]]:
    """Every name bound anywhere in the file, with the nodes that bind it (imports, assignments, defs, args)."""
    found: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.arg):
            names.append(node.arg)
        elif isinstance(node, ast.alias):
            names.append(node.asname or node.name.split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.extend(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.append(node.name)
        for name in names:
            found.setdefault(name, []).append(node)
    return found


def string_quote(source: SourceFile, near: ast.AST | None = None) -> str:
    """The quote character the code around ``near`` (else the file) uses for strings."""
    scope = near if near is not None else source.tree
    for node in ast.walk(scope):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and getattr(node, "lineno", None):
            match = _STRING.match(source.segment(node))
            if match and len(match.group(2)) == 1:
                return match.group(2)
    return "'" if near is None else string_quote(source, None)
