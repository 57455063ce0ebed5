"""Read a Python training script into the IR, statically (``ast`` only; never run).

:func:`read_script` interprets the script abstractly (``script_eval``) in the Keras
world of ``script_world`` (layers and models in ``script_keras``/``script_backbone``,
training calls in ``script_train``, pipelines in ``script_data``); ``script_export``
turns what it saw into a :class:`TrainingSetup`. :func:`read_project` reads the
scripts of a project and lets a predict-only script's pipeline be compared with the
training script of the same folder.
"""

from __future__ import annotations

import ast
import gc
import io
import os
import tokenize
from dataclasses import dataclass, replace
from typing import Any, Iterator

from modelcheck.errors import InputError, NoSetup
from modelcheck.limits import MAX_MODULE_BYTES, MAX_MODULE_DEPTH, MAX_SCRIPT_BYTES, MAX_SCRIPT_TOKENS, script_tokens
from modelcheck.ir import Gap, Location, TrainingSetup
from modelcheck.readers.script.core.interpreter import BudgetExceeded, Interpreter, ModuleCtx, UserFunction
from modelcheck.readers.script.core.sizes import forget_weights
from modelcheck.readers.script.keras_api.export import build_setups, fold_model_ops
from modelcheck.readers.script.keras_api.world import World

# Top-level modules that are libraries, never the user's sibling files.
_LIBRARIES = {
    "keras", "tensorflow", "tf_keras", "numpy", "os", "sys", "cv2", "PIL", "matplotlib", "sklearn", "pandas",
    "scipy", "math", "time", "json", "re", "random", "glob", "shutil", "h5py", "argparse", "collections",
    "itertools", "functools", "pathlib", "typing", "datetime", "pickle", "warnings", "logging", "tqdm",
    "seaborn", "skimage", "imageio", "torch", "albumentations", "csv", "copy", "subprocess", "zipfile",
}


# -- entry points ----------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputError("file contains a null byte: not Python source", line=line)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as error:
        raise InputError(f"cannot decode the file as Python source: {error}") from None


def parse_source(text: str, path: str) -> ast.Module:
    """``ast.parse`` with every failure turned into an InputError carrying the line."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError("file contains a null byte: not Python source", line=line)
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as error:
        column = error.offset if isinstance(error.offset, int) and error.offset > 0 else None
        raise InputError(f"syntax error: {error.msg}", line=error.lineno, column=column) from None
    except (RecursionError, MemoryError):
        raise InputError("the source is nested too deeply to parse") from None
    except ValueError as error:
        raise InputError(f"cannot parse the source: {error}") from None


class _Trees:
    """Syntax trees of the folder being read, by file: a sibling module that ``train.py``
    imports (``Net.py``) is often a script of the project too, and is then parsed once.
    Trees are never changed by the interpreter, so one tree serves every reader."""

    def __init__(self) -> None:
        self.folder: str | None = None
        self.trees: dict[str, tuple[str, ast.Module]] = {}

    def enter(self, script: str) -> None:
        """Keep only the trees of ``script``'s folder: a thousand trees held would slow every collection."""
        folder = os.path.dirname(os.path.abspath(script))
        if folder != self.folder:
            self.folder, self.trees = folder, {}

    def parse(self, path: str, text: str, filename: str) -> ast.Module:
        """``parse_source(text, filename)``, or the tree already made of this text of ``path``."""
        key = os.path.abspath(path)
        known = self.trees.get(key)
        if known is not None and known[0] == text:
            return known[1]
        tree = parse_source(text, filename)
        self.trees[key] = (text, tree)
        return tree


