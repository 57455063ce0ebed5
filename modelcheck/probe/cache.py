"""Frozen-prefix caching: run the frozen front of a model once, train only the rest.

When the first layers of a model have no trainable weights and behave the same
in training and inference (frozen BatchNormalization, no Dropout, or a nested
backbone called with ``training=False``), their output on the fixed probe
batch never changes. The probe evaluates that prefix once and trains a model
made of the remaining layers (the same layer objects, so the same weights) on
the cached features: a VGG16 with blocks 1–4 frozen costs one forward pass
through them instead of one per step.

Supported shapes: Sequential and Functional graphs, with nested Sequential or
Functional models (a backbone) expanded in place, so the cut can fall inside
a partly frozen backbone at any point where a single tensor crosses it (such
as ``block4_pool``). Shared layers, multi-input graphs and ``keras.ops`` calls
that are not layers make :func:`plan` return None with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelcheck.vocab import AUGMENTATION_LAYERS

TRAINING_DEPENDENT = {
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization",
}


class _Unsupported(Exception):
    pass


@dataclass(frozen=True)
class Ref:
    key: str
    index: int = 0


@dataclass
class Node:
    key: str
    layer: Any
    args: Any
    kwargs: dict[str, Any]
    force_inference: bool = False
    """The enclosing nested model was called with training=False."""

    def refs(self) -> list[Ref]:
        return _refs(self.args) + _refs(self.kwargs)


@dataclass
class FlatGraph:
    inputs: list[str]
    nodes: list[Node]
    outputs: list[Ref]


@dataclass
class CachePlan:
    graph: FlatGraph
    cut: int
    """nodes[:cut] are evaluated once; nodes[cut:] are trained."""
    cut_ref: Ref
    prefix_params: int
    description: str
    features: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def prefix(self) -> list[Node]:
        return self.graph.nodes[: self.cut]

    @property
    def rest(self) -> list[Node]:
        return self.graph.nodes[self.cut :]


def _refs(value: Any) -> list[Ref]:
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, (list, tuple)):
        return [r for item in value for r in _refs(item)]
    if isinstance(value, dict):
        return [r for item in value.values() for r in _refs(item)]
    return []


# --- flattening ----------------------------------------------------------------


def flatten(model: Any) -> FlatGraph:
    """The model as one list of layer calls, nested models expanded."""
    nodes: list[Node] = []
    input_key = "__input__"
    outputs = _flatten_into(model, [Ref(input_key)], "", False, nodes)
    return FlatGraph([input_key], _toposort(nodes, {input_key}), outputs)


def _is_model(layer: Any) -> bool:
    return hasattr(layer, "layers") and hasattr(layer, "get_config") and type(layer).__name__ in ("Sequential", "Functional", "Model")


def _flatten_into(model: Any, inputs: list[Ref], prefix: str, force: bool, nodes: list[Node]) -> list[Ref]:
    if len(getattr(model, "inputs", None) or []) != 1 or len(inputs) != 1:
        raise _Unsupported("models with several inputs are not cached")
    if type(model).__name__ == "Sequential":
        current = inputs[0]
        for layer in model.layers:
            current = _add(layer, [current], {}, prefix, force, nodes)[0]
        return [current]
    config = model.get_config()
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise _Unsupported(f"{model.name}: no functional config")
    names = _layer_refs(config.get("input_layers"))
    produced: dict[str, list[Ref]] = {}
    for name, ref in zip(names, inputs):
        produced[name[0]] = [ref]
    for entry in config["layers"]:
        name = entry.get("name") or entry.get("config", {}).get("name")
        if entry.get("class_name") == "InputLayer":
            if name not in produced:
                raise _Unsupported(f"{model.name}: input {name} is not connected")
            continue
        node_specs = entry.get("inbound_nodes") or []
        if len(node_specs) != 1 or not isinstance(node_specs[0], dict):
            raise _Unsupported(f"layer {name} is called {len(node_specs)} times (shared layers are not cached)")
        try:
            layer = model.get_layer(name)
        except ValueError:
            raise _Unsupported(f"{name} is an operation, not a layer") from None
        args = _substitute(node_specs[0].get("args", []), produced)
        kwargs = _substitute(node_specs[0].get("kwargs", {}) or {}, produced)
        kwargs = {k: v for k, v in kwargs.items() if not (k == "mask" and v is None)}
        produced[name] = _add(layer, args, kwargs, prefix, force, nodes)
    return [r for spec in _layer_refs(config.get("output_layers")) for r in [_pick(produced, spec)]]


def _add(layer: Any, args: Any, kwargs: dict[str, Any], prefix: str, force: bool, nodes: list[Node]) -> list[Ref]:
    key = prefix + layer.name
    if _is_model(layer):
        tensors = _refs(args)
        training = kwargs.get("training")
        if len(tensors) == 1 and set(kwargs) <= {"training"}:
            return _flatten_into(layer, tensors, key + "/", force or training is False, nodes)
    nodes.append(Node(key, layer, args, kwargs, force))
    return [Ref(key, i) for i in range(_output_count(layer))] or [Ref(key)]


def _output_count(layer: Any) -> int:
    try:
        output = layer.output
    except (AttributeError, ValueError):
        return 1
    return len(output) if isinstance(output, (list, tuple)) else 1


def _layer_refs(spec: Any) -> list[tuple[str, int, int]]:
    if isinstance(spec, (list, tuple)) and spec and isinstance(spec[0], str):
        return [(spec[0], int(spec[1]), int(spec[2]))]
    if isinstance(spec, (list, tuple)):
        return [(s[0], int(s[1]), int(s[2])) for s in spec if isinstance(s, (list, tuple)) and s and isinstance(s[0], str)]
    if isinstance(spec, dict):
        return [r for value in spec.values() for r in _layer_refs(value)]
    return []


def _pick(produced: dict[str, list[Ref]], spec: tuple[str, int, int]) -> Ref:
    name, node_index, tensor_index = spec
    if name not in produced or node_index != 0:
        raise _Unsupported(f"reference to {name} (node {node_index}) cannot be resolved")
    refs = produced[name]
    return refs[tensor_index] if tensor_index < len(refs) else refs[0]


def _substitute(value: Any, produced: dict[str, list[Ref]]) -> Any:
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = value.get("config", {}).get("keras_history")
            if not isinstance(history, (list, tuple)) or len(history) != 3:
                raise _Unsupported("tensor without history")
            return _pick(produced, (history[0], int(history[1]), int(history[2])))
        return {k: _substitute(v, produced) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_substitute(v, produced) for v in value]
    return value


def _toposort(nodes: list[Node], available: set[str]) -> list[Node]:
    done = set(available)
    ordered: list[Node] = []
    pending = list(nodes)
    while pending:
        progress = False
        for node in list(pending):
            if all(ref.key in done for ref in node.refs()):
                ordered.append(node)
                done.add(node.key)
                pending.remove(node)
                progress = True
        if not progress:
            raise _Unsupported("the layer graph has references the probe cannot order")
    return ordered


# --- planning ------------------------------------------------------------------


def training_invariant(layer: Any) -> bool:
    """True when the layer computes the same thing in training and inference mode."""
    if _is_model(layer):
        return all(training_invariant(sub) for sub in layer.layers)
    name = type(layer).__name__
    # Augmentation is random in training only (AugMix, MixUp, Solarization… as well as the Random* layers).
    if name in TRAINING_DEPENDENT or name in AUGMENTATION_LAYERS or name.startswith("Random"):
        return False
    if name == "BatchNormalization":
        return not layer.trainable  # Keras 3 runs a frozen BatchNormalization in inference mode
    return True


def _cacheable(node: Node) -> bool:
    if node.layer.trainable_weights:
        return False
    if node.force_inference or node.kwargs.get("training") is False:
        return True
    return training_invariant(node.layer)


def _params(layer: Any) -> int:
    total = 0
    for weight in layer.weights:
        size = 1
        for dim in weight.shape:
            size *= int(dim)
        total += size
    return total


def plan(model: Any) -> tuple[CachePlan | None, str]:
    """The largest frozen prefix ending in a single-tensor cut, or (None, why not)."""
    try:
        graph = flatten(model)
    except _Unsupported as error:
        return None, f"not cached: {error}"
    except Exception as error:  # an unusual graph: probing without the cache is always correct
        return None, f"not cached: the graph could not be analysed ({type(error).__name__})"
    if len(graph.outputs) != 1:
        return None, "not cached: several outputs"
    frozen = 0
    for node in graph.nodes:
        if not _cacheable(node):
            break
        frozen += 1
    if frozen == 0:
        return None, "not cached: the first layer is trainable or behaves differently in training"
    last_use: dict[Ref, int] = {}
    for index, node in enumerate(graph.nodes):
        for ref in node.refs():
            last_use[ref] = index
    for ref in graph.outputs:
        last_use[ref] = len(graph.nodes)
    producers = {node.key: i for i, node in enumerate(graph.nodes)}
    for cut in range(frozen, 0, -1):
        live = {ref for ref, use in last_use.items() if use >= cut and (ref.key in graph.inputs or producers.get(ref.key, cut) < cut)}
        if len(live) == 1:
            (ref,) = live
            if ref.key in graph.inputs:
                continue
            params = sum(_params(node.layer) for node in graph.nodes[:cut])
            if params == 0:
                return None, "not cached: the frozen prefix has no weights (nothing to save)"
            if cut == len(graph.nodes):
                return None, "not cached: every layer is frozen (nothing would train)"
            size = f"{params / 1e6:.1f} M" if params >= 100_000 else f"{params:,}"
            description = f"frozen prefix up to {ref.key} ({cut} layers, {size} weights) run once"
            return CachePlan(graph, cut, ref, params, description), description
    return None, "not cached: no single tensor separates the frozen layers from the trainable ones"


# --- evaluating ----------------------------------------------------------------


def _resolve(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, Ref):
        out = values[value.key]
        return out[value.index] if isinstance(out, (list, tuple)) else out
    if isinstance(value, (list, tuple)):
        return [_resolve(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, values) for k, v in value.items()}
    return value


def _run(nodes: list[Node], values: dict[str, Any]) -> None:
    for node in nodes:
        args = _resolve(node.args, values)
        kwargs = _resolve(node.kwargs, values)
        if node.force_inference:
            kwargs["training"] = False
        values[node.key] = node.layer(*args, **kwargs)


def features(plan_: CachePlan, x: Any, chunk: int = 32) -> Any:
    """The prefix's output on ``x``, computed once in inference mode (NumPy)."""
    import keras
    import numpy as np

    parts = []
    for start in range(0, len(x), chunk):
        values: dict[str, Any] = {plan_.graph.inputs[0]: keras.ops.convert_to_tensor(x[start : start + chunk])}
        _run(plan_.prefix, values)
        parts.append(keras.ops.convert_to_numpy(_resolve(plan_.cut_ref, values)))
    return np.concatenate(parts)


