"""Turn a live ``keras.Model`` (and the objects around its training run) into the IR.

Used by the Python API (:func:`modelcheck.check`) and the Keras callback
(:class:`modelcheck.keras.ModelCheck`). Nothing here imports Keras or
TensorFlow: the objects arrive already built, and are read by duck typing, so
Keras 3 and tf-keras (the Keras 2 line) models both work.

What a live object adds to what a saved file says:

- the graph comes from ``model.get_config()``, parsed by
  :mod:`modelcheck.readers.model.model_config` (the same code that reads model files);
  then every layer's *effective* ``trainable`` (its own flag and its
  containers') and the input shapes are taken from the objects themselves;
- the compiled loss, optimizer, current learning rate and metrics come from
  ``model.loss`` / ``model.optimizer`` / the compile config — and a model that
  is not compiled yet simply has no ``Compile``;
- pipelines come from the data objects: a ``DirectoryIterator``
  (``flow_from_directory``, tf.keras / Keras 3 legacy / tf-keras), a
  ``tf.data.Dataset`` (``element_spec``, ``class_names``), NumPy ``(x, y)``
  arrays, or a directory of class folders;
- callbacks (their ``monitor``) and fit parameters (Keras' ``callback.params``)
  when a training run is about to start.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from typing import Any, Iterable, Mapping

from modelcheck.vocab import AUGMENTATION_ARGS, DATA_DEPENDENT_ARGS
from modelcheck.errors import InputError
from modelcheck.ir import (
    Callback,
    Fit,
    Labels,
    Layer,
    Location,
    ModelGraph,
    Pipeline,
    Scaling,
    Shape,
    TrainingSetup,
)

_COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}
_ARRAY_SAMPLE = 64
"""Rows of an array inspected for its value range and label encoding (bounded cost)."""


def live_path(model: Any) -> str:
    """The pseudo path findings about a live model carry, e.g. ``<live model 'vgg_model'>``."""
    name = getattr(model, "name", None)
    return f"<live model '{name}'>" if isinstance(name, str) and name else "<live model>"


def looks_like_model(obj: Any) -> bool:
    """Whether ``obj`` is a Keras model object (Keras 3 or tf-keras), judged without importing Keras."""
    return hasattr(obj, "layers") and hasattr(obj, "get_config") and hasattr(obj, "trainable")


def read_live_model(
    model: Any,
    *,
    train_data: Any = None,
    validation_data: Any = None,
    callbacks: Iterable[Any] = (),
    fit_params: Mapping[str, Any] | None = None,
    training: bool = False,
    path: str | None = None,
) -> TrainingSetup:
    """The TrainingSetup of a live model and, when given, the data and callbacks of its training run.

    ``training=True`` (the Keras callback) records a ``Fit`` built from
    ``fit_params`` (Keras' ``callback.params``) and the data given.
    """
    path = path or live_path(model)
    setup = _setup_from_model(model, path)
    pipelines: list[Pipeline] = list(setup.pipelines)
    labels: list[Labels] = list(setup.labels)
    for data, role in ((train_data, "train"), (validation_data, "validation")):
        if data is None:
            continue
        pipeline, found = pipeline_from_data(data, role, path, name=f"{role}_data" if role == "train" else "validation_data")
        if pipeline is not None:
            pipelines.append(pipeline)
        if found is not None:
            labels.append(found)
    fits: tuple[Fit, ...] = ()
    if training:
        fits = (fit_from_params(fit_params or {}, path, validation_given=validation_data is not None),)
    return replace(
        setup,
        pipelines=tuple(pipelines),
        labels=tuple(labels),
        callbacks=callbacks_from_objects(callbacks, path),
        fits=fits,
    )


# --- the model -----------------------------------------------------------------


def _setup_from_model(model: Any, path: str) -> TrainingSetup:
    from modelcheck.readers.model.backbone_match import attach_backbones
    from modelcheck.readers.model.model_config import setup_from_configs

    version = keras_version_of(model)
    training = training_config_of(model)
    metrics_unknown = training is not None and training.get("metrics") is _UNKNOWN_METRICS
    if training is not None and metrics_unknown:
        training = {**training, "metrics": None}
    model_config = _model_config(model)
    if model_config is not None:
        setup = setup_from_configs(path, model_config, training, keras_version=version)
    else:
        # A subclassed model without a layer config: its layers, in order, without connectivity.
        setup = TrainingSetup(path=path, kind="live", model=_graph_from_layers(model, path, (), True))
        if training:
            setup = replace(setup, compiles=setup_from_configs(path, {"class_name": "Model", "config": {"layers": []}}, training).compiles)
    graph = setup.model
    if graph is not None:
        graph = _with_live_trainable(graph, model, True)
        shapes = input_shapes_of(model)
        if shapes:
            graph = replace(graph, input_shapes=shapes)
        graph = replace(attach_backbones(graph, keras_version=version), keras_version=version)
    compiles = setup.compiles
    if compiles and metrics_unknown:
        compiles = tuple(replace(c, metrics=None) for c in compiles)  # metrics unknown, not "none"
    # Lambda layers and custom classes of a live model are the user's own running code, not a
    # file's hidden payload: MC601 is about loading files, so none are recorded here.
    return replace(setup, kind="live", model=graph, compiles=compiles, code_objects=())


def keras_version_of(model: Any) -> str | None:
    """``__version__`` of the Keras package the model's class comes from (keras or tf_keras)."""
    root = type(model).__module__.split(".")[0]
    package = sys.modules.get(root)
    version = getattr(package, "__version__", None)
    return version if isinstance(version, str) else None


def _model_config(model: Any) -> dict[str, Any] | None:
    """``{"class_name", "config"}`` as ``model.to_json()`` writes it, or None without a layer list."""
    try:
        inner = model.get_config()
    except Exception:  # noqa: BLE001 - subclassed models may not implement it
        return None
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        return None
    class_names = {cls.__name__ for cls in type(model).__mro__}
    class_name = "Sequential" if "Sequential" in class_names else type(model).__name__
    return {"class_name": class_name, "config": _plain(inner)}


def _plain(value: Any) -> Any:
    """The JSON form of a config (tuples become lists, NumPy scalars numbers), as model.to_json() has it."""
    def default(obj: Any) -> Any:
        item = getattr(obj, "item", None)
        if callable(item):
            try:
                return item()
            except Exception:  # noqa: BLE001 - an array: keep a placeholder
                pass
        return repr(obj)

    try:
        return json.loads(json.dumps(value, default=default))
    except (TypeError, ValueError, RecursionError) as error:
        raise InputError(f"the model config cannot be read ({type(error).__name__}: {error})") from None


def _with_live_trainable(graph: ModelGraph, container: Any, parent_trainable: bool) -> ModelGraph:
    """The graph with each layer's effective ``trainable`` read from the live layers."""
    live = {getattr(layer, "name", None): layer for layer in _live_layers(container)}
    layers: list[Layer] = []
    for layer in graph.layers:
        obj = live.get(layer.name)
        if obj is None:
            layers.append(layer)
            continue
        trainable = parent_trainable and bool(getattr(obj, "trainable", True))
        submodel = layer.submodel
        if submodel is not None and hasattr(obj, "layers"):
            submodel = _with_live_trainable(submodel, obj, trainable)
        layers.append(replace(layer, trainable=trainable, submodel=submodel))
    return replace(graph, layers=tuple(layers))


def _live_layers(container: Any) -> list[Any]:
    try:
        return list(container.layers)
    except Exception:  # noqa: BLE001 - a model that is not built yet
        return []


def input_shapes_of(model: Any) -> tuple[Shape, ...]:
    """Input shapes without the batch axis, from ``model.inputs``; () when the model is not built."""
    try:
        inputs = model.inputs
    except Exception:  # noqa: BLE001 - Keras raises for a model without a defined input
        return ()
    shapes: list[Shape] = []
    for tensor in inputs or ():
        shape = _shape(getattr(tensor, "shape", None))
        if shape is None or len(shape) < 1:
            return ()
        shapes.append(shape[1:])
    return tuple(shapes)


def _shape(shape: Any) -> Shape | None:
    if shape is None:
        return None
    try:
        dims = list(shape.as_list()) if hasattr(shape, "as_list") else list(shape)
    except (TypeError, ValueError):
        return None
    result: list[int | None] = []
    for dim in dims:
        value = getattr(dim, "value", dim)  # TF1-style Dimension
        result.append(int(value) if hasattr(value, "__index__") and not isinstance(value, bool) else None)
    return tuple(result)


def _graph_from_layers(container: Any, path: str, prefix: tuple[str, ...], parent_trainable: bool) -> ModelGraph:
    """A graph from live layers only (subclassed models): the layers and their flags; connectivity and outputs unknown."""
    from modelcheck.readers.model.model_config import layer_activation, layer_units

    layers: list[Layer] = []
    for index, obj in enumerate(_live_layers(container)):
        name = str(getattr(obj, "name", f"layer_{index}"))
        class_name = type(obj).__name__
        try:
            config = _plain(obj.get_config())
        except Exception:  # noqa: BLE001 - a layer whose config cannot be built
            config = {}
        config = config if isinstance(config, dict) else {}
        trainable = parent_trainable and bool(getattr(obj, "trainable", True))
        submodel = None
        if hasattr(obj, "layers") and hasattr(obj, "get_config"):
            submodel = _graph_from_layers(obj, path, prefix + (name,), trainable)
        layers.append(
            Layer(
                name=name,
                class_name=class_name,
                config=config,
                activation=layer_activation(class_name, config),
                units=layer_units(config),
                trainable=trainable,
                submodel=submodel,
                location=Location(path, layer="/".join(prefix + (name,))),
            )
        )
    # `.layers` of a subclassed model is attribute order, not call order: which layer is the output is
    # unknown, so every layer counts as a possible output and the head rules (MC101, MC102) stay silent.
    layers = [replace(layer, is_output=True) for layer in layers]
    name = str(getattr(container, "name", "model"))
    return ModelGraph(
        name=name,
        class_name=type(container).__name__,
        layers=tuple(layers),
        input_shapes=input_shapes_of(container),
        output_names=tuple(layer.name for layer in layers),
        location=Location(path, layer="/".join(prefix) or None),
    )


# --- compile -------------------------------------------------------------------

_UNKNOWN_METRICS: Any = object()


def is_compiled(model: Any) -> bool:
    """Keras 3 sets ``compiled``; tf-keras ``_is_compiled``; both have an optimizer once compiled."""
    flag = getattr(model, "compiled", None)
    if isinstance(flag, bool):
        return flag
    flag = getattr(model, "_is_compiled", None)
    if isinstance(flag, bool):
        return flag
    return getattr(model, "optimizer", None) is not None


def training_config_of(model: Any) -> dict[str, Any] | None:
    """The compile settings as a training-config dict (the form model files store), None if not compiled.

    Loss and optimizer come from the live objects (``model.loss``,
    ``model.optimizer`` and its *current* learning rate); metrics from the
    compile config, else the compiled-metrics container, else
    ``model.metrics_names``.
    """
    if not is_compiled(model):
        return None
    try:
        stored = model.get_compile_config() if hasattr(model, "get_compile_config") else None
    except Exception:  # noqa: BLE001 - custom objects that do not serialize
        stored = None
    stored = stored if isinstance(stored, dict) else {}
    training: dict[str, Any] = {}
    loss = _loss_entry(getattr(model, "loss", None))
    training["loss"] = loss if loss is not None else _plain_or_none(stored.get("loss"))
    optimizer = _optimizer_entry(getattr(model, "optimizer", None))
    training["optimizer"] = optimizer if optimizer is not None else _plain_or_none(stored.get("optimizer"))
    metrics = _metrics_entry(model, stored)
    training["metrics"] = metrics
    return training


def _plain_or_none(value: Any) -> Any:
    try:
        return _plain(value)
    except InputError:
        return None


def _loss_entry(loss: Any) -> Any:
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss
    if isinstance(loss, (list, tuple)):
        return [_loss_entry(item) for item in loss]
    if isinstance(loss, dict):
        return {str(key): _loss_entry(value) for key, value in loss.items()}
    if hasattr(loss, "get_config") and not isinstance(loss, type):
        class_name = type(loss).__name__
        wrapped = getattr(loss, "fn", None)
        if class_name == "LossFunctionWrapper" and callable(wrapped):
            return {"class_name": "function", "config": getattr(wrapped, "__name__", class_name)}
        try:
            config = loss.get_config()
        except Exception:  # noqa: BLE001 - a custom loss without a usable config
            config = {}
        from_logits = config.get("from_logits") if isinstance(config, dict) else None
        return {"class_name": class_name, "config": {"from_logits": from_logits} if isinstance(from_logits, bool) else {}}
    if callable(loss):
        return {"class_name": "function", "config": getattr(loss, "__name__", type(loss).__name__)}
    return None


def _optimizer_entry(optimizer: Any) -> dict[str, Any] | None:
    if optimizer is None or isinstance(optimizer, str):
        return optimizer
    inner = getattr(optimizer, "inner_optimizer", None)  # LossScaleOptimizer
    if inner is not None:
        optimizer = inner
    config: dict[str, Any] = {}
    rate = current_learning_rate(optimizer)
    if rate is not None:
        config["learning_rate"] = rate
    return {"class_name": type(optimizer).__name__, "config": config}


def current_learning_rate(optimizer: Any) -> float | None:
    """The optimizer's learning rate now (a schedule evaluated at the current step)."""
    try:
        rate = getattr(optimizer, "learning_rate", None)
        if rate is None:
            rate = getattr(optimizer, "lr", None)
        if rate is not None and callable(rate) and not hasattr(rate, "numpy") and not hasattr(rate, "value"):
            rate = rate(getattr(optimizer, "iterations", 0))  # a LearningRateSchedule
        if rate is None:
            return None
        if hasattr(rate, "numpy"):
            rate = rate.numpy()
        value = float(rate)
    except Exception:  # noqa: BLE001 - whatever the backend holds, an unknown rate is fine
        return None
    return value if value == value else None  # NaN: unknown


def _metrics_entry(model: Any, stored: Mapping[str, Any]) -> Any:
    if "metrics" in stored:
        try:
            return _plain(stored.get("metrics"))
        except InputError:
            pass
    for holder in ("compiled_metrics", "_compile_metrics"):
        container = getattr(model, holder, None)
        user = getattr(container, "_user_metrics", None)
        if user is not None:
            return [_metric_entry(item) for item in (user if isinstance(user, (list, tuple)) else [user])]
    try:
        names = list(getattr(model, "metrics_names", []) or [])
    except Exception:  # noqa: BLE001
        names = []
    names = [name for name in names if isinstance(name, str) and name not in ("loss", "compile_metrics")]
    return names if names else _UNKNOWN_METRICS


def _metric_entry(metric: Any) -> Any:
    if isinstance(metric, str) or metric is None:
        return metric
    if isinstance(metric, (list, tuple)):
        return [_metric_entry(item) for item in metric]
    if isinstance(metric, dict):
        return {str(key): _metric_entry(value) for key, value in metric.items()}
    name = getattr(metric, "name", None)
    if isinstance(name, str):
        return name
    return getattr(metric, "__name__", None)


# --- data ----------------------------------------------------------------------


def pipeline_from_data(data: Any, role: str, path: str, name: str | None = None) -> tuple[Pipeline | None, Labels | None]:
    """A Pipeline (and Labels for arrays) from whatever feeds the model.

    Accepts a directory of class folders (str or PathLike), a
    ``DirectoryIterator`` / ``DataFrameIterator`` / ``NumpyArrayIterator``, a
    ``tf.data.Dataset``, an ``(x, y)`` pair of arrays or ``x`` alone. Anything
    else gives ``(None, None)``: unknown, and rules stay silent.
    """
    key = name or f"{role}_data"
    where = Location(path, key=key)
    if isinstance(data, (str, os.PathLike)):
        return _directory_pipeline(os.fspath(data), role, where, key), None
    if hasattr(data, "image_data_generator"):
        return _iterator_pipeline(data, role, where, key)
    if hasattr(data, "element_spec"):
        return _dataset_pipeline(data, role, where, key), None
    if isinstance(data, (tuple, list)) and data and hasattr(data[0], "shape"):
        x = data[0]
        y = data[1] if len(data) > 1 else None
        return _array_pipeline(x, y, role, where, key)
    if hasattr(data, "shape") and hasattr(data, "dtype"):
        return _array_pipeline(data, None, role, where, key)
    return None, None


def _directory_pipeline(directory: str, role: str, where: Location, key: str) -> Pipeline | None:
    from modelcheck.readers.data_dir import inspect_directory

    facts = inspect_directory(directory)
    if facts is None:
        return None
    return Pipeline(
        role=role,
        source="directory",
        directory=directory,
        num_classes=facts.num_classes or None,
        num_samples=facts.num_samples,
        image_channels=facts.image_channels,
        location=where,
        name=key,
    )


def _iterator_pipeline(iterator: Any, role: str, where: Location, key: str) -> tuple[Pipeline, Labels | None]:
    generator = getattr(iterator, "image_data_generator", None)
    scaling = generator_scaling(generator, where) if generator is not None else None
    augmentation = generator_augmentation(generator) if generator is not None else ()
    image_shape = _shape(getattr(iterator, "image_shape", None))
    target = getattr(iterator, "target_size", None)
    target_size = tuple(int(v) for v in target) if isinstance(target, (tuple, list)) and len(target) == 2 else None
    class_mode: str | None
    labels: Labels | None = None
    if hasattr(iterator, "class_mode"):
        mode = getattr(iterator, "class_mode")
        class_mode = "none" if mode is None else str(mode)
        source = "flow_from_dataframe" if hasattr(iterator, "x_col") else "flow_from_directory"
        num_classes = _int(getattr(iterator, "num_classes", None))
    else:  # NumpyArrayIterator: the labels are arrays
        source = "flow"
        y = getattr(iterator, "y", None)
        class_mode, num_classes, labels = _label_facts(y, where) if y is not None else (None, None, None)
        x = getattr(iterator, "x", None)
        if image_shape is None and hasattr(x, "shape") and len(x.shape) == 4:
            image_shape = _shape(x.shape[1:])
    if target_size is None and image_shape is not None and len(image_shape) == 3:
        target_size = (image_shape[0], image_shape[1]) if None not in image_shape[:2] else None  # type: ignore[assignment]
    channels = image_shape[-1] if image_shape else None
    color_mode = getattr(iterator, "color_mode", None)
    if not isinstance(color_mode, str):
        color_mode = _COLOR_MODES.get(channels) if isinstance(channels, int) else None
    pipeline = Pipeline(
        role=role,
        source=source,
        scaling=scaling,
        augmentation=augmentation,
        augmentation_location=Location(where.path, key=f"{key}.image_data_generator") if augmentation else None,
        target_size=target_size,
        color_mode=color_mode,
        class_mode=class_mode,
        class_mode_location=Location(where.path, key=f"{key}.class_mode") if class_mode is not None else None,
        directory=getattr(iterator, "directory", None) if isinstance(getattr(iterator, "directory", None), str) else None,
        num_classes=num_classes,
        num_samples=_int(getattr(iterator, "samples", None) if hasattr(iterator, "samples") else getattr(iterator, "n", None)),
        image_channels=channels if isinstance(channels, int) else None,
        batch_size=_int(getattr(iterator, "batch_size", None)),
        location=where,
        name=key,
    )
    return pipeline, labels


def generator_scaling(generator: Any, where: Location) -> Scaling:
    """What an ``ImageDataGenerator`` does to pixel values: ``rescale`` and/or ``preprocessing_function``."""
    location = Location(where.path, key=f"{where.key}.image_data_generator" if where.key else None)
    if any(bool(getattr(generator, name, False)) for name in DATA_DEPENDENT_ARGS):
        return Scaling("unknown", location=location)
    rescale = getattr(generator, "rescale", None)
    function = getattr(generator, "preprocessing_function", None)
    factor = float(rescale) if isinstance(rescale, (int, float)) and not isinstance(rescale, bool) and rescale else None
    if function is not None:
        family = function_family(function)
        if family is None or (factor is not None and factor != 1.0):
            return Scaling("unknown", location=location)
        return Scaling("preprocess_input", family=family, location=location)
    if factor is None or factor == 1.0:
        return Scaling("none", location=location)
    return Scaling("rescale", factor=factor, location=location)


def function_family(function: Any) -> str | None:
    """The keras.applications module a ``preprocess_input`` comes from, by its ``__module__``.

    ``keras.src.applications.vgg16`` / ``tf_keras.src.applications.vgg16`` /
    ``keras.applications.vgg16`` → ``'vgg16'``; None for any other function.
    """
    from modelcheck.knowledge import module_info

    module = getattr(function, "__module__", None)
    name = getattr(function, "__name__", None)
    if not isinstance(module, str) or name != "preprocess_input":
        return None
    parts = module.split(".")
    if "applications" not in parts:
        return None
    family = parts[-1]
    return family if module_info(family) is not None else None


def generator_augmentation(generator: Any) -> tuple[str, ...]:
    """The random transforms an ``ImageDataGenerator`` applies (non-default arguments)."""
    found: list[str] = []
    for name in AUGMENTATION_ARGS:
        value = getattr(generator, name, None)
        if name == "zoom_range":
            try:
                low, high = (float(v) for v in value)  # stored as [1 - z, 1 + z]
            except (TypeError, ValueError):
                continue
            if (low, high) != (1.0, 1.0):
                found.append(name)
        elif name == "brightness_range":
            if value is not None:
                found.append(name)
        elif isinstance(value, (list, tuple)):
            if any(v for v in value):
                found.append(name)
        elif value:
            found.append(name)
    return tuple(found)


def _dataset_pipeline(dataset: Any, role: str, where: Location, key: str) -> Pipeline | None:
    spec = dataset.element_spec
    if isinstance(spec, dict):
        return None
    parts = list(spec) if isinstance(spec, (tuple, list)) else [spec]
    x_shape = _shape(getattr(parts[0], "shape", None)) if parts else None
    y_spec = parts[1] if len(parts) > 1 else None
    class_names = getattr(dataset, "class_names", None)
    num_classes = len(class_names) if isinstance(class_names, (list, tuple)) and class_names else None
    batched = x_shape is not None and len(x_shape) == 4
    image = x_shape[1:] if batched else x_shape
    target_size = None
    channels = None
    if image is not None and len(image) == 3:
        if image[0] is not None and image[1] is not None:
            target_size = (image[0], image[1])
        channels = image[2]
    class_mode = None
    if y_spec is not None and x_shape is not None:
        y_shape = _shape(getattr(y_spec, "shape", None))
        dtype = str(getattr(getattr(y_spec, "dtype", None), "name", getattr(y_spec, "dtype", "")))
        batch_axes = 1 if batched else 0
        if y_shape is not None:
            label_axes = y_shape[batch_axes:]
            if len(label_axes) == 0:
                class_mode = "int"
            elif len(label_axes) == 1 and label_axes[0] is not None:
                width = label_axes[0]
                if width > 1:
                    class_mode = "categorical"
                    num_classes = num_classes or width
                elif width == 1:
                    class_mode = "int" if "int" in dtype else "binary"
    source = "image_dataset_from_directory" if num_classes is not None and class_names is not None else "dataset"
    return Pipeline(
        role=role,
        source=source,
        target_size=target_size,  # type: ignore[arg-type]
        color_mode=_COLOR_MODES.get(channels) if isinstance(channels, int) else None,
        class_mode=class_mode,
        class_mode_location=Location(where.path, key=f"{key}.element_spec") if class_mode else None,
        num_classes=num_classes,
        image_channels=channels if isinstance(channels, int) else None,
        location=where,
        name=key,
    )


def _array_pipeline(x: Any, y: Any, role: str, where: Location, key: str) -> tuple[Pipeline | None, Labels | None]:
    x_shape = _shape(getattr(x, "shape", None))
    class_mode, num_classes, labels = _label_facts(y, where) if y is not None else (None, None, None)
    target_size = None
    channels = None
    if x_shape is not None and len(x_shape) == 4:
        if x_shape[1] is not None and x_shape[2] is not None:
            target_size = (x_shape[1], x_shape[2])
        channels = x_shape[3]
    pipeline = Pipeline(
        role=role,
        source="arrays",
        scaling=array_scaling(x, where),
        target_size=target_size,  # type: ignore[arg-type]
        color_mode=_COLOR_MODES.get(channels) if isinstance(channels, int) else None,
        class_mode=class_mode,
        class_mode_location=Location(where.path, key=f"{key}.y") if class_mode else None,
        num_classes=num_classes,
        num_samples=x_shape[0] if x_shape else None,
        image_channels=channels if isinstance(channels, int) else None,
        location=where,
        name=key,
    )
    return pipeline, labels


def array_scaling(x: Any, where: Location) -> Scaling | None:
    """The pixel range of image arrays (first rows only): raw 0-255, [0, 1] or [-1, 1]; None otherwise."""
    try:
        import numpy as np

        sample = np.asarray(x[:_ARRAY_SAMPLE])
        if sample.ndim != 4 or sample.size == 0 or not np.issubdtype(sample.dtype, np.number):
            return None
        low, high = float(sample.min()), float(sample.max())
    except Exception:  # noqa: BLE001 - tensors of another backend, generators…
        return None
    location = Location(where.path, key=f"{where.key}.x" if where.key else None)
    if low >= 0 and 1.0 < high <= 255.0:
        return Scaling("none", location=location)
    if low >= 0 and 0.0 < high <= 1.0:
        return Scaling("rescale", factor=1 / 255, location=location)
    if -1.0 <= low < 0 and high <= 1.0:
        return Scaling("rescale", factor=2 / 255, offset=-1.0, location=location)
    return None


def _label_facts(y: Any, where: Location) -> tuple[str | None, int | None, Labels | None]:
    """(class_mode, number of classes, Labels) from a label array: one-hot, integer ids or 0/1."""
    try:
        import numpy as np

        sample = np.asarray(y[:_ARRAY_SAMPLE * 16])
        shape = tuple(np.shape(y))
    except Exception:  # noqa: BLE001
        return None, None, None
    if sample.size == 0 or not np.issubdtype(sample.dtype, np.number):
        return None, None, None
    location = Location(where.path, key=f"{where.key}.y" if where.key else None)
    if len(shape) == 2 and shape[1] > 1:
        rows_are_one_hot = np.all((sample == 0) | (sample == 1)) and np.all(sample.sum(axis=1) == 1)
        if rows_are_one_hot:
            return "categorical", int(shape[1]), Labels("one-hot", int(shape[1]), location)
        return None, None, None  # multi-label or soft targets
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
        flat = sample.reshape(-1)
        if not np.all(np.equal(np.mod(flat, 1), 0)):
            return None, None, None
        distinct = np.unique(flat)
        if len(shape) == 2 and set(distinct.tolist()) <= {0, 1}:
            return "binary", 2, None
        if distinct.min() < 0:
            return None, None, None
        return "int", None, Labels("int", None, location)
    return None, None, None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


# --- the training run ------------------------------------------------------------


def callbacks_from_objects(callbacks: Iterable[Any], path: str) -> tuple[Callback, ...]:
    """Callback facts (class, ``monitor``) from callback objects; ModelCheck itself is skipped."""
    found: list[Callback] = []
    for index, callback in enumerate(callbacks or ()):
        class_name = type(callback).__name__
        if class_name == "ModelCheck":
            continue
        monitor = getattr(callback, "monitor", None)
        found.append(
            Callback(
                class_name=class_name,
                monitor=monitor if isinstance(monitor, str) else None,
                location=Location(path, key=f"callbacks[{index}] {class_name}"),
            )
        )
    return tuple(found)


def fit_from_params(params: Mapping[str, Any], path: str, *, validation_given: bool) -> Fit:
    """A Fit from Keras' ``callback.params`` (``epochs``, ``steps``; Keras 2 also ``batch_size``,
    ``samples``, ``do_validation``) and whether validation data was handed to the callback."""
    has_validation: bool | None = True if validation_given else None
    if isinstance(params.get("do_validation"), bool):
        has_validation = params["do_validation"] or validation_given
    steps = params.get("steps")
    return Fit(
        method="fit",
        epochs=_int(params.get("epochs")),
        steps_per_epoch=float(steps) if isinstance(steps, (int, float)) and not isinstance(steps, bool) else None,
        batch_size=_int(params.get("batch_size")),
        has_validation=has_validation,
        train="train_data",
        validation="validation_data" if validation_given else None,
        location=Location(path, key="fit"),
        steps_location=Location(path, key="fit.steps") if steps is not None else None,
    )
