"""Training calls as the script interpreter sees them: optimizers, losses, callbacks,
``compile``, ``fit``/``fit_generator``/``train_on_batch``, ``predict``/``evaluate``,
and the Keras-3 removals they use (MC402 facts).
"""

from __future__ import annotations

import ast
from dataclasses import replace
from functools import lru_cache
from typing import Any

from modelcheck.ir import Callback, Compile, Fit, Loss, Optimizer
from modelcheck.readers.script.keras_api.arrays import array_pipeline
from modelcheck.readers.script.keras_api.data import PipelineObj
from modelcheck.readers.script.keras_api.pixels import PixelVal, first_pixels
from modelcheck.readers.script.core.interpreter import (
    UNKNOWN,
    Arg,
    Interpreter,
    ModuleRef,
    Obj,
    UserFunction,
    as_bool,
    as_float,
    as_int,
    as_str,
    is_number,
)
from modelcheck.vocab import OPTIMIZER_DEFAULT_LR, OPTIMIZERS, canonical_loss, canonical_optimizer, metric_logged_name

OPTIMIZER_NAMES = frozenset(OPTIMIZERS)
CALLBACK_MONITORS = {"ModelCheckpoint", "EarlyStopping", "ReduceLROnPlateau"}
# Removed or renamed in Keras 3 / TF >= 2.16 (dotted paths after the keras package).
# Legacy `decay` shrank the rate as lr / (1 + decay * iterations): exactly this schedule.
DECAY_REPLACEMENT = "learning_rate=keras.optimizers.schedules.InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)"
CHECKPOINT_WEIGHTS_API = "ModelCheckpoint(save_weights_only=True) with a path not ending in '.weights.h5'"
CLASS_WEIGHT_REPLACEMENT = "class_weight={class_index: weight, ...} (e.g. from sklearn's compute_class_weight)"

REMOVED_PATHS = {
    "layers.merge": "keras.layers.Concatenate / Add / Multiply (the merge module is gone)",
    "layers.Merge": "keras.layers.Concatenate / Add / Multiply",
    "layers.core": "keras.layers",
    "layers.convolutional": "keras.layers",
    "layers.pooling": "keras.layers",
    "layers.normalization": "keras.layers",
    "layers.advanced_activations": "keras.layers",
    "layers.recurrent": "keras.layers",
    "layers.embeddings": "keras.layers",
    "layers.wrappers": "keras.layers",
    "layers.experimental": "keras.layers (e.g. keras.layers.Rescaling, keras.layers.RandomFlip)",
    "utils.np_utils": "keras.utils (e.g. keras.utils.to_categorical)",
    "utils.multi_gpu_model": "tf.distribute.MirroredStrategy",
    "wrappers.scikit_learn": "the scikeras package",
    "engine": "keras.layers / keras.Model",
    "optimizers.legacy": "keras.optimizers",
    "backend.set_image_dim_ordering": "keras.backend.set_image_data_format('channels_last')",
    "backend.image_dim_ordering": "keras.backend.image_data_format()",
}
# Only standalone `keras` lost ImageDataGenerator; tf.keras (TF 2.16+) still ships it, deprecated.
REMOVED_STANDALONE = {
    "preprocessing.image.ImageDataGenerator": (
        "keras.utils.image_dataset_from_directory with preprocessing layers "
        "(or tf.keras.preprocessing.image.ImageDataGenerator, deprecated)"
    ),
}
REMOVED_METHODS = {
    "fit_generator": "fit(",
    "predict_generator": "predict(",
    "evaluate_generator": "evaluate(",
    "predict_classes": "np.argmax(model.predict(x), axis=-1)",
    "predict_proba": "predict(",
}


@lru_cache(maxsize=4096)  # asked for every Keras attribute and call a script makes
def removed_replacement(path: str, rest: str, exact: bool) -> str | None:
    """The replacement for a removed Keras module or name, or None when it still exists."""
    standalone = path.split(".")[0] == "keras"
    for table, only_standalone in ((REMOVED_PATHS, False), (REMOVED_STANDALONE, True)):
        if only_standalone and not standalone:
            continue
        for entry, replacement in table.items():
            if rest == entry or (not exact and rest.startswith(entry + ".")):
                return replacement
    return None


class OptimizerObj(Obj):
    def __init__(self, class_name: str, learning_rate: float | None, legacy: tuple[str, ...]):
        self.class_name = class_name
        self.learning_rate = learning_rate
        self.legacy = legacy

    def get_attr(self, it: Interpreter, name: str, node: ast.AST) -> Any:
        if name in ("learning_rate", "lr") and self.learning_rate is not None:
            return self.learning_rate
        return UNKNOWN


