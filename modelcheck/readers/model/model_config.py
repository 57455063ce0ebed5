"""Turn a Keras model config (Keras 2 or Keras 3 layout) into the IR.

The config is the JSON Keras writes in `config.json`, the `model_config` HDF5
attribute or `model.to_json()`. Keras 3 records `inbound_nodes` as
``{"args": [keras tensors], "kwargs": {...}}``; Keras 2 as nested lists
``[[["name", node, tensor, {kwargs}], ...]]``. Both are read here.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Iterator

from modelcheck.errors import InputError
from modelcheck.readers.model.config_checks import check_entries
from modelcheck.ir import (
    CodeObject,
    Compile,
    Layer,
    Location,
    Loss,
    ModelGraph,
    Optimizer,
    Shape,
    TrainingSetup,
)
from modelcheck.vocab import (
    ACTIVATION_LAYERS,
    LAYER_ALIASES,
    canonical_activation,
    canonical_loss,
    canonical_metric,
    canonical_optimizer,
)

MODEL_CLASSES = {"Functional", "Model", "Sequential"}
# The largest keras.applications model has 1 039 layers; some rules walk the graph per layer.
MAX_LAYERS = 20_000
# Models nested in models, and list nesting followed inside one value; a real config has a handful.
MAX_NESTING = 64


def setup_from_configs(
    path: str,
    model_config: dict[str, Any],
    training_config: dict[str, Any] | None,
    *,
    keras_version: str | None = None,
    pickled_members: tuple[str, ...] = (),
    extra_code: tuple[CodeObject, ...] = (),
) -> TrainingSetup:
    """Build the TrainingSetup of a saved model from its model and training configs.

    Any JSON-shaped input is accepted: what has an unexpected shape becomes
    unknown. InputError only for a config without a layers list, or beyond the
    bounds (MAX_LAYERS layers, models nested MAX_NESTING deep).
    ``extra_code`` carries code the file reader found outside the configs
    (pickled archive members or HDF5 attributes).
    """
    from modelcheck.readers.model.backbone_match import attach_backbones

    if not isinstance(model_config, dict):
        raise InputError("the model config is not a JSON object")
    if not isinstance(training_config, dict):
        training_config = None
    counter = [0]
    graph = _graph(path, model_config, (), counter, parent_trainable=True, depth=0)
    if graph is None:
        raise InputError("model config has no layers list")
    version = _text(keras_version)
    graph = _with_version(attach_backbones(graph, keras_version=version), version)
    codes = list(_code_objects(path, model_config, training_config))
    codes += [
        CodeObject("pickle", f"archive member {name} holds a pickled Python object", Location(path))
        for name in pickled_members
    ]
    codes += extra_code
    compiles = (_compile(path, training_config),) if training_config else ()
    return TrainingSetup(path=path, kind="model", model=graph, compiles=compiles, code_objects=tuple(codes))


def _with_version(graph: ModelGraph, version: str | None) -> ModelGraph:
    from dataclasses import replace

    return replace(graph, keras_version=version)


def _text(value: Any) -> str | None:
    """A string from the config (safe to print), or None for anything else (numbers, lists, null)."""
    return _clean(value) if isinstance(value, str) else None


def _clean(value: str) -> str:
    """A name as it may appear in a one-line message: control characters escaped, at most 200 characters.

    Names reach console output and CI annotations; an escape sequence or a newline
    in a layer name must not reach a terminal or split a finding. Every name is
    cleaned the same way, so inbound references still match.
    """
    return value if len(value) <= 200 and value.isprintable() else printable(value, 200)


def _graph(
    path: str, config: dict[str, Any], prefix: tuple[str, ...], counter: list[int], parent_trainable: bool, depth: int
) -> ModelGraph | None:
    inner = config.get("config")
    if not isinstance(inner, dict):
        return None
    entries = inner.get("layers")
    if not isinstance(entries, list):
        return None
    if depth > MAX_NESTING:
        raise InputError(f"model config nests models more than {MAX_NESTING} deep")
    class_name = _text(config.get("class_name")) or "Model"
    name = _text(inner.get("name")) or _text(config.get("name")) or class_name.lower()
    own_trainable = inner.get("trainable", True) is not False
    trainable_here = parent_trainable and own_trainable
    sequential = class_name == "Sequential"

    counter[0] += len(entries)
    if counter[0] > MAX_LAYERS:
        raise InputError(f"model config has more than {MAX_LAYERS} layers")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InputError(f"layer {index} of {'/'.join(prefix) or 'the model'} is not an object: Keras cannot rebuild it", key=f"layers[{index}]")
    parsed: list[dict[str, Any]] = entries
    check_entries(parsed, [_layer_name(entry, index) for index, entry in enumerate(parsed)],
                  lambda entry: _inbound(entry.get("inbound_nodes"))[0], "/".join(prefix) + "/" if prefix else "")

    shapes = _shapes_from_inbound(parsed)
    input_shapes: list[Shape] = []
    layers: list[Layer] = []
    previous: str | None = None
    for index, entry in enumerate(parsed):
        raw_class = _text(entry.get("class_name")) or "Unknown"
        layer_class = LAYER_ALIASES.get(raw_class, raw_class)
        layer_config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        layer_name = _layer_name(entry, index)
        shape = _input_shape(layer_config)
        if layer_class == "InputLayer":
            if shape is not None:
                input_shapes.append(shape)
            if sequential:
                # Sequential.layers omits its InputLayer: keep indices as Keras counts them.
                previous = layer_name
                continue
        elif sequential and index == 0 and shape is not None:
            input_shapes.append(shape)
        inbound, call_training = _inbound(entry.get("inbound_nodes"))
        if sequential and not inbound and previous is not None:
            inbound = (previous,)
        layer_path = prefix + (layer_name,)
        trainable = trainable_here and layer_config.get("trainable", True) is not False
        submodel = None
        if isinstance(layer_config.get("layers"), list):
            submodel = _graph(path, entry, layer_path, counter, trainable, depth + 1)
        layers.append(
            Layer(
                name=layer_name,
                class_name=layer_class,
                config=layer_config,
                activation=layer_activation(layer_class, layer_config),
                units=layer_units(layer_config),
                trainable=trainable,
                inbound=inbound,
                call_training=call_training,
                output_shape=shapes.get(layer_name),
                submodel=submodel,
                location=Location(path, layer="/".join(layer_path)),
            )
        )
        previous = layer_name
    outputs = _output_names(inner, layers, sequential)
    layers = [_mark_output(layer, outputs) for layer in layers]
    return ModelGraph(
        name=name,
        class_name=class_name,
        layers=tuple(layers),
        input_shapes=tuple(input_shapes),
        output_names=outputs,
        location=Location(path, layer="/".join(prefix) or None),
    )


def _layer_name(entry: dict[str, Any], index: int) -> str:
    """The entry's name as the graph has it: its own, its config's, or made from its class and place."""
    layer_config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    raw_class = _text(entry.get("class_name")) or "Unknown"
    return _text(entry.get("name")) or _text(layer_config.get("name")) or f"{LAYER_ALIASES.get(raw_class, raw_class).lower()}_{index}"


def _mark_output(layer: Layer, outputs: tuple[str, ...]) -> Layer:
    if layer.name not in outputs:
        return layer
    from dataclasses import replace

    return replace(layer, is_output=True)


def _output_names(inner: dict[str, Any], layers: list[Layer], sequential: bool) -> tuple[str, ...]:
    if sequential or "output_layers" not in inner:
        return (layers[-1].name,) if layers else ()
    spec = inner.get("output_layers")
    names: list[str] = []
    if isinstance(spec, list) and spec and isinstance(spec[0], str):
        names.append(_clean(spec[0]))
    elif isinstance(spec, list):
        names.extend(_clean(item[0]) for item in spec if isinstance(item, list) and item and isinstance(item[0], str))
    elif isinstance(spec, dict):  # Keras 3 dict outputs
        for value in spec.values():
            if isinstance(value, list) and value and isinstance(value[0], str):
                names.append(_clean(value[0]))
    return tuple(names)


def _input_shape(config: dict[str, Any]) -> Shape | None:
    for key in ("batch_shape", "batch_input_shape"):
        value = config.get(key)
        if isinstance(value, list) and all(v is None or isinstance(v, int) for v in value):
            return tuple(value[1:])
    value = config.get("input_shape")
    if isinstance(value, list) and all(v is None or isinstance(v, int) for v in value):
        return tuple(value)
    return None


def layer_activation(class_name: str, config: dict[str, Any]) -> str | None:
    if class_name in ACTIVATION_LAYERS:
        return ACTIVATION_LAYERS[class_name]
    if "activation" in config:
        activation = canonical_activation(config.get("activation"))
        return _clean(activation) if activation is not None else None
    return None


def layer_units(config: dict[str, Any]) -> int | None:
    for key in ("units", "filters"):
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _keras_tensors(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__" and isinstance(value.get("config"), dict):
            yield value["config"]
    elif isinstance(value, list) and depth < MAX_NESTING:
        for item in value:
            yield from _keras_tensors(item, depth + 1)


def _inbound(nodes: Any) -> tuple[tuple[str, ...], bool | None]:
    """Names of the inbound layers and the `training=` call argument, from either layout."""
    names: list[str] = []
    training: bool | None = None
    if not isinstance(nodes, list):
        return (), None
    for node in nodes:
        if isinstance(node, dict):  # Keras 3
            for tensor in _keras_tensors(node.get("args")):
                history = tensor.get("keras_history")
                if isinstance(history, list) and history and isinstance(history[0], str):
                    names.append(_clean(history[0]))
            kwargs = node.get("kwargs")
            if isinstance(kwargs, dict) and isinstance(kwargs.get("training"), bool):
                training = kwargs["training"]
        elif isinstance(node, list):  # Keras 2: [[name, node_index, tensor_index, kwargs], ...]
            for ref in node:
                if isinstance(ref, list) and ref and isinstance(ref[0], str):
                    names.append(_clean(ref[0]))
                    if len(ref) > 3 and isinstance(ref[3], dict) and isinstance(ref[3].get("training"), bool):
                        training = ref[3]["training"]
    return tuple(dict.fromkeys(names)), training


def _shapes_from_inbound(entries: list[dict[str, Any]]) -> dict[str, Shape]:
    """Keras 3 records each input tensor's shape: the output shape of the layer that made it."""
    shapes: dict[str, Shape] = {}
    for entry in entries:
        nodes = entry.get("inbound_nodes")
        if not isinstance(nodes, list):
            continue
        for node in nodes:
            if not isinstance(node, dict):
                continue
            for tensor in _keras_tensors(node.get("args")):
                history = tensor.get("keras_history")
                shape = tensor.get("shape")
                if (
                    isinstance(history, list)
                    and history
                    and isinstance(history[0], str)
                    and isinstance(shape, list)
                    and all(v is None or isinstance(v, int) for v in shape)
                ):
                    shapes.setdefault(_clean(history[0]), tuple(shape[1:]))
    return shapes


