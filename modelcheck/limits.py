"""Bounds on what one input may cost to read: bytes, tokens, nesting.

A leaf module (imports nothing of modelcheck), so that every reader and the
input dispatcher share one set of numbers without importing each other.
"""

from __future__ import annotations

import re

MAX_TEXT_BYTES = 10 * 1024 * 1024
MAX_MESSAGE_CHARS = 300
# Python's parser needs about 0.5 KB per token: a 6 MB line holding a 2-million-element
# list takes 2 GB and 8 s in ast.parse (C code, which no time limit interrupts). A
# hand-written training script has a few thousand tokens.
MAX_SCRIPT_TOKENS = 500_000
# One token, a comment, or the start of a string literal (whose body is skipped below).
_SCRIPT_NEXT = re.compile(
    rb"(?<![A-Za-z0-9_])(?P<prefix>[rRbBuUfF]{0,2})(?P<quote>\"\"\"|\'\'\'|\"|\')"
    rb"|(?P<comment>#)"
    rb"|[A-Za-z0-9_.]+"
    rb"|[^\sA-Za-z0-9_.]"
)
# The rest of a string literal, closing quote included. Possessive quantifiers: the
# regex engine keeps no backtracking state per character (a lazy `(?:.|\\.)*?` kept
# about 150 bytes per character: 1.4 GB for a 9 MB literal).
_STRING_REST = {
    b'"': re.compile(rb'[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"', re.S),
    b"'": re.compile(rb"[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'", re.S),
    b'"""': re.compile(rb'[^"\\]*+(?:(?:\\.|"(?!""))[^"\\]*+)*+"""', re.S),
    b"'''": re.compile(rb"[^'\\]*+(?:(?:\\.|'(?!''))[^'\\]*+)*+'''", re.S),
}
MAX_SCRIPT_BYTES = 10 * 1024 * 1024
MAX_MODULE_BYTES = 2 * 1024 * 1024
MAX_MODULE_DEPTH = 8


def script_tokens(data: bytes, limit: int | None = None) -> int:
    """About how many tokens Python's parser will make of ``data``; string literals and comments count once.

    Memory stays bounded whatever the input (no list of tokens, no backtracking
    state per character); counting stops just past ``limit`` when one is given.
    The expressions of an f-string are parsed too: its body is counted as code.
    """
    count, pos = 0, 0
    while limit is None or count <= limit:
        match = _SCRIPT_NEXT.search(data, pos)
        if match is None:
            break
        count += 1
        pos = match.end()
        quote = match.group("quote")
        if match.group("comment"):
            pos = data.find(b"\n", pos)
        elif quote and b"f" not in match.group("prefix").lower():
            rest = _STRING_REST[quote].match(data, pos)
            pos = rest.end() if rest else (data.find(b"\n", pos) if len(quote) == 1 else -1)
        if pos < 0:
            break
    return count

# A notebook's outputs (plots as base64 images) make most of its bytes: the file is read
# whole up to this bound, its outputs parsed one cell at a time and dropped.
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
MAX_NOTEBOOK_CELLS = 20_000
