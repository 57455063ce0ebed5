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

This module reads the model; :mod:`live_training` the compile settings,
callbacks and fit parameters; :mod:`live_data` the pipelines.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any, Iterable, Mapping

from modelcheck.ir import Fit, Labels, Layer, Location, ModelGraph, Pipeline, Shape, TrainingSetup
from modelcheck.readers.model.live_data import pipeline_from_data
from modelcheck.readers.model.live_training import UNKNOWN_METRICS, callbacks_from_objects, fit_from_params, training_config_of
from modelcheck.readers.model.live_values import plain_json, shape_of

__all__ = ["live_path", "looks_like_model", "pipeline_from_data", "read_live_model"]


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
    metrics_unknown = training is not None and training.get("metrics") is UNKNOWN_METRICS
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
    return {"class_name": class_name, "config": plain_json(inner)}



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
        shape = shape_of(getattr(tensor, "shape", None))
        if shape is None or len(shape) < 1:
            return ()
        shapes.append(shape[1:])
    return tuple(shapes)



def _graph_from_layers(container: Any, path: str, prefix: tuple[str, ...], parent_trainable: bool) -> ModelGraph:
    """A graph from live layers only (subclassed models): the layers and their flags; connectivity and outputs unknown."""
    from modelcheck.readers.model.model_config import layer_activation, layer_units

    layers: list[Layer] = []
    for index, obj in enumerate(_live_layers(container)):
        name = str(getattr(obj, "name", f"layer_{index}"))
        class_name = type(obj).__name__
        try:
            config = plain_json(obj.get_config())
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