# --- compile -----------------------------------------------------------------


def _compile(path: str, training: dict[str, Any]) -> Compile:
    location = Location(path, key="compile")
    loss = _loss(training.get("loss"), Location(path, key="compile.loss"))
    optimizer = _optimizer(training.get("optimizer_config") or training.get("optimizer"), Location(path, key="compile.optimizer"))
    metrics = _metrics(training.get("metrics"))
    return Compile(loss=loss, optimizer=optimizer, metrics=metrics, location=location)


def _loss(value: Any, location: Location) -> Loss | None:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict) and "class_name" not in value and len(value) == 1:
        value = next(iter(value.values()))  # {output_name: loss}
    if isinstance(value, str):
        name, custom = canonical_loss(_clean(value))
        return Loss(name=name, custom=custom, location=location)
    if isinstance(value, dict):
        class_name = value.get("class_name")
        config = value.get("config")
        if class_name == "function" and isinstance(config, str):
            name, custom = canonical_loss(_clean(config))
            return Loss(name=name, custom=custom, location=location)
        if isinstance(class_name, str):
            name, custom = canonical_loss(_clean(class_name.split(">")[-1]))
            from_logits = config.get("from_logits") if isinstance(config, dict) else None
            return Loss(name=name, custom=custom, from_logits=from_logits if isinstance(from_logits, bool) else None, location=location)
    return None


