"""Keras objects as the script interpreter sees them: layers, tensors, models and their shapes.

Only what static checks need is modelled: each layer's class, name, config,
activation, units and trainable flag; the graph of calls (to order a
functional model's ``.layers`` as Keras does and to tell nested from flat
backbones); and cheap output shapes. Building a layer from a constructor call
is :mod:`.constructors`; names are :mod:`.names`.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from modelcheck.ir import Location
from modelcheck.readers.script.core.interpreter import (
    UNKNOWN,
    UNKNOWN_SLICE,
    Arg,
    Interpreter,
    ModuleRef,
    Obj,
    as_int,
    as_shape,
)
from modelcheck.vocab import SHAPE_KEEPING_AUGMENTATION

_SAME_SHAPE = {
    "Dropout", "SpatialDropout2D", "GaussianDropout", "GaussianNoise", "AlphaDropout", "BatchNormalization",
    "LayerNormalization", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Rescaling", "Normalization",
    "ActivityRegularization", *SHAPE_KEEPING_AUGMENTATION,
}


# -- graph ---------------------------------------------------------------------------------


class Node:
    """One call of a layer (or nested model) on input tensors."""

    __slots__ = ("layer", "inputs", "output", "order", "training")

    def __init__(self, layer: "KLayer", inputs: list["Tensor"], order: int, training: bool | None):
        self.layer = layer
        self.inputs = inputs
        self.order = order
        self.training = training
        self.output: Tensor = Tensor(self, None)


class Tensor(Obj):
    """A symbolic tensor: the output of a node; ``shape`` excludes the batch axis."""

    # Slots: a backbone makes hundreds of layers and tensors per script, and an object
    # without an instance dictionary is quicker to make and to collect.
    __slots__ = ("node", "shape", "pre_ops")

    def __init__(self, node: Node | None, shape: tuple[int | None, ...] | None):
        self.node = node
        self.shape = shape
        self.pre_ops: tuple[tuple[Any, ...], ...] | None = None
        """Pixel operations between the model input and this tensor (None: not the raw input
        any more): ('affine', factor, offset, location) or ('family', name, location)."""

    def get_attr(self, it: Interpreter, name: str, node: ast.AST) -> Any:
        if name == "shape":
            return (None,) + self.shape if self.shape is not None else UNKNOWN
        return UNKNOWN

    def get_item(self, it: Interpreter, key: Any, node: ast.AST) -> Any:
        return it.world.tensor_op(self, False, node)

    def binop(self, it: Interpreter, op: ast.operator, other: Any, reflected: bool, node: ast.AST) -> Any:
        """Arithmetic on a symbolic tensor: a Keras operation (not a layer) in the graph."""
        value = float(other) if isinstance(other, (int, float)) and not isinstance(other, bool) else None
        affine: tuple[float, float] | None = None
        if value is not None:
            if isinstance(op, ast.Div) and not reflected and value != 0:
                affine = (1 / value, 0.0)
            elif isinstance(op, ast.Mult):
                affine = (value, 0.0)
            elif isinstance(op, ast.Add):
                affine = (1.0, value)
            elif isinstance(op, ast.Sub):
                affine = (-1.0, value) if reflected else (1.0, -value)
        return it.world.tensor_op(self, ("affine",) + affine if affine else False, node)


class OpNode(Obj):
    """Stands in for a Keras operation (``x / 255``, ``tf.cast``, ``preprocess_input(x)``) in
    the graph: walked through, but not one of the model's ``.layers``."""

    cls = "TFOpLambda"
    is_op = True

    def __init__(self) -> None:
        self.name = "tf_op"
        self.nodes: list[Node] = []
        self.trainable: bool | None = None


class KLayer(Obj):
    """What layers and models share: a name, a trainable flag, call nodes."""

    __slots__ = ("name", "location", "trainable", "nodes", "world")
    cls = "Layer"

    def __init__(self, name: str, location: Location | None):
        self.name = name
        self.location = location
        self.trainable: bool | None = True
        self.nodes: list[Node] = []
        self.world: Any = None

    def output_tensor(self) -> Any:
        return self.nodes[0].output if self.nodes else UNKNOWN

    def get_attr(self, it: Interpreter, name: str, node: ast.AST) -> Any:
        if name == "name":
            return self.name
        if name == "trainable":
            return self.trainable if self.trainable is not None else UNKNOWN
        if name == "output":
            return self.output_tensor()
        if name == "input":
            return self.nodes[0].inputs[0] if self.nodes and self.nodes[0].inputs else UNKNOWN
        if name == "output_shape":
            out = self.output_tensor()
            return (None,) + out.shape if isinstance(out, Tensor) and out.shape is not None else UNKNOWN
        if name == "__class__":
            return ModuleRef("keras.layers." + self.cls)
        return UNKNOWN

    def set_attr(self, it: Interpreter, name: str, value: Any, node: ast.AST) -> None:
        if name == "trainable" and self.world is not None:
            self.world.set_trainable([self], value, node, self)


