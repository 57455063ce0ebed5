"""Graph helpers the rules share: outputs, consumers, labels for messages."""

from __future__ import annotations

import weakref
from typing import Iterator

from modelcheck.ir import Layer, ModelGraph, TrainingSetup
from modelcheck.vocab import ACTIVATION_LAYERS, PASS_THROUGH_LAYERS

ACTIVATION_ONLY = {"Activation", *ACTIVATION_LAYERS}
DROPOUT_LIKE = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianDropout", "GaussianNoise", "AlphaDropout"}
# Layers that are linear maps at inference time and change no feature count: two weighted
# linear layers with only these between them still collapse into one (MC104).
LINEAR_AT_INFERENCE = DROPOUT_LIKE | {
    "Flatten",
    "Reshape",
    "BatchNormalization",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
}
# Global poolings keep the channel axis: a `Conv2D(n, 1)` → pooling → softmax head has n outputs.
GLOBAL_POOLING = {
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
}
WEIGHTED_CLASSES = {
    "Dense",
    "EinsumDense",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv2DTranspose",
    "SeparableConv2D",
    "DepthwiseConv2D",
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "Embedding",
    "PReLU",
    "LSTM",
    "GRU",
    "SimpleRNN",
    "MultiHeadAttention",
}


def has_weights(layer: Layer) -> bool:
    """Whether the layer holds trainable weights (by class; nested models by their layers)."""
    if layer.submodel is not None:
        return any(has_weights(inner) for inner in layer.submodel.layers)
    return layer.class_name in WEIGHTED_CLASSES or layer.units is not None


def output_layer_ids(graph: ModelGraph) -> set[int]:
    return {id(layer) for layer in graph.output_layers()}


def containers(graph: ModelGraph, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], ModelGraph]]:
    """The graph and every nested model graph, with their nesting paths."""
    yield path, graph
    for layer in graph.layers:
        if layer.submodel is not None:
            yield from containers(layer.submodel, path + (layer.name,))


_CONSUMERS: dict[int, tuple[weakref.ref, dict[str, list[Layer]]]] = {}


def consumers(graph: ModelGraph) -> dict[str, list[Layer]]:
    """Layers of one container keyed by the names of the layers they read from.

    Built once per graph: rules ask for every layer's successor, and a rebuild per
    question is quadratic on a 10 000-layer model.
    """
    cached = _CONSUMERS.get(id(graph))
    if cached is not None and cached[0]() is graph:
        return cached[1]
    result: dict[str, list[Layer]] = {}
    for layer in graph.layers:
        for name in layer.inbound:
            result.setdefault(name, []).append(layer)
    key = id(graph)
    _CONSUMERS[key] = (weakref.ref(graph, lambda _ref, key=key: _CONSUMERS.pop(key, None)), result)
    return result


def next_layer(graph: ModelGraph, layer: Layer, skip: set[str] = DROPOUT_LIKE) -> Layer | None:
    """The single layer that consumes ``layer``, looking through ``skip`` classes."""
    users = consumers(graph)
    current = layer
    for _ in range(len(graph.layers)):
        following = users.get(current.name, [])
        if len(following) != 1:
            return None
        candidate = following[0]
        if len(candidate.inbound) != 1:
            return None
        if candidate.class_name in skip:
            current = candidate
            continue
        return candidate
    return None


def head_of(graph: ModelGraph) -> tuple[str | None, int | None, Layer] | None:
    """(activation, units, layer) the single model output ends with, looking through
    activation-only and pass-through layers back to the layer that sets the units."""
    outputs = graph.output_layers()
    if len(outputs) != 1:
        return None
    output = outputs[0]
    container = _container_of(graph, output)
    if container is None:
        return None
    by_name = {layer.name: layer for layer in container.layers}
    activation: str | None = None
    layer = output
    for _ in range(len(container.layers) + 1):
        if layer.class_name in ACTIVATION_ONLY:
            if activation is None:
                activation = layer.activation
        elif layer.class_name in PASS_THROUGH_LAYERS - {"InputLayer"} or layer.class_name in DROPOUT_LIKE:
            pass
        elif layer.class_name in GLOBAL_POOLING:
            pass  # keeps the channel axis: the units of the layer before it reach the output
        elif layer.units is not None:
            return activation or layer.activation, layer.units, output
        else:
            return None
        if len(layer.inbound) != 1 or layer.inbound[0] not in by_name:
            return None
        layer = by_name[layer.inbound[0]]
    return None


def _container_of(graph: ModelGraph, target: Layer) -> ModelGraph | None:
    for _, container in containers(graph):
        if any(layer is target for layer in container.layers):
            return container
    return None


def layer_label(layer: Layer) -> str:
    """How a user wrote the layer: `Dense(256, activation='softmax')`, with its name when saved."""
    args: list[str] = []
    if layer.units is not None:
        args.append(str(layer.units))
    if layer.class_name == "Activation" and layer.activation:
        args.append(repr(layer.activation))
    elif layer.activation not in (None, "linear") and layer.class_name not in ACTIVATION_ONLY and layer.units is not None:
        args.append(f"activation={layer.activation!r}")
    text = f"{layer.class_name}({', '.join(args)})"
    return text


def named(layer: Layer, setup: TrainingSetup) -> str:
    """Label plus the layer name where the input is a saved model (scripts give lines)."""
    label = f"`{layer_label(layer)}`"
    if setup.kind in ("model", "live"):
        return f"layer '{layer.name}' {label}"
    return label