def _optimizer(value: Any, location: Location) -> Optimizer | None:
    if isinstance(value, str):
        return Optimizer(class_name=canonical_optimizer(_clean(value)), location=location)
    if not isinstance(value, dict):
        return None
    class_name = canonical_optimizer(_text(value.get("class_name")))
    config = value.get("config") if isinstance(value.get("config"), dict) else {}
    rate = config.get("learning_rate", config.get("lr"))
    learning_rate = None
    if isinstance(rate, (int, float)) and not isinstance(rate, bool):
        try:
            learning_rate = float(rate)
        except OverflowError:  # an integer beyond float range: not a learning rate anyone meant
            learning_rate = None
    legacy = tuple(key for key in ("lr", "decay") if key in config and config.get(key) not in (None, 0, 0.0))
    return Optimizer(class_name=class_name, learning_rate=learning_rate, legacy_kwargs=legacy, location=location)


def _metrics(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    names: list[str] = []

    def collect(item: Any, depth: int) -> None:
        if depth > MAX_NESTING:
            return
        if isinstance(item, list):
            for sub in item:
                collect(sub, depth + 1)
        elif isinstance(item, dict) and "class_name" not in item and "config" not in item:
            for sub in item.values():
                collect(sub, depth + 1)
        else:
            name = canonical_metric(item)
            if name:
                names.append(_clean(name))

    collect(value, 0)
    return tuple(names)


# --- code in the file (MC601) ------------------------------------------------

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


def printable(text: str, limit: int = 80) -> str:
    """A name from an untrusted file, safe to print: control characters escaped, bounded length."""
    shown = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text[: limit + 1])
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


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
    """The layer's name as the model graph has it (see ``_graph``)."""
    return _text(entry.get("name")) or _text(entry["config"].get("name")) or _clean(entry["class_name"])


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
