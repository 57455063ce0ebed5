"""Text from inputs made safe to show: file names and messages never steer a terminal or a reader.

A file name may hold a newline (a fake second finding), an escape sequence
(terminal control) or a right-to-left override (text that reads differently
from what it is). Such characters are shown as Python escapes (``\\n``,
``\\x1b``, ``\\u202e``), as findings already show them in their messages.
"""

from __future__ import annotations

import re

# C0 and C1 controls (newline and tab included), bidirectional controls and marks,
# the Unicode line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """``text`` with every control, bidi-override and line-separator character escaped."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return repr(char)[1:-1] if ord(char) < 0x100 else f"\\u{ord(char):04x}"
