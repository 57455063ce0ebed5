"""Expression evaluation for the script interpreter (a mixin of ``Interpreter``): names,
attributes, subscripts, containers, operators and comprehensions. Calls are in ``calls``.
"""

from __future__ import annotations

import ast
from typing import Any, Callable

from modelcheck.readers.script.core.plain_values import (
    _COMPARE,
    _DICT_METHODS,
    _LIST_METHODS,
    _STR_METHODS,
    BoundMethod,
    _comparable,
    _hashable,
    as_int,
    const_binop,
    is_number,
    same_value,
    truth,
)
from modelcheck.readers.script.core.sizes import MAX_VALUE_WEIGHT, too_heavy
from modelcheck.readers.script.core.values import (
    _MISSING,
    MAX_INT_BITS,
    MAX_ITERATIONS,
    MAX_SEQUENCE,
    MAX_STEPS,
    UNKNOWN,
    UNKNOWN_SLICE,
    BudgetExceeded,
    Env,
    ModuleRef,
    Obj,
    UserFunction,
    _LazyRange,
)


class ExpressionEvaluator:
    """Expressions, assignment targets aside: everything that produces a value."""

    # -- expressions -------------------------------------------------------------------------

    # Node type -> its ``_eval_<Name>`` function (None: not modelled), looked up once per type
    # instead of building the method name on every node.
    _eval_methods: dict[type, Callable[..., Any] | None] = {}

    def eval(self, node: ast.AST | None, env: Env) -> Any:
        if node is None:
            return None
        self.steps += 1  # tick(), inline: this runs for every node
        if self.steps > MAX_STEPS:
            raise BudgetExceeded("evaluation step budget exhausted")
        kind = type(node)
        try:
            method = self._eval_methods[kind]
        except KeyError:
            method = self._eval_methods[kind] = getattr(type(self), "_eval_" + kind.__name__, None)
        if method is None:
            return UNKNOWN
        return method(self, node, env)

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
        notes = self.incomplete_notes
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


def _as_load(target: ast.expr) -> ast.expr | None:
    if isinstance(target, ast.Name):
        return ast.copy_location(ast.Name(id=target.id, ctx=ast.Load()), target)
    if isinstance(target, ast.Attribute):
        return ast.copy_location(ast.Attribute(value=target.value, attr=target.attr, ctx=ast.Load()), target)
    if isinstance(target, ast.Subscript):
        return ast.copy_location(ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load()), target)
    return None

