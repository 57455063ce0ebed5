"""Values of the script interpreter: UNKNOWN, imported names, call arguments,
interpreted objects and scopes. Operations on plain Python values are in ``plain_values``.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any, Callable, Iterable

from modelcheck.ir import Location

if TYPE_CHECKING:
    from modelcheck.readers.script.core.interpreter import Interpreter


# Work bounds for one file (and the sibling modules it pulls in), in evaluation steps
# only: a wall-clock budget would make findings depend on how loaded the machine is.
MAX_STEPS = 300_000
MAX_ITERATIONS = 10_000
# One loop that is not over a model's layers: data generation (``while len(x) < 5000``) and
# ``while True`` input loops say nothing more about the training setup after this many passes.
MAX_LOOP_ITERATIONS = 1_000
# A top-level statement that exhausts the budget is abandoned (its names become
# unknown) and the rest of the script still runs, on a small extra budget.
GRACE_STEPS = 50_000
MAX_GRACES = 3
MAX_CALL_DEPTH = 16
MAX_SEQUENCE = 100_000
MAX_INT_BITS = 4096


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""A value the interpreter cannot know."""
_MISSING = object()
MISSING: Any = _MISSING
"""Marker for 'no such binding' / 'not plain data'."""


class BudgetExceeded(Exception):
    """The file needs more evaluation work than we allow: stop interpreting."""


class _Return(Exception):
    def __init__(self, value: Any):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Raise(Exception):
    """A ``raise`` statement on the path: the rest of that path never runs."""


class ModuleRef:
    """A dotted name imported from a library module, e.g. ``keras.layers.Dense``."""

    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = path

    def child(self, name: str) -> "ModuleRef":
        return ModuleRef(f"{self.path}.{name}")

    def __repr__(self) -> str:
        return f"ModuleRef({self.path})"


class Arg:
    """An argument of a call: its value, the expression that produced it, its ``name=`` keyword."""

    __slots__ = ("value", "node", "keyword")

    def __init__(self, value: Any, node: ast.AST | None, keyword: ast.keyword | None = None):
        self.value = value
        self.node = node
        self.keyword = keyword

    @property
    def at(self) -> ast.AST | None:
        """Where the argument starts: the keyword for ``name=value``, else the value."""
        return self.keyword if self.keyword is not None else self.node


