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
# Comments and string literals (one token each, whatever their length).
_SCRIPT_NOISE = re.compile(
    rb"#[^\n]*"
    rb"|(?<![A-Za-z0-9_])(?P<prefix>[rRbBuUfF]{0,2})(?P<string>"
    rb"\"\"\"(?:[^\\]|\\.)*?\"\"\""
    rb"|'''(?:[^\\]|\\.)*?'''"
    rb"|\"(?:[^\"\\\n]|\\.)*\""
    rb"|'(?:[^'\\\n]|\\.)*')",
    re.S,
)
_SCRIPT_TOKEN = re.compile(rb"[A-Za-z0-9_.]+|[^\sA-Za-z0-9_.]")
MAX_SCRIPT_BYTES = 10 * 1024 * 1024
MAX_MODULE_BYTES = 2 * 1024 * 1024
MAX_MODULE_DEPTH = 8


def script_tokens(data: bytes) -> int:
    """About how many tokens Python's parser will make of ``data`` (string literals and comments count once)."""
    return len(_SCRIPT_TOKEN.findall(_SCRIPT_NOISE.sub(_noise_to_space, data)))


def _noise_to_space(match: re.Match[bytes]) -> bytes:
    # An f-string keeps its text: the expressions inside its braces are parsed too.
    if b"f" in (match.group("prefix") or b"").lower():
        return b" " + match.group("string").strip(b"\"'") + b" "
    return b" "
# A notebook's outputs (plots as base64 images) make most of its bytes: the file is read
# whole up to this bound, its outputs parsed one cell at a time and dropped.
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
MAX_NOTEBOOK_CELLS = 20_000
