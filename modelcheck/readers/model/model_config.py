"""Turn a Keras model config (Keras 2 or Keras 3 layout) into the IR.

The config is the JSON Keras writes in `config.json`, the `model_config` HDF5
attribute or `model.to_json()`. Keras 3 records `inbound_nodes` as
``{"args": [keras tensors], "kwargs": {...}}``; Keras 2 as nested lists
``[[["name", node, tensor, {kwargs}], ...]]``. Both are read here.
"""

from __future__ import annotations

from typing import Any, Iterator

from modelcheck.errors import InputError
from modelcheck.readers.model.config_checks import check_entries
from modelcheck.readers.model.config_code import _code_objects
from modelcheck.readers.model.safe_text import clean_name, config_text
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
    version = config_text(keras_version)
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
    class_name = config_text(config.get("class_name")) or "Model"
    name = config_text(inner.get("name")) or config_text(config.get("name")) or class_name.lower()
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
    names = [_layer_name(entry, index) for index, entry in enumerate(parsed)]
    inbounds = [_inbound(entry.get("inbound_nodes")) for entry in parsed]
    check_entries(parsed, names, [inbound for inbound, _ in inbounds], "/".join(prefix) + "/" if prefix else "")

    shapes = _shapes_from_inbound(parsed)
    input_shapes: list[Shape] = []
    layers: list[Layer] = []
    previous: str | None = None
    for index, entry in enumerate(parsed):
        raw_class = config_text(entry.get("class_name")) or "Unknown"
        layer_class = LAYER_ALIASES.get(raw_class, raw_class)
        layer_config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        layer_name = names[index]
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
        inbound, call_training = inbounds[index]
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
    raw_class = config_text(entry.get("class_name")) or "Unknown"
    return config_text(entry.get("name")) or config_text(layer_config.get("name")) or f"{LAYER_ALIASES.get(raw_class, raw_class).lower()}_{index}"


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
        names.append(clean_name(spec[0]))
    elif isinstance(spec, list):
        names.extend(clean_name(item[0]) for item in spec if isinstance(item, list) and item and isinstance(item[0], str))
    elif isinstance(spec, dict):  # Keras 3 dict outputs
        for value in spec.values():
            if isinstance(value, list) and value and isinstance(value[0], str):
                names.append(clean_name(value[0]))
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
        return clean_name(activation) if activation is not None else None
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
                    names.append(clean_name(history[0]))
            kwargs = node.get("kwargs")
            if isinstance(kwargs, dict) and isinstance(kwargs.get("training"), bool):
                training = kwargs["training"]
        elif isinstance(node, list):  # Keras 2: [[name, node_index, tensor_index, kwargs], ...]
            for ref in node:
                if isinstance(ref, list) and ref and isinstance(ref[0], str):
                    names.append(clean_name(ref[0]))
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
                    shapes.setdefault(clean_name(history[0]), tuple(shape[1:]))
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
        name, custom = canonical_loss(clean_name(value))
        return Loss(name=name, custom=custom, location=location)
    if isinstance(value, dict):
        class_name = value.get("class_name")
        config = value.get("config")
        if class_name == "function" and isinstance(config, str):
            name, custom = canonical_loss(clean_name(config))
            return Loss(name=name, custom=custom, location=location)
        if isinstance(class_name, str):
            name, custom = canonical_loss(clean_name(class_name.split(">")[-1]))
            from_logits = config.get("from_logits") if isinstance(config, dict) else None
            return Loss(name=name, custom=custom, from_logits=from_logits if isinstance(from_logits, bool) else None, location=location)
    return None


def _optimizer(value: Any, location: Location) -> Optimizer | None:
    if isinstance(value, str):
        return Optimizer(class_name=canonical_optimizer(clean_name(value)), location=location)
    if not isinstance(value, dict):
        return None
    class_name = canonical_optimizer(config_text(value.get("class_name")))
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
                names.append(clean_name(name))

    collect(value, 0)
    return tuple(names)
