"""Parse a YAML, TOML or JSON training config into plain data plus the position of every key.

YAML is composed into nodes with PyYAML's safe loader and converted here, so
that every key keeps its line and column, no tag outside YAML's core schema is
accepted (``!!python/...`` never reaches a constructor) and alias expansion is
bounded ("billion laughs"). TOML (``tomllib``) and JSON carry no positions;
a light forward text search finds each key's line instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from modelcheck.errors import InputError

MAX_NODES = 10_000
"""Values a config may expand to, aliases counted at every use."""
MAX_DEPTH = 64
MAX_INT_BITS = 128
"""No training setting needs more (a seed, a sample count); a bigger integer breaks float() and str()."""

KeyPath = tuple[str | int, ...]
Position = tuple[int, int]
"""(line, column), both 1-based."""


@dataclass
class ConfigText:
    """A parsed config: its data, where each key path sits, and its text lines."""

    path: str
    data: Any
    fmt: str
    """'yaml', 'toml' or 'json'."""
    lines: tuple[str, ...]
    positions: dict[KeyPath, Position] = field(default_factory=dict)

    def position(self, keys: KeyPath) -> Position | None:
        """Line and column of ``keys``, or of the nearest enclosing key that has one."""
        for end in range(len(keys), 0, -1):
            found = self.positions.get(tuple(keys[:end]))
            if found is not None:
                return found
        return None


def key_text(keys: KeyPath) -> str:
    """``('model', 'head', 3, 'Dense')`` -> ``'model.head[3].Dense'``."""
    text = ""
    for part in keys:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def parse_config(path: str, data: bytes) -> ConfigText:
    """Parse by suffix: .yaml/.yml, .toml or .json. Raises InputError on malformed text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text") from None
    lines = tuple(text.splitlines())
    lowered = path.lower()
    if lowered.endswith(".toml"):
        parsed = ConfigText(path, _toml(text), "toml", lines)
        parsed.positions = locate(text, parsed.data, "toml")
    elif lowered.endswith(".json"):
        parsed = ConfigText(path, _json(text), "json", lines)
        parsed.positions = locate(text, parsed.data, "json")
    else:
        value, positions = _yaml(text)
        parsed = ConfigText(path, value, "yaml", lines, positions)
    _refuse_huge_integers(parsed)
    return parsed


def _refuse_huge_integers(parsed: ConfigText) -> None:
    """InputError at the first integer past MAX_INT_BITS: literals are bounded like computed values."""
    stack: list[tuple[Any, KeyPath]] = [(parsed.data, ())]
    for _ in range(100 * MAX_NODES):  # past this, the rules' guard still turns a failure into MC003
        if not stack:
            break
        value, keys = stack.pop()
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
            line, column = parsed.position(keys) or (None, None)
            raise InputError(
                f"an integer of {value.bit_length()} bits is too large for any training setting",
                line=line, column=column, key=key_text(keys) or None,
            )
        if isinstance(value, dict) and len(keys) < MAX_DEPTH:
            stack.extend((item, keys + (str(name),)) for name, item in value.items())
        elif isinstance(value, list) and len(keys) < MAX_DEPTH:
            stack.extend((item, keys + (index,)) for index, item in enumerate(value))


# --- YAML ----------------------------------------------------------------------------

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_CORE}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}


def _yaml(text: str) -> tuple[Any, dict[KeyPath, Position]]:
    import yaml

    try:
        # The constructor already reads the stream: control characters raise here.
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as error:
        raise InputError(f"not valid YAML: {error}") from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or str(error)
        raise InputError(f"not valid YAML: {problem}", line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None) from None
    except yaml.YAMLError as error:
        raise InputError(f"not valid YAML: {error}") from None
    finally:
        loader.dispose()
    if node is None:
        return None, {}
    converter = _YamlConverter(loader)
    return converter.value(node, (), 0), converter.positions


class _YamlConverter:
    """Node tree -> plain data, with key positions, a node budget and core tags only."""

    def __init__(self, loader: Any):
        self.constructor = loader
        self.positions: dict[KeyPath, Position] = {}
        self.visited = 0

    def value(self, node: Any, keys: KeyPath, depth: int) -> Any:
        import yaml

        self.visited += 1
        if self.visited > MAX_NODES:
            raise InputError(
                f"YAML aliases expand to more than {MAX_NODES} values (a 'billion laughs' document?); a training config is far smaller",
                line=node.start_mark.line + 1,
            )
        if depth > MAX_DEPTH:
            raise InputError(f"YAML is nested deeper than {MAX_DEPTH} levels", line=node.start_mark.line + 1)
        where = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode) and node.tag == f"{_CORE}map":
            return self._mapping(node, keys, depth)
        if isinstance(node, yaml.SequenceNode) and node.tag == f"{_CORE}seq":
            items = []
            for index, item in enumerate(node.value):
                self.positions.setdefault(keys + (index,), (item.start_mark.line + 1, item.start_mark.column + 1))
                items.append(self.value(item, keys + (index,), depth + 1))
            return items
        if isinstance(node, yaml.ScalarNode) and node.tag in _SCALAR_TAGS:
            try:
                return self.constructor.construct_object(node, deep=True)
            except (yaml.YAMLError, ValueError, OverflowError) as error:
                raise InputError(f"bad YAML value: {error}", line=where[0], column=where[1]) from None
        raise InputError(
            f"YAML tag {node.tag!r} is not allowed: modelcheck reads configs as plain data (mappings, lists, strings, numbers, booleans, null)",
            line=where[0],
            column=where[1],
        )

    def _mapping(self, node: Any, keys: KeyPath, depth: int) -> dict[str, Any]:
        import yaml

        result: dict[str, Any] = {}
        explicit = []
        for key_node, value_node in node.value:
            if key_node.tag != f"{_CORE}merge":
                explicit.append((key_node, value_node))
                continue
            # `<<: *base` first: keys given explicitly then override it (and its positions).
            for source in value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]:
                extra = self.value(source, keys, depth + 1)
                if not isinstance(extra, dict):
                    raise InputError("a YAML merge key ('<<') must refer to a mapping", line=source.start_mark.line + 1)
                for name, value in extra.items():
                    result.setdefault(name, value)
        seen: dict[str, int] = {}
        for key_node, value_node in explicit:
            line = key_node.start_mark.line + 1
            key = self.value(key_node, keys, depth + 1)
            if isinstance(key, (dict, list)):
                raise InputError("a YAML mapping key must be a plain value, not a mapping or list", line=line)
            name = str(key)
            if name in seen:
                raise InputError(f"duplicate key '{name}' (first at line {seen[name]}): YAML keeps only the last one", line=line, key=key_text(keys + (name,)))
            seen[name] = line
            self.positions[keys + (name,)] = (line, key_node.start_mark.column + 1)
            result[name] = self.value(value_node, keys + (name,), depth + 1)
        return result


