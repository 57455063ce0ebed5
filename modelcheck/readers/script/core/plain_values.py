"""Plain Python values in the script interpreter: typed views (``as_int``…), truthiness,
the bounded arithmetic and comparison on constants, and the whitelisted methods of
strings, lists and dicts.
"""

from __future__ import annotations

import ast
import math
from typing import TYPE_CHECKING, Any, Callable

from modelcheck.readers.script.core.sizes import MAX_VALUE_WEIGHT, grown, too_heavy, weight
from modelcheck.readers.script.core.values import (
    _MISSING,
    MAX_INT_BITS,
    MAX_SEQUENCE,
    UNKNOWN,
    Arg,
    ModuleRef,
    Obj,
)

if TYPE_CHECKING:
    from modelcheck.readers.script.core.interpreter import Interpreter


def _hashable(value: Any) -> bool:
    """Whether ``value`` can be a dict key: hashable, and cheap to hash (see ``sizes``)."""
    if too_heavy(value):
        return False
    try:
        hash(value)
    except TypeError:
        return False
    return True


def same_value(a: Any, b: Any) -> bool:
    """Identity for objects, typed equality for plain constants."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (int, float, str, bool, bytes)) or a is None:
        return a == b
    if isinstance(a, tuple):
        if too_heavy(a) or too_heavy(b):
            return False
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return False


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_float(value: Any) -> float | None:
    return float(value) if is_number(value) and math.isfinite(value) else None


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def as_shape(value: Any) -> tuple[int | None, ...] | None:
    """A shape tuple when every entry is an int or None."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, tuple) and all(v is None or as_int(v) is not None for v in value):
        return value
    return None


def plain(value: Any, depth: int = 0) -> Any:
    """The value as JSON-like data for a layer config, or _MISSING when it is not plain."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)) and depth < 4 and len(value) < 64:
        items = [plain(v, depth + 1) for v in value]
        if any(v is _MISSING for v in items):
            return _MISSING
        return tuple(items) if isinstance(value, tuple) else items
    return _MISSING


def truth(value: Any) -> Any:
    """Python truthiness, or UNKNOWN."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None or isinstance(value, (bool, int, float, str, tuple, list, dict, range)):
        return bool(value)
    if isinstance(value, (Obj, ModuleRef)):
        return True
    return UNKNOWN


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
    ast.LShift: lambda a, b: a << b,
    ast.RShift: lambda a, b: a >> b,
    ast.BitOr: lambda a, b: a | b,
    ast.BitAnd: lambda a, b: a & b,
    ast.BitXor: lambda a, b: a ^ b,
}


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple)) else 1


def const_binop(op: ast.operator, a: Any, b: Any) -> Any:
    """Arithmetic on plain constants, bounded so hostile input cannot blow up time or memory."""
    func = _BINOPS.get(type(op))
    if func is None:
        return UNKNOWN
    if is_number(a) or isinstance(a, bool):
        if not (is_number(b) or isinstance(b, bool)):
            if isinstance(op, ast.Mult) and isinstance(b, (str, list, tuple)) and isinstance(a, int):
                a, b = b, a
            else:
                return UNKNOWN
    if isinstance(op, ast.Pow) and isinstance(a, int) and isinstance(b, int):
        if b < 0 or abs(a) <= 1:
            pass
        elif b > 64 or abs(a).bit_length() * b > MAX_INT_BITS:
            return UNKNOWN
    if isinstance(op, ast.LShift) and isinstance(b, int) and (b > MAX_INT_BITS or b < 0):
        return UNKNOWN
    if isinstance(a, (str, list, tuple)):
        if isinstance(op, ast.Mult):
            if not isinstance(b, int) or isinstance(b, bool) or _size(a) * max(b, 0) > MAX_SEQUENCE:
                return UNKNOWN
        elif isinstance(op, ast.Add):
            if type(a) is not type(b) or _size(a) + _size(b) > MAX_SEQUENCE:
                return UNKNOWN
        else:
            return UNKNOWN  # '%' formatting and friends: not worth the risk
    elif not (is_number(a) or isinstance(a, bool)):
        return UNKNOWN
    try:
        result = func(a, b)
    except (ArithmeticError, ValueError, TypeError, MemoryError):
        return UNKNOWN
    if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
        return UNKNOWN
    if isinstance(result, float) and not math.isfinite(result):
        return UNKNOWN
    return result


