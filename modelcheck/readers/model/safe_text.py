"""Text from an untrusted model file made safe to print in a one-line message."""

from __future__ import annotations

from typing import Any


def printable(text: str, limit: int = 80) -> str:
    """A name from an untrusted file, safe to print: control characters escaped, bounded length."""
    shown = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text[: limit + 1])
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def config_text(value: Any) -> str | None:
    """A string from the config (safe to print), or None for anything else (numbers, lists, null)."""
    return clean_name(value) if isinstance(value, str) else None


def clean_name(value: str) -> str:
    """A name as it may appear in a one-line message: control characters escaped, at most 200 characters.

    Names reach console output and CI annotations; an escape sequence or a newline
    in a layer name must not reach a terminal or split a finding. Every name is
    cleaned the same way, so inbound references still match.
    """
    return value if len(value) <= 200 and value.isprintable() else printable(value, 200)
