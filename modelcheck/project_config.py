"""Project settings: ``[tool.modelcheck]`` in the nearest ``pyproject.toml``.

```toml
[tool.modelcheck]
select = ["MC1", "MC2"]            # codes or prefixes (default: all)
extend-select = ["MC4"]
ignore = ["MC402"]
per-file-ignores = { "legacy/*.py" = ["MC402"], "experiments/**" = ["MC2"] }
fail-on = "error"                  # error | warning | info
exclude = ["notebooks/*", "third_party/*"]
pretrained = true                  # backbones in saved files carry ImageNet weights
thresholds = { oversized-head-params = 8_000_000 }
```

The nearest ``pyproject.toml`` holding a ``[tool.modelcheck]`` table is found by
searching upwards from the first path checked, then from the working
directory; ``--config FILE`` names one instead (a ``pyproject.toml``, or any TOML
file whose top level holds these keys). Globs are relative to that file's
folder. Command-line flags override every setting.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable

from modelcheck.findings import Severity
from modelcheck.settings import DEFAULT_THRESHOLDS, Settings

# A settings file is a few hundred bytes; a discovered one may be anything at all.
MAX_CONFIG_BYTES = 1024 * 1024
MAX_CONFIG_DEPTH = 64
# Thresholds are parameter counts and ratios: a number beyond this is a typo or an attack.
MAX_THRESHOLD = 1e15
KEYS = ("select", "extend-select", "ignore", "extend-ignore", "per-file-ignores", "fail-on", "exclude", "pretrained", "thresholds")


class ConfigError(Exception):
    """A project configuration that cannot be used (a usage error: exit code 2)."""


def find_project_config(paths: Iterable[str] = (), cwd: str | None = None) -> Path | None:
    """The nearest pyproject.toml with a [tool.modelcheck] table, above the first path or the CWD."""
    starts: list[Path] = []
    first = next(iter(paths), None)
    if first:
        path = _resolved(first)
        starts.append(path if _is_dir(path) else path.parent)
    starts.append(_resolved(cwd or os.getcwd()))
    for start in starts:
        for folder in (start, *start.parents):
            candidate = folder / "pyproject.toml"
            if _is_file(candidate) and _has_table(candidate):
                return candidate
    return None


def _resolved(path: str) -> Path:
    """The absolute, symlink-free path; a symlink loop (``ln -s a.py a.py``) stays as named."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError, ValueError):  # RuntimeError: "Symlink loop" before Python 3.13
        return Path(os.path.abspath(path))


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def load_settings(config: str | None = None, paths: Iterable[str] = (), base: Settings | None = None) -> Settings:
    """Settings from ``config`` (or the nearest pyproject.toml); defaults when there is none."""
    paths = list(paths)
    settings = base or Settings()
    if config is not None:
        source = Path(config)
        if not _is_file(source):
            raise ConfigError(f"--config {config}: no such file")
        document = _read_toml(source)
        table = _tool_table(document)
        if table is None:
            if source.name == "pyproject.toml":
                raise ConfigError(f"{source}: no [tool.modelcheck] table")
            table = document
    else:
        found = find_project_config(paths)
        if found is None:
            return settings
        source, table = found, _tool_table(_read_toml(found)) or {}
    return settings_from_table(table, source, settings)


def settings_from_table(table: dict[str, Any], source: Path, base: Settings | None = None) -> Settings:
    """Validate a [tool.modelcheck] table and apply it to ``base``."""
    settings = base or Settings()
    where = f"[tool.modelcheck] in {source}"
    changes: dict[str, Any] = {"config_file": str(source)}
    normalised: dict[str, Any] = {}
    for key, value in table.items():
        name = str(key).replace("_", "-")
        if name not in KEYS:
            from modelcheck.readers.config.schema import suggest

            raise ConfigError(f"unknown setting '{key}' in {where}{suggest(name, KEYS)}; known settings: {', '.join(KEYS)}")
        normalised[name] = value
    root = _resolved(str(source)).parent
    if "select" in normalised:
        changes["select"] = _codes(normalised["select"], "select", where)
    if "extend-select" in normalised:
        changes["select"] = tuple(changes.get("select", settings.select)) + _codes(normalised["extend-select"], "extend-select", where)
    if "ignore" in normalised:
        changes["ignore"] = _codes(normalised["ignore"], "ignore", where)
    if "extend-ignore" in normalised:
        changes["ignore"] = tuple(changes.get("ignore", settings.ignore)) + _codes(normalised["extend-ignore"], "extend-ignore", where)
    if "fail-on" in normalised:
        value = normalised["fail-on"]
        try:
            changes["fail_on"] = Severity.parse(value) if isinstance(value, str) else Severity.parse("?")
        except ValueError:
            raise ConfigError(f"fail-on in {where} must be \"error\", \"warning\" or \"info\", not {_shown(value)}") from None
    if "exclude" in normalised:
        changes["exclude"] = tuple(p for pattern in _strings(normalised["exclude"], "exclude", where) for p in _glob_variants(pattern, root, anywhere=True))
    if "per-file-ignores" in normalised:
        changes["per_file_ignores"] = _per_file_ignores(normalised["per-file-ignores"], root, where)
    if "pretrained" in normalised:
        if not isinstance(normalised["pretrained"], bool):
            raise ConfigError(f"pretrained in {where} must be true or false, not {_shown(normalised['pretrained'])}")
        changes["assume_pretrained"] = normalised["pretrained"] or None
    if "thresholds" in normalised:
        changes["thresholds"] = {**settings.thresholds, **_thresholds(normalised["thresholds"], where)}
    return replace(settings, **changes)


