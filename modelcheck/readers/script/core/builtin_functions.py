"""The Python builtins the script interpreter evaluates (``len``, ``range``, ``zip``…) and
the pure library functions worth evaluating (``os.path.join``, ``math.ceil``…).
"""

from __future__ import annotations

import ast
import math
import os
from typing import TYPE_CHECKING, Any, Callable

from modelcheck.readers.script.core.plain_values import as_int, is_number
from modelcheck.readers.script.core.values import MAX_SEQUENCE, UNKNOWN, Arg, Builtin, Obj

if TYPE_CHECKING:
    from modelcheck.readers.script.core.interpreter import Interpreter


def _values(args: list[Arg]) -> list[Any]:
    return [a.value for a in args]


def _b_len(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    if len(args) != 1:
        return UNKNOWN
    value = args[0].value
    if id(value) in it._poisoned:
        return UNKNOWN
    if isinstance(value, (list, tuple, str, dict, range)):
        return len(value)
    if isinstance(value, Obj):
        items = value.iterate(it)
        return len(items) if items is not None else UNKNOWN
    return UNKNOWN


def _b_range(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    values = _values(args)
    if kwargs or not 1 <= len(values) <= 3 or any(as_int(v) is None for v in values):
        return UNKNOWN
    try:
        return range(*values)
    except (ValueError, OverflowError):
        return UNKNOWN


def _numeric(convert: Callable[[Any], Any]) -> Callable[..., Any]:
    def call(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        values = _values(args)
        if len(values) != 1 or kwargs:
            return UNKNOWN
        value = values[0]
        if not (is_number(value) or isinstance(value, bool) or (isinstance(value, str) and len(value) < 64)):
            return UNKNOWN
        try:
            return convert(value)
        except (ValueError, OverflowError, TypeError):
            return UNKNOWN

    return call


def _b_str(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    values = _values(args)
    if len(values) == 1 and (isinstance(values[0], (str, bool, float)) or as_int(values[0]) is not None) and not kwargs:
        return str(values[0])
    return UNKNOWN


def _b_minmax(func: Callable[..., Any]) -> Callable[..., Any]:
    def call(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        values = _values(args)
        if len(values) == 1:
            values = list(values[0]) if isinstance(values[0], (list, tuple)) else [UNKNOWN]
        if kwargs or not values or not all(is_number(v) for v in values):
            return UNKNOWN
        return func(values)

    return call


def _b_round(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    values = _values(args)
    if not values or not is_number(values[0]) or kwargs:
        return UNKNOWN
    if len(values) == 2 and as_int(values[1]) is not None and abs(values[1]) < 20:
        return round(values[0], values[1])
    return round(values[0]) if len(values) == 1 else UNKNOWN


def _b_sequence(kind: type) -> Callable[..., Any]:
    def call(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        if not args:
            return kind()
        items = it.iter_values(args[0].value)
        if items is None or len(items) > MAX_SEQUENCE or kwargs:
            return UNKNOWN
        result = [x for _, x in zip(range(MAX_SEQUENCE), items)]
        layer_list = getattr(args[0].value, "is_layer_list", False)
        if layer_list and kind is list:
            return args[0].value.copy_list(result)
        return kind(result)

    return call


def _b_enumerate(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    if not args:
        return UNKNOWN
    items = it.iter_values(args[0].value)
    start = kwargs["start"].value if "start" in kwargs else (args[1].value if len(args) > 1 else 0)
    if items is None or len(items) > MAX_SEQUENCE or as_int(start) is None:
        return UNKNOWN
    pairs = _Pairs((start + i, x) for i, x in zip(range(MAX_SEQUENCE), items))
    pairs.is_layer_list = bool(getattr(args[0].value, "is_layer_list", False))
    return pairs


class _Pairs(list):
    """enumerate(...) items; remembers whether they enumerate a model's ``.layers``."""

    is_layer_list = False


def _b_zip(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    lists = [it.iter_values(a.value) for a in args]
    if not lists or any(items is None or len(items) > MAX_SEQUENCE for items in lists):
        return UNKNOWN
    return [tuple(group) for group in zip(*lists)]


def _b_reversed(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    items = it.iter_values(args[0].value) if args else None
    if items is None or len(items) > MAX_SEQUENCE:
        return UNKNOWN
    return list(reversed(list(items)))


def _b_isinstance(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    if len(args) != 2:
        return UNKNOWN
    return it.world.isinstance_check(args[0].value, args[1].value)


def _b_getattr(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    if len(args) >= 2 and isinstance(args[1].value, str):
        return it.get_attr(args[0].value, args[1].value, node)
    return UNKNOWN


def _b_none(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    return None


def _b_dict(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    if args or "**unknown**" in kwargs:
        return UNKNOWN
    return {k: a.value for k, a in kwargs.items()}


def _b_sum(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    items = it.iter_values(args[0].value) if args else None
    if items is None or not all(is_number(v) for v in items):
        return UNKNOWN
    return sum(items)


def _b_abs(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    value = args[0].value if args else UNKNOWN
    return abs(value) if is_number(value) else UNKNOWN


def _make_builtins() -> dict[str, Builtin]:
    """The builtin functions the interpreter models, by name: one table for every file (they hold no state)."""
    global _BUILTINS
    if _BUILTINS is None:
        _BUILTINS = _builtin_table()
    return _BUILTINS


_BUILTINS: dict[str, Builtin] | None = None


def _builtin_table() -> dict[str, Builtin]:
    table: dict[str, Callable[..., Any]] = {
        "len": _b_len,
        "range": _b_range,
        "int": _numeric(int),
        "float": _numeric(float),
        "bool": _numeric(bool),
        "str": _b_str,
        "min": _b_minmax(min),
        "max": _b_minmax(max),
        "round": _b_round,
        "abs": _b_abs,
        "sum": _b_sum,
        "list": _b_sequence(list),
        "tuple": _b_sequence(tuple),
        "dict": _b_dict,
        "enumerate": _b_enumerate,
        "zip": _b_zip,
        "reversed": _b_reversed,
        "isinstance": _b_isinstance,
        "getattr": _b_getattr,
        "print": _b_none,
    }
    return {name: Builtin(name, _size_bounded(func)) for name, func in table.items()}


def _size_bounded(func: Callable[..., Any]) -> Callable[..., Any]:
    """A builtin whose result is held to the size bound (``zip(t, t)`` doubles a value in one call)."""

    def call(it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        return it.bounded(func(it, args, kwargs, node), node)

    return call


def pure_call(path: str, values: list[Any]) -> Any:
    """Pure library functions worth evaluating: os.path.join, math.ceil, numpy.ceil…"""
    if path in ("os.path.join", "posixpath.join") and values and all(isinstance(v, str) for v in values):
        if sum(len(v) for v in values) < 4096:
            return os.path.join(*values)
        return UNKNOWN
    if path in ("os.path.basename", "os.path.dirname") and len(values) == 1 and isinstance(values[0], str):
        return os.path.basename(values[0]) if path.endswith("basename") else os.path.dirname(values[0])
    short = path.split(".", 1)[-1] if path.startswith(("math.", "numpy.", "np.")) else None
    if short in ("ceil", "floor", "sqrt") and len(values) == 1 and is_number(values[0]):
        try:
            result = getattr(math, short)(values[0])
        except (ValueError, OverflowError):
            return UNKNOWN
        return float(result) if path.startswith("numpy.") else result
    return UNKNOWN
