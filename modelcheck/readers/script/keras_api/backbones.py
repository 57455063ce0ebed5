"""keras.applications backbones in scripts: the knowledge-base entry, the layers a call
builds (include_top head and pooling included) and the shape of their feature map.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Mapping

from modelcheck.ir import Location
from modelcheck.readers.script.core.interpreter import UNKNOWN, Arg, as_shape
from modelcheck.readers.script.keras_api.constructors import activation_name
from modelcheck.readers.script.keras_api.layers import KLayer, LayerObj, ModelObj, Node, Tensor, layer_output_shape
from modelcheck.readers.script.keras_api.names import CLASS_ALIASES
from modelcheck.vocab import ACTIVATION_LAYERS

_BACKBONE_PARAMS = ["include_top", "weights", "input_tensor", "input_shape", "pooling", "classes", "classifier_activation"]


class BackboneFacts:
    """The knowledge-base entry of one keras.applications backbone, as this reader needs it."""

    def __init__(self, name: str, entry: Any):
        def get(key: str, default: Any = None) -> Any:
            if isinstance(entry, Mapping):
                return entry.get(key, default)
            return getattr(entry, key, default)

        self.name = get("name") if isinstance(get("name"), str) else name
        self.model_name = get("model_name") or name.lower()
        layers = list(get("layers") or [])
        classes = list(get("classes") or [])
        if layers and not isinstance(layers[0], str):  # layers as records
            classes = [get_any(layer, "class_name", "class") for layer in layers]
            layers = [get_any(layer, "name") for layer in layers]
        self.layers: list[str] = [str(n) for n in layers]
        self.classes: list[str] = [str(c) for c in classes] if len(classes) == len(layers) else ["Layer"] * len(layers)
        self.default_size = get("default_size") or 224
        extras = getattr(entry, "imagenet_extra", None)
        try:
            self.extras = list(extras()) if callable(extras) else list(get("imagenet_weights_extra_layers") or [])
        except Exception:  # an incomplete entry: assume no extra layers
            self.extras = []
        method = getattr(entry, "feature_map", None)
        self.feature_map = method if callable(method) else None
        """``feature_map(height, width)`` → (h, w, channels) of the include_top=False output."""
        self._layouts: dict[bool, tuple[tuple[str, str, str | None], ...]] = {}

    def layer_layout(self, imagenet: bool) -> tuple[tuple[str, str, str | None], ...]:
        """(class, name, activation) of each layer after the input, with the layers a
        ``weights="imagenet"`` build inserts; made once per backbone, not per script."""
        layout = self._layouts.get(imagenet)
        if layout is None:
            entries = list(zip(self.layers, self.classes))
            if imagenet:
                for extra in sorted(self.extras, key=lambda e: get_any(e, "index") or 0):
                    index = get_any(extra, "index")
                    if isinstance(index, int) and 0 < index <= len(entries):
                        entries.insert(index, (str(get_any(extra, "name")), str(get_any(extra, "class_name", "class"))))
            layout = self._layouts[imagenet] = tuple(
                (cls, name, ACTIVATION_LAYERS.get(cls)) for name, cls in ((n, CLASS_ALIASES.get(c, c)) for n, c in entries[1:])
            )
        return layout


def get_any(record: Any, *keys: str) -> Any:
    for key in keys:
        value = record.get(key) if isinstance(record, Mapping) else getattr(record, key, None)
        if value is not None:
            return value
    return None


def find_backbone_facts(name: str) -> BackboneFacts | None:
    """The knowledge base's facts for a keras.applications name, or None when unknown."""
    try:
        from modelcheck import knowledge
    except ImportError:
        return None
    finder = getattr(knowledge, "find_backbone", None)
    if finder is None:
        return None
    try:
        entry = finder(name)
    except Exception:  # a knowledge base that cannot load: backbones stay unknown
        return None
    if not entry:
        return None
    facts = BackboneFacts(name, entry)
    return facts if facts.layers else None


# -- shapes and heads --------------------------------------------------------------------------------

_AVG_POOL_NAMED = ("ResNet", "Inception", "Xception", "DenseNet", "EfficientNet")


def top_layers(name: str, classes: Any, activation: Any) -> list[tuple[str, str, str | None, Any]] | None:
    """(name, class, activation, units) of the include_top=True head Keras adds; None if not modelled."""
    act = activation_name(activation) if activation is not UNKNOWN else None
    if name in ("VGG16", "VGG19"):
        return [("flatten", "Flatten", None, None), ("fc1", "Dense", "relu", 4096), ("fc2", "Dense", "relu", 4096),
                ("predictions", "Dense", act, classes)]
    if name.startswith("EfficientNet"):
        return [("avg_pool", "GlobalAveragePooling2D", None, None), ("top_dropout", "Dropout", None, None),
                ("predictions", "Dense", act, classes)]
    if name.startswith(_AVG_POOL_NAMED):
        return [("avg_pool", "GlobalAveragePooling2D", None, None), ("predictions", "Dense", act, classes)]
    if name.startswith(("NASNet", "MobileNetV2")):
        return [("", "GlobalAveragePooling2D", None, None), ("predictions", "Dense", act, classes)]
    return None


