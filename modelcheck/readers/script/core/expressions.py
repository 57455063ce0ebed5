"""Expression evaluation and calls for the script interpreter (a mixin of ``Interpreter``)."""

from __future__ import annotations

import ast
import math
import os
from typing import TYPE_CHECKING, Any, Callable

from modelcheck.readers.script.core.values import (
    _COMPARE,
    _DICT_METHODS,
    _LIST_METHODS,
    _MISSING,
    _STR_METHODS,
    MAX_CALL_DEPTH,
    MAX_ITERATIONS,
    MAX_SEQUENCE,
    UNKNOWN,
    UNKNOWN_SLICE,
    Arg,
    BoundMethod,
    Builtin,
    Env,
    ModuleRef,
    Obj,
    UserFunction,
    _Break,
    _comparable,
    _Continue,
    _hashable,
    _LazyRange,
    _Return,
    as_int,
    const_binop,
    is_number,
    same_value,
    truth,
)
from modelcheck.readers.script.core.sizes import MAX_VALUE_WEIGHT, too_heavy
from modelcheck.readers.script.core.values import MAX_INT_BITS

if TYPE_CHECKING:
    from modelcheck.readers.script.core.interpreter import Interpreter


class ExpressionEvaluator:
    """Expressions, assignment targets aside: everything that produces a value."""

    # -- expressions -------------------------------------------------------------------------

    def eval(self, node: ast.AST | None, env: Env) -> Any:
        if node is None:
            return None
        self.tick()
        method = getattr(self, "_eval_" + type(node).__name__, None)
        if method is None:
            return UNKNOWN
        return method(node, env)

    def _eval_Constant(self, node: ast.Constant, env: Env) -> Any:
        value = node.value
        if isinstance(value, (bytes, complex)) or value is Ellipsis:
            return UNKNOWN
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            # str() of it raises past 4300 digits; computed ints are bounded the same way
            return self.value_too_large(node, f"an integer literal of {value.bit_length()} bits")
        return value

    # -- size bounds ---------------------------------------------------------------------------

    def bounded(self, value: Any, node: ast.AST | None) -> Any:
        """``value``, or UNKNOWN (noted for MC003) when it is past the size bound of ``sizes``."""
        if isinstance(value, (tuple, list, dict)) and too_heavy(value):
            return self.value_too_large(node, f"a value of more than {MAX_VALUE_WEIGHT} parts")
        return value

    def value_too_large(self, node: ast.AST | None, what: str = "a value past the size bound") -> Any:
        """Note that the value built at ``node`` is treated as unknown; returns UNKNOWN."""
        notes: dict[tuple[str, int | None], str] = self.__dict__.setdefault("incomplete_notes", {})
        notes.setdefault((self.ctx.path, getattr(node, "lineno", None)), what)
        return UNKNOWN

    def _eval_Name(self, node: ast.Name, env: Env) -> Any:
        value = env.lookup(node.id)
        if value is not _MISSING:
            return value
        if node.id in self.builtins:
            return self.builtins[node.id]
        return self.world.undefined_name(node.id, env)

    def _eval_Attribute(self, node: ast.Attribute, env: Env) -> Any:
        return self.get_attr(self.eval(node.value, env), node.attr, node)

    def get_attr(self, value: Any, name: str, node: ast.AST) -> Any:
        if isinstance(value, Obj):
            return value.get_attr(self, name, node)
        if isinstance(value, ModuleRef):
            ref = value.child(name)
            self.world.on_attribute(ref.path, node)
            return ref
        if isinstance(value, str) and name in _STR_METHODS:
            return BoundMethod(value, name)
        if isinstance(value, list) and name in _LIST_METHODS:
            return BoundMethod(value, name)
        if isinstance(value, dict) and name in _DICT_METHODS:
            return BoundMethod(value, name)
        return UNKNOWN

    def _eval_Subscript(self, node: ast.Subscript, env: Env) -> Any:
        container = self.eval(node.value, env)
        key = self.eval(node.slice, env)
        return self.get_item(container, key, node)

    def get_item(self, container: Any, key: Any, node: ast.AST) -> Any:
        if isinstance(container, Obj):
            return container.get_item(self, key, node)
        if id(container) in self._poisoned or key is UNKNOWN:
            return UNKNOWN
        if isinstance(container, (list, tuple, str, range)) and (isinstance(key, (int, slice)) and not isinstance(key, bool)):
            try:
                return container[key]
            except (IndexError, ValueError, TypeError):
                return UNKNOWN
        if isinstance(container, dict) and _hashable(key):
            return container.get(key, UNKNOWN)
        return UNKNOWN

    def _eval_Slice(self, node: ast.Slice, env: Env) -> Any:
        parts = [self.eval(p, env) if p is not None else None for p in (node.lower, node.upper, node.step)]
        if any(p is not None and as_int(p) is None for p in parts):
            return UNKNOWN_SLICE
        return slice(*parts)

    def _eval_Tuple(self, node: ast.Tuple, env: Env) -> Any:
        items = self._elements(node.elts, env)
        return self.bounded(tuple(items), node) if items is not None else UNKNOWN

    def _eval_List(self, node: ast.List, env: Env) -> Any:
        items = self._elements(node.elts, env)
        return self.bounded(items, node) if items is not None else UNKNOWN

    def _eval_Set(self, node: ast.Set, env: Env) -> Any:
        self._elements(node.elts, env)
        return UNKNOWN

    def _elements(self, elts: list[ast.expr], env: Env) -> list[Any] | None:
        items: list[Any] = []
        for elt in elts:
            if isinstance(elt, ast.Starred):
                value = self.eval(elt.value, env)
                expanded = self.iter_values(value)
                if expanded is None:
                    return None
                items.extend(expanded)
            else:
                items.append(self.eval(elt, env))
            if len(items) > MAX_SEQUENCE:
                return None
        return items

    def _eval_Dict(self, node: ast.Dict, env: Env) -> Any:
        result: dict[Any, Any] = {}
        known = True
        for key_node, value_node in zip(node.keys, node.values):
            value = self.eval(value_node, env)
            if key_node is None:
                if isinstance(value, dict):
                    result.update(value)
                else:
                    known = False
                continue
            key = self.eval(key_node, env)
            if key is UNKNOWN or not _hashable(key):
                known = False
            else:
                result[key] = value
        return self.bounded(result, node) if known else UNKNOWN

    def _eval_JoinedStr(self, node: ast.JoinedStr, env: Env) -> Any:
        return UNKNOWN  # f-strings: not worth modelling

    def _eval_BinOp(self, node: ast.BinOp, env: Env) -> Any:
        return self.binop(node.op, self.eval(node.left, env), self.eval(node.right, env), node)

    def binop(self, op: ast.operator, left: Any, right: Any, node: ast.AST) -> Any:
        if isinstance(left, Obj):
            return left.binop(self, op, right, False, node)
        if isinstance(right, Obj):
            return right.binop(self, op, left, True, node)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        return self.bounded(const_binop(op, left, right), node)

    def _eval_UnaryOp(self, node: ast.UnaryOp, env: Env) -> Any:
        value = self.eval(node.operand, env)
        if isinstance(node.op, ast.Not):
            t = truth(value)
            return UNKNOWN if t is UNKNOWN else not t
        if isinstance(value, Obj):
            if isinstance(node.op, ast.USub):
                return value.binop(self, ast.Mult(), -1, True, node)
            return UNKNOWN
        if not is_number(value) and not isinstance(value, bool):
            return UNKNOWN
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return +value
        if isinstance(node.op, ast.Invert) and isinstance(value, int):
            return ~value
        return UNKNOWN

    def _eval_BoolOp(self, node: ast.BoolOp, env: Env) -> Any:
        is_and = isinstance(node.op, ast.And)
        result: Any = UNKNOWN
        for value_node in node.values:
            result = self.eval(value_node, env)
            t = truth(result)
            if t is UNKNOWN:
                # Evaluate the rest for side effects only; the result is unknown.
                return UNKNOWN
            if is_and and not t:
                return result
            if not is_and and t:
                return result
        return result

    def _eval_Compare(self, node: ast.Compare, env: Env) -> Any:
        left = self.eval(node.left, env)
        outcome: Any = True
        for op, right_node in zip(node.ops, node.comparators):
            right = self.eval(right_node, env)
            result = self.compare(op, left, right)
            if result is False:
                return False
            if result is UNKNOWN:
                outcome = UNKNOWN
            left = right
        return outcome

    def compare(self, op: ast.cmpop, left: Any, right: Any) -> Any:
        if isinstance(op, (ast.Is, ast.IsNot)):
            if left is UNKNOWN or right is UNKNOWN:
                return UNKNOWN
            if (left is None) != (right is None) or (left is None and right is None):
                same = left is None and right is None
                return same if isinstance(op, ast.Is) else not same
            if isinstance(left, bool) and isinstance(right, bool):
                return (left is right) if isinstance(op, ast.Is) else (left is not right)
            return UNKNOWN
        func = _COMPARE.get(type(op))
        if func is None or not _comparable(left) or not _comparable(right):
            return UNKNOWN
        try:
            return bool(func(left, right))
        except TypeError:
            return UNKNOWN

    def _eval_IfExp(self, node: ast.IfExp, env: Env) -> Any:
        condition = truth(self.eval(node.test, env))
        if condition is True:
            return self.eval(node.body, env)
        if condition is False:
            return self.eval(node.orelse, env)
        a = self.eval(node.body, env)
        b = self.eval(node.orelse, env)
        return a if same_value(a, b) else UNKNOWN

    def _eval_NamedExpr(self, node: ast.NamedExpr, env: Env) -> Any:
        value = self.eval(node.value, env)
        self.assign(node.target, value, env, node)
        return value

    def _eval_Lambda(self, node: ast.Lambda, env: Env) -> Any:
        defaults = [self.eval(d, env) for d in node.args.defaults]
        kw_defaults = [self.eval(d, env) if d is not None else _MISSING for d in node.args.kw_defaults]
        return UserFunction(node, env, self.ctx, defaults, kw_defaults)

    def _eval_ListComp(self, node: ast.ListComp, env: Env) -> Any:
        results = self._comprehension(node.generators, env, lambda scope: self.eval(node.elt, scope))
        return self.bounded(results, node) if results is not None else UNKNOWN

    _eval_GeneratorExp = _eval_ListComp

    def _eval_DictComp(self, node: ast.DictComp, env: Env) -> Any:
        pairs = self._comprehension(node.generators, env, lambda scope: (self.eval(node.key, scope), self.eval(node.value, scope)))
        if pairs is None or not all(k is not UNKNOWN and _hashable(k) for k, _ in pairs):
            return UNKNOWN
        return self.bounded(dict(pairs), node)

    def _eval_SetComp(self, node: ast.SetComp, env: Env) -> Any:
        return UNKNOWN

    def _comprehension(self, generators: list[ast.comprehension], env: Env, produce: Callable[[Env], Any]) -> list[Any] | None:
        scope = Env(env, env.module)
        results: list[Any] = []

        def level(index: int) -> bool:
            if index == len(generators):
                results.append(produce(scope))
                return len(results) < MAX_SEQUENCE
            gen = generators[index]
            items = self.iter_values(self.eval(gen.iter, scope))
            if items is None:
                return False
            for item in items:
                self.iterations += 1
                if self.iterations > MAX_ITERATIONS:
                    return False
                self.assign(gen.target, item, scope, None)
                keep = True
                for condition in gen.ifs:
                    t = truth(self.eval(condition, scope))
                    if t is UNKNOWN:
                        return False
                    keep = keep and t
                if keep and not level(index + 1):
                    return False
            return True

        return results if level(0) else None

    def _eval_Starred(self, node: ast.Starred, env: Env) -> Any:
        return UNKNOWN

    def iter_values(self, value: Any) -> list[Any] | None:
        """The items of an iterable when known (bounded), else None."""
        if isinstance(value, Obj):
            return value.iterate(self)
        if id(value) in self._poisoned:
            return None
        if isinstance(value, (list, tuple, str)):
            return list(value)
        if isinstance(value, range):
            if len(value) > MAX_ITERATIONS:
                # Still iterable lazily; the loop stops at the iteration cap.
                return _LazyRange(value)  # type: ignore[return-value]
            return list(value)
        if isinstance(value, dict):
            return list(value.keys())
        return None

    # -- calls ------------------------------------------------------------------------------

    def _eval_Call(self, node: ast.Call, env: Env) -> Any:
        args: list[Arg] = []
        kwargs: dict[str, Arg] = {}
        for arg_node in node.args:
            if isinstance(arg_node, ast.Starred):
                value = self.eval(arg_node.value, env)
                items = self.iter_values(value) if not isinstance(value, Obj) else None
                if items is None or len(items) > 256:
                    args.append(Arg(UNKNOWN, arg_node))
                    kwargs["**unknown**"] = Arg(UNKNOWN, arg_node)  # positions after this are unknown
                else:
                    args.extend(Arg(item, arg_node) for item in items)
            else:
                args.append(Arg(self.eval(arg_node, env), arg_node))
        for keyword in node.keywords:
            value = self.eval(keyword.value, env)
            if keyword.arg is None:
                if isinstance(value, dict) and all(isinstance(k, str) for k in value):
                    for key, item in value.items():
                        kwargs[key] = Arg(item, keyword.value)
                else:
                    kwargs["**unknown**"] = Arg(UNKNOWN, keyword)
            else:
                kwargs[keyword.arg] = Arg(value, keyword.value, keyword)
        func = node.func
        if isinstance(func, ast.Attribute):
            target = self.eval(func.value, env)
            if isinstance(target, Obj):
                return target.call_method(self, func.attr, args, kwargs, node)
            if isinstance(target, ModuleRef):
                ref = target.child(func.attr)
                self.world.on_attribute(ref.path, func)
                return self.world.call_module(ref, args, kwargs, node)
            if target is UNKNOWN:
                return self.world.unknown_method(func.attr, args, kwargs, node)
            return self.call_value(self.get_attr(target, func.attr, func), args, kwargs, node)
        return self.call_value(self.eval(func, env), args, kwargs, node)

    def call_value(self, func: Any, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        if isinstance(func, Obj):
            return func.call(self, args, kwargs, node)
        if isinstance(func, ModuleRef):
            return self.world.call_module(func, args, kwargs, node)
        return UNKNOWN

    def call_function(self, fn: UserFunction, args: list[Arg], kwargs: dict[str, Arg], node: ast.AST | None,
                      rest_unknown: bool = False) -> Any:
        """Run a user function; ``rest_unknown``: ``*args``/``**kwargs`` not passed are unknown (entry points)."""
        if id(fn.node) not in self.called:
            self.called.add(id(fn.node))
            self.called_defs.add((fn.module.path, getattr(fn.node, "lineno", 0)))
        if fn.is_generator or self.depth >= MAX_CALL_DEPTH or "**unknown**" in kwargs:
            return UNKNOWN
        env = Env(fn.closure, fn.module)
        env.globals_decl = fn.global_names
        env.nonlocals_decl = fn.nonlocal_names
        spec = fn.node.args
        positional = list(spec.posonlyargs) + list(spec.args)
        values = list(args)
        first_default = len(positional) - len(fn.defaults)
        for index, param in enumerate(positional):
            if index < len(values):
                env.vars[param.arg] = values[index].value
            elif param.arg in kwargs:
                env.vars[param.arg] = kwargs[param.arg].value
            elif index >= first_default:
                env.vars[param.arg] = fn.defaults[index - first_default]
            else:
                env.vars[param.arg] = UNKNOWN
        if spec.vararg is not None:
            env.vars[spec.vararg.arg] = UNKNOWN if rest_unknown else self.bounded(tuple(a.value for a in values[len(positional):]), node)
        for param, default in zip(spec.kwonlyargs, fn.kw_defaults):
            if param.arg in kwargs:
                env.vars[param.arg] = kwargs[param.arg].value
            else:
                env.vars[param.arg] = default if default is not _MISSING else UNKNOWN
        if spec.kwarg is not None:
            named = {p.arg for p in positional} | {p.arg for p in spec.kwonlyargs}
            env.vars[spec.kwarg.arg] = UNKNOWN if rest_unknown else self.bounded({k: a.value for k, a in kwargs.items() if k not in named}, node)
        previous, previous_frame = self.ctx, self.frame_id
        self.ctx = fn.module
        self.depth += 1
        self._frames += 1
        self.frame_id = self._frames
        try:
            if isinstance(fn.node, ast.Lambda):
                return self.eval(fn.node.body, env)
            self.exec_block(fn.node.body, env)
            return None
        except _Return as result:
            self.world.on_return(result.value)
            return result.value
        except (_Break, _Continue):
            return UNKNOWN
        except RecursionError:
            return UNKNOWN
        finally:
            self.depth -= 1
            self.ctx, self.frame_id = previous, previous_frame


def _as_load(target: ast.expr) -> ast.expr | None:
    if isinstance(target, ast.Name):
        return ast.copy_location(ast.Name(id=target.id, ctx=ast.Load()), target)
    if isinstance(target, ast.Attribute):
        return ast.copy_location(ast.Attribute(value=target.value, attr=target.attr, ctx=ast.Load()), target)
    if isinstance(target, ast.Subscript):
        return ast.copy_location(ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load()), target)
    return None


# -- builtins ---------------------------------------------------------------------------------


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