def _module_loader(world: World, main_path: str, project_files: dict[str, str] | None, trees: _Trees | None = None):
    base = os.path.dirname(main_path)

    def load(dotted: str) -> ModuleCtx | None:
        parts = dotted.split(".")
        if not all(part.isidentifier() for part in parts) or parts[0] in _LIBRARIES:
            return None
        if world.module_depth >= MAX_MODULE_DEPTH:
            return None
        relative = "/".join(parts)
        text: str | None = None
        full: str | None = None
        for candidate in (relative + ".py", relative + "/__init__.py"):
            if project_files is not None and candidate in project_files:
                text, relative, full = project_files[candidate], candidate, None
                break
            full = os.path.join(world.script_dir, candidate)
            if os.path.isfile(full):
                try:
                    if os.path.getsize(full) > MAX_MODULE_BYTES:
                        return None
                    with open(full, "rb") as handle:
                        text = _decode(handle.read(MAX_MODULE_BYTES + 1))
                except (OSError, InputError):
                    return None
                relative = candidate
                break
        if text is None:
            return None

        if len(text) > MAX_SCRIPT_TOKENS and script_tokens(text.encode("utf-8", "replace"), MAX_SCRIPT_TOKENS) > MAX_SCRIPT_TOKENS:
            return None  # parsing it would take gigabytes: the import stays unknown
        try:
            # The script itself reached under another name gets a tree of its own, as it always has:
            # the interpreter tells functions apart by their syntax nodes.
            shared = trees is not None and full is not None and os.path.abspath(full) != os.path.abspath(main_path)
            tree = trees.parse(full, text, relative) if shared else parse_source(text, relative)
        except InputError:
            return None
        return ModuleCtx(os.path.join(base, relative) if base else relative, text, tree, dotted)

    def counted(dotted: str) -> ModuleCtx | None:
        world.module_depth += 1
        try:
            return load(dotted)
        finally:
            world.module_depth -= 1

    return counted


def read_script(path: str, text: str | None = None, *, project_files: dict[str, str] | None = None) -> TrainingSetup:
    """Read a Python training script into a TrainingSetup, without running it.

    The setup is that of the model the script trains last; :func:`read_script_setups`
    gives every model's. ``text`` is the source (read from ``path`` when None). Sibling
    modules the script imports (``from Net import MVGG16``) are read from ``project_files``
    ({module file name: text}) first, then from the script's folder.
    Raises InputError (syntax errors, undecodable files, null bytes) and NoSetup
    (no Keras at all, or nothing to check on the executed path).
    """
    return _read(path, text, project_files)[0][0]


def read_script_setups(path: str, text: str | None = None, *, project_files: dict[str, str] | None = None) -> tuple[TrainingSetup, ...]:
    """Every setup of a script: one per model it compiles, fits, saves or returns (the one
    trained last first). Same arguments and errors as :func:`read_script`."""
    return tuple(_read(path, text, project_files)[0])


# Calls that show a function builds, compiles or trains a model.
_MODEL_CALLS = {"compile", "fit", "fit_generator", "train_on_batch", "Sequential", "Model"}