# --- TOML and JSON -------------------------------------------------------------------

_TOML_AT = re.compile(r"at line (\d+), column (\d+)")
_JSON_AT = re.compile(r"line (\d+) column (\d+)")


def _toml(text: str) -> Any:
    try:
        import tomllib  # type: ignore[import-not-found]
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        at = _TOML_AT.search(message)
        raise InputError(
            f"not valid TOML: {_TOML_AT.sub('', message).rstrip(' ()')}",
            line=int(at.group(1)) if at else None,
            column=int(at.group(2)) if at else None,
        ) from None
    except RecursionError:
        raise InputError("TOML is nested too deeply to read") from None
    except ValueError as error:  # e.g. an integer over Python's 4300-digit conversion limit
        raise InputError(f"not valid TOML: {error}") from None


def _json(text: str) -> Any:
    from modelcheck.readers.model.json_text import load_json

    try:
        return load_json(text, "training config")
    except InputError as error:
        at = _JSON_AT.search(str(error))
        if at and error.line is None:
            raise InputError(str(error), line=int(at.group(1)), column=int(at.group(2))) from None
        raise


def locate(text: str, data: Any, fmt: str) -> dict[KeyPath, Position]:
    """Positions of every key path in TOML/JSON text, by a forward search in document order.

    Keys are searched from their parent's position onwards, siblings in order, so a
    ``directory`` under ``data.validation`` is the one after ``validation``. A list element
    sits where its first key (or its value) is found. Text formats carry no positions of
    their own; a key not found falls back to its parent's line.
    """
    starts = _line_starts(text)
    found: dict[KeyPath, int] = {}
    _locate_value(text, data, (), 0, fmt, found, [0])
    return {keys: _line_col(starts, offset) for keys, offset in found.items()}


def _locate_value(text: str, value: Any, keys: KeyPath, start: int, fmt: str, found: dict[KeyPath, int], budget: list[int]) -> None:
    budget[0] += 1
    if budget[0] > MAX_NODES or len(keys) > MAX_DEPTH:
        return
    if isinstance(value, dict):
        cursor = start
        for name, child in value.items():
            offset = _find_key(text, str(name), cursor, fmt)
            if offset is None:
                offset = _find_key(text, str(name), start, fmt)
            if offset is None:
                continue
            found[keys + (name,)] = offset
            cursor = offset
            _locate_value(text, child, keys + (name,), offset, fmt, found, budget)
    elif isinstance(value, list):
        cursor = start
        for index, item in enumerate(value):
            offset = _find_item(text, item, cursor, fmt)
            if offset is None:
                continue
            found[keys + (index,)] = offset
            _locate_value(text, item, keys + (index,), offset, fmt, found, budget)
            cursor = offset + 1


def _find_key(text: str, name: str, start: int, fmt: str) -> int | None:
    escaped = re.escape(name)
    if fmt == "json":
        pattern = rf'(?P<key>"{escaped}")\s*:'
    else:
        # A bare or quoted TOML key at a line start, in a [table.header], a dotted key or an inline table.
        pattern = (
            rf"(?:^[ \t]*\[{{0,2}}[ \t]*|[{{,.\[][ \t]*)"
            rf"""(?P<key>"{escaped}"|'{escaped}'|(?<![\w-]){escaped}(?![\w-]))(?=[ \t]*[=.\]])"""
        )
    # The prefix may sit before ``start`` (``{Dense = …}`` with ``start`` at ``Dense``).
    line_start = text.rfind("\n", 0, start) + 1
    for match in re.compile(pattern, re.M).finditer(text, line_start):
        if match.start("key") >= start:
            return match.start("key")
    return None


def _find_item(text: str, item: Any, start: int, fmt: str) -> int | None:
    if isinstance(item, dict):
        for name in item:
            return _find_key(text, str(name), start, fmt)
        index = text.find("{", start)
        return index if index >= 0 else None
    if isinstance(item, list):
        index = text.find("[", start)
        return index if index >= 0 else None
    if isinstance(item, str):
        for quote in ('"', "'"):
            index = text.find(f"{quote}{item}{quote}", start)
            if index >= 0:
                return index
        return None
    literal = ("true" if item else "false") if isinstance(item, bool) else "null" if item is None else str(item)
    index = text.find(literal, start)
    return index if index >= 0 else None


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for match in re.finditer("\n", text):
        starts.append(match.end())
    return starts


def _line_col(starts: list[int], offset: int) -> Position:
    import bisect

    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1
