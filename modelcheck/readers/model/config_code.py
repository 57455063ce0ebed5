"""Executable content in a Keras model config (MC601): Lambda bytecode and objects from outside Keras.

Everything here reads the JSON only: a Lambda's marshal blob is scanned for its
string constants, never unmarshalled, and no module a config names is imported.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Iterator

from modelcheck.ir import CodeObject, Location
from modelcheck.readers.model.safe_text import clean_name, config_text, printable

# Python's marshal format (how Keras stores a lambda's code object): string objects are a
# type byte, optionally with the FLAG_REF bit 0x80, then a length and the characters.
_MARSHAL_SHORT_STRINGS = {ord(c) | flag for c in "zZ" for flag in (0, 0x80)}
_MARSHAL_STRINGS = {ord(c) | flag for c in "aAut" for flag in (0, 0x80)}
_MARSHAL_BYTES = {ord("s"), ord("s") | 0x80}
_IDENTIFIER = re.compile(r"[A-Za-z_][\w.]*")
_NOISE = {"<lambda>", "<string>", "<module>", "<stdin>", "<listcomp>", "<genexpr>"}
MAX_CODE_BYTES = 1024 * 1024
# Packages whose classes and functions a saved model may name without running anyone's code.
_KERAS_PACKAGES = {"keras", "tf_keras", "keras_cv", "keras_nlp", "keras_hub", "tensorflow"}
_CODE_KEYS = ("function", "output_shape", "mask")
_WRAPPED_LAYER_KEYS = {"layer", "forward_layer", "backward_layer"}


def bytecode_strings(encoded: str) -> list[str]:
    """The strings inside a base64 marshal blob, found by reading its bytes (never unmarshalled).

    Names a lambda calls (``open``, ``system``) and its string constants (a path,
    a shell command) are stored as marshal string objects; the scan recognises
    those by their type byte and length and skips ``bytes`` objects (the bytecode itself).
    """
    try:
        raw = base64.b64decode(encoded.encode("ascii", "ignore")[: MAX_CODE_BYTES * 4 // 3 + 4], validate=False)
    except (binascii.Error, ValueError):
        return []
    found: list[str] = []
    index = 0
    while index < len(raw) and len(found) < 200:
        kind = raw[index]
        size, start = -1, index + 1
        if kind in _MARSHAL_SHORT_STRINGS and index + 1 < len(raw):
            size, start = raw[index + 1], index + 2
        elif (kind in _MARSHAL_STRINGS or kind in _MARSHAL_BYTES) and index + 5 <= len(raw):
            size, start = int.from_bytes(raw[index + 1 : index + 5], "little"), index + 5
        if 0 < size <= len(raw) - start:
            chunk = raw[start : start + size]
            if kind in _MARSHAL_BYTES:
                index = start + size  # the bytecode or line table: no names in there
                continue
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:
                text = ""
            if text and text.isprintable():
                found.append(text)
                index = start + size
                continue
        index += 1
    return found


def _bytecode_summary(encoded: str) -> str:
    """The names and string constants a serialized lambda carries, for a one-line message."""
    shown: list[str] = []
    for text in dict.fromkeys(bytecode_strings(encoded)):
        if text in _NOISE or len(text) < 2 and not text.isalpha():
            continue
        shown.append(text if _IDENTIFIER.fullmatch(text) else repr(printable(text, 60)))
        if len(shown) == 12:
            break
    return ", ".join(shown)


def _lambda_detail(code: Any, role: str = "Lambda layer") -> str:
    if not isinstance(code, str):
        return f"{role} with serialized Python code"
    names = _bytecode_summary(code)
    text = f"{role} with {len(code)} characters of serialized Python bytecode"
    return f"{text} (names inside: {names})" if names else text


def _is_keras_module(module: str) -> bool:
    """True for modules of Keras (any version), the Keras-team packages and TensorFlow."""
    return module.split(".", 1)[0] in _KERAS_PACKAGES


def _key_text(keys: tuple[str | int, ...]) -> str:
    """``('compile', 'metrics', 0)`` -> ``'compile.metrics[0]'`` (each key shortened: they come from the file)."""
    text = ""
    for part in keys:
        text += f"[{part}]" if isinstance(part, int) else (f".{str(part)[:40]}" if text else str(part)[:40])
    return text


def _code_objects(
    path: str, model_config: dict[str, Any], training_config: dict[str, Any] | None = None
) -> Iterator[CodeObject]:
    """Every piece of executable content in the configs, in document order.

    Walks the whole JSON (not only ``layers``): Lambdas inside wrappers
    (``TimeDistributed``/``Bidirectional`` keep theirs under ``layer``), in
    nested models, in a loss of the compile config; and every serialized object
    (``{"module": ..., "class_name": ...}``) whose module lies outside Keras.
    """
    seen: set[tuple[str, str, str | None, str | None]] = set()
    roots: list[tuple[Any, tuple[str | int, ...]]] = [(model_config, ())]
    if isinstance(training_config, dict):
        roots.append((training_config, ("compile_config",)))
    for root, keys in roots:
        for code in _scan(path, root, keys):
            identity = (code.kind, code.detail, code.location.layer if code.location else None, code.location.key if code.location else None)
            if identity not in seen:
                seen.add(identity)
                yield code


# JSON objects and lists the code scan looks at in one file. NASNetLarge, the largest
# keras.applications config, has about 60 000; each costs a few microseconds.
MAX_SCAN_ITEMS = 500_000
_SCALAR_TYPES = frozenset({int, float, str, bool, type(None)})


class _Keys:
    """A key path as a linked list: extending it costs O(1), not O(depth) (a list of
    8 million zeros inside 190 nested objects made copied tuples cost gigabytes)."""

    __slots__ = ("parent", "key")

    def __init__(self, parent: "_Keys | None", key: str | int):
        self.parent = parent
        self.key = key

    @staticmethod
    def of(keys: "_Keys | None") -> tuple[str | int, ...]:
        parts: list[str | int] = []
        while keys is not None:
            parts.append(keys.key)
            keys = keys.parent
        return tuple(reversed(parts))


def incomplete(path: str, why: str) -> CodeObject:
    """The MC601 fact that the scan for code did not cover the whole file."""
    return CodeObject("incomplete", f"this file could not be checked completely for code: {why}", Location(path))


def _scan(path: str, root: Any, root_keys: tuple[str | int, ...]) -> Iterator[CodeObject]:
    """Depth-first over the JSON, linear in its size: each item is pushed once, with O(1) bookkeeping."""
    start: _Keys | None = None
    for key in root_keys:
        start = _Keys(start, key)
    # (value, layer path, key path from the root, key path inside the current layer entry)
    stack: list[tuple[Any, tuple[str, ...], _Keys | None, _Keys | None]] = [(root, (), start, None)]
    pushed = 1
    while stack:
        value, layers, keys, local = stack.pop()
        if isinstance(value, list):
            # set(map(type, ...)) runs in C: a list of 8 million numbers costs a fraction of a second
            nested = not _SCALAR_TYPES.issuperset(map(type, value))
            children: list[tuple[Any, str | int]] = (
                [(item, index) for index, item in enumerate(value) if isinstance(item, (dict, list))] if nested else []
            )
        else:
            if keys is not None and _is_layer_entry(value, keys):
                layers, local = layers + (_entry_name(value),), None
            yield from _code_in_object(path, value, layers, keys, local)
            if value.get("class_name") == "__lambda__":
                continue  # its config is the code itself, already reported
            children = [(item, key) for key, item in value.items() if isinstance(item, (dict, list))]
        pushed += len(children)
        if pushed > MAX_SCAN_ITEMS:
            yield incomplete(path, f"the config holds more than {MAX_SCAN_ITEMS} objects and lists, the bound of the scan")
            return
        stack.extend((item, layers, _Keys(keys, key), _Keys(local, key)) for item, key in reversed(children))


def _is_layer_entry(value: dict[str, Any], keys: _Keys) -> bool:
    if not isinstance(value.get("class_name"), str) or not isinstance(value.get("config"), dict):
        return False
    parent = keys.key
    return parent in _WRAPPED_LAYER_KEYS or (isinstance(parent, int) and keys.parent is not None and keys.parent.key == "layers")


def _entry_name(entry: dict[str, Any]) -> str:
    """The layer's name as the model graph has it (see ``model_config._graph``)."""
    return config_text(entry.get("name")) or config_text(entry["config"].get("name")) or clean_name(entry["class_name"])