class LayerObj(KLayer):
    """One layer instance built in the script (or one layer of a backbone)."""

    __slots__ = ("cls", "config", "activation", "units", "input_shape", "units_ref", "backbone", "kb_index", "pixel_op")

    def __init__(self, cls: str, name: str, location: Location | None, config: dict[str, Any] | None = None):
        super().__init__(name, location)
        self.cls = cls
        self.config: dict[str, Any] = config or {}
        self.activation: str | None = None
        self.units: int | None = None
        self.input_shape: tuple[int | None, ...] | None = None
        self.units_ref: tuple[str, Any] | None = None
        """(name, module context) when the units came from a plain name: for the num_classes fact."""
        self.backbone: Any = None
        self.kb_index: int | None = None
        self.pixel_op: tuple[Any, ...] | None = None
        """What a Lambda layer does to raw pixels, when known: ('affine', f, o, where) or ('family', name, where)."""

    def get_attr(self, it: Interpreter, name: str, node: ast.AST) -> Any:
        if name == "units" and self.cls == "Dense":
            return self.units if self.units is not None else UNKNOWN
        if name == "filters" and self.units is not None and self.cls != "Dense":
            return self.units
        return super().get_attr(it, name, node)

    def call(self, it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        value = args[0].value if args else (kwargs["inputs"].value if "inputs" in kwargs else UNKNOWN)
        return self.world.apply_layer(self, value, kwargs, node)


class ModelObj(KLayer):
    """A model: Sequential, Functional, a keras.applications backbone, or one loaded from a file."""

    def __init__(self, kind: str, name: str, location: Location | None):
        super().__init__(name, location)
        self.kind = kind
        self.cls = "Sequential" if kind == "sequential" else "Functional"
        self.seq: list[KLayer] = []
        self._layers: list[KLayer] = []
        self._nodes: dict[int, Node] = {}
        """Per layer (by id), its call node inside this functional model."""
        self.inputs: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self.backbone: Any = None
        self.uncertain = False
        self.weights_file = False
        self._seq_cache: tuple[int, Tensor | None, Any] | None = None

    # .layers as Keras reports it
    @property
    def layers(self) -> list[KLayer]:
        if self.kind == "sequential":
            return [layer for layer in self.seq if not (isinstance(layer, LayerObj) and layer.cls == "InputLayer")]
        return list(self._layers)

    def input_shape(self) -> tuple[int | None, ...] | None:
        if self.kind == "sequential":
            first = self.seq[0] if self.seq else None
            if isinstance(first, LayerObj):
                return first.input_shape
            if isinstance(first, ModelObj):
                return first.input_shape()
            return None
        if len(self.inputs) == 1:
            return self.inputs[0].shape
        return None

    def output_shape_for(self, shape: tuple[int | None, ...] | None) -> tuple[int | None, ...] | None:
        """Output shape (no batch axis) when called on an input of this shape."""
        if self.kind == "backbone" and self.backbone is not None:
            return self.backbone.output_shape(shape if shape is not None else self.backbone.input_shape)
        if self.kind == "sequential":
            current = shape if shape is not None else self.input_shape()
            for layer in self.layers:
                current = layer_output_shape(layer, current)
            return current
        if len(self.outputs) == 1:
            return self.outputs[0].shape
        return None

    def seq_io(self) -> tuple[Any, Any]:
        """(input, output) tensors of a Sequential, built by chaining its layers like Keras does."""
        if self._seq_cache is not None and self._seq_cache[0] == len(self.seq):
            return self._seq_cache[1] or UNKNOWN, self._seq_cache[2]
        first = self.seq[0] if self.seq else None
        start: Any = UNKNOWN
        layers = self.seq
        if isinstance(first, LayerObj) and first.cls == "InputLayer" and first.nodes:
            start = first.nodes[0].output
            layers = self.seq[1:]
        elif self.input_shape() is not None:
            start = self.world.make_input(self.input_shape(), None, None)
        x = start
        for layer in layers:
            x = self.world.apply_layer(layer, x, {}, None) if x is not UNKNOWN else UNKNOWN
        self._seq_cache = (len(self.seq), start if isinstance(start, Tensor) else None, x)
        return start, x

    def get_attr(self, it: Interpreter, name: str, node: ast.AST) -> Any:
        if name == "layers":
            return LayerList(self.layers, self)
        if self.kind == "sequential" and name in ("input", "output", "inputs", "outputs"):
            start, end = self.seq_io()
            value = start if name.startswith("input") else end
            return [value] if name.endswith("s") and value is not UNKNOWN else value
        if name in ("input", "output"):
            tensors = self.inputs if name == "input" else self.outputs
            return tensors[0] if len(tensors) == 1 else (list(tensors) if tensors else UNKNOWN)
        if name in ("inputs", "outputs"):
            tensors = self.inputs if name == "inputs" else self.outputs
            return list(tensors) if tensors else UNKNOWN
        if name in ("output_shape", "input_shape"):
            shape = self.input_shape() if name == "input_shape" else self.output_shape_for(None)
            return (None,) + shape if shape is not None else UNKNOWN
        return super().get_attr(it, name, node)

    def call(self, it: Interpreter, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        value = args[0].value if args else (kwargs["inputs"].value if "inputs" in kwargs else UNKNOWN)
        return self.world.apply_layer(self, value, kwargs, node)

    def call_method(self, it: Interpreter, name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        return self.world.model_method(self, name, args, kwargs, node)

    @property
    def merge_kind(self) -> str | None:
        return "model" if self.kind != "backbone" else None

    def merge(self, others: list[Any]) -> Any:
        """Bound to other models on other paths: a choice between them (see ``choice.py``)."""
        from modelcheck.readers.script.keras_api.choice import choice_of

        return choice_of([self] + others)


def functional_layers(inputs: list[Tensor], outputs: list[Tensor], limit: int = 200_000) -> tuple[list[KLayer], dict[int, Node]] | None:
    """A functional model's ``.layers`` (every layer between inputs and outputs, in call order)
    and, per layer, its call node inside this model."""
    input_ids = {id(t) for t in inputs}
    nodes: dict[int, Node] = {}
    stack = [t.node for t in outputs if isinstance(t, Tensor) and t.node is not None]
    for t in inputs:
        if isinstance(t, Tensor) and t.node is not None:
            nodes[id(t.node)] = t.node
    while stack:
        node = stack.pop()
        if id(node) in nodes and node.layer.cls != "InputLayer":
            continue
        nodes[id(node)] = node
        if len(nodes) > limit:
            return None
        for tensor in node.inputs:
            if id(tensor) in input_ids:
                continue
            if tensor.node is not None and id(tensor.node) not in nodes:
                stack.append(tensor.node)
    ordered = sorted(nodes.values(), key=lambda n: n.order)
    seen: dict[int, KLayer] = {}
    first: dict[int, Node] = {}
    for node in ordered:
        if getattr(node.layer, "is_op", False):
            continue  # a keras/tf operation: walked through, not listed
        seen.setdefault(id(node.layer), node.layer)
        first.setdefault(id(node.layer), node)
    return list(seen.values()), first


class LayerList(Obj):
    """``model.layers`` (or a slice of it): the layer objects themselves."""

    is_layer_list = True

    def __init__(self, items: list[KLayer], owner: ModelObj | None):
        self.items = items
        self.owner = owner

    def iterate(self, it: Interpreter) -> list[Any] | None:
        return list(self.items)

    def copy_list(self, items: list[Any]) -> "LayerList":
        return LayerList(items, self.owner)

    def get_item(self, it: Interpreter, key: Any, node: ast.AST) -> Any:
        if isinstance(key, slice):
            return LayerList(self.items[key], self.owner)
        if as_int(key) is not None:
            try:
                return self.items[key]
            except IndexError:
                return UNKNOWN
        if key is UNKNOWN_SLICE:
            return SomeLayers(self.items)
        return UNKNOWN

    def binop(self, it: Interpreter, op: ast.operator, other: Any, reflected: bool, node: ast.AST) -> Any:
        if isinstance(op, ast.Add) and isinstance(other, LayerList):
            return LayerList(other.items + self.items if reflected else self.items + other.items, self.owner)
        return UNKNOWN


class SomeLayers(Obj):
    """A slice of ``.layers`` with unknown bounds: which layers it holds is unknown."""

    is_layer_list = True

    def __init__(self, pool: list[KLayer]):
        self.pool = pool

    def placeholder(self, it: Interpreter) -> "AnyLayer":
        return AnyLayer(self.pool)


class AnyLayer(Obj):
    """The loop variable over :class:`SomeLayers`: any of the pool, or none."""

    def __init__(self, pool: list[KLayer]):
        self.pool = pool

    def set_attr(self, it: Interpreter, name: str, value: Any, node: ast.AST) -> None:
        if name == "trainable":
            for layer in self.pool:
                if layer.trainable is not value:
                    layer.trainable = None


# -- shapes ---------------------------------------------------------------------------------


def _pair(value: Any) -> tuple[int, int] | None:
    if as_int(value) is not None:
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(as_int(v) is not None for v in value):
        return (value[0], value[1])
    return None


def _spatial(shape: tuple[int | None, ...], kernel: Any, strides: Any, padding: Any) -> tuple[int | None, int | None] | None:
    k, s = _pair(kernel), _pair(strides if strides is not None else 1)
    if k is None or s is None or padding not in ("valid", "same") or 0 in s:
        return None
    out: list[int | None] = []
    for n, kk, ss in zip(shape[:2], k, s):
        if n is None:
            out.append(None)
        elif padding == "same":
            out.append(math.ceil(n / ss))
        else:
            out.append((n - kk) // ss + 1)
    if any(v is not None and v <= 0 for v in out):
        return None
    return (out[0], out[1])


def layer_output_shape(layer: KLayer, shape: tuple[int | None, ...] | None) -> tuple[int | None, ...] | None:
    """Cheap output-shape inference (no batch axis); None when not obvious."""
    if isinstance(layer, ModelObj):
        return layer.output_shape_for(shape)
    assert isinstance(layer, LayerObj)
    cls, cfg = layer.cls, layer.config
    state = layer.backbone
    if state is not None and layer.kb_index is not None and cls != "InputLayer":
        # Inside a backbone only its final feature map is known (from the knowledge base's rule).
        if state.layers and layer is state.layers[-1]:
            return state.feature_shape(state.input_shape)
        return None
    if cls == "InputLayer":
        return layer.input_shape
    if shape is None:
        shape = layer.input_shape
    if cls == "Dense":
        if layer.units is None:
            return None
        return (shape[:-1] if shape else ()) + (layer.units,) if shape is not None else (layer.units,)
    if shape is None:
        return None
    if cls in _SAME_SHAPE:
        return shape
    if cls == "Flatten":
        if all(as_int(v) is not None for v in shape):
            return (math.prod(shape),)
        return None
    if cls in ("GlobalAveragePooling2D", "GlobalMaxPooling2D") and len(shape) == 3:
        return (1, 1, shape[2]) if cfg.get("keepdims") is True else (shape[2],)
    if cls == "Reshape":
        return as_shape(cfg.get("target_shape"))
    if len(shape) != 3:
        return None
    if cls in ("Conv2D", "SeparableConv2D", "DepthwiseConv2D") and (layer.units is not None or cls == "DepthwiseConv2D"):
        spatial = _spatial(shape, cfg.get("kernel_size"), cfg.get("strides", 1), cfg.get("padding", "valid"))
        channels = layer.units if cls != "DepthwiseConv2D" else shape[2]
        return spatial + (channels,) if spatial is not None else None
    if cls in ("MaxPooling2D", "AveragePooling2D"):
        pool = cfg.get("pool_size", (2, 2))
        spatial = _spatial(shape, pool, cfg.get("strides") if cfg.get("strides") is not None else pool, cfg.get("padding", "valid"))
        return spatial + (shape[2],) if spatial is not None else None
    if cls == "ZeroPadding2D":
        pad = _pair(cfg.get("padding", (1, 1)))
        if pad is None or shape[0] is None or shape[1] is None:
            return None
        return (shape[0] + 2 * pad[0], shape[1] + 2 * pad[1], shape[2])
    return None
