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
import io
import os
import tokenize
from dataclasses import replace

from modelcheck.errors import InputError, NoSetup
from modelcheck.limits import MAX_MODULE_BYTES, MAX_MODULE_DEPTH, MAX_SCRIPT_BYTES, MAX_SCRIPT_TOKENS, script_tokens
from modelcheck.ir import Location, TrainingSetup
from modelcheck.readers.script.core.interpreter import BudgetExceeded, Interpreter, ModuleCtx
from modelcheck.readers.script.core.sizes import forget_weights
from modelcheck.readers.script.keras_api.export import build_setup, fold_model_ops
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


def _module_loader(world: World, main_path: str, project_files: dict[str, str] | None):
    base = os.path.dirname(main_path)

    def load(dotted: str) -> ModuleCtx | None:
        parts = dotted.split(".")
        if not all(part.isidentifier() for part in parts) or parts[0] in _LIBRARIES:
            return None
        if world.module_depth >= MAX_MODULE_DEPTH:
            return None
        relative = "/".join(parts)
        text: str | None = None
        for candidate in (relative + ".py", relative + "/__init__.py"):
            if project_files is not None and candidate in project_files:
                text, relative = project_files[candidate], candidate
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
            tree = parse_source(text, relative)
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

    ``text`` is the source (read from ``path`` when None). Sibling modules the
    script imports (``from Net import MVGG16``) are read from ``project_files``
    ({module file name: text}) first, then from the script's folder.
    Raises InputError (syntax errors, undecodable files, null bytes) and NoSetup
    (no Keras at all, or nothing to check on the executed path).
    """
    return _read(path, text, project_files)[0]


def _read(path: str, text: str | None, project_files: dict[str, str] | None) -> tuple[TrainingSetup, World]:
    if text is None:
        size = os.path.getsize(path)
        if size > MAX_SCRIPT_BYTES:
            raise InputError(f"file is {size} bytes, over the {MAX_SCRIPT_BYTES}-byte bound for scripts")
        with open(path, "rb") as handle:
            text = _decode(handle.read(MAX_SCRIPT_BYTES + 1))
    tree = parse_source(text, path)
    world = World(path)
    main = ModuleCtx(path, text, tree, "__main__")
    interpreter = Interpreter(world, main, _module_loader(world, path, project_files))
    interpreter.modules[os.path.splitext(os.path.basename(path))[0]] = None  # a script importing itself
    truncated = False
    try:
        interpreter.run_module(main)
    except BudgetExceeded:
        truncated = True  # keep what was learnt before the budget ran out
    except RecursionError:
        truncated = True
    finally:
        forget_weights()
    setup = build_setup(world, path, text, truncated=truncated)
    notes = getattr(interpreter, "incomplete_notes", {})
    if notes:
        incomplete = tuple(
            (f"{what} is built here: too large to analyse, so it is treated as unknown and findings that depend on it may be missing", Location(where, line=line))
            for (where, line), what in sorted(notes.items(), key=lambda item: (item[0][0], item[0][1] or 0))[:20]
        )
        setup = replace(setup, incomplete=incomplete)
    return setup, world


def read_project(paths: list[str]) -> dict[str, TrainingSetup | Exception]:
    """Read several scripts; each becomes its own setup.

    A predict-only script's 'predict' pipeline is also attached to the training
    setups of the same folder (so a rule can compare predict.py with train.py):
    to those that save the model file it loads when that link is visible, else
    to all of them. Returns {path: setup, or the InputError/NoSetup/OSError
    reading it raised}.
    """
    results: dict[str, TrainingSetup | Exception] = {}
    worlds: dict[str, World] = {}
    for path in paths:
        try:
            results[path], worlds[path] = _read(path, None, None)
        except (InputError, NoSetup, OSError) as error:
            results[path] = error
    setups = {p: s for p, s in results.items() if isinstance(s, TrainingSetup)}
    trainers: dict[str, list[str]] = {}  # folder -> training scripts in it
    for p, s in setups.items():
        if s.fits or s.compiles:
            trainers.setdefault(os.path.dirname(os.path.abspath(p)), []).append(p)
    for path, setup in setups.items():
        if setup.fits or setup.pipeline("predict") is None:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        mates = [p for p in trainers.get(folder, ()) if p != path]
        linked = [p for p in mates if worlds[p].saves & worlds[path].loads]
        predictions = tuple(pipeline for pipeline in setup.pipelines if pipeline.role == "predict")
        for mate in linked or mates:
            current = results[mate]
            assert isinstance(current, TrainingSetup)
            ops = getattr(worlds[mate], "model_ops", ())
            extra = tuple(
                replace(pipeline, scaling=fold_model_ops(pipeline.scaling, ops)) if ops else pipeline
                for pipeline in predictions
                if pipeline not in current.pipelines
            )
            results[mate] = replace(current, pipelines=current.pipelines + extra)
    return results


__all__ = ["read_script", "read_project", "parse_source"]