def _nodes(root: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``root`` in ``ast.walk``'s order, without its per-node generator:
    the entry-point search stops at the first node that answers its question."""
    found = [root]
    index = 0
    node_type = ast.AST
    while index < len(found):
        node = found[index]
        index += 1
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, node_type):
                found.append(value)
            elif isinstance(value, list):
                found.extend([item for item in value if isinstance(item, node_type)])


def _builds_model(root: ast.AST, world: World) -> bool:
    for node in _nodes(root):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name is not None and (name in _MODEL_CALLS or world.is_backbone_name(name)):
                return True
    return False


def _may_build_model(words: set[str], world: World) -> bool:
    return not words.isdisjoint(_MODEL_CALLS) or any(world.is_backbone_name(word) for word in words)


def _entry_points(interpreter: Interpreter, main: ModuleCtx, world: World) -> list[UserFunction]:
    """Module-level functions that build, compile or fit a model and that the script never
    calls (``def train(args)`` run by ``main.py``, ``fire``, ``click``): callers before callees.

    The text of a function is read first: a syntax walk is needed only where the names
    it asks about are written."""
    body = {id(stmt) for stmt in main.tree.body}
    found: dict[int, UserFunction] = {}
    words_of: dict[int, set[str] | None] = {}
    for value in list(main.env.vars.values()):
        if isinstance(value, UserFunction) and value.module is main and id(value.node) in body:
            if id(value.node) not in interpreter.called and id(value.node) not in found:
                words = words_of[id(value.node)] = main.source_words(value.node)
                if words is not None and not _may_build_model(words, world):
                    continue  # no name a model could be built with is written in it
                if _builds_model(value.node, world):
                    found[id(value.node)] = value
    functions = sorted(found.values(), key=lambda fn: fn.node.lineno)
    names = {fn.name for fn in functions}
    called_by_another: set[str] = set()
    for fn in functions:
        others = names - {fn.name}
        words = words_of[id(fn.node)]
        if not others or (words is not None and words.isdisjoint(others)):
            continue
        for node in _nodes(fn.node):
            if isinstance(node, ast.Name) and node.id in others:
                called_by_another.add(node.id)
    return [fn for fn in functions if fn.name not in called_by_another] + [fn for fn in functions if fn.name in called_by_another]


# The trees of the read_project call running in this process (its calls of _read keep their
# three arguments: tests and tools wrap _read).
_project_trees: _Trees | None = None


def _read(path: str, text: str | None, project_files: dict[str, str] | None) -> tuple[list[TrainingSetup], World]:
    trees = _project_trees
    if text is None:
        size = os.path.getsize(path)
        if size > MAX_SCRIPT_BYTES:
            raise InputError(f"file is {size} bytes, over the {MAX_SCRIPT_BYTES}-byte bound for scripts")
        with open(path, "rb") as handle:
            text = _decode(handle.read(MAX_SCRIPT_BYTES + 1))
    tree = trees.parse(path, text, path) if trees is not None else parse_source(text, path)
    world = World(path)
    main = ModuleCtx(path, text, tree, "__main__")
    interpreter = Interpreter(world, main, _module_loader(world, path, project_files, trees))
    interpreter.modules[os.path.splitext(os.path.basename(path))[0]] = None  # a script importing itself
    stopped: list[Gap] = []
    where, what = Location(path), "the rest of the script"
    try:
        interpreter.run_module(main)
        world.called_defs = set(interpreter.called_defs)
        world.main_marks = (len(world.compiles), len(world.fits), len(world.models))
        for fn in _entry_points(interpreter, main, world):
            if id(fn.node) not in interpreter.called:  # an earlier entry point may have called it
                where, what = interpreter.loc(fn.node, main), f"{fn.name}() (run as an entry point) and the functions after it"
                start = len(world.model_events)
                interpreter.call_function(fn, [], {}, None, rest_unknown=True)
                world.entry_defs.append(((fn.module.path, fn.node.lineno), start, len(world.model_events)))
                world.called_defs = set(interpreter.called_defs)
    except (BudgetExceeded, RecursionError) as error:
        # Keep what was learnt before the budget ran out.
        why = "the step budget ran out" if isinstance(error, BudgetExceeded) else "it nests too deeply"
        if interpreter.last_top is not None and what == "the rest of the script":
            where = interpreter.loc(interpreter.last_top, main)
        stopped.append(Gap(f"the analysis stopped here ({why}): {what} was not followed", where))
    finally:
        forget_weights()
    # One gap per place (a statement abandoned in a loop is abandoned once); where the
    # analysis stopped says so.
    found = {where: Gap(what, where) for where, what in interpreter.gaps}
    found.update((gap.location, gap) for gap in stopped)
    # Values past the size bound became unknown where they were built (at most 20 places said).
    notes = interpreter.incomplete_notes
    for (module, line), what in sorted(notes.items(), key=lambda item: (item[0][0], item[0][1] or 0))[:20]:
        place = Location(module, line=line)
        found.setdefault(place, Gap(f"{what} is built here: too large to analyse, so it is treated as unknown and findings that depend on it may be missing", place))
    gaps = tuple(found.values())
    return build_setups(world, path, text, gaps), world


def read_project(paths: list[str]) -> dict[str, tuple[TrainingSetup, ...] | Exception]:
    """Read several scripts; each model a script trains becomes a setup of its own.

    A predict-only script's 'predict' pipeline is also attached to the training
    setups of the same folder (so a rule can compare predict.py with train.py):
    to those that save the model file it loads when that link is visible, else
    to all of them. Returns {path: its setups (the model trained last first), or
    the InputError/NoSetup/OSError reading it raised}.
    """
    results: dict[str, list[TrainingSetup] | Exception] = {}
    worlds: dict[str, _Summary] = {}
    global _project_trees
    previous, _project_trees = _project_trees, _Trees()
    try:
        for path in paths:
            _project_trees.enter(path)
            try:
                results[path], world = _read(path, None, None)
            except (InputError, NoSetup, OSError) as error:
                results[path] = error
            else:
                # Keep only what linking the scripts needs: a thousand interpreters with their
                # syntax trees held to the end would make every garbage collection crawl.
                worlds[path] = _Summary.of(world)
                del world
                _free_interpreter()
    finally:
        _project_trees = previous
    _drop_entries_called_elsewhere(results, worlds)
    read = {p: s for p, s in results.items() if isinstance(s, list)}
    trainers: dict[str, list[str]] = {}  # folder -> training scripts in it
    for p, found in read.items():
        if any(s.fits or s.compiles for s in found):
            trainers.setdefault(os.path.dirname(os.path.abspath(p)), []).append(p)
    for path, found in read.items():
        if any(s.fits for s in found):
            continue
        predictions = tuple(dict.fromkeys(p for s in found for p in s.pipelines if p.role == "predict"))
        if not predictions:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        mates = [p for p in trainers.get(folder, ()) if p != path]
        linked = [p for p in mates if worlds[p].saves & worlds[path].loads]
        for mate in linked or mates:
            current = read[mate]
            for index, setup in enumerate(current):
                if not (setup.fits or setup.compiles):
                    continue
                ops = worlds[mate].setup_ops[index] if index < len(worlds[mate].setup_ops) else ()
                extra = tuple(
                    replace(pipeline, scaling=fold_model_ops(pipeline.scaling, ops)) if ops else pipeline
                    for pipeline in predictions
                    if pipeline not in setup.pipelines
                )
                current[index] = replace(setup, pipelines=setup.pipelines + extra)
    return {p: tuple(s) if isinstance(s, list) else s for p, s in results.items()}


def _free_interpreter() -> None:
    """Free the script's interpreter and syntax tree now, while they are young.

    They hold each other in cycles (world and interpreter, tensors and their nodes), so only
    the cyclic collector frees them. Left to the automatic collections, they are walked
    again and again next to the following scripts' trees: a young-generation collection
    here costs about what they hold, and halved the collector's time on 272 scripts.
    """
    if gc.isenabled():
        gc.collect(0)


@dataclass
class _Summary:
    """What :func:`read_project` needs of a script's world once it has been read."""

    saves: set[str]
    loads: set[str]
    setup_ops: list[Any]
    setup_ids: list[int]
    """id() of each setup's model, taken while the models were alive."""
    event_ids: list[int]
    entry_defs: list[tuple[tuple[str, int], int, int]]
    called_defs: set[tuple[str, int]]

    @classmethod
    def of(cls, world: World) -> "_Summary":
        return cls(world.saves, world.loads, list(world.setup_ops), [id(m) for m in world.setup_models],
                   [id(m) for m in world.model_events], world.entry_defs, world.called_defs)


def _drop_entries_called_elsewhere(results: dict[str, Any], worlds: dict[str, _Summary]) -> None:
    """Builder functions that another script of the project calls (``Net.py``'s ``MVGG16``
    imported by ``train.py``) are checked through that script, not as entry points of their own."""
    called: set[tuple[str, int]] = set()
    for path, world in worlds.items():
        here = os.path.abspath(path)
        called.update((os.path.abspath(file), line) for file, line in world.called_defs if os.path.abspath(file) != here)
    for path, world in worlds.items():
        found = results.get(path)
        if not isinstance(found, list) or not world.entry_defs:
            continue
        dropped: set[int] = set()
        for (file, line), start, end in world.entry_defs:
            if (os.path.abspath(file), line) in called:
                dropped.update(world.event_ids[start:end])
        for (file, line), start, end in world.entry_defs:  # a model another entry point also made stays
            if (os.path.abspath(file), line) not in called:
                dropped.difference_update(world.event_ids[start:end])
        if not dropped:
            continue
        kept = [(setup, ops, model) for setup, ops, model in zip(found, world.setup_ops, world.setup_ids)
                if model not in dropped]
        if not kept:
            results[path] = NoSetup("builds models only in functions that other scripts of the project call")
            continue
        results[path] = [setup for setup, _, _ in kept]
        world.setup_ops = [ops for _, ops, _ in kept]
        world.setup_ids = [model for _, _, model in kept]


__all__ = ["read_script", "read_script_setups", "read_project", "parse_source"]
