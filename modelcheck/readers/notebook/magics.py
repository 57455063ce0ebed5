"""IPython syntax in a code cell, turned into neutral Python lines (never run).

``%matplotlib inline``, ``!pip install …``, ``files = !ls``, ``model.fit?`` and
``?model`` become ``pass`` at their indentation (so a block keeps a body);
the continuation lines of a magic ending in ``\\`` become empty. A cell magic
on the first line (``%%bash``, ``%%writefile``…) empties the whole cell, except
those whose body is Python (``%%time``, ``%%timeit``, ``%%capture``…): there
only the magic line goes. ``get_ipython()…`` calls are Python and stay; the
script reader does not know them and reads them as unknown calls.

Magics are recognised only where a Python statement begins (outside brackets,
strings and ``\\`` continuations), so ``% b`` continuing an expression stays.
Line count and line endings never change: line numbers hold.
"""

from __future__ import annotations

import re

_NEWLINE = re.compile(r"\r\n|\r|\n")
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "memit", "mprun", "skip"}
_CELL_MAGIC = re.compile(r"\s*%%(\w*)")
_LINE_MAGIC = re.compile(
    r"\s*(?:[%!?]"  # %magic, !shell, ?help
    r"|[\w.\[\]()'\"]+\?{1,2}\s*$"  # obj? / obj??
    r"|[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[%!])"  # x = !ls, t = %timeit …
)


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split where Python's tokenizer splits."""
    lines: list[str] = []
    position = 0
    for match in _NEWLINE.finditer(text):
        lines.append(text[position : match.end()])
        position = match.end()
    if position < len(text):
        lines.append(text[position:])
    return lines


def mask_magics(text: str) -> tuple[str, frozenset[int]]:
    """The cell's text with IPython lines neutral, and the 0-based indexes of the lines changed."""
    lines = split_lines(text)
    masked: set[int] = set()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None:
        magic = _CELL_MAGIC.match(lines[first])
        if magic:
            if magic.group(1) not in _PYTHON_CELL_MAGICS:
                return _join(lines, set(range(len(lines))), set()), frozenset(range(len(lines)))
            masked.add(first)
    passes: set[int] = set()
    depth = 0
    quote: str | None = None
    continued = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if index not in masked and depth == 0 and quote is None and not continued and _LINE_MAGIC.match(line):
            passes.add(index)
            masked.add(index)
            while _body(lines[index]).endswith("\\") and index + 1 < len(lines):
                index += 1
                masked.add(index)
            index += 1
            continue
        if index in masked:
            index += 1
            continue
        depth, quote, continued = _scan(_body(line), depth, quote)
        index += 1
    return _join(lines, masked, passes), frozenset(masked)


def _body(line: str) -> str:
    return line.rstrip("\r\n")


def _join(lines: list[str], masked: set[int], passes: set[int]) -> str:
    out = []
    for index, line in enumerate(lines):
        if index not in masked:
            out.append(line)
            continue
        ending = line[len(_body(line)) :]
        indent = line[: len(line) - len(line.lstrip(" \t"))] if index in passes else ""
        out.append((indent + "pass" if index in passes else "") + ending)
    return "".join(out)


def _scan(line: str, depth: int, quote: str | None) -> tuple[int, str | None, bool]:
    """Bracket depth, open string and backslash continuation after one line of Python."""
    position = 0
    length = len(line)
    while position < length:
        char = line[position]
        if quote is not None:
            if char == "\\":
                position += 2
                continue
            if line.startswith(quote, position):
                position += len(quote)
                quote = None
                continue
            position += 1
            continue
        if char == "#":
            break
        if char in "\"'":
            quote = char * 3 if line.startswith(char * 3, position) else char
            position += len(quote)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        position += 1
    continued = line.endswith("\\") and not line.endswith("\\\\")
    if quote is not None and len(quote) == 1 and not continued:
        quote = None  # an unterminated one-line string ends with its line (a syntax error, reported later)
    return depth, quote, continued
