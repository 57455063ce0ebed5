"""The abstract interpreter core of the script reader.

It walks a Python module's ``ast`` and evaluates the small subset training
scripts are written in: constants, arithmetic, names, tuples/lists/dicts,
``if`` on known conditions, bounded ``for``/``while`` loops, functions defined
in the file or a sibling module. Nothing is ever executed, imported or
``eval``-ed. What cannot be evaluated is :data:`UNKNOWN`.

Keras semantics live elsewhere (``script_keras``/``script_data``): this module
hands calls on imported names (:class:`ModuleRef`) to a *world* object, and
attribute/method/call operations on Keras values to their :class:`Obj` class.

Unknown control flow (an ``if`` on an unknown condition, a loop over an
unknown iterable) runs *speculatively*: each branch runs on the current
bindings, and afterwards every name the branches disagree on becomes UNKNOWN.
"""

from __future__ import annotations

import ast
from typing import Any, Callable

from modelcheck.ir import Location
from modelcheck.readers.script.core.builtin_functions import _make_builtins, pure_call
from modelcheck.readers.script.core.calls import CallEvaluator
from modelcheck.readers.script.core.expressions import ExpressionEvaluator, _as_load
from modelcheck.readers.script.core.plain_values import (
    _hashable,
    as_bool,
    as_float,
    as_int,
    as_shape,
    as_str,
    is_number,
    plain,
    same_value,
    truth,
)
from modelcheck.readers.script.core.values import (
    _MISSING,
    GRACE_STEPS,
    MAX_GRACES,
    MAX_ITERATIONS,
    MAX_LOOP_ITERATIONS,
    MAX_SEQUENCE,
    MAX_STEPS,
    MISSING,
    UNKNOWN,
    UNKNOWN_SLICE,
    Arg,
    BudgetExceeded,
    Env,
    ModuleCtx,
    ModuleRef,
    Obj,
    SiblingModule,
    UserFunction,
    _Bind,
    _Break,
    _Continue,
    _Raise,
    _Return,
    assigned_names,
    location_of,
)

__all__ = [
    "MISSING", "UNKNOWN", "UNKNOWN_SLICE", "Arg", "BudgetExceeded", "Env", "Interpreter", "ModuleCtx", "ModuleRef",
    "Obj", "UserFunction", "as_bool", "as_float", "as_int", "as_shape", "as_str", "is_number", "plain", "pure_call",
]


