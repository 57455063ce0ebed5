"""The size ("weight") of an interpreted value, so that no value costs more than a bound to use.

Hashing or comparing a tuple walks it whole, in C code that no time limit
interrupts; a tuple nested into itself (``t = (t, t)`` ninety times) is 90
steps to build and 2**90 to hash. The weight counts what such a walk would
visit, shared parts once per use: a DAG weighs what its unfolded tree weighs.

Computing it is linear in the distinct objects reached, not in the weight:
each walk memoises by identity, tuples (immutable) are remembered across
walks, and lists and dicts across walks while their length stays the same.
A walk stops as soon as the weight passes its bound, so it never costs more
than that bound either. A value of a cycle weighs more than any bound.
"""

from __future__ import annotations

from typing import Any

from modelcheck.readers.script.core.values import _LazyRange

# A hand-written script's largest value is a list of file names or a layer config (hundreds
# of parts). The bound sits above MAX_SEQUENCE, so a list of 100 000 numbers stays known;
# a tuple this heavy hashes in a few milliseconds.
MAX_VALUE_WEIGHT = 250_000
# Characters and bits per unit of weight: strings and ints cost linearly, not exponentially.
_CHARS_PER_UNIT = 1024
_BITS_PER_UNIT = 256
_CACHE_LIMIT = 200_000
# id -> (value, length when measured or -1 for a tuple, weight); the value is kept
# alive so that its id cannot be reused while the entry exists.
_cache: dict[int, tuple[Any, int, int]] = {}


def weight(value: Any, bound: int = MAX_VALUE_WEIGHT) -> int:
    """The weight of ``value``, or ``bound + 1`` as soon as it is known to be heavier than ``bound``."""
    over = bound + 1
    simple = _scalar_weight(value)
    if simple is not None:
        return simple
    flat = _flat_weight(value, over)
    if flat is not None:
        return flat
    memo: dict[int, int] = {}
    open_nodes: set[int] = set()
    edges = 0
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if expanded:
            open_nodes.discard(key)
            total = 1 + sum(memo[id(child)] for child in _children(node))
            memo[key] = min(total, over)
            _remember(node, memo[key])
            continue
        if key in memo:
            continue
        if key in open_nodes:
            return over  # a cycle: unfolding it never ends
        known = _scalar_weight(node)
        if known is None:
            known = _cached(node)
        if known is not None:
            memo[key] = known
            continue
        children = _children(node)
        edges += len(children)
        if edges > bound:
            return over  # every edge adds at least one to the weight
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children)
    return memo[id(value)]


def _flat_weight(value: Any, over: int) -> int | None:
    """The weight of a container of scalars only (most values), as the walk would find it
    (and remember it), without the walk; None for anything else."""
    known = _cached(value)
    if known is not None:
        return known
    children = _children(value)
    if len(children) >= over:
        return None
    total = 1
    for child in children:
        kind = type(child)  # _scalar_weight's cases, inline for the common exact types
        if kind is str:
            total += 1 + len(child) // _CHARS_PER_UNIT
            continue
        if kind is int:
            total += 1 + child.bit_length() // _BITS_PER_UNIT
            continue
        if kind is float or kind is bool or child is None:
            total += 1
            continue
        part = _scalar_weight(child)
        if part is None:
            return None
        total += part
    result = min(total, over)
    _remember(value, result)
    return result


def too_heavy(value: Any, bound: int = MAX_VALUE_WEIGHT) -> bool:
    """Whether using ``value`` (hash, compare, ``str``) would cost more than ``bound``."""
    return weight(value, bound) > bound


def grown(value: list[Any], measured: int) -> None:
    """Record the weight of a list just grown in place, so that the next use need not walk it again."""
    _remember(value, measured)


def forget_weights() -> None:
    """Drop the remembered weights (and the values they keep alive): call when a file is done."""
    _cache.clear()


def _scalar_weight(value: Any) -> int | None:
    if isinstance(value, str):
        return 1 + len(value) // _CHARS_PER_UNIT
    if isinstance(value, int):
        return 1 + value.bit_length() // _BITS_PER_UNIT
    if isinstance(value, (tuple, list, dict)) and not _is_lazy(value):
        return None
    return 1  # floats, None, ranges, interpreted objects: used by identity or in constant time


def _is_lazy(value: Any) -> bool:
    # A huge range iterated lazily poses as a list; its items are ints made on demand.
    return isinstance(value, _LazyRange)


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    return list(value)


def _cached(value: Any) -> int | None:
    entry = _cache.get(id(value))
    if entry is None or entry[0] is not value:
        return None
    length = -1 if isinstance(value, tuple) else len(value)
    return entry[2] if entry[1] == length else None


def _remember(value: Any, measured: int) -> None:
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[id(value)] = (value, -1 if isinstance(value, tuple) else len(value), measured)
