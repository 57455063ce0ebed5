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
    canonical_activation,
    canonical_loss,
    canonical_metric,
    canonical_optimizer,
)

MODEL_CLASSES = {"Functional", "Model", "Sequential"}
MAX_LAYERS = 200_000
_CLASS_ALIASES = {"Convolution2D": "Conv2D", "MaxPool2D": "MaxPooling2D", "AvgPool2D": "AveragePooling2D"}


def setup_from_configs(
    path: str,
    model_config: dict[str, Any],
    training_config: dict[str, Any] | None,
    *,
    keras_version: str | None = None,
    pickled_members: tuple[str, ...] = (),
) -> TrainingSetup:
    """Build the TrainingSetup of a saved model from its model and training configs."""
    from modelcheck.readers.backbone_match import attach_backbones

    counter = [0]
    try:
        graph = _graph(path, model_config, (), counter, parent_trainable=True)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise InputError(f"model config has an unexpected shape ({type(error).__name__}: {error})") from None
    if graph is None:
        raise InputError("model config has no layers list")
    graph = attach_backbones(graph, keras_version=keras_version)
    graph = _with_version(graph, keras_version)
    codes = list(_code_objects(path, model_config))
    codes += [
        CodeObject("pickle", f"archive member {name} holds a pickled Python object", Location(path))
        for name in pickled_members
    ]
    compiles = (_compile(path, training_config),) if training_config else ()
    return TrainingSetup(path=path, kind="model", model=graph, compiles=compiles, code_objects=tuple(codes))


def _with_version(graph: ModelGraph, version: str | None) -> ModelGraph:
    from dataclasses import replace

    return replace(graph, keras_version=version)