class Interpreter(ExpressionEvaluator, CallEvaluator):
    """Evaluates one module (and the sibling modules it imports) abstractly."""

    def __init__(self, world: Any, main: ModuleCtx, module_loader: Callable[[str], ModuleCtx | None]):
        self.world = world
        self.main = main
        self.ctx = main
        self.load_module_ctx = module_loader
        self.steps = 0
        self.iterations = 0
        self.depth = 0
        self.speculative = 0
        self.for_stack: list[tuple[ast.For, int, bool]] = []
        self._for_counter = 0
        self.modules: dict[str, ModuleCtx | None] = {}
        self.internal_errors: list[str] = []
        self.called: set[int] = set()
        """ids of the function definitions called so far (the others may be entry points)."""
        self.last_top: ast.stmt | None = None
        """The script's top-level statement being run (where an analysis cut short stopped)."""
        self.called_defs: set[tuple[str, int]] = set()
        """(file, line) of every function definition called, sibling modules' included."""
        self.gaps: list[tuple[Location, str]] = []
        """(where, what) the interpreter did not follow: reported as MC003."""
        self.incomplete_notes: dict[tuple[str, int | None], str] = {}
        """(module, line) -> what was built there too large to analyse (values made unknown)."""
        self.graces = 0
        self.frame_id = 0
        """Which user-function invocation is running (0: module level)."""
        self._frames = 0
        self.truncated = False
        self._poisoned: set[int] = set()
        self.builtins = _make_builtins()
        world.attach(self)

    # -- bookkeeping -----------------------------------------------------------------

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise BudgetExceeded("evaluation step budget exhausted")

    def loc(self, node: ast.AST | None, ctx: ModuleCtx | None = None) -> Location:
        return location_of(node, ctx or self.ctx)

    def loc_of_name(self, node: ast.AST) -> Location:
        """Location of the called or accessed name: ``fit_generator`` in ``model.fit_generator(...)``."""
        func = node.func if isinstance(node, ast.Call) else node
        if isinstance(func, ast.Attribute) and func.end_lineno is not None and func.end_col_offset is not None:
            line = func.end_lineno
            return Location(self.ctx.path, line=line, column=self.ctx.column(line, func.end_col_offset - len(func.attr)))
        return self.loc(func)

    def source(self, node: ast.AST | None) -> str:
        return self.ctx.segment(node)

    def poison(self, obj: Any) -> None:
        self._poisoned.add(id(obj))

    # -- running -----------------------------------------------------------------------

    def run_module(self, ctx: ModuleCtx) -> None:
        previous = self.ctx
        self.ctx = ctx
        try:
            self.exec_block(ctx.tree.body, ctx.env)
        except (_Return, _Break, _Continue, _Raise):
            pass
        finally:
            self.ctx = previous

    def exec_block(self, stmts: list[ast.stmt], env: Env) -> None:
        top = env is self.main.env and self.ctx is self.main and not self.depth
        for stmt in stmts:
            if top:
                self.last_top = stmt
            try:
                self.exec_stmt(stmt, env)
            except BudgetExceeded as error:
                if self.depth or self.ctx is not self.main or env is not self.main.env or self.graces >= MAX_GRACES:
                    raise
                self.graces += 1
                self.truncated = True
                self.steps = MAX_STEPS - GRACE_STEPS
                self.speculative = 0
                self._degrade(stmt, env, error, "the step budget ran out")
            except (_Return, _Break, _Continue, _Raise):
                raise
            except RecursionError as error:
                self._degrade(stmt, env, error, "it nests too deeply")
            except MemoryError as error:
                self._degrade(stmt, env, error, "it needs too much memory")
            except Exception as error:  # an interpreter bug must degrade to "unknown", not a crash
                self._degrade(stmt, env, error, f"internal error {type(error).__name__}")

    def _degrade(self, stmt: ast.stmt, env: Env, error: BaseException, why: str) -> None:
        self.internal_errors.append(f"{self.ctx.path}:{getattr(stmt, 'lineno', '?')}: {type(error).__name__}: {error}")
        names = sorted(assigned_names([stmt]))
        what = f"this statement was not followed ({why})"
        if names:
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            what += f"; what it assigns ({shown}) is unknown"
        self.gaps.append((self.loc(stmt), what))
        for name in names:
            self.assign_name(name, UNKNOWN, env, None)

    # Statement type -> its ``_stmt_<Name>`` function (None: nothing to do), as ``eval`` does.
    _stmt_methods: dict[type, Callable[..., Any] | None] = {}

    def exec_stmt(self, stmt: ast.stmt, env: Env) -> None:
        self.steps += 1  # tick(), inline
        if self.steps > MAX_STEPS:
            raise BudgetExceeded("evaluation step budget exhausted")
        kind = type(stmt)
        try:
            method = self._stmt_methods[kind]
        except KeyError:
            method = self._stmt_methods[kind] = getattr(type(self), "_stmt_" + kind.__name__, None)
        if method is not None:
            method(self, stmt, env)

    def _stmt_Expr(self, stmt: ast.Expr, env: Env) -> None:
        self.eval(stmt.value, env)

    def _stmt_Assign(self, stmt: ast.Assign, env: Env) -> None:
        value = self.eval(stmt.value, env)
        for target in stmt.targets:
            self.assign(target, value, env, stmt)

    def _stmt_AnnAssign(self, stmt: ast.AnnAssign, env: Env) -> None:
        if stmt.value is not None:
            self.assign(stmt.target, self.eval(stmt.value, env), env, stmt)

    def _stmt_AugAssign(self, stmt: ast.AugAssign, env: Env) -> None:
        load = _as_load(stmt.target)
        current = self.eval(load, env) if load is not None else UNKNOWN
        value = self.binop(stmt.op, current, self.eval(stmt.value, env), stmt)
        self.assign(stmt.target, value, env, stmt)

    def _stmt_Delete(self, stmt: ast.Delete, env: Env) -> None:
        for target in stmt.targets:
            if isinstance(target, ast.Name):
                owner = env.owner(target.id)
                if owner is not None:
                    owner.vars.pop(target.id, None)

    def _stmt_If(self, stmt: ast.If, env: Env) -> None:
        condition = truth(self.eval(stmt.test, env))
        if condition is True:
            self.exec_block(stmt.body, env)
        elif condition is False:
            self.exec_block(stmt.orelse, env)
        else:
            self.speculate([stmt.body, stmt.orelse], env)

    def _stmt_For(self, stmt: ast.For, env: Env) -> None:
        iterable = self.eval(stmt.iter, env)
        items = self.iter_values(iterable)
        self._for_counter += 1
        is_layer_loop = bool(getattr(iterable, "is_layer_list", False))
        self.for_stack.append((stmt, self._for_counter, is_layer_loop))
        try:
            if items is None:
                placeholder = getattr(iterable, "placeholder", None)
                item = placeholder(self) if callable(placeholder) else UNKNOWN
                self.speculate([[_Bind(stmt.target, item)] + stmt.body, stmt.orelse], env)
                return
            broke = False
            for index, item in enumerate(items):
                self.iterations += 1
                if self.iterations > MAX_ITERATIONS or (index >= MAX_LOOP_ITERATIONS and not is_layer_loop):
                    # Too many iterations: whatever the rest would do is unknown.
                    for name in assigned_names(stmt.body) | assigned_names([stmt.target]):
                        self.assign_name(name, UNKNOWN, env, None)
                    return
                self.tick()
                self.assign(stmt.target, item, env, stmt)
                try:
                    self.exec_block(stmt.body, env)
                except _Break:
                    broke = True
                    break
                except _Continue:
                    continue
            if not broke:
                self.exec_block(stmt.orelse, env)
        finally:
            self.for_stack.pop()

    _stmt_AsyncFor = _stmt_For

    def _stmt_While(self, stmt: ast.While, env: Env) -> None:
        passes = 0
        while True:
            condition = truth(self.eval(stmt.test, env))
            if condition is False:
                self.exec_block(stmt.orelse, env)
                return
            if condition is UNKNOWN:
                self.speculate([stmt.body], env)
                return
            self.iterations += 1
            passes += 1
            if self.iterations > MAX_ITERATIONS or passes > MAX_LOOP_ITERATIONS:
                for name in assigned_names(stmt.body):
                    self.assign_name(name, UNKNOWN, env, None)
                return
            try:
                self.exec_block(stmt.body, env)
            except _Break:
                return
            except _Continue:
                continue

    def _stmt_FunctionDef(self, stmt: ast.FunctionDef, env: Env) -> None:
        args = stmt.args
        defaults = [self.eval(d, env) for d in args.defaults]
        kw_defaults = [self.eval(d, env) if d is not None else _MISSING for d in args.kw_defaults]
        self.assign_name(stmt.name, UserFunction(stmt, env, self.ctx, defaults, kw_defaults), env, stmt)

    _stmt_AsyncFunctionDef = _stmt_FunctionDef

    def _stmt_ClassDef(self, stmt: ast.ClassDef, env: Env) -> None:
        self.assign_name(stmt.name, UNKNOWN, env, stmt)  # classes (custom layers/models) are not modelled

    def _stmt_Return(self, stmt: ast.Return, env: Env) -> None:
        raise _Return(self.eval(stmt.value, env) if stmt.value is not None else None)

    def _stmt_Break(self, stmt: ast.Break, env: Env) -> None:
        raise _Break()

    def _stmt_Continue(self, stmt: ast.Continue, env: Env) -> None:
        raise _Continue()

    def _stmt_Raise(self, stmt: ast.Raise, env: Env) -> None:
        raise _Raise()

    def _stmt_With(self, stmt: ast.With, env: Env) -> None:
        for item in stmt.items:
            self.eval(item.context_expr, env)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, UNKNOWN, env, stmt)
        self.exec_block(stmt.body, env)

    _stmt_AsyncWith = _stmt_With

    def _stmt_Try(self, stmt: ast.Try, env: Env) -> None:
        try:
            self.exec_block(stmt.body, env)
        except _Raise:
            pass  # which handler runs, and what it does, is not modelled
        else:
            self.exec_block(stmt.orelse, env)
        self.exec_block(stmt.finalbody, env)

    _stmt_TryStar = _stmt_Try

    def _stmt_Import(self, stmt: ast.Import, env: Env) -> None:
        for alias in stmt.names:
            self.world.on_import(alias.name, alias, None)
            local = self.import_module(alias.name)
            if alias.asname:
                value = local if local is not None else ModuleRef(alias.name)
                self.assign_name(alias.asname, value, env, stmt)
            else:
                top = alias.name.split(".")[0]
                value = self.import_module(top) if "." in alias.name else local
                self.assign_name(top, value if value is not None else ModuleRef(top), env, stmt)

    def _stmt_ImportFrom(self, stmt: ast.ImportFrom, env: Env) -> None:
        module = stmt.module or ""
        sibling = self.import_module(module) if module else None
        for alias in stmt.names:
            if alias.name == "*":
                if sibling is not None:
                    for key, value in sibling.ctx.env.vars.items():
                        if not key.startswith("_"):
                            self.assign_name(key, value, env, stmt)
                else:
                    self.world.on_import(module + ".*", alias, module)
                    env.root().vars.setdefault("__star_modules__", []).append(module)
                continue
            local_name = alias.asname or alias.name
            if sibling is not None:
                value = sibling.ctx.env.vars.get(alias.name, _MISSING)
                if value is _MISSING:
                    value = self.import_module(f"{module}.{alias.name}") or UNKNOWN
                self.assign_name(local_name, value, env, stmt)
                continue
            if not module:  # from . import x
                value = self.import_module(alias.name)
                self.assign_name(local_name, value if value is not None else UNKNOWN, env, stmt)
                continue
            self.world.on_import(f"{module}.{alias.name}", alias, module)
            self.assign_name(local_name, ModuleRef(f"{module}.{alias.name}"), env, stmt)

    def import_module(self, dotted: str) -> "SiblingModule | None":
        """A sibling module of the script (``Net.py``), interpreted once; None for libraries."""
        if dotted in self.modules:
            ctx = self.modules[dotted]
            return SiblingModule(ctx) if ctx is not None else None
        self.modules[dotted] = None  # also guards import cycles
        ctx = self.load_module_ctx(dotted)
        if ctx is None:
            return None
        self.modules[dotted] = ctx
        self.run_module(ctx)
        return SiblingModule(ctx)

    # -- speculative execution ---------------------------------------------------------------

    def speculate(self, branches: list[list[Any]], env: Env) -> None:
        """Run each branch on the current bindings; names they disagree on become UNKNOWN."""
        chain = env.chain()
        before = [dict(e.vars) for e in chain]
        # Copying scopes is work too: a module with hundreds of globals costs steps for it,
        # so the step budget also bounds the time spent here.
        self.steps += sum(len(b) for b in before) * len(branches) // 64
        outcomes: list[list[dict[str, Any]]] = []
        self.speculative += 1
        try:
            for branch in branches:
                for e, saved in zip(chain, before):
                    e.vars = dict(saved)
                try:
                    self.exec_block(self._with_binds(branch, env), env)
                except (_Break, _Continue, _Return):
                    pass
                except _Raise:
                    continue  # that branch ends the program: it tells nothing about the rest
                outcomes.append([e.vars for e in chain])  # the next branch works on a fresh copy
        finally:
            self.speculative -= 1
        if not outcomes:
            outcomes = [before]
        for index, e in enumerate(chain):
            base = before[index]
            changed: set[str] = set()
            for outcome in outcomes:
                scope = outcome[index]
                changed.update(name for name, value in scope.items() if base.get(name, _MISSING) is not value)
                if len(scope) != len(base):
                    changed.update(name for name in base if name not in scope)
            merged = dict(base)
            for name in changed:
                present = [v for v in (o[index].get(name, _MISSING) for o in outcomes) if v is not _MISSING]
                if not present:
                    merged.pop(name, None)
                    continue
                first = present[0]
                merged[name] = first if all(same_value(first, v) for v in present) else _merge(present)
            e.vars = merged

    def _with_binds(self, branch: list[Any], env: Env) -> list[ast.stmt]:
        stmts: list[ast.stmt] = []
        for item in branch:
            if isinstance(item, _Bind):
                self.assign(item.target, item.value, env, None)
            else:
                stmts.append(item)
        return stmts

    # -- assignment -----------------------------------------------------------------------

    def assign(self, target: ast.expr, value: Any, env: Env, stmt: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            self.assign_name(target.id, value, env, stmt)
            self.world.on_bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self.unpack(value, len(target.elts))
            for sub, item in zip(target.elts, items):
                if isinstance(sub, ast.Starred):
                    self.assign(sub.value, UNKNOWN, env, stmt)
                else:
                    self.assign(sub, item, env, stmt)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, env)
            if isinstance(obj, Obj):
                obj.set_attr(self, target.attr, value, target)
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value, env)
            key = self.eval(target.slice, env)
            if isinstance(container, dict) and key is not UNKNOWN and _hashable(key) and len(container) < MAX_SEQUENCE:
                container[key] = value
            elif isinstance(container, list) and isinstance(key, int) and -len(container) <= key < len(container):
                container[key] = value
            elif isinstance(container, (list, dict)):
                self.poison(container)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, UNKNOWN, env, stmt)

    def unpack(self, value: Any, count: int) -> list[Any]:
        if isinstance(value, (tuple, list)) and len(value) == count:
            return list(value)
        if isinstance(value, Obj):
            items = value.iterate(self)
            if items is not None and len(items) == count:
                return items
        return [UNKNOWN] * count

    def assign_name(self, name: str, value: Any, env: Env, stmt: ast.AST | None) -> None:
        target = env
        if name in env.globals_decl:
            target = env.root()
        elif name in env.nonlocals_decl:
            target = env.parent.owner(name) if env.parent is not None and env.parent.owner(name) else env
        target.vars[name] = value
        if target.parent is None and stmt is not None:
            target.locs[name] = (stmt, self.ctx)  # made a Location only if a rule asks


def _merge(values: list[Any]) -> Any:
    """What a name holds after branches that bound it differently: the objects' own merge when
    they are of one kind (pixels resized on one path only keep their scaling; different models
    become a choice between them), else UNKNOWN."""
    kinds = {getattr(value, "merge_kind", None) for value in values}
    if len(kinds) != 1 or None in kinds:
        return UNKNOWN
    return values[0].merge(values[1:])