def _code_location(path: str, layers: tuple[str, ...], keys: tuple[str | int, ...]) -> Location:
    if not layers and keys and keys[0] == "compile_config":
        rest = tuple("optimizer" if key == "optimizer_config" else key for key in keys[1:])
        return Location(path, key=printable(_key_text(("compile",) + rest), 120))
    return Location(path, layer="/".join(layers) or None)


def _code_in_object(
    path: str, value: dict[str, Any], layers: tuple[str, ...], key_path: _Keys | None, local_path: _Keys | None
) -> Iterator[CodeObject]:
    """Code held by one JSON object; where it is and how to name it are worked out only for a find."""
    if "class_name" not in value and not any(f"{key}_type" in value for key in _CODE_KEYS):
        return

    def found(kind: str, detail: str) -> CodeObject:
        return CodeObject(kind, detail, _code_location(path, layers, _Keys.of(key_path)))

    def subject_text() -> str:
        return _subject(layers, _Keys.of(key_path), _Keys.of(local_path))

    class_name = value.get("class_name")
    if class_name == "__lambda__":  # Keras 3
        config = value.get("config")
        code = config.get("code") if isinstance(config, dict) else None
        yield found("lambda-bytecode", _lambda_detail(code, _lambda_role(layers, subject_text())))
        return
    # Keras 2: a Lambda's config holds `function` (and `output_shape`) with a `*_type` saying how.
    for key in _CODE_KEYS:
        kind = value.get(f"{key}_type")
        if kind == "lambda" and key in value:
            code = value[key]
            code = code[0] if isinstance(code, list) and code and isinstance(code[0], str) else code
            yield found("lambda-bytecode", _lambda_detail(code, _lambda_role(layers, key)))
        elif kind == "function":
            module = value.get("module" if key == "function" else f"{key}_module")
            # Keras 2 looks the name up in that module's namespace: builtins.exec, os.system
            if isinstance(module, str) and (not _is_keras_module(module) or module == "builtins"):
                function = value.get(key)
                name = printable(function, 60) if isinstance(function, str) else "?"
                role = "the Lambda layer calls" if key == "function" else f"the Lambda's {key} is"
                yield found("custom-module", f"{role} '{name}' from module '{printable(module, 80)}'")
    if not isinstance(class_name, str):
        return
    module = value.get("module")
    registered = value.get("registered_name")
    if not isinstance(registered, str) and not isinstance(module, str) and ">" in class_name and not _builtin_optimizer(class_name):
        registered = class_name  # .h5 files keep only the registered name, as the class: "Package>Name"
    if isinstance(module, str) and not _is_keras_module(module) and module != "builtins":
        subject = subject_text()
        origin = f"from module '{printable(module, 80)}'"
        if class_name == "function":
            function = value.get("config")
            name = printable(function, 60) if isinstance(function, str) else "?"
            lead = "the Lambda layer calls" if layers and subject == "function" else f"{subject} is"
            yield found("custom-module", f"{lead} function '{name}' {origin}")
        elif subject in ("the model", "the layer"):
            yield found("custom-module", f"{subject[4:]} class '{printable(class_name, 60)}' comes {origin}")
        else:
            yield found("custom-module", f"{subject} is a '{printable(class_name, 60)}' object {origin}")
    elif isinstance(registered, str) and ">" in registered and registered.split(">", 1)[0] not in _KERAS_PACKAGES:
        subject = subject_text()
        noun = f"{subject[4:]} class" if subject in ("the model", "the layer") else subject
        yield found("custom-module", f"{noun} is the registered custom object '{printable(registered, 80)}'")


def _subject(layers: tuple[str, ...], keys: tuple[str | int, ...], local: tuple[str | int, ...]) -> str:
    """How a message names the object at ``keys``: 'the model', 'the layer', 'the loss', 'kernel_initializer'."""
    if not keys:
        return "the model"
    if not layers and keys[0] == "compile_config":
        names = [key for key in keys[1:] if isinstance(key, str)]
        return "the " + ({"optimizer_config": "optimizer"}.get(names[0], names[0]) if names else "compile config")
    if layers and not local:
        return "the layer"
    inside = tuple(key for key in (local if layers else keys) if key != "config")
    return printable(_key_text(inside), 60) or "an object"


def _lambda_role(layers: tuple[str, ...], subject: str) -> str:
    if layers and subject == "function":
        return "Lambda layer"
    if layers and subject in _CODE_KEYS:
        return f"Lambda {subject} function"
    return f"a Python lambda ({subject})"


def _builtin_optimizer(class_name: str) -> bool:
    """tf-keras saves its own optimizers as ``Custom>Adam`` in ``.h5`` training configs: not user code."""
    from modelcheck.vocab import OPTIMIZERS

    package, _, name = class_name.partition(">")
    return package == "Custom" and name in OPTIMIZERS
