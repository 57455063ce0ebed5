"""The Keras world of the script interpreter: it resolves calls on imported names, builds
layers, models and pipelines, and records everything the script does for the export.
"""

from __future__ import annotations

import ast
import os
from typing import Any

from modelcheck.ir import ApiUse, Location
from modelcheck.readers.script.keras_api import arrays as script_arrays, backbones as script_backbone, data as script_data, layers as script_keras, pixels as script_pixels, training as script_train
from modelcheck.readers.script.core.interpreter import UNKNOWN, Arg, Env, Interpreter, ModuleRef, as_shape, pure_call
from modelcheck.readers.script.keras_api.constructors import build_layer
from modelcheck.readers.script.keras_api.layers import KLayer, LayerObj, ModelObj, Node, Tensor, layer_output_shape
from modelcheck.readers.script.keras_api.names import canonical_name, keras_rest, snake_case

_MERGE_FUNCTIONS = {name.lower(): name for name in ("Add", "Concatenate", "Multiply", "Average", "Maximum", "Minimum", "Subtract", "Dot")}
# Calls on unknown objects that only Keras code makes.
_KERAS_METHODS = {"fit_generator", "predict_generator", "evaluate_generator", "train_on_batch", "flow_from_directory",
                  "flow_from_dataframe"}
_KERAS_FIT_KWARGS = {"epochs", "nb_epoch", "steps_per_epoch", "samples_per_epoch", "validation_steps", "validation_split",
                     "nb_val_samples"}
# Names a pasted snippet uses without importing them.
_SNIPPET_NAMES = {
    **{name: "keras.layers." + name for name in (
        "Dense", "Conv2D", "Convolution2D", "MaxPooling2D", "MaxPool2D", "Flatten", "Dropout", "Activation",
        "BatchNormalization", "GlobalAveragePooling2D", "Input", "ZeroPadding2D", "AveragePooling2D")},
    **{name: "keras.models." + name for name in ("Sequential", "Model", "load_model")},
    **{name: "keras.applications." + name for name in (
        "VGG16", "VGG19", "ResNet50", "InceptionV3", "MobileNet", "MobileNetV2", "Xception", "DenseNet121",
        "EfficientNetB0", "InceptionResNetV2")},
    **{name: "keras.optimizers." + name for name in ("SGD", "Adam", "RMSprop")},
    **{name: "keras.callbacks." + name for name in ("ModelCheckpoint", "EarlyStopping", "ReduceLROnPlateau")},
    "ImageDataGenerator": "tensorflow.keras.preprocessing.image.ImageDataGenerator",
    # Notebook cells pasted without their imports: these names are conventions everyone follows.
    "tf": "tensorflow",
    "keras": "keras",
    "to_categorical": "keras.utils.to_categorical",
}


