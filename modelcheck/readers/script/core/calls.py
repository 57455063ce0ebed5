"""Calls in the script interpreter (a mixin of ``Interpreter``): arguments, dispatch to
objects and library names, and running the user's own functions.
"""

from __future__ import annotations

import ast
from typing import Any

from modelcheck.readers.script.core.values import (
    _MISSING,
    MAX_CALL_DEPTH,
    UNKNOWN,
    Arg,
    Env,
    ModuleRef,
    Obj,
    UserFunction,
    _Break,
    _Continue,
    _Return,
)


class CallEvaluator:
    """Call expressions and user-function calls."""

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
