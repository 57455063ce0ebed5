"""Remembering what several rules derive from the same IR objects.

Rules run one after another over one setup, and several of them align the same
backbone with the knowledge base or collect the same layer ids. The IR is
immutable, so the answer for the same objects is the same; hashing a model
graph would cost more than the work saved, so the objects are matched by
identity (and held, so their ids stay theirs).
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable, TypeVar

Result = TypeVar("Result")

_SIZE = 16  # a setup's rules ask about its own few objects; a file has few setups


def by_identity(function: Callable[..., Result]) -> Callable[..., Result]:
    """Cache ``function`` on the identity of its positional arguments (the last few calls)."""
    recent: dict[tuple[int, ...], tuple[tuple[Any, ...], Result]] = {}

    @wraps(function)
    def remembered(*args: Any) -> Result:
        key = tuple(map(id, args))
        hit = recent.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], args)):
            return hit[1]
        value = function(*args)
        if len(recent) >= _SIZE:
            recent.clear()
        recent[key] = (args, value)
        return value

    return remembered
