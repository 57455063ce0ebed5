"""Keras models as the script interpreter builds them: ``Input``, ``Sequential``, the functional
``Model``, layer calls on tensors and pixels, model methods and ``trainable`` changes.

:class:`ModelBuilding` is a part of :class:`~modelcheck.readers.script.keras_api.world.World`
(its base class); it reads and writes the world's records (``models``, ``freezes``, ``nested``...).
"""

from __future__ import annotations

import ast
from typing import Any

from modelcheck.ir import Location
from modelcheck.readers.script.keras_api import data as script_data, layers as script_keras, pixels as script_pixels, training as script_train
from modelcheck.readers.script.core.interpreter import UNKNOWN, Arg, Interpreter, as_shape
from modelcheck.readers.script.keras_api.layers import KLayer, LayerObj, ModelObj, Node, Tensor, layer_output_shape


class ModelBuilding:
    """The model-building half of the Keras world (see :class:`World`)."""

    it: Interpreter

    def make_input(self, shape: Any, name: str | None, node: ast.AST | None) -> Tensor:
        layer = LayerObj("InputLayer", name or self.auto_name("InputLayer"), self.it.loc(node) if node is not None else None)
        layer.world = self
        layer.input_shape = as_shape(shape)
        call = Node(layer, [], self.next_node_order(), None)
        call.output.shape = layer.input_shape
        call.output.pre_ops = ()
        layer.nodes.append(call)
        return call.output

    def pixel_op_of(self, func: Any, location: Location) -> tuple[Any, ...] | None:
        """What ``Lambda(func)`` does to raw pixels, when it is plain scaling or a preprocess_input."""
        scaling = script_data.scaling_from_function(self, func, location)
        if scaling.kind == "preprocess_input":
            return ("family", scaling.family, location)
        if scaling.kind == "rescale" and scaling.factor is not None:
            return ("affine", scaling.factor, scaling.offset or 0.0, location)
        if scaling.kind == "none":
            return ("affine", 1.0, 0.0, location)
        return None

    def tensor_op(self, tensor: Tensor, pixel_op: Any, node: ast.AST | None) -> Tensor:
        """A Keras/TF operation applied to a symbolic tensor (``pixel_op``: None = value unchanged,
        a ('affine'|'family', …) step, or False for anything else)."""
        call = Node(script_keras.OpNode(), [tensor], self.next_node_order(), None)  # type: ignore[arg-type]
        call.output.shape = tensor.shape if pixel_op is not False else None
        if tensor.pre_ops is not None and pixel_op is not False:
            where = self.it.loc(node) if node is not None else None
            call.output.pre_ops = tensor.pre_ops + ((pixel_op + (where,)),) if pixel_op else tensor.pre_ops
        return call.output

    def apply_layer(self, layer: KLayer, value: Any, kwargs: dict[str, Arg], node: ast.AST | None) -> Any:
        if isinstance(value, script_pixels.PixelVal):
            if isinstance(layer, ModelObj):
                steps = layer.layers if layer.kind == "sequential" else []
                if layer.kind == "sequential" and not layer.uncertain and all(
                        getattr(s, "cls", None) in script_data.PIXEL_LAYERS for s in steps):
                    for step in steps:  # a Sequential of preprocessing/augmentation layers (or none)
                        value = script_pixels.apply_layer_to_pixels(self, step, value, node)
                    return value
                if layer.kind != "loaded" and not any(m is layer for m in self.model_events):
                    return UNKNOWN  # a block never trained or loaded: a step of a pipeline, not a prediction
                if node is None or not self.seen_call(node, None, "predict"):
                    self.predictions.append((value, value.var_name))  # model(image): a prediction
                    self.uses(value, layer)
                return UNKNOWN
            return script_pixels.apply_layer_to_pixels(self, layer, value, node)
        if isinstance(value, Tensor):
            inputs = [value]
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Tensor) for v in value):
            inputs = list(value)
        else:
            inputs = []
        training = kwargs.get("training")
        call = Node(layer, inputs, self.next_node_order(), training.value if training is not None and isinstance(training.value, bool) else None)
        shape = inputs[0].shape if len(inputs) == 1 else None
        call.output.shape = layer_output_shape(layer, shape) if (len(inputs) == 1 or isinstance(layer, LayerObj) and layer.cls == "Dense") else None
        if len(inputs) == 1 and inputs[0].pre_ops is not None:
            # Pixel-level steps keep track of what happens to the raw input before the network.
            steps = layer.layers if isinstance(layer, ModelObj) and layer.kind == "sequential" else [layer]
            ops = _pixel_steps(steps)
            if ops is not None:
                call.output.pre_ops = inputs[0].pre_ops + ops
        layer.nodes.append(call)
        if isinstance(layer, ModelObj):
            self.nested.add(id(layer))
        return call.output

    def make_sequential(self, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> ModelObj:
        name = kwargs.get("name")
        model = ModelObj("sequential", name.value if name is not None and isinstance(name.value, str) else self.auto_name("Sequential"), self.it.loc(node))
        model.world = self
        model.built_at = self.it.speculative  # layers added at this level of speculation are certain
        self.models.append(model)
        layers = kwargs.get("layers") or (args[0] if args else None)
        if layers is not None:
            if isinstance(layers.value, (list, tuple)):
                for item in layers.value:
                    self._add(model, item)
            elif layers.value is not None:
                model.uncertain = True
        return model

    def _add(self, model: ModelObj, item: Any) -> None:
        if isinstance(item, Tensor) and item.node is not None and item.node.layer.cls == "InputLayer":
            item = item.node.layer
        if self.it.speculative > getattr(model, "built_at", 0) or not isinstance(item, KLayer):
            # A layer added on some paths only, or one we cannot see (a star import from an
            # unknown module): the chain around it is unknown, never shortened.
            model.uncertain = True
            unknown = LayerObj("Unknown", self.auto_name("unknown_layer"), None)
            unknown.world, unknown.trainable = self, None
            model.seq.append(unknown)
            return
        if isinstance(item, ModelObj) and (item is model or any(inner is model for inner in _walk_layers(item))):
            model.uncertain = True  # a model inside itself: Keras refuses it, and so do we
            return
        model.seq.append(item)
        if isinstance(item, ModelObj):
            self.nested.add(id(item))

    def make_functional(self, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> ModelObj:
        for old, new in (("input", "inputs="), ("output", "outputs=")):
            if old in kwargs:
                self.api_use(f"{old}=", new, self.it.loc(kwargs[old].at))
        inputs = kwargs.get("inputs") or kwargs.get("input") or (args[0] if args else None)
        outputs = kwargs.get("outputs") or kwargs.get("output") or (args[1] if len(args) > 1 else None)
        name = kwargs.get("name")
        model = ModelObj("functional", name.value if name is not None and isinstance(name.value, str) else self.auto_name("Functional"), self.it.loc(node))
        model.world = self
        self.models.append(model)
        model.inputs = _tensors(inputs.value if inputs is not None else UNKNOWN)
        model.outputs = _tensors(outputs.value if outputs is not None else UNKNOWN)
        graph = script_keras.functional_layers(model.inputs, model.outputs) if model.outputs else None
        if graph is None:
            model.uncertain = True
            graph = ([], {})
        model._layers, model._nodes = graph
        layers = model._layers
        for layer in layers:
            if isinstance(layer, ModelObj):
                self.nested.add(id(layer))
        return model

    def model_method(self, model: ModelObj, name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        if name == "add":
            self._add(model, args[0].value if args else UNKNOWN)
            return None
        if name == "pop" and model.kind == "sequential" and model.seq and not self.it.speculative:
            return model.seq.pop()
        if script_train.training_method(self, model, name, args, kwargs, node):
            return UNKNOWN
        if name == "load_weights":
            self._weights_from_file(model)
            self.note_path("loads", args[0] if args else kwargs.get("filepath"))
            return None
        if name in ("save", "save_weights"):
            self.note_path("saves", args[0] if args else kwargs.get("filepath"))
            self.model_event(model)
            return None
        if name == "get_layer":
            wanted = kwargs.get("name") or (args[0] if args else None)
            index = kwargs.get("index")
            layers = model.layers
            if index is not None and isinstance(index.value, int):
                return layers[index.value] if -len(layers) <= index.value < len(layers) else UNKNOWN
            if wanted is not None and isinstance(wanted.value, str):
                return next((layer for layer in layers if layer.name == wanted.value), UNKNOWN)
            return UNKNOWN
        if name in ("summary", "save", "save_weights", "build", "reset_states"):
            return None
        return UNKNOWN

    def _weights_from_file(self, model: ModelObj) -> None:
        model.weights_file = True
        for layer in _walk_models(model):
            if layer.backbone is not None:
                layer.backbone.weights = "file"

    def set_trainable(self, targets: list[KLayer], value: Any, node: ast.AST, obj: Any) -> None:
        """``x.trainable = value``: Keras sets it on the object and, for a model, on all its layers."""
        flag = value if isinstance(value, bool) else None
        affected: list[KLayer] = []
        for target in targets:
            affected.append(target)
            if isinstance(target, ModelObj):
                affected.extend(_walk_layers(target))
        if self.it.speculative or flag is None:
            for layer in affected:
                if layer.trainable is not flag:
                    layer.trainable = None
            return
        for layer in affected:
            layer.trainable = flag
        frame = self.it.for_stack[-1] if self.it.for_stack else None
        attribute_target = node.value if isinstance(node, ast.Attribute) else node
        if frame is not None:
            key: tuple[Any, ...] = ("for", frame[1], flag)
            layer_loop = frame[2]
        else:
            self._stmt_counter += 1
            key, layer_loop = ("stmt", self._stmt_counter, flag), False
        record = self.freezes.get(key)
        if record is None:
            # Text and place only for a new record: a loop over 300 layers makes one.
            if frame is not None and layer_loop:
                text, location = self.it.source(frame[0].iter), self.it.loc(frame[0].iter)
            else:
                text, location = self.it.source(attribute_target), self.it.loc(node)
            self._freeze_count += 1
            record = {"target": text, "trainable": flag, "objects": [], "names": [], "location": location, "order": self.next_order()}
            self.freezes[key] = record
        for target in targets:
            record["objects"].append(target)
            if isinstance(target, ModelObj) and not layer_loop:
                record["names"].extend(layer.name for layer in target.layers)
            else:
                record["names"].append(target.name)


def _pixel_steps(layers: list[KLayer]) -> tuple[tuple[Any, ...], ...] | None:
    """The pixel operations of layers that only augment, resize or rescale by a known rule;
    None as soon as one of them is a real network layer."""
    ops: list[tuple[Any, ...]] = []
    for layer in layers:
        if not isinstance(layer, LayerObj):
            return None
        if layer.pixel_op is not None:
            ops.append(layer.pixel_op)
        elif layer.cls not in script_data.SCALE_KEEPING_LAYERS:
            return None
    return tuple(ops)


def _tensors(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Tensor) for v in value):
        return list(value)
    if isinstance(value, dict) and value and all(isinstance(v, Tensor) for v in value.values()):
        return list(value.values())
    return []


def _walk_layers(model: ModelObj, depth: int = 0) -> list[KLayer]:
    """Every layer inside a model, nested models' layers included."""
    found: list[KLayer] = []
    if depth > 16:
        return found
    for layer in model.seq if model.kind == "sequential" else model._layers:
        found.append(layer)
        if isinstance(layer, ModelObj):
            found.extend(_walk_layers(layer, depth + 1))
    return found


def _walk_models(model: ModelObj) -> list[KLayer]:
    return [model] + _walk_layers(model)