class World:
    """Keras semantics for the interpreter, and the record of everything the script did."""

    def __init__(self, path: str):
        self.path = path
        self.script_dir = os.path.dirname(os.path.abspath(path))
        self.it: Interpreter = None  # type: ignore[assignment]
        self.keras_seen = False
        self.compiles: list[tuple[Any, Any]] = []
        self.fits: list[tuple[Any, Any, list[Any]]] = []
        self.freezes: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.api_uses: dict[tuple[Any, ...], ApiUse] = {}
        self.pipelines: list[script_data.PipelineObj] = []
        self.labels: list[script_data.LabelsObj] = []
        self.models: list[ModelObj] = []
        self.predictions: list[tuple[script_pixels.PixelVal, str | None]] = []
        self.nested: set[int] = set()
        self._order = 0
        self._node_order = 0
        self._names: dict[str, int] = {}
        self._backbone_cache: dict[str, script_backbone.BackboneFacts | None] = {}
        self._stmt_counter = 0
        self.model_ops: tuple[tuple[Any, ...], ...] = ()
        """Pixel operations the chosen model applies to its input (set by the export)."""
        self.saves: set[str] = set()
        self.loads: set[str] = set()
        self.model_events: list[Any] = []
        """Models as they are compiled, fitted, saved or returned (each becomes a setup)."""
        self.pipe_users: dict[int, set[int]] = {}
        """id(pipeline or pixels) -> ids of the models trained or run on it."""
        self.setup_ops: list[tuple[tuple[Any, ...], ...]] = []
        self.setup_models: list[Any] = []
        self.candidate_ids: set[int] = set()
        """ids of the models that became setups (set by the export)."""
        """The model of each exported setup (parallel to ``setup_ops``)."""
        self.entry_defs: list[tuple[tuple[str, int], int, int]] = []
        """((file, line), start, end): an uncalled function run as an entry point, and the
        slice of ``model_events`` it produced."""
        self.called_defs: set[tuple[str, int]] = set()
        self.main_marks: tuple[int, int, int] | None = None
        """(compiles, fits, models) recorded when the script itself had run, before entry points."""
        self.data_format: str | None = None
        self.array_pipes: dict[tuple[int, str], script_data.PipelineObj] = {}
        """'channels_first' once the script sets it globally (``set_image_data_format``)."""
        self._call_sites: set[tuple[int, int, str, int]] = set()
        self._site_facts: dict[tuple[int, int, str, int], tuple[set[Any], int]] = {}
        self._freeze_count = 0
        self.module_depth = 0

    # -- helpers used by the Keras modules ------------------------------------------------------

    def attach(self, it: Interpreter) -> None:
        self.it = it

    def next_order(self) -> int:
        """Position in program order among compiles, fits and trainable changes."""
        self._order += 1
        return self._order

    def seen_call(self, node: ast.AST, target: Any, kind: str) -> bool:
        """True when this call site already produced a fact for this target (loops repeat calls)."""
        key = (id(node), id(target), kind, self.it.frame_id)
        if key in self._call_sites:
            return True
        self._call_sites.add(key)
        return False

    def model_event(self, model: Any) -> None:
        """``model`` is compiled, fitted, saved or returned: it is a setup of its own."""
        if not self.it.speculative or isinstance(model, ModelObj):
            self.model_events.append(model)

    def uses(self, data: Any, model: Any) -> None:
        """``model`` trains on or predicts from ``data`` (a pipeline or pixel array)."""
        self.pipe_users.setdefault(id(data), set()).add(id(model))

    def _set_data_format(self, value: str | None) -> None:
        known = value in ("channels_first", "channels_last") and not self.it.speculative
        self.data_format = value if known else "unknown"

    def on_return(self, value: Any) -> None:
        if isinstance(value, ModelObj) and value.kind in ("sequential", "functional"):
            self.model_event(value)

    def note_path(self, kind: str, arg: Arg | None) -> None:
        """Remember a model file the script saves or loads (links predict.py to train.py)."""
        if arg is not None and isinstance(arg.value, str):
            (self.saves if kind == "saves" else self.loads).add(os.path.basename(arg.value))

    def repeated(self, node: ast.AST, model: Any, kind: str, fact: Any) -> bool:
        """True when this call site already recorded this fact for this model and no
        ``trainable`` change happened since: a loop repeating a call adds nothing, a loop over
        training stages (other learning rate, other frozen layers) records every pass."""
        key = (id(node), id(model), kind, self.it.frame_id)
        seen, freezes = self._site_facts.get(key, (set(), -1))
        if fact in seen and freezes == self._freeze_count:
            return True
        seen.add(fact)
        self._site_facts[key] = (seen, self._freeze_count)
        return False

    def next_node_order(self) -> int:
        """Call order of layer calls (orders a functional model's ``.layers``)."""
        self._node_order += 1
        return self._node_order

    def auto_name(self, cls: str) -> str:
        base = snake_case(cls)
        count = self._names.get(base, 0)
        self._names[base] = count + 1
        return base if count == 0 else f"{base}_{count}"

    @staticmethod
    def keras_rest(path: str) -> str | None:
        return keras_rest(path)

    def api_use(self, api: str, replacement: str, location: Location) -> None:
        self.api_uses.setdefault((api, location.path, location.line, location.column), ApiUse(api, replacement, location))

    def backbone_facts(self, name: str) -> script_backbone.BackboneFacts | None:
        if name not in self._backbone_cache:
            self._backbone_cache[name] = script_backbone.find_backbone_facts(name)
        return self._backbone_cache[name]

    def is_backbone_name(self, name: str) -> bool:
        return self.backbone_facts(name) is not None

    # -- interpreter hooks ---------------------------------------------------------------------------

    def on_import(self, path: str, alias: ast.AST, module: str | None) -> None:
        root = path.split(".")[0]
        if root in ("keras", "tensorflow", "tf_keras"):
            self.keras_seen = True
        rest = keras_rest(path.rstrip(".*").rstrip("."))
        if rest is None:
            return
        replacement = script_train.removed_replacement(path, rest, exact=False)
        if replacement is not None:
            api = path[: len(path) - len(rest)] + _matched(rest)
            self.api_use(api, replacement, self.it.loc(alias))

    def on_attribute(self, path: str, node: ast.AST) -> None:
        rest = keras_rest(path)
        if rest is None:
            return
        self.keras_seen = True
        replacement = script_train.removed_replacement(path, rest, exact=True)
        if replacement is not None:
            self.api_use(path, replacement, self.it.loc_of_name(node))

    def on_bind(self, name: str, value: Any) -> None:
        if isinstance(value, (script_data.PipelineObj, script_data.DataGenObj, script_pixels.PixelVal)) and value.var_name is None:
            value.var_name = name

    def undefined_name(self, name: str, env: Env) -> Any:
        stars = env.root().vars.get("__star_modules__", [])
        for module in stars if isinstance(stars, list) else []:
            if isinstance(module, str) and keras_rest(module) is not None:
                return ModuleRef(f"{module}.{name}")
        if name in _SNIPPET_NAMES:
            # An undefined Sequential/Dense/VGG16…: a pasted Keras snippet without its imports.
            self.keras_seen = True
            return ModuleRef(_SNIPPET_NAMES[name])
        return UNKNOWN

    def isinstance_check(self, value: Any, classes: Any) -> Any:
        items = list(classes) if isinstance(classes, (tuple, list)) else [classes]
        if not isinstance(value, KLayer):
            return UNKNOWN
        wanted: list[str] = []
        for item in items:
            rest = keras_rest(item.path) if isinstance(item, ModuleRef) else None
            if rest is None:
                return UNKNOWN
            wanted.append(canonical_name(rest))
        mine = {value.cls, "Layer", "Operation"}
        if isinstance(value, ModelObj):
            mine |= {"Model", "Functional", "Sequential" if value.kind == "sequential" else "Functional"}
        return any(name in mine for name in wanted)

    def unknown_method(self, name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        if name in _KERAS_METHODS or (name == "fit" and _KERAS_FIT_KWARGS.intersection(kwargs)):
            self.keras_seen = True  # model.fit(gen, epochs=…) on an undefined model: a Keras snippet
        if script_train.training_method(self, None, name, args, kwargs, node):
            return UNKNOWN
        if name in ("flow_from_directory", "flow_from_dataframe"):
            return script_data.make_flow(self, None, name, args, kwargs, node)
        return UNKNOWN

    def call_module(self, ref: ModuleRef, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> Any:
        rest = keras_rest(ref.path)
        tensor = next((a.value for a in args if isinstance(a.value, Tensor)), None)
        if rest is None:
            found = script_pixels.call_external(self, ref.path, args, kwargs, node)
            if found is not None:
                return found
            if tensor is not None:  # tf.cast(x, ...), tf.nn.relu(x): the graph goes on
                keeps = ref.path.replace("tf.", "tensorflow.", 1) in script_data.TENSOR_PASS_THROUGH
                return self.tensor_op(tensor, None if keeps else False, node)
            return pure_call(ref.path, [a.value for a in args])
        self.keras_seen = True
        if not rest:
            return UNKNOWN
        canon = canonical_name(rest, self.is_backbone_name)
        source_name = rest.rsplit(".", 1)[-1]
        category = rest.split(".")[0]
        if canon in ("set_image_dim_ordering", "image_dim_ordering"):
            self.api_use(ref.path, script_train.REMOVED_PATHS["backend." + canon], self.it.loc_of_name(node))
            if canon == "set_image_dim_ordering":
                self._set_data_format({"th": "channels_first", "tf": "channels_last"}.get(_first_str(args, kwargs, "dim_ordering") or ""))
                return None
            return {"channels_first": "th", "channels_last": "tf"}.get(self.data_format or "channels_last", UNKNOWN)
        if canon == "set_image_data_format":
            self._set_data_format(_first_str(args, kwargs, "data_format"))
            return None
        if canon == "Sequential":
            return self.make_sequential(args, kwargs, node)
        if canon == "Model":
            return self.make_functional(args, kwargs, node)
        if canon == "Input":
            shape = kwargs.get("shape") or (args[0] if args else None)
            batch = kwargs.get("batch_shape")
            value = as_shape(batch.value)[1:] if batch is not None and as_shape(batch.value) else (as_shape(shape.value) if shape else None)
            name = kwargs.get("name")
            return self.make_input(value, name.value if name is not None and isinstance(name.value, str) else None, node)
        if canon == "load_model":
            self.note_path("loads", kwargs.get("filepath") or (args[0] if args else None))
            model = ModelObj("loaded", "loaded_model", self.it.loc(node))
            model.world = self
            return model
        if canon == "image_data_format":
            if self.data_format == "unknown":
                return UNKNOWN
            return self.data_format or "channels_last"  # the Keras default (keras.json is not read)
        if canon.startswith("applications.") and "." not in canon[len("applications."):]:
            return script_backbone.build_backbone(self, canon[len("applications."):], args, kwargs, node)
        if category == "layers" and canon in _MERGE_FUNCTIONS:  # layers.add([a, b]) == Add()([a, b])
            merge = build_layer(self, _MERGE_FUNCTIONS[canon], canon, [], {k: v for k, v in kwargs.items() if k != "inputs"}, node)
            inputs = args[0].value if args else (kwargs["inputs"].value if "inputs" in kwargs else UNKNOWN)
            return self.apply_layer(merge, inputs, {}, node)
        if tensor is not None and not canon[:1].isupper():  # preprocess_input(x), keras.ops.*(x) on a tensor
            family = script_pixels.family_of(canon)
            return self.tensor_op(tensor, ("family", family) if family else False, node)
        if category == "datasets" and source_name == "load_data":
            return script_arrays.load_dataset(self, rest, node)
        found = script_data.keras_data_call(self, canon, args, kwargs, node)
        if found is not None:
            return found
        if category == "optimizers" and canon in script_train.OPTIMIZER_NAMES:
            return script_train.make_optimizer(self, canon, args, kwargs, node)
        if category == "losses" and canon[:1].isupper():
            return script_train.make_loss_object(canon, kwargs)
        if category == "callbacks":
            return script_train.make_callback(self, canon, args, kwargs, node)
        if category == "metrics" and canon[:1].isupper():
            return script_train.make_metric(canon, kwargs)
        if category == "layers" and canon[:1].isupper():
            return build_layer(self, canon, source_name, args, kwargs, node)
        return UNKNOWN

    # -- models -------------------------------------------------------------------------------------

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
            text = self.it.source(frame[0].iter) if layer_loop else self.it.source(attribute_target)
            location = self.it.loc(frame[0].iter) if layer_loop else self.it.loc(node)
        else:
            self._stmt_counter += 1
            key, layer_loop = ("stmt", self._stmt_counter, flag), False
            text, location = self.it.source(attribute_target), self.it.loc(node)
        record = self.freezes.get(key)
        if record is None:
            self._freeze_count += 1
            record = {"target": text, "trainable": flag, "objects": [], "names": [], "location": location, "order": self.next_order()}
            self.freezes[key] = record
        for target in targets:
            record["objects"].append(target)
            if isinstance(target, ModelObj) and not layer_loop:
                record["names"].extend(layer.name for layer in target.layers)
            else:
                record["names"].append(target.name)


def _first_str(args: list[Arg], kwargs: dict[str, Arg], name: str) -> str | None:
    arg = kwargs.get(name) or (args[0] if args else None)
    return arg.value if arg is not None and isinstance(arg.value, str) else None


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


def _matched(rest: str) -> str:
    for table in (script_train.REMOVED_PATHS, script_train.REMOVED_STANDALONE):
        for entry in table:
            if rest == entry or rest.startswith(entry + "."):
                return entry
    return rest


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