def rest_model(plan_: CachePlan, feature_shape: tuple[int, ...]) -> Any:
    """A keras.Model from the cut to the output, made of the original layer objects."""
    import keras

    start = keras.Input(shape=feature_shape)
    values: dict[str, Any] = {}
    key = plan_.cut_ref.key
    original = plan_.cut_ref.index
    # Only the cut tensor is reachable from the rest; stand it in at its own index.
    values[key] = [start] * (original + 1) if original else start
    _run(plan_.rest, values)
    return keras.Model(start, _resolve(plan_.graph.outputs[0], values))


def value_before(model: Any, prefix: str, x: Any) -> Any | None:
    """What reaches the first layer whose path starts with ``prefix`` (e.g. a backbone), on ``x``.

    Layers in front of it (a Rescaling in the wrapper model) are applied in
    inference mode; None when the graph cannot be analysed or has no such layer.
    """
    import keras

    try:
        graph = flatten(model)
    except Exception:
        return None
    for index, node in enumerate(graph.nodes):
        if node.key == prefix or node.key.startswith(prefix + "/"):
            values: dict[str, Any] = {graph.inputs[0]: keras.ops.convert_to_tensor(x)}
            before = graph.nodes[:index]
            try:
                for item in before:
                    args = _resolve(item.args, values)
                    kwargs = {**_resolve(item.kwargs, values), "training": False}  # augmentation off
                    values[item.key] = item.layer(*args, **kwargs)
                entering = node.refs()
                if len(entering) != 1:
                    return None
                return keras.ops.convert_to_numpy(_resolve(entering[0], values))
            except Exception:
                return None
    return None
