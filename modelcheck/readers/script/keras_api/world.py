"""The Keras world of the script interpreter: it resolves calls on imported names, builds
layers, models and pipelines, and records everything the script does for the export.

Building models (``Sequential``, functional ``Model``, layer calls, ``trainable``) is in
:mod:`.models`, the base class of :class:`World`.
"""

from __future__ import annotations

import ast
import os
from functools import lru_cache
from typing import Any

from modelcheck.ir import ApiUse, Location
from modelcheck.readers.script.keras_api import arrays as script_arrays, backbones as script_backbone, data as script_data, pixels as script_pixels, training as script_train
from modelcheck.readers.script.core.interpreter import UNKNOWN, Arg, Env, Interpreter, ModuleRef, as_shape, pure_call
from modelcheck.readers.script.keras_api.constructors import build_layer
from modelcheck.readers.script.keras_api.layers import KLayer, ModelObj, Tensor
from modelcheck.readers.script.keras_api.models import ModelBuilding
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


class World(ModelBuilding):
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
        self._stmt_counter = 0
        self.saves: set[str] = set()
        self.loads: set[str] = set()
        self.model_events: list[Any] = []
        """Models as they are compiled, fitted, saved or returned (each becomes a setup)."""
        self.pipe_users: dict[int, set[int]] = {}
        """id(pipeline or pixels) -> ids of the models trained or run on it."""
        self.setup_ops: list[tuple[tuple[Any, ...], ...]] = []
        self.setup_models: list[Any] = []
        """The model of each exported setup (parallel to ``setup_ops``)."""
        self.candidate_ids: set[int] = set()
        """ids of the models that became setups (set by the export)."""
        self.entry_defs: list[tuple[tuple[str, int], int, int]] = []
        """((file, line), start, end): an uncalled function run as an entry point, and the
        slice of ``model_events`` it produced."""
        self.called_defs: set[tuple[str, int]] = set()
        self.main_marks: tuple[int, int, int] | None = None
        """(compiles, fits, models) recorded when the script itself had run, before entry points."""
        self.data_format: str | None = None
        """'channels_first' once the script sets it globally (``set_image_data_format``)."""
        self.array_pipes: dict[tuple[int, str], script_data.PipelineObj] = {}
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

    def next_node_orders(self, count: int) -> int:
        """``count`` call orders at once: they are the returned number plus 1 to ``count``."""
        first = self._node_order
        self._node_order += count
        return first

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
        return _backbone_facts(name)

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


@lru_cache(maxsize=512)
def _backbone_facts(name: str) -> script_backbone.BackboneFacts | None:
    # The knowledge base does not change while modelcheck runs, and the facts are only read:
    # every script that names a backbone shares them (canonical_name asks for every Keras call).
    return script_backbone.find_backbone_facts(name)


def _first_str(args: list[Arg], kwargs: dict[str, Arg], name: str) -> str | None:
    arg = kwargs.get(name) or (args[0] if args else None)
    return arg.value if arg is not None and isinstance(arg.value, str) else None


def _matched(rest: str) -> str:
    for table in (script_train.REMOVED_PATHS, script_train.REMOVED_STANDALONE):
        for entry in table:
            if rest == entry or rest.startswith(entry + "."):
                return entry
    return rest
