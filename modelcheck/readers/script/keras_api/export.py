"""Turn what the script interpreter recorded into a :class:`TrainingSetup`."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from modelcheck.errors import NoSetup
from modelcheck.ir import (
    Backbone,
    Callback,
    FreezeOp,
    Gap,
    Labels,
    Layer,
    Location,
    ModelGraph,
    Pipeline,
    Scaling,
    TrainingSetup,
    make_layer,
)
from modelcheck.readers.script.keras_api.data import SCALE_KEEPING_LAYERS, PipelineObj
from modelcheck.readers.script.keras_api.pixels import PixelVal
from modelcheck.readers.script.keras_api.layers import KLayer, LayerObj, ModelObj, layer_output_shape
from modelcheck.readers.script.keras_api.models import _walk_models

_CLASS_CONSTANT = re.compile(r"(nb|num|n|number_of|no_of)_?classes|classes_?(num|count)|n_?class", re.I)


def _and(parent: bool | None, own: bool | None) -> bool | None:
    """Effective trainability: a frozen container freezes everything inside it."""
    if parent is False or own is False:
        return False
    if parent is None or own is None:
        return None
    return True


# Layers with a ``data_format`` argument, whose default a global
# ``set_image_data_format('channels_first')`` / ``set_image_dim_ordering('th')`` changes.
_SPATIAL = re.compile(r"(Conv|Convolution|SeparableConv|DepthwiseConv|Conv\dDTranspose).*|.*Pooling\dD|MaxPool\dD|AvgPool\dD|"
                      r"Flatten|ZeroPadding\dD|Cropping\dD|UpSampling\dD|LocallyConnected\dD")


class _Exporter:
    def __init__(self, data_format: str | None = None) -> None:
        self.backbones: list[Backbone] = []
        self.depth = 0
        self.data_format = data_format

    def _config(self, layer: LayerObj) -> dict[str, Any]:
        config = dict(layer.config)
        if self.data_format == "channels_first" and "data_format" not in config and _SPATIAL.fullmatch(layer.cls):
            config["data_format"] = "channels_first"  # the script set it for every layer
        return config

    def graph(self, model: ModelObj, path: tuple[str, ...], parent: bool | None) -> ModelGraph:
        self.depth += 1
        try:
            return self._graph(model, path, parent)
        finally:
            self.depth -= 1

    def _graph(self, model: ModelObj, path: tuple[str, ...], parent: bool | None) -> ModelGraph:
        here = _and(parent, model.trainable)
        layers = model.layers
        sequential = model.kind == "sequential"
        if sequential:
            shape = model.input_shape()
            input_shapes = (shape,) if shape is not None else ()
            shapes = []
            for layer in layers:
                shape = layer_output_shape(layer, shape)
                shapes.append(shape)
            output_ids = {id(layers[-1])} if layers else set()
        else:
            shapes = [model._nodes[id(layer)].output.shape if id(layer) in model._nodes else None for layer in layers]
            input_shapes = tuple(t.shape for t in model.inputs if t.shape is not None)
            output_ids = {id(t.node.layer) for t in model.outputs if t.node is not None}
        exported: list[Layer] = []
        for index, layer in enumerate(layers):
            node = model._nodes.get(id(layer)) if not sequential else None
            if sequential:
                inbound: tuple[str, ...] = (layers[index - 1].name,) if index > 0 else ()
            elif node is not None and not _inside_backbone(layer, node):
                inbound = tuple(dict.fromkeys(name for t in node.inputs for name in _producers(t)))
            else:
                inbound = ()  # inside a backbone the real graph (skip connections) is not modelled
            trainable = _and(here, layer.trainable)
            is_output = id(layer) in output_ids
            call_training = node.training if node is not None else None
            if isinstance(layer, ModelObj):
                sub = self.graph(layer, path + (layer.name,), trainable) if self.depth < 16 else None
                exported.append(make_layer(layer.name, layer.cls, {}, None, None, trainable, inbound, is_output,
                                           call_training, shapes[index], sub, layer.location))
            else:
                assert isinstance(layer, LayerObj)
                exported.append(make_layer(layer.name, layer.cls, self._config(layer), layer.activation, layer.units,
                                           trainable, inbound, is_output, call_training, shapes[index], None,
                                           layer.location))
        self._flat_backbones(model, layers, path)
        return ModelGraph(
            name=model.name,
            class_name=model.cls,
            layers=tuple(exported),
            input_shapes=input_shapes,
            output_names=tuple(layer.name for layer in layers if id(layer) in output_ids),
            location=model.location,
        )

    def _flat_backbones(self, model: ModelObj, layers: list[KLayer], path: tuple[str, ...]) -> None:
        groups: dict[int, list[Any]] = {}
        for index, layer in enumerate(layers):
            if isinstance(layer, LayerObj) and layer.backbone is not None and layer.kb_index is not None:
                group = groups.setdefault(id(layer.backbone), [layer.backbone, index - layer.kb_index, []])
                group[2].append(layer.name)
        for state, offset, names in groups.values():
            nested = model.kind == "backbone" and model.backbone is state and bool(path)
            self.backbones.append(Backbone(
                name=state.name,
                weights=state.weights,
                include_top=state.include_top,
                nested_as=path[-1] if nested else None,
                offset=0 if nested else offset,
                container_path=path,
                layer_names=tuple(names),
                input_shape=state.input_shape,
                location=state.location,
                include_preprocessing=state.include_preprocessing,
                imagenet_layout=state.weights == "imagenet",  # build_backbone inserted the imagenet-only layers
            ))


def _producers(tensor: Any, depth: int = 0) -> list[str]:
    """Names of the layers a tensor comes from, looking through keras/tf operations."""
    node = tensor.node
    if node is None or depth > 64:
        return []
    if getattr(node.layer, "is_op", False):
        return [name for t in node.inputs for name in _producers(t, depth + 1)]
    return [node.layer.name]


def _inside_backbone(layer: KLayer, node: Any) -> bool:
    state = getattr(layer, "backbone", None)
    if state is None or not isinstance(layer, LayerObj):
        return False
    for tensor in node.inputs:  # a loop, not all(<generator>): this runs for every backbone layer
        if tensor.node is not None and getattr(tensor.node.layer, "backbone", None) is not state:
            return False
    return True


def _output_objects(model: ModelObj, depth: int = 0) -> list[KLayer]:
    layers = model.layers
    if model.kind == "sequential":
        outs: list[KLayer] = layers[-1:]
    else:
        outs = [t.node.layer for t in model.outputs if t.node is not None]
    found: list[KLayer] = []
    for layer in outs:
        if isinstance(layer, ModelObj) and depth < 16:
            found.extend(_output_objects(layer, depth + 1))
        else:
            found.append(layer)
    return found


def model_input_ops(model: Any) -> tuple[tuple[Any, ...], ...]:
    """Pixel operations the model applies to its raw input before its first real layer
    (``x / 127.5 - 1``, ``preprocess_input(x)``, ``Lambda(preprocess_input)``)."""
    if not isinstance(model, ModelObj):
        return ()
    if model.kind == "sequential":
        ops: list[tuple[Any, ...]] = []
        for layer in model.layers:
            if isinstance(layer, LayerObj) and layer.pixel_op is not None:
                ops.append(layer.pixel_op)
            elif not (isinstance(layer, LayerObj) and layer.cls in SCALE_KEEPING_LAYERS):
                break
        return tuple(ops)
    nodes = sorted(model._nodes.values(), key=lambda n: n.order)
    for node in nodes:
        layer = node.layer
        if isinstance(layer, LayerObj) and (layer.cls in SCALE_KEEPING_LAYERS or layer.cls == "InputLayer" or layer.pixel_op):
            continue
        if node.inputs and node.inputs[0].pre_ops:
            return node.inputs[0].pre_ops
    return ()




def fold_model_ops(scaling: Scaling | None, ops: tuple[tuple[Any, ...], ...]) -> Scaling | None:
    """The pipeline's scaling followed by the model's own pixel operations."""
    if not ops or scaling is None:
        return scaling
    family: str | None = None
    if scaling.kind == "none":
        factor, offset = 1.0, 0.0
    elif scaling.kind == "rescale" and scaling.factor is not None:
        factor, offset = scaling.factor, scaling.offset or 0.0
    elif scaling.kind == "preprocess_input":
        factor, offset, family = 1.0, 0.0, scaling.family
    else:
        return Scaling("unknown", location=scaling.location)
    location = scaling.location
    for op in ops:
        location = op[-1] or location
        if op[0] == "affine" and family is None:
            factor, offset = factor * op[1], offset * op[1] + op[2]
        elif op[0] == "family" and family is None and abs(factor - 1) < 1e-12 and abs(offset) < 1e-12:
            family = op[1]
        else:
            return Scaling("unknown", location=location)
    if family is not None:
        return Scaling("preprocess_input", family=family, location=location)
    if abs(factor - 1) < 1e-12 and abs(offset) < 1e-12:
        return Scaling("none", location=location)
    return Scaling("rescale", factor, offset, location=location)


def _choose_model(world: Any) -> Any:
    """The model the script trains: the last compiled one, else the last fitted, else the last
    built; what the script itself runs comes before what its uncalled functions do."""
    marks = world.main_marks or (len(world.compiles), len(world.fits), len(world.models))
    for compiles, fits, models in (marks, (len(world.compiles), len(world.fits), len(world.models))):
        if compiles:
            return world.compiles[compiles - 1][0]
        if fits:
            return world.fits[fits - 1][0]
        tops = [m for m in world.models[:models] if id(m) not in world.nested and m.kind != "loaded"]
        if tops:
            return tops[-1]
    return None


MAX_SETUPS = 32
"""Models per script that become setups of their own (a loop building more is cut, with an MC003)."""


def _candidates(world: Any) -> list[Any]:
    """Every model the script compiles, fits, saves or returns, in the order it first does so.

    A model inside another candidate (a backbone returned by a helper, then wrapped) is
    part of that one. ``None`` stands for compile/fit calls on a model that is unknown.
    """
    found: dict[int, Any] = {}
    for model in world.model_events:
        found.setdefault(id(model), model)
    models = list(found.values())
    inside: set[int] = set()
    for model in models:
        if isinstance(model, ModelObj):
            inside.update(id(obj) for obj in _walk_models(model)[1:])
    return [model for model in models if id(model) not in inside]


def build_setups(world: Any, path: str, text: str, gaps: tuple[Gap, ...] = ()) -> list[TrainingSetup]:
    """The TrainingSetups of one interpreted script, one per model it compiles, fits, saves or
    returns (the primary one, the model trained last, first); NoSetup when it holds nothing to check."""
    if not world.keras_seen:
        raise NoSetup("no Keras code found (no keras/tensorflow import or Keras call)")
    primary = _choose_model(world)
    candidates = _candidates(world)
    if len(candidates) > MAX_SETUPS:
        cut = candidates[MAX_SETUPS]
        where = cut.location if isinstance(cut, ModelObj) else None
        gaps = gaps + (Gap(f"the script builds more than {MAX_SETUPS} models; the later ones were not checked", where),)
        candidates = candidates[:MAX_SETUPS]
    if not any(model is primary for model in candidates):
        candidates.append(primary)
    ordered = [primary] + [model for model in candidates if model is not primary]
    setups: list[TrainingSetup] = []
    world.setup_ops, world.setup_models = [], []
    world.candidate_ids = {id(model) for model in ordered}
    lines = tuple(text.splitlines())  # one copy of the text, shared by the file's setups
    for model in ordered:
        setup, ops = _setup_of(world, model, path, lines, gaps, shared=len(ordered) == 1)
        if setup is not None:
            setups.append(setup)
            world.setup_ops.append(ops)
            world.setup_models.append(model)
    if not setups:
        raise NoSetup("uses Keras but builds no model, training run or data pipeline on its executed path")
    return setups


def _mine(world: Any, data: Any, model: Any, shared: bool) -> bool:
    """Whether a pipeline (or prediction) belongs to ``model``'s setup: it does unless only
    other models of the script are trained on it or run on it (a backbone's ``predict``
    for bottleneck features counts for every setup)."""
    users = world.pipe_users.get(id(data), set()) & world.candidate_ids
    return shared or not users or id(model) in users


def _setup_of(world: Any, chosen: Any, path: str, lines: tuple[str, ...], gaps: tuple[Gap, ...], shared: bool) -> tuple[TrainingSetup | None, Any]:
    graph = None
    if isinstance(chosen, ModelObj) and chosen.kind != "loaded":
        exporter = _Exporter(world.data_format)
        try:
            graph = exporter.graph(chosen, (), True)
            graph = replace(graph, backbones=tuple(exporter.backbones))
        except RecursionError:  # a pathological graph: the model stays unknown
            graph = None
    compiles = tuple(c for m, c in world.compiles if m is chosen)
    fit_events = [(f, cbs) for m, f, cbs in world.fits if m is chosen]
    fits = tuple(f for f, _ in fit_events)
    callbacks: dict[tuple[Any, ...], Callback] = {}
    for _, found in fit_events:
        for callback in found:
            key = (callback.class_name, callback.monitor, callback.location)
            callbacks.setdefault(key, callback)
    if isinstance(chosen, ModelObj):
        members = {id(obj) for obj in _walk_models(chosen)}
        records = [r for r in world.freezes.values() if any(id(obj) in members for obj in r["objects"])]
    else:
        records = list(world.freezes.values())
    freeze_ops = tuple(
        FreezeOp(target=r["target"], trainable=r["trainable"], layers=tuple(r["names"]), order=r["order"], location=r["location"])
        for r in sorted(records, key=lambda r: r["order"])
    )
    pipelines: list[Pipeline] = []
    seen_sites: set[tuple[Any, ...]] = set()
    # Pixel operations inside the model act on every pipeline's output: fold them in, so
    # the scaling says what the network really sees (Rescaling layers are left to the rules).
    ops = model_input_ops(chosen)
    for pipe in world.pipelines:
        if pipe.superseded and not pipe.role_usage:
            continue
        if not _mine(world, pipe, chosen, shared):
            continue  # fed to another model of the script
        exported = _pipeline(pipe)
        if ops:
            exported = replace(exported, scaling=fold_model_ops(exported.scaling, ops))
        site = (exported.location, exported.role, exported.scaling, exported.augmentation)
        if site not in seen_sites:  # the same call in a loop makes one pipeline
            seen_sites.add(site)
            pipelines.append(exported)
    seen_pixels: set[int] = set()
    for pixels, name in world.predictions:
        if id(pixels) not in seen_pixels and _mine(world, pixels, chosen, shared):
            seen_pixels.add(id(pixels))
            exported = _predict_pipeline(pixels, name)
            pipelines.append(replace(exported, scaling=fold_model_ops(exported.scaling, ops)) if ops else exported)
    labels = tuple(Labels(item.encoding, item.num_classes, item.location) for item in world.labels)
    api_uses = tuple(sorted(world.api_uses.values(), key=lambda a: a.location.sort_key() if a.location else ()))
    num_classes, num_classes_location = _num_classes(chosen)
    if graph is None and not (compiles or fits or pipelines or labels or api_uses or freeze_ops or callbacks):
        return None, ops
    return TrainingSetup(
        path=path,
        kind="script",
        model=graph,
        compiles=compiles,
        pipelines=tuple(pipelines),
        labels=labels,
        freeze_ops=freeze_ops,
        callbacks=tuple(callbacks.values()),
        fits=fits,
        api_uses=api_uses,
        num_classes=num_classes,
        num_classes_location=num_classes_location,
        gaps=gaps,
        source_lines=lines,
    ), ops


def _role(pipe: PipelineObj) -> str:
    if pipe.role_usage:
        return pipe.role_usage
    if pipe.role_hint:
        return pipe.role_hint
    for name in (pipe.var_name, pipe.datagen_name):
        role = role_from_name(name)
        if role is not None:
            return role
    return "train"


def role_from_name(name: str | None) -> str | None:
    """'validation_generator' -> 'validation', 'test_datagen' -> 'test'…"""
    if not name:
        return None
    lower = name.lower()
    for token, role in (("val", "validation"), ("test", "test"), ("train", "train"), ("pred", "predict")):
        if token in lower:
            return role
    return None


def _pipeline(pipe: PipelineObj) -> Pipeline:
    return Pipeline(
        role=_role(pipe),
        source=pipe.source,
        scaling=pipe.scaling,
        augmentation=tuple(pipe.augmentation),
        augmentation_location=pipe.augmentation_location,
        target_size=pipe.target_size,
        color_mode=pipe.color_mode,
        channel_order=pipe.channel_order,
        resized=pipe.resized,
        class_mode=pipe.class_mode,
        class_mode_location=pipe.class_mode_location,
        directory=pipe.directory,
        num_classes=pipe.num_classes,
        num_samples=pipe.num_samples,
        image_channels=pipe.image_channels,
        batch_size=pipe.batch_size,
        location=pipe.location,
        name=pipe.var_name,
    )


def _predict_pipeline(pixels: PixelVal, name: str | None) -> Pipeline:
    return Pipeline(
        role="predict",
        source=pixels.source,
        scaling=pixels.scaling(),
        augmentation=tuple(pixels.augmentation),
        target_size=pixels.target_size,
        color_mode=pixels.color_mode,
        channel_order=pixels.channel_order,
        resized=pixels.resized,
        location=pixels.location,
        name=name or pixels.var_name,
    )


def _num_classes(model: Any) -> tuple[int | None, Location | None]:
    """A module constant like ``nb_classes`` used as the output layer's unit count."""
    if not isinstance(model, ModelObj):
        return None, None
    for layer in _output_objects(model):
        ref = getattr(layer, "units_ref", None)
        if not ref or not _CLASS_CONSTANT.fullmatch(ref[0]):
            continue
        name, ctx = ref
        value = ctx.env.vars.get(name)
        if isinstance(value, int) and value == layer.units:
            return value, ctx.env.location(name)
    return None, None