def _has_table(path: Path) -> bool:
    try:
        return _tool_table(_read_toml(path)) is not None
    except ConfigError:
        return True  # report the broken file rather than silently skipping it


def _read_toml(path: Path) -> dict[str, Any]:
    """A TOML document, read as untrusted input: bounded size and nesting, UTF-8 only.

    Every failure is a ConfigError naming the file and the reason (exit 2): the
    discovered pyproject.toml may be a FIFO, a 2 GB sparse file, UTF-16 or
    nested 2000 deep.
    """
    try:
        import tomllib  # type: ignore[import-not-found]
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    from modelcheck.filetypes import open_regular_file
    from modelcheck.errors import InputError

    try:
        with open_regular_file(str(path)) as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except InputError as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: over the {MAX_CONFIG_BYTES}-byte bound for settings files")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        encoding = " (it looks like UTF-16)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise ConfigError(f"{path}: not UTF-8 text{encoding}: TOML files are UTF-8 (byte {error.start})") from None
    depth = _bracket_depth(text)
    if depth > MAX_CONFIG_DEPTH:
        raise ConfigError(f"{path}: nested deeper than {MAX_CONFIG_DEPTH} levels")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except (ValueError, RecursionError, MemoryError) as error:  # e.g. an integer of more than 4300 digits
        raise ConfigError(f"{path}: cannot read TOML: {type(error).__name__}: {' '.join(str(error).split())[:200]}") from None


def _bracket_depth(text: str) -> int:
    """An upper bound of the nesting of arrays and inline tables (brackets in strings count too)."""
    from modelcheck.readers.model.json_text import json_depth

    return json_depth(text.replace("{", "[").replace("}", "]").encode("utf-8", "replace"))


def _tool_table(document: dict[str, Any]) -> dict[str, Any] | None:
    tool = document.get("tool")
    table = tool.get("modelcheck") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _strings(value: Any, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{key} in {where} must be a list of strings, not {_shown(value)}")
    return value


def _codes(value: Any, key: str, where: str) -> tuple[str, ...]:
    """Rule codes, code prefixes ('MC2', 'MC20') or rule names; 'ALL' selects every rule."""
    from modelcheck.codes import UnknownCodeError, resolve_all

    try:
        return resolve_all(_strings(value, key, where), f"{key} in {where}")
    except UnknownCodeError as error:
        raise ConfigError(str(error)) from None


def _per_file_ignores(value: Any, root: Path, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"per-file-ignores in {where} must be a table of glob = [codes], not {_shown(value)}")
    pairs: list[tuple[str, tuple[str, ...]]] = []
    for pattern, codes in value.items():
        checked = _codes(codes, f"per-file-ignores.\"{pattern}\"", where)
        # Rooted at the folder of the file that declares it: the same files are ignored
        # whatever the working directory (the engine matches absolute paths against it).
        pattern = str(pattern)
        pairs.append((pattern if os.path.isabs(pattern) else (root / pattern).as_posix(), checked))
    return tuple(pairs)


def _glob_variants(pattern: str, root: Path, anywhere: bool = False) -> list[str]:
    """A glob relative to the config's folder, in the forms that match the paths modelcheck shows.

    Paths are shown relative to the working directory (as given when outside it), so the
    pattern is also re-rooted at the working directory, and given absolutely. ``anywhere``
    adds ``*/pattern`` for the directory walk, whose paths start with the folder named.
    fnmatch's ``*`` crosses ``/`` and the engine also tries ``*/pattern``, so a re-rooted
    pattern that would start with a wildcard (run from inside the folder it names) is left
    out: it would match every path.
    """
    if os.path.isabs(pattern):
        return [pattern]
    variants = [pattern, (root / pattern).as_posix()]
    if anywhere and not pattern.startswith("*"):
        variants.append(f"*/{pattern}")
    try:
        relative = Path(os.path.relpath(root / pattern)).as_posix()
    except ValueError:  # another drive on Windows
        relative = pattern
    if not relative.startswith(("..", "*", "?", "[")):
        variants.append(relative)
    return list(dict.fromkeys(variants))


def _thresholds(value: Any, where: str) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ConfigError(f"thresholds in {where} must be a table, not {_shown(value)}")
    result: dict[str, float] = {}
    for key, number in value.items():
        name = str(key).replace("-", "_")
        if name not in DEFAULT_THRESHOLDS:
            from modelcheck.readers.config.schema import suggest

            known = [k.replace("_", "-") for k in DEFAULT_THRESHOLDS]
            raise ConfigError(f"unknown threshold '{key}' in {where}{suggest(str(key).replace('_', '-'), known)}; known: {', '.join(known)}")
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not 0 < number <= MAX_THRESHOLD:
            raise ConfigError(f"threshold '{key}' in {where} must be a positive number up to {MAX_THRESHOLD:g}, not {_shown(number)}")
        result[name] = float(number)
    return result


def _shown(value: Any) -> str:
    """``repr`` for a message, bounded: a 4000-hex-digit integer has no decimal repr (ValueError)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    try:
        text = repr(value)
    except ValueError:
        return f"a {type(value).__name__} too large to show"
    return text if len(text) <= 200 else text[:197] + "..."