class LossObj(Obj):
    def __init__(self, name: str | None, custom: bool, from_logits: bool | None):
        self.name = name
        self.custom = custom
        self.from_logits = from_logits


class CallbackObj(Obj):
    def __init__(self, class_name: str, monitor: str | None, location: Any):
        self.class_name = class_name
        self.monitor = monitor
        self.location = location


def make_optimizer(world: Any, name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> OptimizerObj:
    it = world.it
    class_name = canonical_optimizer(name) or name
    legacy: list[str] = []
    for key, replacement in (("lr", "learning_rate="), ("decay", DECAY_REPLACEMENT)):
        if key in kwargs:
            legacy.append(key)
            world.api_use(f"{key}=", replacement, it.loc(kwargs[key].at))
    rate_arg = kwargs.get("learning_rate") or kwargs.get("lr") or (args[0] if args else None)
    if rate_arg is None:
        rate = OPTIMIZER_DEFAULT_LR.get(class_name)
    else:
        rate = as_float(rate_arg.value)
    return OptimizerObj(class_name, rate, tuple(legacy))


def make_loss_object(name: str, kwargs: dict[str, Arg]) -> LossObj:
    canonical, custom = canonical_loss(name)
    logits = kwargs.get("from_logits")
    from_logits = (as_bool(logits.value) if logits is not None else False) if not custom else None
    return LossObj(canonical, custom, from_logits)


def make_callback(world: Any, name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> CallbackObj:
    it = world.it
    monitor = kwargs.get("monitor")
    if name == "ModelCheckpoint" and "period" in kwargs:
        world.api_use("period=", "save_freq=", it.loc(kwargs["period"].at))
    if name == "ModelCheckpoint":
        path = _arg(args, kwargs, 0, "filepath")
        world.note_path("saves", path)
        weights_only = _arg(args, kwargs, 4, "save_weights_only")
        if (
            weights_only is not None
            and weights_only.value is True
            and path is not None
            and isinstance(path.value, str)
            and not path.value.endswith(".weights.h5")
        ):
            world.api_use(CHECKPOINT_WEIGHTS_API, "a filepath ending in '.weights.h5'", it.loc(path.at))
    if name not in CALLBACK_MONITORS:
        return CallbackObj(name, None, it.loc(node))
    if monitor is None:
        return CallbackObj(name, "val_loss", it.loc(node))
    return CallbackObj(name, as_str(monitor.value), it.loc(monitor.at))


def _arg(args: list[Arg], kwargs: dict[str, Arg], index: int | None, *names: str) -> Arg | None:
    for name in names:
        if name in kwargs:
            return kwargs[name]
    if index is not None and index < len(args):
        return args[index]
    return None


def parse_loss(world: Any, arg: Arg | None) -> Loss | None:
    if arg is None:
        return None
    it = world.it
    value, node = arg.value, arg.node
    location = it.loc(arg.at)
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
        node = node.elts[0] if isinstance(node, (ast.List, ast.Tuple)) and node.elts else node
    if isinstance(value, LossObj):
        return Loss(value.name, value.from_logits, value.custom, location)
    if isinstance(value, str):
        name, custom = canonical_loss(value)
        return Loss(name, None if custom else False, custom, location)
    if isinstance(node, ast.Call):
        # A loss factory called in place: binary_focal_loss(alpha=.5) -> its own name, custom.
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name:
            return Loss(name, None, True, location)
    if isinstance(value, ModuleRef):
        rest = world.keras_rest(value.path)
        short = value.path.rsplit(".", 1)[-1]
        if rest is not None:
            name, custom = canonical_loss(short)
            return Loss(name, None if custom else False, custom, location)
        return Loss(short, None, True, location)
    if isinstance(value, UserFunction):
        name, custom = canonical_loss(value.name)
        return Loss(value.name if custom else name, None, True, location)
    return None


def parse_optimizer(world: Any, arg: Arg | None) -> Optimizer | None:
    it = world.it
    if arg is None:
        return Optimizer("RMSprop", OPTIMIZER_DEFAULT_LR["RMSprop"], (), None)  # Keras's compile() default
    value = arg.value
    location = it.loc(arg.at)
    if isinstance(value, str):
        class_name = canonical_optimizer(value)
        return Optimizer(class_name, OPTIMIZER_DEFAULT_LR.get(class_name or ""), (), location)
    if isinstance(value, OptimizerObj):
        return Optimizer(value.class_name, value.learning_rate, value.legacy, location)
    return None


def parse_metrics(arg: Arg | None, outputs: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The names the metrics are logged under; ``outputs`` are the output names of a
    multi-output compile (``loss={'age': …, 'gender': …}``), which prefix every name."""
    value = None if arg is None else arg.value
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            return None
        names: list[str] = [f"{key}_loss" for key in outputs]
        for key, items in value.items():
            found = _metric_names(items)
            if found is None:
                return None
            names.extend(f"{key}_{name}" for name in found)
        return tuple(names)
    found = () if value is None else _metric_names(value)
    if found is None or not outputs:
        return found
    return tuple(f"{key}_loss" for key in outputs) + tuple(f"{key}_{name}" for key in outputs for name in found)


def _metric_names(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, (list, tuple)):
        value = [value]
    names: list[str] = []
    for item in value:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, ModuleRef):
            names.append(item.path.rsplit(".", 1)[-1])
        elif isinstance(item, MetricObj) and item.name:
            names.append(item.name)
        else:
            return None  # one metric we cannot name: the logged names are unknown
    return tuple(names)


class MetricObj(Obj):
    def __init__(self, name: str | None):
        self.name = name


def make_metric(class_name: str, kwargs: dict[str, Arg]) -> MetricObj:
    given = kwargs.get("name")
    if given is not None:
        return MetricObj(as_str(given.value))
    return MetricObj(metric_logged_name(class_name))  # Keras's default metric name (AUC -> 'auc')


def do_compile(world: Any, model: Any, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> None:
    it = world.it
    optimizer = parse_optimizer(world, _arg(args, kwargs, 0, "optimizer"))
    loss_arg = _arg(args, kwargs, 1, "loss")
    loss = parse_loss(world, loss_arg)
    outputs: tuple[str, ...] = ()
    if loss_arg is not None and isinstance(loss_arg.value, dict) and len(loss_arg.value) > 1:
        outputs = tuple(key for key in loss_arg.value if isinstance(key, str))
    metrics = parse_metrics(kwargs.get("metrics"), outputs)
    compile_fact = Compile(loss=loss, optimizer=optimizer, metrics=metrics, location=it.loc(node))
    # The same compile() again (a loop) is one fact; a loop over stages compiles differently each pass.
    if world.repeated(node, model, "compile", compile_fact):
        return
    world.model_event(model)
    world.compiles.append((model, replace(compile_fact, order=world.next_order())))


def do_fit(world: Any, model: Any, method: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> None:
    it = world.it
    generator = method == "fit_generator"
    x = _arg(args, kwargs, 0, "x", "generator")
    if generator:
        epochs = kwargs.get("epochs") or kwargs.get("nb_epoch") or (args[2] if len(args) > 2 else None)
        steps = kwargs.get("steps_per_epoch") or kwargs.get("samples_per_epoch") or (args[1] if len(args) > 1 else None)
        batch = None
        validation = kwargs.get("validation_data") or (args[5] if len(args) > 5 else None)
    else:
        epochs = kwargs.get("epochs") or kwargs.get("nb_epoch") or (args[3] if len(args) > 3 else None)
        steps = kwargs.get("steps_per_epoch") or kwargs.get("samples_per_epoch")
        batch = kwargs.get("batch_size") or (args[2] if len(args) > 2 else None)
        validation = kwargs.get("validation_data") or (args[7] if len(args) > 7 else None)
    validation_steps = kwargs.get("validation_steps") or kwargs.get("nb_val_samples")
    split = kwargs.get("validation_split")
    for key, replacement in (("nb_epoch", "epochs="),):
        if key in kwargs:
            world.api_use(f"{key}=", replacement, it.loc(kwargs[key].at))
    class_weight = kwargs.get("class_weight")
    if class_weight is not None and class_weight.value == "auto":
        world.api_use("class_weight='auto'", CLASS_WEIGHT_REPLACEMENT, it.loc(class_weight.at))
    for key, new in (("samples_per_epoch", "steps_per_epoch"), ("nb_val_samples", "validation_steps")):
        if key in kwargs:
            text = it.source(kwargs[key].node) or "n"
            world.api_use(f"{key}=", f"{new}=ceil({text} / batch_size)", it.loc(kwargs[key].at))
    x = _arrays_as_pipeline(world, x, "train")
    validation = _arrays_as_pipeline(world, validation, "validation")
    train_name = _use_pipeline(world, model, x, "train")
    validation_name = _use_pipeline(world, model, validation, "validation")
    if validation is not None and validation.value is not None:
        has_validation: bool | None = True
    elif split is not None and split.value is not UNKNOWN:
        has_validation = is_number(split.value) and split.value > 0
    elif "**unknown**" in kwargs or split is not None:
        has_validation = None
    else:
        has_validation = False
    if method == "train_on_batch":
        epoch_value = None
    else:
        epoch_value = as_int(epochs.value) if epochs is not None else 1
    fit = Fit(
        method=method,
        epochs=epoch_value,
        steps_per_epoch=steps.value if steps is not None and is_number(steps.value) else None,
        validation_steps=validation_steps.value if validation_steps is not None and is_number(validation_steps.value) else None,
        batch_size=as_int(batch.value) if batch is not None else None,
        has_validation=has_validation if method != "train_on_batch" else None,
        train=train_name,
        validation=validation_name,
        location=it.loc(node),
        steps_location=it.loc(steps.at) if steps is not None else None,
        validation_steps_location=it.loc(validation_steps.at) if validation_steps is not None else None,
        steps_expr=it.source(steps.node) or None if steps is not None else None,
        validation_steps_expr=it.source(validation_steps.node) or None if validation_steps is not None else None,
    )
    callbacks = kwargs.get("callbacks")
    found: list[Callback] = []
    if callbacks is not None and isinstance(callbacks.value, (list, tuple)):
        for item in callbacks.value:
            if isinstance(item, CallbackObj):
                found.append(Callback(item.class_name, item.monitor, item.location))
    # train_on_batch in a loop: one fact stands for all; each pass of a loop over stages is its own.
    if world.repeated(node, model, "fit", (fit, tuple(found))):
        return
    world.model_event(model)
    world.fits.append((model, replace(fit, order=world.next_order()), found))


_ROLE_RANK = {"train": 0, "validation": 1, "test": 2, "predict": 3}


def _arrays_as_pipeline(world: Any, arg: Arg | None, role: str) -> Arg | None:
    """``fit(x_train, …)`` / ``validation_data=(x_val, y_val)`` on pixel arrays: an 'arrays' pipeline."""
    if arg is None:
        return None
    value = arg.value
    if isinstance(value, (tuple, list)) and value:
        value = value[0]
    if not isinstance(value, PixelVal):
        return arg
    return Arg(array_pipeline(world, value, role), arg.node, arg.keyword)


def _use_pipeline(world: Any, model: Any, arg: Arg | None, role: str) -> str | None:
    if arg is None:
        return None
    value = arg.value
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], PipelineObj):
        value = value[0]
    if not isinstance(value, PipelineObj):
        return None
    world.uses(value, model)
    if value.role_usage is None or _ROLE_RANK[role] < _ROLE_RANK[value.role_usage]:
        value.role_usage = role
    return value.var_name or (arg.node.id if isinstance(arg.node, ast.Name) else None)


def do_predict(world: Any, model: Any, method: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> None:
    """predict/evaluate: mark pipelines' roles; hand-made pixels become a 'predict' pipeline."""
    x = _arg(args, kwargs, 0, "x", "generator")
    if x is None:
        return
    role = "test" if method.startswith("evaluate") else "predict"
    if role == "test":
        x = _arrays_as_pipeline(world, x, role)
    if _use_pipeline(world, model, x, role) is not None:
        return
    pixels = x.value if isinstance(x.value, PixelVal) else first_pixels([x.value])
    if pixels is not None:
        name = x.node.id if isinstance(x.node, ast.Name) else pixels.var_name
        world.uses(pixels, model)
        if not world.seen_call(node, None, "predict"):
            world.predictions.append((pixels, name))


def training_method(world: Any, model: Any, name: str, args: list[Arg], kwargs: dict[str, Arg], node: ast.Call) -> bool:
    """Handle compile/fit/predict-style methods (on a model, or on an unknown object). True if handled."""
    if name in REMOVED_METHODS:
        world.api_use(f"{name}(", REMOVED_METHODS[name], world.it.loc_of_name(node))
    if name == "compile":
        do_compile(world, model, args, kwargs, node)
        return True
    if name in ("fit", "fit_generator", "train_on_batch"):
        do_fit(world, model, name, args, kwargs, node)
        return True
    if name in ("predict", "predict_generator", "predict_on_batch", "predict_classes", "predict_proba",
                "evaluate", "evaluate_generator", "test_on_batch"):
        do_predict(world, model, name, args, kwargs, node)
        return True
    return False
