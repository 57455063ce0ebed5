"""From command-line paths to TrainingSetups: file discovery and reader dispatch.

Unreadable inputs become MC001 findings and inputs without a training setup
MC002 findings (only when named explicitly); nothing here raises for bad input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from modelcheck.engine import report
from modelcheck.errors import InputError, NoSetup
from modelcheck.findings import Finding
from modelcheck.ir import Location, TrainingSetup

MODEL_SUFFIXES = {".keras", ".h5", ".hdf5"}
SCRIPT_SUFFIXES = {".py"}
CONFIG_SUFFIXES = {".yaml", ".yml", ".toml", ".json"}
KNOWN_SUFFIXES = MODEL_SUFFIXES | SCRIPT_SUFFIXES | CONFIG_SUFFIXES
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "env", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache", "site-packages", "build", "dist"}
MAX_TEXT_BYTES = 10 * 1024 * 1024


@dataclass
class Loaded:
    """What reading the inputs produced: setups to check and findings about the inputs."""

    setups: list[TrainingSetup] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def discover(paths: list[str], exclude: tuple[str, ...] = ()) -> tuple[list[tuple[str, bool]], list[Finding]]:
    """Expand paths into (file, named_explicitly) pairs, sorted, each once."""
    import fnmatch

    found: dict[str, bool] = {}
    problems: list[Finding] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            problems.append(report("MC001", "no such file or directory", Location(raw)))
            continue
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for name in sorted(files):
                    full = os.path.join(root, name)
                    if Path(name).suffix.lower() in KNOWN_SUFFIXES and not os.path.islink(full):
                        if not any(fnmatch.fnmatch(full, pattern) or fnmatch.fnmatch(name, pattern) for pattern in exclude):
                            found.setdefault(_display(full), False)
        else:
            found[_display(raw)] = True
    return sorted(found.items()), problems


def _display(path: str) -> str:
    """A path as users will want to see it: relative to the CWD when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def load(paths: list[str], exclude: tuple[str, ...] = (), assume_pretrained: bool | None = None) -> Loaded:
    """Read every input; never raises for bad input."""
    files, problems = discover(paths, exclude)
    loaded = Loaded(findings=problems, files=[name for name, _ in files])
    scripts: list[tuple[str, bool]] = []
    for name, explicit in files:
        kind = _kind(name)
        if kind == "script":
            scripts.append((name, explicit))
            continue
        _read_one(loaded, name, explicit, lambda n=name, k=kind: _read_file(n, k))
    if scripts:
        _read_scripts(loaded, scripts)
    return loaded


def _kind(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in MODEL_SUFFIXES:
        return "model"
    if suffix in SCRIPT_SUFFIXES:
        return "script"
    if suffix in CONFIG_SUFFIXES:
        return "config"
    return "unknown"


def _read_file(name: str, kind: str) -> TrainingSetup:
    path = Path(name)
    if path.is_dir():
        raise InputError("is a directory")
    if kind == "model":
        from modelcheck.readers.keras_file import read_model_file

        return read_model_file(name)
    if kind == "config":
        return _read_structured(name)
    # An unknown suffix named explicitly: sniff model files by content.
    from modelcheck.readers.keras_file import read_model_file

    return read_model_file(name)


def _read_structured(name: str) -> TrainingSetup:
    """A .json/.yaml/.toml file: a Keras model JSON or a training config."""
    data = _read_bytes(name)
    if name.lower().endswith(".json"):
        from modelcheck.readers.keras_file import load_json, looks_like_model_config, read_model_json

        head = data.lstrip()[:1]
        if head in (b"{", b"["):
            try:
                parsed = load_json(data, "JSON file")
            except UnicodeDecodeError:
                raise InputError("not UTF-8 text") from None
            if looks_like_model_config(parsed):
                return read_model_json(name, data)
    from modelcheck.readers.training_config import read_training_config

    return read_training_config(name, data)


def _read_bytes(name: str) -> bytes:
    size = os.path.getsize(name)
    if size > MAX_TEXT_BYTES:
        raise InputError(f"file is {size} bytes, over the {MAX_TEXT_BYTES}-byte bound for text inputs")
    with open(name, "rb") as handle:
        return handle.read(MAX_TEXT_BYTES + 1)


def _read_scripts(loaded: Loaded, scripts: list[tuple[str, bool]]) -> None:
    from modelcheck.readers.script import read_project

    names = [name for name, _ in scripts]
    explicit = dict(scripts)
    for name, outcome in read_project(names).items():
        _read_one(loaded, name, explicit[name], lambda o=outcome: _raise_or_return(o))


def _raise_or_return(outcome: TrainingSetup | Exception) -> TrainingSetup:
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _read_one(loaded: Loaded, name: str, explicit: bool, read) -> None:
    try:
        loaded.setups.append(read())
    except NoSetup as why:
        if explicit:
            loaded.findings.append(report("MC002", str(why) or "no Keras model or training setup found", Location(name)))
    except InputError as error:
        loaded.findings.append(report("MC001", str(error), Location(name, line=error.line, column=error.column, key=error.key)))
    except PermissionError:
        loaded.findings.append(report("MC001", "permission denied", Location(name)))
    except OSError as error:
        loaded.findings.append(report("MC001", f"cannot read: {error.strerror or error}", Location(name)))
    except RecursionError:
        loaded.findings.append(report("MC001", "input is nested too deeply to read", Location(name)))
    except MemoryError:
        loaded.findings.append(report("MC001", "input too large to read", Location(name)))
    except Exception as error:  # noqa: BLE001 - a reader bug must not hide the other inputs' findings
        loaded.findings.append(
            report("MC001", f"internal error while reading ({type(error).__name__}: {error}); please report it", Location(name))
        )