def _graph(
    path: str, config: dict[str, Any], prefix: tuple[str, ...], counter: list[int], parent_trainable: bool
) -> ModelGraph | None:
    inner = config.get("config")
    if not isinstance(inner, dict):
        return None
    entries = inner.get("layers")
    if not isinstance(entries, list):
        return None
    class_name = str(config.get("class_name", "Model"))
    name = str(inner.get("name") or config.get("name") or class_name.lower())
    own_trainable = inner.get("trainable", True) is not False
    trainable_here = parent_trainable and own_trainable
    sequential = class_name == "Sequential"

    parsed: list[dict[str, Any]] = [entry for entry in entries if isinstance(entry, dict)]
    counter[0] += len(parsed)
    if counter[0] > MAX_LAYERS:
        raise InputError(f"model config has more than {MAX_LAYERS} layers")

    shapes = _shapes_from_inbound(parsed)
    input_shapes: list[Shape] = []
    layers: list[Layer] = []
    previous: str | None = None
    for index, entry in enumerate(parsed):
        layer_class = _CLASS_ALIASES.get(str(entry.get("class_name")), str(entry.get("class_name")))
        layer_config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        layer_name = str(entry.get("name") or layer_config.get("name") or f"{layer_class.lower()}_{index}")
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
        submodel = None
        if isinstance(layer_config.get("layers"), list):
            submodel = _graph(path, entry, layer_path, counter, trainable_here and layer_config.get("trainable", True) is not False)
        trainable = trainable_here and layer_config.get("trainable", True) is not False
        layers.append(
            Layer(
                name=layer_name,
                class_name=layer_class,
                config=layer_config,
                activation=_activation(layer_class, layer_config),
                units=_units(layer_config),
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
        names.append(spec[0])
    elif isinstance(spec, list):
        names.extend(item[0] for item in spec if isinstance(item, list) and item and isinstance(item[0], str))
    elif isinstance(spec, dict):  # Keras 3 dict outputs
        for value in spec.values():
            if isinstance(value, list) and value and isinstance(value[0], str):
                names.append(value[0])
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


def _activation(class_name: str, config: dict[str, Any]) -> str | None:
    if class_name in ACTIVATION_LAYERS:
        return ACTIVATION_LAYERS[class_name]
    if "activation" in config:
        return canonical_activation(config.get("activation"))
    return None


def _units(config: dict[str, Any]) -> int | None:
    for key in ("units", "filters"):
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _keras_tensors(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__" and isinstance(value.get("config"), dict):
            yield value["config"]
    elif isinstance(value, list):
        for item in value:
            yield from _keras_tensors(item)


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
                    names.append(history[0])
            kwargs = node.get("kwargs")
            if isinstance(kwargs, dict) and isinstance(kwargs.get("training"), bool):
                training = kwargs["training"]
        elif isinstance(node, list):  # Keras 2: [[name, node_index, tensor_index, kwargs], ...]
            for ref in node:
                if isinstance(ref, list) and ref and isinstance(ref[0], str):
                    names.append(ref[0])
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
                    shapes.setdefault(history[0], tuple(shape[1:]))
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
        name, custom = canonical_loss(value)
        return Loss(name=name, custom=custom, location=location)
    if isinstance(value, dict):
        class_name = value.get("class_name")
        config = value.get("config")
        if class_name == "function" and isinstance(config, str):
            name, custom = canonical_loss(config)
            return Loss(name=name, custom=custom, location=location)
        if isinstance(class_name, str):
            name, custom = canonical_loss(class_name.split(">")[-1])
            from_logits = config.get("from_logits") if isinstance(config, dict) else None
            return Loss(name=name, custom=custom, from_logits=from_logits if isinstance(from_logits, bool) else None, location=location)
    return None


def _optimizer(value: Any, location: Location) -> Optimizer | None:
    if isinstance(value, str):
        return Optimizer(class_name=canonical_optimizer(value), location=location)
    if not isinstance(value, dict):
        return None
    class_name = canonical_optimizer(value.get("class_name") if isinstance(value.get("class_name"), str) else None)
    config = value.get("config") if isinstance(value.get("config"), dict) else {}
    rate = config.get("learning_rate", config.get("lr"))
    learning_rate = float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else None
    legacy = tuple(key for key in ("lr", "decay") if key in config and config.get(key) not in (None, 0, 0.0))
    return Optimizer(class_name=class_name, learning_rate=learning_rate, legacy_kwargs=legacy, location=location)


def _metrics(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    names: list[str] = []

    def collect(item: Any) -> None:
        if isinstance(item, list):
            for sub in item:
                collect(sub)
        elif isinstance(item, dict) and "class_name" not in item and "config" not in item:
            for sub in item.values():
                collect(sub)
        else:
            name = canonical_metric(item)
            if name:
                names.append(name)

    collect(value)
    return tuple(names)


# --- code in the file (MC601) ------------------------------------------------

_PRINTABLE = re.compile(rb"[\x20-\x7e]{3,}")


def _bytecode_strings(encoded: str) -> str:
    """Names visible in base64 marshal data, read as raw bytes (never unmarshalled)."""
    try:
        raw = base64.b64decode(encoded.encode("ascii"), validate=False)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return ""
    words = [m.group().decode("ascii") for m in _PRINTABLE.finditer(raw[:65536])]
    # Keep what a reader can act on: identifiers (open, system) and file paths.
    words = [w for w in words if re.fullmatch(r"[A-Za-z_][\w.]*|/[\w./-]+", w)]
    return ", ".join(dict.fromkeys(words[:12]))


def _walk_layers(config: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    inner = config.get("config") if isinstance(config, dict) else None
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        return
    for entry in inner["layers"]:
        if not isinstance(entry, dict):
            continue
        layer_config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        name = str(entry.get("name") or layer_config.get("name") or entry.get("class_name"))
        yield prefix + (name,), entry
        yield from _walk_layers(entry, prefix + (name,))


def _code_objects(path: str, model_config: dict[str, Any]) -> Iterator[CodeObject]:
    top_module = model_config.get("module")
    if isinstance(top_module, str) and not _is_keras_module(top_module):
        yield CodeObject("custom-module", f"the model class comes from module '{top_module}'", Location(path))
    for layer_path, entry in _walk_layers(model_config):
        location = Location(path, layer="/".join(layer_path))
        config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        function = config.get("function")
        if isinstance(function, dict) and function.get("class_name") == "__lambda__":
            code = function.get("config", {}).get("code") if isinstance(function.get("config"), dict) else None
            yield CodeObject("lambda-bytecode", _lambda_detail(code), location)
        elif isinstance(function, list) and config.get("function_type") == "lambda":
            code = function[0] if function and isinstance(function[0], str) else None
            yield CodeObject("lambda-bytecode", _lambda_detail(code), location)
        elif config.get("function_type") == "function" and isinstance(config.get("module"), str):
            module = config["module"]
            if not _is_keras_module(module):
                yield CodeObject("custom-module", f"Lambda calls function {function!r} from module '{module}'", location)
        module = entry.get("module")
        registered = entry.get("registered_name")
        if isinstance(module, str) and not _is_keras_module(module):
            yield CodeObject("custom-module", f"layer class {entry.get('class_name')!r} comes from module '{module}'", location)
        elif isinstance(registered, str) and ">" in registered and not registered.startswith("keras"):
            yield CodeObject("custom-module", f"layer class is the registered custom object '{registered}'", location)


def _lambda_detail(code: Any) -> str:
    if not isinstance(code, str):
        return "Lambda layer with serialized Python code"
    names = _bytecode_strings(code)
    text = f"Lambda layer with {len(code)} characters of serialized Python bytecode"
    return f"{text} (names inside: {names})" if names else text


def _is_keras_module(module: str) -> bool:
    return module == "keras" or module.startswith(("keras.", "keras_", "tf_keras", "tensorflow.", "builtins"))