_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _comparable(value: Any) -> bool:
    """Plain data whose comparison costs at most the size bound (checked without recursion)."""
    if too_heavy(value):
        return False
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, (bool, int, float, str, range)):
            continue
        if not isinstance(item, (tuple, list)) or len(item) >= 10_000:
            return False
        if id(item) not in seen:
            seen.add(id(item))
            stack.extend(item)
    return True


class BoundMethod(Obj):
    """A whitelisted method of a plain Python value (``list.append``, ``str.lower``…)."""

    def __init__(self, target: Any, name: str):
        self.target = target
        self.name = name

    def call(self, it: "Interpreter", args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        values = [a.value for a in args]
        target = self.target
        if isinstance(target, list) and self.name in ("append", "extend", "insert"):
            after = weight(target) + sum(weight(v) for v in values)
            if after > MAX_VALUE_WEIGHT:
                target[:] = []  # past the size bound: the list becomes unknown
                it.poison(target)
                it.value_too_large(node)
                return None
            if self.name == "append" and len(values) == 1 and len(target) < MAX_SEQUENCE:
                target.append(values[0])
            elif self.name == "extend" and len(values) == 1 and isinstance(values[0], (list, tuple)) and len(target) + len(values[0]) < MAX_SEQUENCE:
                target.extend(values[0])
            elif self.name == "insert" and len(values) == 2 and isinstance(values[0], int) and len(target) < MAX_SEQUENCE:
                target.insert(values[0], values[1])
            else:
                target[:] = []  # we no longer know the contents: forget them
                it.poison(target)
            grown(target, after)
            return None
        if any(too_heavy(v) for v in (target, *values)):
            return UNKNOWN  # hashing or comparing it would cost more than the bound
        if isinstance(target, dict) and self.name in ("update", "setdefault", "pop", "get", "keys", "values", "items", "copy"):
            if not all(_hashable(v) for v in values[:1]):
                return UNKNOWN
            try:
                result = getattr(target, self.name)(*values, **{k: a.value for k, a in kwargs.items()})
            except Exception:
                return UNKNOWN
            return list(result) if self.name in ("keys", "values", "items") else result
        if any(v is UNKNOWN for v in values) or kwargs:
            return UNKNOWN
        if isinstance(target, str):
            if self.name in ("split", "rsplit", "splitlines") and len(target) > MAX_SEQUENCE:
                return UNKNOWN  # a 9 MB literal would split into millions of parts
            if self.name == "join":
                items = values[0] if values else None
                if not isinstance(items, (list, tuple)) or not all(isinstance(s, str) for s in items):
                    return UNKNOWN
                if sum(len(s) for s in items) + len(target) * len(items) > MAX_SEQUENCE:
                    return UNKNOWN
            elif self.name == "replace":
                if len(values) < 2 or not isinstance(values[1], str) or len(target) * max(1, len(values[1])) > MAX_SEQUENCE:
                    return UNKNOWN
        try:
            result = getattr(target, self.name)(*values)
        except Exception:
            return UNKNOWN
        return result


_STR_METHODS = {
    "lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "rsplit", "count",
    "find", "rfind", "isdigit", "title", "capitalize", "casefold", "join", "replace", "splitlines",
}
_LIST_METHODS = {"append", "extend", "insert", "index", "count"}
_DICT_METHODS = {"get", "keys", "values", "items", "update", "setdefault", "pop", "copy"}