class BackboneState:
    """A keras.applications network built by the script."""

    def __init__(self, name: str, facts: Any, location: Location):
        self.name = name
        self.facts = facts
        self.location = location
        self.weights = "unknown"
        self.include_top: bool | None = None
        self.input_shape: tuple[int | None, ...] | None = None
        self.pooling: Any = None
        self.include_preprocessing: bool | None = None
        self.layers: list[LayerObj] = []
        """The knowledge base's (include_top=False) layers, InputLayer first."""
        self.head: list[LayerObj] = []
        """Layers Keras adds after them (include_top=True head, or pooling)."""
        self.model: ModelObj | None = None

    def output_shape(self, shape: tuple[int | None, ...] | None) -> tuple[int | None, ...] | None:
        """The backbone's output shape (no batch axis) for an input of this shape, head included."""
        if self.include_top is None or (self.pooling is not None and self.pooling not in ("avg", "max")):
            return None
        current = self.feature_shape(shape)
        for layer in self.head:
            current = layer_output_shape(layer, current)
        return current

    def feature_shape(self, shape: tuple[int | None, ...] | None) -> tuple[int | None, ...] | None:
        """Shape of the last feature map, from the knowledge base's generated downsampling ops."""
        if shape is None or len(shape) != 3:
            return None
        feature_map = getattr(self.facts, "feature_map", None)
        if feature_map is None:
            return None
        height, width = shape[0], shape[1]
        if height is None or width is None:
            channels = feature_map(None, None)
            return (None, None, channels[-1]) if channels else None
        return feature_map(height, width)


def build_backbone(world: Any, name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
    facts = world.backbone_facts(name)
    if facts is None:
        return UNKNOWN
    it = world.it
    params: dict[str, Arg] = {}
    for index, arg in enumerate(args[: len(_BACKBONE_PARAMS)]):
        params[_BACKBONE_PARAMS[index]] = arg
    params.update({k: v for k, v in kwargs.items() if k != "**unknown**"})
    state = BackboneState(facts.name, facts, it.loc(node))
    top = params.get("include_top")
    state.include_top = True if top is None else (top.value if isinstance(top.value, bool) else None)
    weights = params.get("weights")
    state.weights = _weights_kind(weights.value if weights is not None else "imagenet")
    state.pooling = params["pooling"].value if "pooling" in params else None
    preprocessing = params.get("include_preprocessing")
    state.include_preprocessing = preprocessing.value if preprocessing is not None and isinstance(preprocessing.value, bool) else None
    model = ModelObj("backbone", _model_name(facts.model_name, params), it.loc(node))
    model.world = world
    model.backbone = state
    state.model = model
    tensor = params.get("input_tensor")
    shape_arg = params.get("input_shape")
    if tensor is not None and isinstance(tensor.value, Tensor):
        x = tensor.value
        shape = x.shape
    else:
        if shape_arg is not None:
            shape = as_shape(shape_arg.value)
        elif state.include_top:
            shape = (facts.default_size, facts.default_size, 3)
        else:
            shape = (None, None, 3)
        x = world.make_input(shape, None, node)  # Keras auto-names it, as the knowledge base's own build did
    state.input_shape = shape
    input_layer = x.node.layer if x.node is not None else None
    layers: list[KLayer] = [input_layer] if isinstance(input_layer, KLayer) else []
    if isinstance(input_layer, LayerObj) and input_layer.backbone is None:
        input_layer.backbone, input_layer.kb_index = state, 0
    if x.node is not None:
        model._nodes[id(input_layer)] = x.node
    model.inputs = [x]
    layout = facts.layer_layout(state.weights == "imagenet")
    order = world.next_node_orders(len(layout))
    nodes = model._nodes
    location = state.location
    for index, (layer_class, layer_name, activation) in enumerate(layout, start=1):
        layer = LayerObj(layer_class, layer_name, location)
        layer.world, layer.backbone, layer.kb_index, layer.activation = world, state, index, activation
        call = Node(layer, [x], order + index, None)
        layer.nodes.append(call)
        nodes[id(layer)] = call
        layers.append(layer)
        x = call.output
    state.layers = [layer for layer in layers if isinstance(layer, LayerObj)]
    x.shape = state.feature_shape(shape)
    head = _backbone_head(state, params)
    for layer_name, layer_class, activation, units in head:
        layer = LayerObj(layer_class, layer_name or world.auto_name(layer_class), state.location)
        layer.world, layer.activation, layer.units = world, activation, units
        if layer_class == "Dense":
            layer.config = {"units": units, "activation": activation}
        x = world.apply_layer(layer, x, {}, None)
        model._nodes[id(layer)] = layer.nodes[-1]
        layers.append(layer)
        state.head.append(layer)
    model.outputs = [x]
    model._layers = layers
    world.models.append(model)
    return model

def _backbone_head(state: BackboneState, params: dict[str, Arg]) -> list[tuple[str, str, str | None, Any]]:
    if state.include_top:
        classes = params.get("classes")
        activation = params.get("classifier_activation")
        count = classes.value if classes is not None else 1000
        head = top_layers(state.name, count if isinstance(count, int) else None,
                                       activation.value if activation is not None else "softmax")
        return head or []
    if state.pooling in ("avg", "max"):
        cls = "GlobalAveragePooling2D" if state.pooling == "avg" else "GlobalMaxPooling2D"
        named = state.name.startswith(("ResNet", "DenseNet", "EfficientNet", "MobileNetV3"))
        if state.name.startswith("ResNet") and state.pooling == "max":
            named = True
        return [(("avg_pool" if state.pooling == "avg" else "max_pool") if named else "", cls, None, None)]
    return []


def _model_name(name: str, params: dict[str, Arg]) -> str:
    """MobileNet names carry the input rows ('mobilenetv2_1.00_160'): use the script's."""
    match = re.fullmatch(r"(mobilenet\w*?_[\d.]+)_(\d+|None)", name)
    shape = as_shape(params["input_shape"].value) if "input_shape" in params else None
    if match and shape and len(shape) == 3 and isinstance(shape[0], int):
        return f"{match.group(1)}_{shape[0]}"
    return name


def _weights_kind(value: Any) -> str:
    if value is None:
        return "none"
    if value == "imagenet":
        return "imagenet"
    if isinstance(value, str) and value:
        return "file"
    return "unknown"