class Obj:
    """Base of every interpreted object with behaviour (layers, models, pipelines…)."""

    __slots__ = ()  # subclasses that declare slots (layers, tensors) then have no instance dictionary

    def get_attr(self, it: "Interpreter", name: str, node: ast.AST) -> Any:
        return UNKNOWN

    def set_attr(self, it: "Interpreter", name: str, value: Any, node: ast.AST) -> None:
        return None

    def call(self, it: "Interpreter", args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        return UNKNOWN

    def call_method(self, it: "Interpreter", name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        value = self.get_attr(it, name, node)
        return it.call_value(value, args, kwargs, node)

    def get_item(self, it: "Interpreter", key: Any, node: ast.AST) -> Any:
        return UNKNOWN

    def iterate(self, it: "Interpreter") -> list[Any] | None:
        """The items a ``for`` loop sees, or None when unknown."""
        return None

    def binop(self, it: "Interpreter", op: ast.operator, other: Any, reflected: bool, node: ast.AST) -> Any:
        return UNKNOWN


# The keywords UserFunction's walk looks for: a function whose source has none of them needs no walk.
_SCOPE_WORDS = ("yield", "global", "nonlocal")


class UserFunction(Obj):
    """A function or lambda defined in the interpreted code."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, closure: "Env", module: "ModuleCtx",
                 defaults: list[Any], kw_defaults: list[Any]):
        self.node = node
        self.closure = closure
        self.module = module
        self.defaults = defaults
        self.kw_defaults = kw_defaults
        self.name = getattr(node, "name", "<lambda>")
        body = node.body if isinstance(node.body, list) else [node.body]
        self.is_generator = False
        self.global_names: set[str] = set()
        self.nonlocal_names: set[str] = set()
        if not module.source_mentions(node, _SCOPE_WORDS):
            return  # no yield, global or nonlocal in its text: nothing for the walk to find
        for stmt in body:  # one walk: function definitions are re-made whenever a def or lambda runs
            for sub in _walk_local(stmt):
                if isinstance(sub, (ast.Yield, ast.YieldFrom)):
                    self.is_generator = True
                elif isinstance(sub, ast.Global):
                    self.global_names.update(sub.names)
                elif isinstance(sub, ast.Nonlocal):
                    self.nonlocal_names.update(sub.names)

    def get_attr(self, it: "Interpreter", name: str, node: ast.AST) -> Any:
        return self.name if name == "__name__" else UNKNOWN

    def call(self, it: "Interpreter", args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        return it.call_function(self, args, kwargs, node)


class Builtin(Obj):
    def __init__(self, name: str, func: Callable[..., Any]):
        self.name = name
        self.func = func

    def call(self, it: "Interpreter", args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        return self.func(it, args, kwargs, node)



class Env:
    """One scope: a function's locals or a module's globals."""

    __slots__ = ("vars", "parent", "module", "globals_decl", "nonlocals_decl", "locs")

    def __init__(self, parent: "Env | None", module: "ModuleCtx | None"):
        self.vars: dict[str, Any] = {}
        self.parent = parent
        self.module = module
        self.globals_decl: set[str] = set()
        self.nonlocals_decl: set[str] = set()
        self.locs: dict[str, tuple[ast.AST, ModuleCtx]] = {}
        """The statement (and its module) where each module-level name was last assigned, for
        facts such as nb_classes: made a Location only when asked (:meth:`location`)."""

    def chain(self) -> list["Env"]:
        envs: list[Env] = []
        env: Env | None = self
        while env is not None and len(envs) < 64:
            envs.append(env)
            env = env.parent
        return envs

    def lookup(self, name: str) -> Any:
        # The scopes of chain(), walked without building its list: this runs for every name.
        env: Env | None = self
        depth = 0
        while env is not None and depth < 64:
            found = env.vars.get(name, _MISSING)
            if found is not _MISSING or name in env.vars:
                return found
            env = env.parent
            depth += 1
        return _MISSING

    def owner(self, name: str) -> "Env | None":
        env: Env | None = self
        depth = 0
        while env is not None and depth < 64:
            if name in env.vars:
                return env
            env = env.parent
            depth += 1
        return None

    def root(self) -> "Env":
        return self.chain()[-1]

    def location(self, name: str) -> Location | None:
        """Where the module-level name ``name`` was last assigned."""
        where = self.locs.get(name)
        return location_of(*where) if where is not None else None


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ModuleCtx:
    """One source file being interpreted."""

    def __init__(self, path: str, text: str, tree: ast.Module, name: str):
        self.path = path
        self.text = text
        self.lines = text.splitlines()
        self.ascii = text.isascii()
        self._ast_lines: list[bytes] | None = None
        self._source_lines: list[str] | None = None
        self.tree = tree
        self.name = name
        self.env: Env = Env(None, self)
        self.env.vars["__name__"] = name
        self.env.vars["__file__"] = path

    def segment(self, node: ast.AST | None) -> str:
        """The source text of a node (one line at most, trimmed), for messages."""
        if node is None:
            return ""
        text = self._segment_text(node)
        text = " ".join(text.split())
        return text if len(text) <= 120 else text[:117] + "..."

    def source_mentions(self, node: ast.AST, words: tuple[str, ...]) -> bool:
        """Whether any of ``words`` occurs in the source lines of ``node`` (True when its lines are not known)."""
        text = self._node_lines(node)
        return text is None or any(word in text for word in words)

    def source_words(self, node: ast.AST) -> set[str] | None:
        """The identifiers written in the lines of ``node``: a superset of the names its syntax
        tree holds. None when the lines are not known, or not ASCII (the parser normalises
        non-ASCII identifiers, so the text may spell a name differently)."""
        text = self._node_lines(node) if self.ascii else None
        return None if text is None else set(_WORD.findall(text))

    def _node_lines(self, node: ast.AST) -> str | None:
        """The whole lines ``node`` spans, by ast's own line breaks; None when not known."""
        start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        lines = self._ast_split()
        if start is None or end is None or not 1 <= start <= end <= len(lines):
            return None
        return "\n".join(lines[start - 1:end])

    def _ast_split(self) -> list[str]:
        if self._source_lines is None:
            self._source_lines = re.split(r"\r\n|\r|\n", self.text)  # ast's own line breaks
        return self._source_lines

    def _segment_text(self, node: ast.AST) -> str:
        # ast.get_source_segment re-splits the whole file on every call: quadratic on big scripts.
        start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        col, end_col = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
        if self._ast_lines is None:
            self._ast_lines = [line.encode("utf-8", "replace") for line in self._ast_split()]
        lines = self._ast_lines
        if None in (start, end, col, end_col) or not 1 <= start <= end <= len(lines):
            return ""
        if start == end:
            raw = lines[start - 1][col:end_col]
        else:
            raw = b"\n".join([lines[start - 1][col:], *lines[start:end - 1], lines[end - 1][:end_col]])
        return raw.decode("utf-8", "replace")

    def column(self, line: int, col_offset: int) -> int:
        """1-based character column from ast's UTF-8 byte offset."""
        if 1 <= line <= len(self.lines):
            text = self.lines[line - 1]
            if self.ascii:  # one byte per character
                return min(col_offset, len(text)) + 1
            raw = text.encode("utf-8")[:col_offset]
            return len(raw.decode("utf-8", "replace")) + 1
        return col_offset + 1


def location_of(node: ast.AST | None, ctx: ModuleCtx) -> Location:
    """The Location of ``node`` in the module ``ctx``: its line and 1-based character column."""
    line = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    if line is None:
        return Location(ctx.path)
    return Location(ctx.path, line=line, column=ctx.column(line, col or 0))


def _walk_local(node: ast.AST) -> Iterable[ast.AST]:
    """ast.walk that does not descend into nested functions, lambdas and classes."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                stack.append(child)


def assigned_names(stmts: Iterable[ast.AST]) -> set[str]:
    """Names bound anywhere in these statements (not inside nested functions)."""
    names: set[str] = set()
    for stmt in stmts:
        for sub in _walk_local(stmt):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                names.add(sub.id)
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(sub.name)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                for alias in sub.names:
                    names.add((alias.asname or alias.name).split(".")[0])
    return names


class _Bind:
    """A pseudo-statement for speculative loops: bind the loop target first."""

    def __init__(self, target: ast.expr, value: Any):
        self.target = target
        self.value = value


class _UnknownSlice:
    def __repr__(self) -> str:
        return "UNKNOWN_SLICE"


UNKNOWN_SLICE: Any = _UnknownSlice()
"""A slice whose bounds are unknown (``layers[:n]`` with n unknown)."""


class _LazyRange(list):
    """A huge range iterated lazily: the loop stops at the iteration cap."""

    def __init__(self, value: range):
        super().__init__()
        self._range = value

    def __iter__(self):  # type: ignore[override]
        return iter(self._range)

    def __len__(self) -> int:
        return len(self._range)


class SiblingModule(Obj):
    """A module of the user's project (``import Net``)."""

    def __init__(self, ctx: ModuleCtx):
        self.ctx = ctx

    def get_attr(self, it: Interpreter, name: str, node: ast.AST) -> Any:
        value = self.ctx.env.vars.get(name, _MISSING)
        return UNKNOWN if value is _MISSING else value
